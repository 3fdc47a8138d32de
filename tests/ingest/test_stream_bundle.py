"""Streamed FHIR Bundles (issue 18): a Bundle read an entry at a time stores the same rows,
quarantines the same records for the same reasons (and raw text) and reports the same counts as
the whole-file path, wherever the reading window happens to cut the text."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ehub_tui.config import Settings
from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.ingest import json_window
from ehub_tui.ingest.bundle_stream import open_bundle
from ehub_tui.ingest.runner import Ingester
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
from tests.conftest import FIXTURES, FrozenClock
from tests.ingest.helpers import qr_line
from tests.ingest.test_streaming import COLUMNS

pytestmark = pytest.mark.db  # real SQLite hubs

ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
QUARANTINE = "location, reason, raw, fmt, source, external_id, kind, source_file"


# -- building Bundles ------------------------------------------------------------------------


def qr(i: int, subject: dict[str, Any]) -> dict[str, Any]:
    """A QuestionnaireResponse (Accurx ACX-R-i) whose patient is ``subject``."""
    res: dict[str, Any] = json.loads(qr_line(i))
    del res["contained"]
    res["subject"] = subject
    return res


def patient(pid: str, n: int, family: str = "Quarry", gp: dict[str, Any] | None = None) -> Any:
    """A Patient with a test NHS number (``n``) and a GP practice (ODS Z99001 unless ``gp``)."""
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": NHS, "value": make_test_nhs_number(7000 + n)}],
        "name": [{"family": family, "given": ["Robin"]}],
        "gender": "female",
        "birthDate": "1971-03-04",
        "generalPractitioner": [gp or {"identifier": {"system": ODS, "value": "Z99001"}}],
    }


def org(oid: str, ods: str | None) -> dict[str, Any]:
    ident = [{"system": ODS, "value": ods}] if ods else [{"system": "x", "value": "1"}]
    return {"resourceType": "Organization", "id": oid, "identifier": ident}


def searchset() -> dict[str, Any]:
    """A searchset whose responses come first and their Patients and Organizations after
    (``_include``), named every way the whole-file path knows, with hostile entries among
    them."""
    base = "https://fhir.example.org/fhir"
    entries: list[Any] = [
        {"fullUrl": "urn:uuid:q1", "resource": qr(1, {"reference": "urn:uuid:p1"})},
        {"resource": qr(2, {"reference": "Patient/p2"})},
        {"resource": qr(3, {"reference": f"{base}/Patient/p3/_history/2"})},
        {"resource": qr(4, {"identifier": {"system": NHS, "value": make_test_nhs_number(7004)}})},
        {"resource": qr(5, {"reference": "Patient/missing"})},
        {"resource": qr(6, {"reference": "Patient/dup"})},  # the first of two with this id
        {"resource": qr(7, {"reference": "Patient/p7"})},  # practice: a later Organization
        {"resource": qr(8, {"reference": "Patient/p8"})},  # practice without an ODS code
        {"resource": qr(9, {"reference": "Organization/o1"})},  # not a Patient
        "a string, not an entry",
        {"resource": ["not", "an", "object"]},
        {"request": {"method": "DELETE", "url": "Patient/x"}},  # request-only
        {"resource": {"resourceType": "Observation", "id": "obs"}},
        {"resource": qr(10, {"reference": "Patient/p10"})},  # a bad byte, added below
        {"resource": qr(11, {"reference": "Patient/p1"})},  # shares a Patient
    ]
    entries += [
        {"fullUrl": "urn:uuid:p1", "resource": patient("p1", 1), "search": {"mode": "include"}},
        {"fullUrl": f"{base}/Patient/p2", "resource": patient("p2", 2)},
        {"fullUrl": f"{base}/Patient/p3", "resource": patient("p3", 3)},
        {"resource": patient("p4", 4)},
        {"resource": patient("dup", 6, "First")},
        {"resource": patient("dup", 66, "Second")},
        {"resource": patient("p7", 7, gp={"reference": "Organization/o1"})},
        {"resource": patient("p8", 8, gp={"reference": "Organization/o2"})},
        {"resource": patient("p10", 10, "Rob\u00e9rt")},
        {"fullUrl": f"{base}/Organization/o1", "resource": org("o1", "Z99002")},
        {"resource": org("o2", None)},
    ]
    return {"resourceType": "Bundle", "type": "searchset", "total": 11, "entry": entries}


def write(path: Path, doc: Any, *, indent: int | None = 2, bad_byte: bool = True) -> Path:
    """``doc`` as JSON in ``path`` (UTF-8, a byte-order mark, CRLF), with the patient family
    name "Robért" written in Latin-1 (a byte that is not UTF-8) when ``bad_byte``."""
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    if bad_byte:
        data = data.replace("Rob\u00e9rt".encode(), b"Rob\xe9rt")
    path.write_bytes(data)
    return path


# -- ingesting -------------------------------------------------------------------------------


def ingest(tmp: Path, path: Path, clock: FrozenClock, streamed: bool, **limits: Any) -> Any:
    """Ingest ``path`` into a fresh hub (read whole, or streamed); what it stored,
    quarantined and reported (as tests/ingest/test_streaming.py compares them)."""
    settings = Settings(data_dir=tmp / "data", hub_url=f"sqlite:///{tmp / 'hub.sqlite3'}", **limits)
    svc = HubService.open(settings, None, clock=clock)
    try:
        svc.import_practices(load_practices(FIXTURES / "practices.yaml"))
        ing = Ingester(svc, settings=settings, stream_min_bytes=0 if streamed else 1 << 40)
        report = ing.ingest_paths([path]).as_dict()
    finally:
        svc.close()
    with sqlite3.connect(tmp / "hub.sqlite3") as db:
        rows = sorted(db.execute(f"SELECT {COLUMNS} FROM consultation").fetchall())
        # the raw text too (the service's list of entries leaves it out)
        quarantined = sorted(db.execute(f"SELECT {QUARANTINE} FROM quarantine").fetchall())
    return {"rows": rows, "quarantined": quarantined, "report": report}


def both(tmp: Path, path: Path, clock: FrozenClock, **limits: Any) -> tuple[Any, Any]:
    """(whole-file, streamed) results of ingesting ``path``."""
    whole = ingest(tmp / "whole", path, clock, False, **limits)
    return whole, ingest(tmp / "stream", path, clock, True, **limits)


def is_streamed(path: Path, max_record_bytes: int = 1_048_576) -> bool:
    """Whether ``path`` is read as a streamed Bundle (not left to the whole-file path)."""
    got = open_bundle(path, max_bytes=None, max_record_bytes=max_record_bytes, whole_ok=True)
    if got is None:
        return False
    got.close()
    return True


def fixture_bundles() -> list[Path]:
    found = []
    for folder in (FIXTURES / "oc", FIXTURES / "bad"):
        for p in sorted(folder.rglob("*.json")):
            try:
                doc = json.loads(p.read_text(encoding="utf-8"))
            except ValueError:
                continue
            if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
                found.append(p)
    return found


# -- the same as read whole ------------------------------------------------------------------


@pytest.mark.parametrize("path", fixture_bundles(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_bundles_stream_as_they_read_whole(
    path: Path, tmp_path: Path, clock: FrozenClock
) -> None:
    assert is_streamed(path)  # the comparison is not empty: this Bundle takes the stream
    whole, streamed = both(tmp_path, path, clock)
    assert streamed == whole


@pytest.mark.parametrize("chunk", [7, 64, 1000, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2])
def test_patients_after_their_responses_and_hostile_entries(
    chunk: int, indent: int | None, tmp_path: Path, clock: FrozenClock, monkeypatch: Any
) -> None:
    """Patients and Organizations after the responses, every kind of reference, entries of
    the wrong type, a bad byte: the same as read whole, wherever a chunk of the file ends."""
    monkeypatch.setattr(json_window, "CHUNK", chunk)
    path = write(tmp_path / "searchset.json", searchset(), indent=indent)
    assert is_streamed(path)
    whole, streamed = both(tmp_path, path, clock)
    assert streamed == whole
    totals = whole["report"]["totals"]
    assert totals["records"] == 13 and totals["new"] + totals["quarantined"] == 13
    reasons = {q[0]: q[1] for q in whole["quarantined"]}
    assert len(reasons) == 6 and "not found in the file" in reasons["entry 5"]
    assert "Organization/o1 not found" in reasons["entry 9"]  # not a Patient
    assert "no ODS code" in reasons["entry 8"]
    assert "not an object" in reasons["entry 10"] and "not an object" in reasons["entry 11"]
    assert "0xE9" in reasons["entry 14"]
    stored = {row[1] for row in whole["rows"]}
    assert {"ACX-R-1", "ACX-R-2", "ACX-R-3", "ACX-R-4", "ACX-R-6", "ACX-R-7"} <= stored
    assert "ACX-R-11" in stored  # two responses of one Patient entry
    # the first of two Patients with one id is the one used (as read whole)
    assert any(r[1] == "ACX-R-6" and r[5] == "First" for r in whole["rows"])
    assert any(r[1] == "ACX-R-7" and r[2] == "Z99002" for r in whole["rows"])


def test_members_in_any_order_and_a_transaction(tmp_path: Path, clock: FrozenClock) -> None:
    """``entry`` before ``resourceType`` and ``type``, members after it, a transaction's
    requests beside its entries, NaN and escapes the standard JSON reader takes."""
    entries = [
        {"resource": qr(1, {"reference": "Patient/a"}), "request": {"method": "POST"}},
        {"resource": patient("a", 1), "request": {"method": "PUT", "url": "Patient/a"}},
    ]
    doc = {"entry": entries, "resourceType": "Bundle", "type": "transaction", "x": [1, 2]}
    text = json.dumps(doc).replace('"x": [1, 2]', '"x": [NaN, "\\ud800\\u00e9\\\\"]')
    path = tmp_path / "tx.json"
    path.write_text(text)
    assert is_streamed(path)
    whole, streamed = both(tmp_path, path, clock)
    assert streamed == whole and whole["report"]["totals"]["new"] == 1


def test_an_entry_with_nul_and_escaped_nul(tmp_path: Path, clock: FrozenClock) -> None:
    doc = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": qr(1, {"reference": "Patient/a"})},
        {"resource": qr(2, {"reference": "Patient/a"})},
        {"resource": patient("a", 1)},
    ]}  # fmt: skip
    text = json.dumps(doc, indent=1)
    text = text.replace('"ACX-R-1"', '"ACX-R-\x001"').replace('"ACX-R-2"', '"ACX-R-\\\\\x002"')
    path = tmp_path / "nul.json"
    path.write_text(text)
    assert is_streamed(path)
    whole, streamed = both(tmp_path, path, clock)
    assert streamed == whole and whole["report"]["totals"]["quarantined"] == 2


@pytest.mark.parametrize(
    "doc",
    [
        {"resourceType": "Bundle", "type": "document", "entry": []},
        {"resourceType": "Bundle", "type": "collection", "entry": {"resource": {}}},
        {"resourceType": "Bundle", "type": "collection"},
        {"resourceType": "Bundle", "entry": []},
    ],
    ids=["document", "entry-object", "no-entry", "no-type"],
)
def test_bundle_level_problems_read_as_whole(doc: Any, tmp_path: Path, clock: FrozenClock) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    whole, streamed = both(tmp_path, path, clock)
    assert streamed == whole
