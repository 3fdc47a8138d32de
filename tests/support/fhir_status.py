"""QuestionnaireResponses with a status, for the status-rule tests (issue 16): each resource is
validated by fhir.resources (R4B: wire-compatible with R4 for a QuestionnaireResponse) before a
test writes it, so the hub is tested on FHIR a real server could send."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ehub_tui.domain.nhs import make_test_nhs_number

SOURCE = "Accurx"


def response(i: int, status: str = "completed", **patch: Any) -> dict[str, Any]:
    """A QuestionnaireResponse numbered ``i`` (Accurx, id ACX-S-i, practice Z99001, a contained
    Patient) with ``status``; ``patch`` replaces any of free_text, family_name, given_name,
    nhs_number, birth_date, sex, practice, request_type, authored."""
    f: dict[str, Any] = {
        "free_text": "sore throat since Monday",
        "family_name": f"Status{i}",
        "given_name": "Robin",
        "nhs_number": make_test_nhs_number(7000 + i),
        "birth_date": "1971-03-04",
        "sex": "female",
        "practice": "Z99001",
        "request_type": "clinical",
        "authored": "2026-11-20T09:00:00Z",
    }
    f.update(patch)
    resource = {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": f"urn:ehub-tui:supplier:{SOURCE}", "value": f"ACX-S-{i}"},
        "questionnaire": "https://x.example/Questionnaire/sore_throat",
        "status": status,
        "authored": f["authored"],
        "subject": {"reference": "#p"},
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "identifier": [
                    {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": f["nhs_number"]}
                ],
                "name": [{"family": f["family_name"], "given": [f["given_name"]]}],
                "gender": f["sex"],
                "birthDate": f["birth_date"],
                "generalPractitioner": [
                    {
                        "identifier": {
                            "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                            "value": f["practice"],
                        }
                    }
                ],
            }
        ],
        "item": [
            {"linkId": "request_type", "answer": [{"valueString": f["request_type"]}]},
            {"linkId": "free_text", "answer": [{"valueString": f["free_text"]}]},
        ],
    }
    return resource


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` after fhir.resources has validated it (raises on anything not FHIR)."""
    QuestionnaireResponse.model_validate(resource)
    return resource


def write_ndjson(path: Path, *resources: dict[str, Any]) -> Path:
    """Write validated resources as an NDJSON file (one per line); returns the path."""
    lines = [json.dumps(validated(r), ensure_ascii=False) for r in resources]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def identifiers(i: int, **patch: Any) -> list[str]:
    """The patient details of response ``i`` that no reason or message may quote."""
    r = response(i, **patch)
    patient = r["contained"][0]
    return [
        patient["identifier"][0]["value"],
        patient["name"][0]["family"],
        patient["birthDate"],
    ]
