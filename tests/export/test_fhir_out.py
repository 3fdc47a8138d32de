"""FHIR out (issue 16, part 2), without a hub: a Bundle for EVERY route of the shipped SOPs
validates with fhir.resources (R4B, wire-compatible with R4 for these resources) and carries
the route's facts; the HTML summary escapes hostile text; the outbox writes each file
atomically, idempotently, with its .ctl after it, and never shows a half-written file."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from ehub_tui.domain.outbox import OutboxRecord
from ehub_tui.export import outbox as ob
from ehub_tui.export.fhir_out import (
    NHS_NUMBER_SYSTEM,
    SNOMED,
    MissingFacts,
    build_bundle,
    bundle_bytes,
    priority,
)
from ehub_tui.export.summary_html import render
from ehub_tui.sop.library import shipped_sops_dir
from ehub_tui.sop.loader import load_set

HOSTILE = "<script>alert(\"x\")</script> & <img src=x onerror=alert(1)> 'quoted'"


def record(n: int = 1, **extra: Any) -> OutboxRecord:
    values: dict[str, Any] = {
        "outcome_id": 100 + n,
        "consultation_id": n,
        "practice_ods": "Z99001",
        "practice_name": "Harbourside Surgery",
        "pcn_code": "U99001",
        "pcn_name": "Harbourside & Downs PCN",
        "source": "eConsult",
        "external_id": f"EC-{n}",
        "received_at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        "request_type": "clinical",
        "template": "uti",
        "nhs_number": "9990000034",
        "given_name": "Alex",
        "family_name": "Tester",
        "date_of_birth": date(1980, 1, 2),
        "sex": "female",
        "navigator": "nav1",
        "navigator_name": "Priya Shah",
        "category": "signpost",
        "route": "pf_uti",
        "destination": "Community pharmacy (Pharmacy First)",
        "destination_code": "COMMUNITY_PHARMACY",
        "urgency": "same_day",
        "snomed_code": "1362511000000107",
        "contact_mode": "message",
        "team": "Community pharmacy",
        "sop_id": "pharmacy-first",
        "sop_version": "2.3.0",
        "note": "Checked exclusions.",
        "message": "Please go to a pharmacy today.",
        "completed_at": datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
    }
    values.update(extra)
    return OutboxRecord(**values)


def _route_records() -> list[OutboxRecord]:
    sops = load_set([shipped_sops_dir()])
    assert sops.ok, sops.errors
    found: list[OutboxRecord] = []
    for sop in sops.sops:
        for rule in sop.routes:
            r = rule.spec
            found.append(
                record(
                    len(found) + 1,
                    category=r.category,
                    route=r.id,
                    destination=r.destination,
                    destination_code=r.destination_code,
                    urgency=r.urgency,
                    snomed_code=r.snomed,
                    team=None,
                    sop_id=sop.id,
                    sop_version=sop.meta.version,
                    message=r.message,
                )
            )
    return found


ROUTES = _route_records()


def _by_type(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}


def test_every_shipped_route_makes_a_valid_bundle_with_its_facts() -> None:
    assert len(ROUTES) > 50  # every route of every shipped SOP (the red-flag SOP has none)
    for rec in ROUTES:
        raw = build_bundle(rec)
        Bundle.model_validate(raw)  # fhir.resources R4B: a structural validation of everything
        assert raw["type"] == "transaction"
        assert all(e["request"]["method"] == "POST" for e in raw["entry"])
        res = _by_type(raw)
        patient = res["Patient"]
        assert patient["identifier"] == [{"system": NHS_NUMBER_SYSTEM, "value": rec.nhs_number}]
        assert patient["generalPractitioner"][0]["identifier"]["value"] == "Z99001"
        task = res["Task"]
        assert (task["status"], task["intent"]) == ("completed", "order")
        assert task["for"]["reference"] == raw["entry"][0]["fullUrl"]
        assert task["businessStatus"]["coding"][0]["code"] == rec.route
        assert task["owner"]["identifier"]["value"] == rec.destination_code
        assert task["priority"] == priority(rec.urgency)
        if rec.snomed_code:  # a referral: the route's SNOMED code, its priority
            sr = res["ServiceRequest"]
            assert sr["code"]["coding"] == [{"system": SNOMED, "code": rec.snomed_code}]
            assert sr["priority"] == priority(rec.urgency)
            assert task["focus"]["type"] == "ServiceRequest"
        else:
            assert "ServiceRequest" not in res
            assert task["focus"]["identifier"]["value"] == rec.external_id
        if rec.message:
            assert res["Communication"]["payload"] == [{"contentString": rec.message}]
        else:
            assert "Communication" not in res
        prov = res["Provenance"]
        who = prov["agent"][0]["who"]
        assert who == {
            "identifier": {"system": "urn:ehub-tui:hub-user", "value": "nav1"},
            "display": "Priya Shah",
        }
        sop = prov["entity"][0]["what"]["identifier"]["value"]
        assert sop == f"{rec.sop_id}|{rec.sop_version}"
        assert {t["reference"] for t in prov["target"]} >= {task_url(raw)}


def task_url(raw: dict[str, Any]) -> str:
    return str(next(e["fullUrl"] for e in raw["entry"] if e["resource"]["resourceType"] == "Task"))


def test_pharmacy_first_priorities_and_the_same_bytes_every_time() -> None:
    pf = [r for r in ROUTES if r.destination_code == "COMMUNITY_PHARMACY" and r.sop_id]
    assert pf and all(r.snomed_code for r in pf)
    assert {"1362511000000107"} <= {r.snomed_code for r in pf}
    assert [priority(u) for u in ("immediate", "same_day", "within_48h", "routine")] == [
        "stat",
        "urgent",
        "routine",
        "routine",
    ]
    assert bundle_bytes(record()) == bundle_bytes(record())  # no clock, no random ids


def test_hostile_text_is_data_in_the_bundle_and_escaped_in_the_summary() -> None:
    rec = record(message=HOSTILE, note=HOSTILE, given_name=HOSTILE, practice_name=HOSTILE)
    Bundle.model_validate(build_bundle(rec))
    comm = _by_type(json.loads(bundle_bytes(rec)))["Communication"]
    assert comm["payload"][0]["contentString"] == HOSTILE  # exactly as sent
    page = render(rec)
    assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&#x27;quoted&#x27;" in page
    assert "999 000 0034" in page and "Pharmacy First" in page
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()


def test_a_purged_record_makes_no_bundle_and_a_partial_birth_date_stays_partial() -> None:
    with pytest.raises(MissingFacts, match="outcome 101: the patient's details were purged") as got:
        build_bundle(record(purged=True))
    assert "Tester" not in str(got.value)
    with pytest.raises(MissingFacts, match="outcome 101 has no NHS number"):
        build_bundle(record(nhs_number=""))
    month = build_bundle(record(date_of_birth=date(1970, 9, 1), dob_precision="month"))
    Bundle.model_validate(month)
    assert _by_type(month)["Patient"]["birthDate"] == "1970-09"
    assert "Sep 1970" in render(record(date_of_birth=date(1970, 9, 1), dob_precision="month"))


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_outbox_writes_each_pair_once_with_its_ctl_after_it(tmp_path: Path) -> None:
    box = ob.Outbox(tmp_path / "outbox")
    box.prepare()
    recs = [record(1), record(2, message=None, snomed_code=None)]
    first = box.write(recs)
    assert (first.written, first.already, first.failed) == (
        ["Z99001-1-101", "Z99001-2-102"],
        [],
        [],
    )
    names = sorted(p.name for p in (box.root / "fhir").iterdir())
    assert names == [
        "Z99001-1-101.ctl",
        "Z99001-1-101.json",
        "Z99001-2-102.ctl",
        "Z99001-2-102.json",
    ]
    assert sorted(p.name for p in (box.root / "html").iterdir())[1] == "Z99001-1-101.html"
    data = (box.root / "fhir" / "Z99001-1-101.json").read_bytes()
    Bundle.model_validate_json(data)
    ctl = (box.root / "fhir" / "Z99001-1-101.ctl").read_text()
    assert "<DTSControl>" in ctl and "<LocalId>Z99001-1-101</LocalId>" in ctl
    assert "9990000034" not in ctl and "Tester" not in ctl  # no patient identifier in a .ctl
    assert oct(os.stat(box.root / "fhir" / "Z99001-1-101.json").st_mode & 0o777) == "0o640"

    before = _files(box.root)
    again = ob.Outbox(box.root).write(recs)
    assert (again.written, again.already) == ([], ["Z99001-1-101", "Z99001-2-102"])
    assert _files(box.root) == before  # re-export: not one file touched

    # the collector took the pair away: the outbox's own record still says it was sent
    for p in (box.root / "fhir").iterdir():
        p.unlink()
    assert ob.Outbox(box.root).write(recs).written == []
    assert list((box.root / "fhir").iterdir()) == []


def test_a_crash_leaves_no_file_a_collector_would_take(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = ob.Outbox(tmp_path / "outbox")
    box.prepare()
    fhir = box.root / "fhir"

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    got = box.write([record(1)])
    assert got.written == [] and got.failed == [
        ("Z99001-1-101", f"cannot write in {box.root} (No space left on device)")
    ]
    assert list(fhir.iterdir()) == []  # neither the data file, nor its temp, nor a .ctl
    monkeypatch.undo()

    # a crash between the data file and its .ctl: the data file alone is not finished, and the
    # next run writes both; a crash's old temp file is swept, a fresh one left alone
    (fhir / "Z99001-1-101.json").write_bytes(b'{"resourceType": "Bun')
    stale, fresh = fhir / ".Z99001-9-9.json.ab12cd.tmp", fhir / ".Z99001-8-8.json.ef34ab.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (0, 0))
    box.prepare()
    assert not stale.exists() and fresh.exists()
    assert box.write([record(1)]).written == ["Z99001-1-101"]
    Bundle.model_validate_json((fhir / "Z99001-1-101.json").read_bytes())
    assert (fhir / "Z99001-1-101.ctl").exists()
