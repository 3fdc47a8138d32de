"""A published SOP that cannot be loaded is never dropped silently (trial 15d, safety).

Only approved SOP versions guide anyone. When the newest approved version of a SOP cannot be
used (its text changed behind the hub's back so its checksum no longer matches, or it does not
load here) and no earlier approved version stands in, the hub logs it and audits it once
(``sop_unavailable``), the supervisor board lists it, every decision carries a caution naming
the missing SOP, and a suggestion that came only from a catch-all rule is held back (⏎ alone
cannot complete it: the navigator chooses the route with the override). An earlier approved
version that loads is used instead, and said.

Real hubs (SQLite and PostgreSQL, tests/conftest.py), each service a separate HubService as
separate apps would be; nothing mocked.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from ehub_tui.service import HubService
from ehub_tui.sop.incomplete import CHECKSUM, HELD_CAUTION, MISSING_CAUTION
from ehub_tui.sop.library import shipped_sops_dir
from ehub_tui.store import sops as store_sops
from ehub_tui.store.engine import write_tx
from ehub_tui.triage.guidance import incomplete_for_navigator
from tests.support.factories import as_consultation

MakeService = Callable[..., HubService]
ADMIN_VERSION = "1.1.0"  # sops/admin.sop.yaml
# an admin request about a medicine's side effect (the admin SOP's: the clinical pharmacist)
HRT_QUERY: dict[str, Any] = {
    "request_type": "admin",
    "template": "repeat_medication",
    "answers": {},
    "supplier_flags": [],
    "free_text": "My new HRT patch gives me a headache, is this a side effect?",
}
# an admin request only the admin SOP routes (a new fit note): without it, only a catch-all
FIT_NOTE: dict[str, Any] = {
    "request_type": "admin",
    "template": "fit_note",
    "answers": {},
    "supplier_flags": [],
    "free_text": "I need a fit note for work please, my last one ran out.",
}
# a clinical request the catch-all GP routine route takes (no other rule matches)
ROUTINE: dict[str, Any] = {
    "request_type": "clinical",
    "template": "general",
    "answers": {"duration_days": 40},
    "supplier_flags": [],
    "free_text": "My hands have been stiff every morning for about six weeks.",
}


def events(svc: HubService, action: str) -> list[Any]:
    return [e for e in svc.audit_log(limit=1000) if e.action == action]


def tamper(svc: HubService, sop_id: str) -> None:
    """Change a published SOP's text in the hub's store (its sha256 left as it was)."""
    with write_tx(svc.engine) as conn:
        conn.execute(
            text("UPDATE sop_version SET sop_text = sop_text || :extra WHERE sop_id = :sop"),
            {"extra": "\n  - [unclosed\n", "sop": sop_id},
        )


def publish_raw(svc: HubService, sop_id: str, version: str, body: str, sha: str = "") -> None:
    """Store a version as a newer ehub-tui (or a clinical approver elsewhere) published it (on
    a hub seeded with the shipped SOPs first)."""
    svc.published_sops()  # seeds a hub with none
    with write_tx(svc.engine) as conn:
        store_sops.insert(
            conn,
            sop_id=sop_id,
            version=version,
            sha256=sha or hashlib.sha256(body.encode()).hexdigest(),
            file_name=f"{sop_id}.sop.yaml",
            sop_text=body,
            tests_text=None,
            approved_by="clin1",
            submitted_by=None,
            published_by="clin1",
            published_at=svc.clock(),
        )


def test_a_tampered_sop_is_announced_and_its_catch_all_is_held(
    seeded: HubService, make_service: MakeService, caplog: pytest.LogCaptureFixture
) -> None:
    good = make_service("nav1").decide(as_consultation(FIT_NOTE), {})
    assert good is not None and good.route is not None
    assert good.route.destination_code == "FIT_NOTE" and not good.cautions

    tamper(seeded, "admin")
    caplog.set_level(logging.WARNING)
    nav = make_service("nav2")  # a newly started app
    state = nav.guidance_state()
    assert state.available  # the other SOPs still guide
    [u] = state.unloaded
    assert (u.sop_id, u.version, u.reason, u.using) == ("admin", ADMIN_VERSION, CHECKSUM, None)
    warning = incomplete_for_navigator(state.unloaded)
    assert warning == (
        "Guidance incomplete — the admin SOP could not be loaded; its routes are not offered. "
        "Tell your SOP author."
    )

    # the remaining SOPs' catch-all would say "GP routine": not offered for enter alone
    d = nav.decide(as_consultation(FIT_NOTE), {})
    assert d is not None and d.next_question is None
    assert d.route is None
    held = {c.id: c.say for c in d.cautions}
    assert held[MISSING_CAUTION] == warning
    assert "GP routine" in held[HELD_CAUTION] and "override" in held[HELD_CAUTION]
    # the caution is recorded with the outcome's decision
    assert MISSING_CAUTION in {c["id"] for c in d.as_dict()["cautions"]}
    # a rule that matched the request's own words still routes (said, not held)
    medicine = nav.decide(as_consultation(HRT_QUERY), {})
    assert medicine is not None and medicine.route is not None
    assert medicine.route.destination_code == "CLINICAL_PHARMACIST"
    assert [c.id for c in medicine.cautions] == [MISSING_CAUTION]

    # logged and audited once (set and version, the reason; no patient data)
    said = [r.getMessage() for r in caplog.records if "cannot be used" in r.getMessage()]
    assert said and "admin" in said[0] and CHECKSUM in said[0]
    assert not any("fit note" in r.getMessage() for r in caplog.records)
    make_service("nav3").guidance_state()  # another app starting: no second event
    [ev] = events(seeded, "sop_unavailable")
    assert ev.body["sop"] == "admin" and ev.body["version"] == ADMIN_VERSION
    assert ev.body["using"] is None and ev.actor == "system"

    # the supervisor board's alerts
    board = make_service("sup1").board()
    assert len(board.sop_alerts) == 1 and "admin" in board.sop_alerts[0]
    assert "not offered to navigators" in board.sop_alerts[0]


def test_a_first_version_that_fails_validation_is_missing_and_said(
    seeded: HubService, make_service: MakeService
) -> None:
    body = (shipped_sops_dir() / "signposting.sop.yaml").read_text(encoding="utf-8")
    body = body.replace("id: signposting", "id: travel-health", 1)
    body = body.replace("category: signpost", "categry: signpost", 1)  # unknown key
    title = next(
        line.split(":", 1)[1].strip() for line in body.splitlines() if line.startswith("  title:")
    )
    publish_raw(seeded, "travel-health", "1.0.0", body)

    svc = make_service("nav1")
    state = svc.guidance_state()
    [u] = state.unloaded
    assert (u.sop_id, u.version, u.using, u.title) == ("travel-health", "1.0.0", None, title)
    assert "does not load here" in u.reason and "categry" in u.reason
    assert f"the {title} SOP could not be loaded" in (
        incomplete_for_navigator(state.unloaded) or ""
    )
    d = svc.decide(as_consultation(ROUTINE), {})
    assert d is not None and d.route is None
    assert {c.id for c in d.cautions} >= {MISSING_CAUTION, HELD_CAUTION}
    [ev] = events(seeded, "sop_unavailable")
    assert ev.body["sop"] == "travel-health" and "categry" in ev.body["reason"]
    assert any("travel-health" in a or title in a for a in make_service("sup1").board().sop_alerts)


def test_an_earlier_approved_version_stands_in_and_is_said(
    seeded: HubService, make_service: MakeService
) -> None:
    body = (shipped_sops_dir() / "admin.sop.yaml").read_text(encoding="utf-8")
    body = body.replace(f"version: {ADMIN_VERSION}", "version: 1.2.0", 1)
    # published with the checksum of another text: as if changed after approval
    publish_raw(seeded, "admin", "1.2.0", body + "\n# changed\n", hashlib.sha256(b"x").hexdigest())

    svc = make_service("nav1")
    state = svc.guidance_state()
    [u] = state.unloaded
    assert (u.version, u.using) == ("1.2.0", ADMIN_VERSION)
    assert incomplete_for_navigator(state.unloaded) == (
        f"Guidance: the {u.title} SOP is using version {ADMIN_VERSION}; version 1.2.0 could not "
        "be loaded. Tell your SOP author."
    )
    assert u.title.startswith("Admin and other requests")
    d = svc.decide(as_consultation(HRT_QUERY), {})
    assert d is not None and d.route is not None  # the earlier version routes as before
    assert d.route.destination_code == "CLINICAL_PHARMACIST" and not d.cautions
    [ev] = events(seeded, "sop_unavailable")
    assert ev.body["using"] == ADMIN_VERSION
    [alert] = make_service("sup1").board().sop_alerts
    assert f"version {ADMIN_VERSION} is used instead" in alert


def test_the_announcement_keeps_the_audit_verifiable_and_ends_with_a_new_publish(
    seeded: HubService, make_service: MakeService
) -> None:
    from ehub_tui.service import sop_health
    from ehub_tui.sop.incomplete import Unloaded

    seeded.published_sops()
    gone = Unloaded("admin", ADMIN_VERSION, "Admin", "it does not load here (x:1:1: y)")
    ctx = seeded.parts.guidance._ctx
    assert sop_health.announce(ctx, [gone]) == 1
    assert sop_health.announce(ctx, [gone]) == 0  # said once
    assert [u.sop_id for u in sop_health.standing(ctx)] == ["admin"]
    assert seeded.verify_audit().ok
    # a new version of that SOP published (audited as sop_publish) answers it
    with write_tx(seeded.engine) as conn:
        from ehub_tui.store import audit

        audit.append(
            conn, [audit.Event("clin1", "sop_publish", None, {"sop": "admin"})], seeded.clock()
        )
    assert sop_health.standing(ctx) == []
    assert make_service("sup1").board().sop_alerts == []


@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)
def test_a_stand_in_that_stops_loading_too_is_announced_again(seeded: HubService) -> None:
    """Review 27: the announcement was known by (SOP, version, reason) alone, so when the
    version standing in stopped loading too, nobody was told and the board still said it stood
    in. What stands in is part of it now, and the board shows the newest word per version."""
    from ehub_tui.service import sop_health
    from ehub_tui.sop.incomplete import Unloaded

    seeded.published_sops()
    ctx = seeded.parts.guidance._ctx
    standing_in = Unloaded("admin", "1.2.0", "Admin", CHECKSUM, using=ADMIN_VERSION)
    assert sop_health.announce(ctx, [standing_in]) == 1
    assert sop_health.announce(ctx, [standing_in]) == 0  # said once
    now_missing = Unloaded("admin", "1.2.0", "Admin", CHECKSUM, using=None)
    assert sop_health.announce(ctx, [now_missing]) == 1
    board = [sop_health.board_words(u) for u in sop_health.standing(ctx)]
    assert len(board) == 1 and "no earlier approved version loads" in board[0], board


@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)
def test_a_forged_announcement_body_does_not_take_the_board_down(seeded: HubService) -> None:
    """Review 27: a sop_unavailable row whose body is a JSON array raised TypeError on every
    board refresh; audit verify is what reports such a row, the board reads past it."""
    from ehub_tui.store import audit

    with write_tx(seeded.engine) as conn:
        audit.append(
            conn,
            [audit.Event("system", "sop_unavailable", None, [1, 2, 3])],
            seeded.clock(),
        )
    assert seeded.board().sop_alerts == []
