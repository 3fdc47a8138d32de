"""The FHIR outbox's read of completed outcomes (issue 16, part 2), over each ``transport`` (the
hub service, the in-process client, HTTPS to a served hub; SQLite and PostgreSQL): an admin gets
each completed outcome with its patient, practice and navigator, a page at a time; the read is
audited as a read of patient data (item ids, never an NHS number or a name); a navigator is
refused (audited). The Bundles made from what comes back validate with fhir.resources."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from ehub_tui.domain.models import Outcome
from ehub_tui.errors import PermissionDenied
from ehub_tui.export.fhir_out import build_bundle
from ehub_tui.service import HubService
from tests.support.factories import oc_row

pytestmark = pytest.mark.usefixtures("transport")

PF = Outcome(
    category="signpost",
    route="pf_sore_throat",
    destination="Community pharmacy (Pharmacy First)",
    destination_code="COMMUNITY_PHARMACY",
    urgency="same_day",
    snomed_code="1362511000000107",
    sop_id="pharmacy-first",
    sop_version="2.3.0",
    message="Please see a pharmacist today.",
)


def test_an_admin_reads_completed_outcomes_in_pages_and_the_read_is_audited(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    created, _ = seeded.store_intake([oc_row(1), oc_row(2), oc_row(3)])
    ids = [cid for _, cid in created]
    nav = make_service("nav1")
    for item in ids[:2]:  # the third stays queued: not an outcome
        nav.complete(nav.claim(item), PF)
    admin = make_service("admin1")

    first = admin.outbox_outcomes(date(2026, 11, 1), 0, 1)
    assert (len(first.records), first.total) == (1, 2) and first.next_after is not None
    second = admin.outbox_outcomes(date(2026, 11, 1), first.next_after, 1)
    assert second.next_after is None
    got = [*first.records, *second.records]
    assert [r.consultation_id for r in got] == ids[:2]
    rec = got[0]
    assert (rec.nhs_number, rec.family_name) == (oc_row(1).nhs_number, "Tester1")
    assert (rec.navigator, rec.navigator_name) == ("nav1", "Priya Shah")
    assert (rec.snomed_code, rec.sop_version, rec.message) == (
        "1362511000000107",
        "2.3.0",
        PF.message,
    )
    assert rec.practice_name and rec.pcn_code
    Bundle.model_validate(build_bundle(rec))
    # nothing completed since tomorrow: an empty page, and no audit event for it
    assert admin.outbox_outcomes(seeded.today().replace(year=2099), 0, 50).records == []

    reads = [e for e in seeded.audit_log(limit=50) if e.action == "outbox_read"]
    assert [e.body["items"] for e in reversed(reads)] == [[ids[0]], [ids[1]]]
    assert {e.actor for e in reads} == {"admin1"}
    text = json.dumps([e.body for e in reads])
    assert oc_row(1).nhs_number not in text and "Tester" not in text
    assert seeded.verify_audit().ok


def test_a_navigator_may_not_read_the_outbox(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    nav = make_service("nav1")
    with pytest.raises(PermissionDenied, match=r"nav1 \(navigator\) may not write outbox: only"):
        nav.outbox_outcomes()
    denied = seeded.audit_log(limit=1)[0]
    assert (denied.action, denied.actor, denied.body["permission"]) == (
        "denied",
        "nav1",
        "write_outbox",
    )
