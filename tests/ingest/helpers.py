"""Building supplier files for the records-not-files tests: CSV rows and FHIR NDJSON lines."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.ingest.parsers import CSV_COLUMNS

HEADER = ",".join(CSV_COLUMNS)


def record(i: int, **overrides: Any) -> dict[str, Any]:
    """A valid OC numbered ``i`` (eConsult, id EC-R-i, practice Z99001), as CSV-shaped text."""
    rec: dict[str, Any] = {
        "source": "eConsult",
        "external_id": f"EC-R-{i:04d}",
        "practice_ods": "Z99001",
        "nhs_number": make_test_nhs_number(5000 + i),
        "given_name": "Robin",
        "family_name": f"Quarry{i}",
        "date_of_birth": "1971-03-04",
        "sex": "female",
        "received_at": "2026-11-20T09:00:00Z",
        "request_type": "clinical",
        "template": "sore_throat",
        "answers": '{"duration_days": 3}',
        "free_text": "sore throat since Monday",
        "supplier_flags": "",
    }
    rec.update(overrides)
    return rec


def as_data(rec: dict[str, Any]) -> dict[str, Any]:
    """A CSV-shaped record as the parsers hand it to validation (answers parsed)."""
    out = dict(rec)
    if isinstance(out.get("answers"), str):
        out["answers"] = json.loads(out["answers"]) if out["answers"] else {}
    return out


def csv_text(*records: dict[str, Any]) -> str:
    """A supplier CSV (header and LF line endings) holding ``records``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rec in records:
        writer.writerow([rec.get(c, "") for c in CSV_COLUMNS])
    return out.getvalue()


def qr_line(i: int, **patch: Any) -> str:
    """One NDJSON line: a QuestionnaireResponse with a contained Patient (Accurx, ACX-R-i)."""
    rec = record(i, **patch)
    resource = {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": f"urn:ehub-tui:supplier:{rec['source']}", "value": f"ACX-R-{i}"},
        "questionnaire": "https://x.example/Questionnaire/sore_throat",
        "status": "completed",
        "authored": rec["received_at"],
        "subject": {"reference": "#p"},
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "identifier": [
                    {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": rec["nhs_number"]}
                ],
                "name": [{"family": rec["family_name"], "given": [rec["given_name"]]}],
                "gender": rec["sex"],
                "birthDate": rec["date_of_birth"],
                "generalPractitioner": [
                    {
                        "identifier": {
                            "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                            "value": rec["practice_ods"],
                        }
                    }
                ],
            }
        ],
        "item": [
            {"linkId": "request_type", "answer": [{"valueString": rec["request_type"]}]},
            {"linkId": "free_text", "answer": [{"valueString": rec["free_text"]}]},
        ],
    }
    return json.dumps(resource, ensure_ascii=False)


def identifiers(rec: dict[str, Any]) -> list[str]:
    """The patient identifiers of a record that must never appear in a reason or message."""
    return [
        rec["nhs_number"],
        rec["nhs_number"][:3] + " " + rec["nhs_number"][3:6],
        rec["family_name"],
        rec["given_name"],
        rec["date_of_birth"],
    ]
