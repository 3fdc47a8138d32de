"""Ingest never loses good records to a bad neighbour; quarantine and its audit stay clean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.ingest.runner import Ingester
from ehub_tui.service import HubService, NotAvailable
from tests.conftest import FIXTURES
from tests.support.hubserver import cli_hub


@pytest.fixture
def hub(
    seeded: HubService, hub_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[HubService]:
    """The hub as the CLI reaches it: embedded SQLite, or a PostgreSQL hub through its server."""
    with cli_hub(seeded, hub_url, monkeypatch, tmp_path) as service:
        yield service


def _qr(ext: str, nhs: str = "9990000018") -> dict:
    return {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": "urn:ehub-tui:supplier:Accurx", "value": ext},
        "questionnaire": "https://x.example/Questionnaire/sore_throat",
        "status": "completed",
        "authored": "2026-11-20T09:00:00Z",
        "subject": {"reference": "#p"},
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}],
                "name": [{"family": "Test", "given": ["Sam"]}],
                "gender": "female",
                "birthDate": "1990-01-01",
                "generalPractitioner": [
                    {
                        "identifier": {
                            "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                            "value": "Z99001",
                        }
                    }
                ],
            }
        ],
        "item": [{"linkId": "request_type", "answer": [{"valueString": "clinical"}]}],
    }


def test_poisoned_values_never_cost_good_records(hub: HubService, tmp_path: Path) -> None:
    lines = [
        json.dumps(_qr("GOOD-1")),
        json.dumps(_qr("NUL\u0000ID")),
        json.dumps(_qr("X" * 300)),
        json.dumps(_qr("GOOD-2")),
    ]
    # a lone surrogate escape, as a JSON sender can write it
    lines.insert(2, json.dumps(_qr("SUR-1")).replace("SUR-1", "SUR\\ud800"))
    f = tmp_path / "poison.ndjson"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(f), str(FIXTURES / "oc"), "--json"])
    assert result.exit_code == 1, result.output
    totals = json.loads(result.stdout)["totals"]
    assert totals["new"] == 2 + 179 and totals["quarantined"] == 3
    assert hub.find_consultation_id("Accurx", "GOOD-1") is not None
    assert hub.find_consultation_id("Accurx", "GOOD-2") is not None
    reasons = " ".join(q.reason for q in hub.quarantined())
    assert "at most 128" in reasons


def test_quarantine_audit_carries_no_values(hub: HubService) -> None:
    CliRunner().invoke(app, ["ingest", str(FIXTURES / "bad" / "mixed_records.csv")])
    events = [e for e in hub.audit_log(limit=500) if e.action == "quarantine"]
    assert len(events) == 11
    text = json.dumps([e.body for e in events])
    assert "9999001115" not in text and "reason" not in text
    assert all(set(e.body) == {"quarantine_id", "file", "location"} for e in events)


def test_release_is_guarded_and_atomic(hub: HubService, tmp_path: Path) -> None:
    CliRunner().invoke(app, ["ingest", str(FIXTURES / "bad" / "mixed_records.csv")])
    practices = tmp_path / "p.yaml"
    practices.write_text("practices:\n  - {ods_code: Z99999, name: New, list_size: 1}\n")
    hub.import_practices(
        [{"ods_code": "Z99999", "name": "New", "pcn_code": "", "pcn_name": "", "list_size": 1}]
    )
    qid = next(q.id for q in hub.quarantined() if "Z99999" in q.reason)
    ing = Ingester(hub)
    assert ing.retry_quarantined(qid) == ("stored", [])
    outcome, problems = ing.retry_quarantined(qid)
    assert outcome == "closed" and "released" in problems[0]
    with pytest.raises(NotAvailable):
        hub.discard_quarantined(qid, "changed my mind")
    other = next(q.id for q in hub.quarantined())
    result = CliRunner().invoke(
        app, ["quarantine", "discard", str(other), "--reason", "supplier test message"]
    )
    assert result.exit_code == 0
    assert hub.quarantine_entry(other).status == "discarded"
    again = CliRunner().invoke(app, ["quarantine", "discard", str(other), "--reason", "x"])
    assert again.exit_code == 2 and "not open" in again.stderr
    assert hub.verify_audit().ok


def test_one_nul_byte_costs_one_record_not_the_file(hub: HubService, tmp_path: Path) -> None:
    from tests.ingest.helpers import csv_text, record

    data = csv_text(record(1), record(2, family_name="Nul"), record(3)).encode()
    f = tmp_path / "nul.csv"
    f.write_bytes(data.replace(b",Nul,", b",N\x00l,"))
    result = CliRunner().invoke(app, ["ingest", str(f), "--json"])
    assert result.exit_code == 1, result.output  # a record was quarantined
    totals = json.loads(result.stdout)["totals"]
    assert (totals["new"], totals["quarantined"], totals["failed_files"]) == (2, 1, 0)
    [entry] = hub.quarantined()
    assert entry.location == "line 3"
    assert entry.reason == "family_name holds a NUL character, which cannot be stored"
    assert hub.find_consultation_id("eConsult", "EC-R-0003") is not None
