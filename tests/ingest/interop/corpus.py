"""The interop corpus: inputs shaped as the UK Core examples and real FHIR servers send them
(HAPI searchsets with ``_include``, Bulk Data export folders, message and transaction Bundles,
versioned and identifier references, an Organization for the practice, partial birth dates).

Every input is validated with fhir.resources (R4B, wire-compatible with R4 for these resources)
before a test ingests it: ``valid`` raises on anything that is not FHIR.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from ehub_tui.domain.nhs import make_test_nhs_number

NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
ACCURX_SYSTEM = "https://fhir.accurx.com/Id/request-id"
UKCORE = "https://fhir.hl7.org.uk/StructureDefinition/"
HAPI = "http://hapi.fhir.org/baseR4"
NHS_NUMBER = make_test_nhs_number(4242)
PATIENT_ID = "UKCore-Patient-RichardSmith-Example"
ORG_ID = "UKCore-Organization-WhiteRoseMedicalCentre-Example"
PRACTICE = "Z99002"  # a fixture practice (fixtures/practices.yaml)


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate ``resource`` with fhir.resources (raises if it is not valid FHIR); return it."""
    get_fhir_model_class(resource["resourceType"]).model_validate(copy.deepcopy(resource))
    return resource


def patient(
    pid: str = PATIENT_ID,
    *,
    nhs: str = NHS_NUMBER,
    birth: str = "1968-09-15",
    gp: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A UK Core Patient (UKCore-Patient-RichardSmith-Example's shape): NHS number with its
    verification status, an official and a usual name, address, a GP practice."""
    return {
        "resourceType": "Patient",
        "id": pid,
        "meta": {"versionId": "2", "profile": [f"{UKCORE}UKCore-Patient"]},
        "identifier": [
            {
                "extension": [
                    {
                        "url": f"{UKCORE}Extension-UKCore-NHSNumberVerificationStatus",
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": "https://fhir.hl7.org.uk/CodeSystem/"
                                    "UKCore-NHSNumberVerificationStatusEngland",
                                    "code": "01",
                                    "display": "Number present and verified",
                                }
                            ]
                        },
                    }
                ],
                "system": NHS_SYSTEM,
                "value": NHS_NUMBER if nhs is None else nhs,
            }
        ],
        "name": [
            {"use": "usual", "family": "Smith", "given": ["Rich"]},
            {"use": "official", "family": "Smith", "given": ["Richard", "Adam"], "prefix": ["Mr"]},
        ],
        "gender": "male",
        "birthDate": birth,
        "address": [
            {"use": "home", "line": ["1 Harbour Lane"], "city": "Leeds", "postalCode": "LS1 4HR"}
        ],
        "generalPractitioner": [gp or {"reference": f"Organization/{ORG_ID}"}],
    }


def organization(oid: str = ORG_ID, ods: str = PRACTICE) -> dict[str, Any]:
    """A UK Core Organization: a GP practice with its ODS code."""
    return {
        "resourceType": "Organization",
        "id": oid,
        "meta": {"profile": [f"{UKCORE}UKCore-Organization"]},
        "identifier": [{"system": ODS_SYSTEM, "value": ods}],
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": "https://fhir.nhs.uk/CodeSystem/organisation-role",
                        "code": "76",
                        "display": "GP PRACTICE",
                    }
                ]
            }
        ],
        "name": "White Rose Medical Centre",
    }


def response(
    subject: dict[str, Any],
    *,
    request_id: str = "ACX-900001",
    status: str = "completed",
    system: str = ACCURX_SYSTEM,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A QuestionnaireResponse as a supplier sends it (its own identifier system)."""
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"qr-{request_id}",
        "identifier": {"system": system, "value": request_id},
        "questionnaire": "https://fhir.accurx.com/Questionnaire/sore_throat|3.1",
        "status": status,
        "subject": subject,
        "authored": "2026-11-20T09:14:00+00:00",
        "item": items
        if items is not None
        else [
            {"linkId": "request_type", "answer": [{"valueString": "clinical"}]},
            {"linkId": "free_text", "answer": [{"valueString": "Sore throat for three days"}]},
            {"linkId": "duration_days", "answer": [{"valueInteger": 3}]},
        ],
    }


def bundle(btype: str, entries: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A Bundle of ``entries`` (each {"fullUrl", "resource", ...}), validated."""
    return valid({"resourceType": "Bundle", "type": btype, **extra, "entry": entries})


def write_json(path: Path, resource: dict[str, Any]) -> Path:
    """Write one validated resource as a JSON file."""
    path.write_text(json.dumps(valid(resource), indent=2), encoding="utf-8")
    return path


def write_ndjson(path: Path, resources: list[dict[str, Any]]) -> Path:
    """Write validated resources one a line."""
    path.write_text("".join(json.dumps(valid(r)) + "\n" for r in resources), encoding="utf-8")
    return path


def bulk_export(folder: Path, count: int = 3) -> Path:
    """A FHIR Bulk Data export folder: Patient.ndjson, Organization.ndjson and
    QuestionnaireResponse.ndjson (the responses point to the Patients by ``Patient/id``)."""
    folder.mkdir(parents=True, exist_ok=True)
    pats = [
        patient(f"pat-{i}", nhs=make_test_nhs_number(7000 + i), birth=f"19{50 + i}-0{1 + i}-1{i}")
        for i in range(count)
    ]
    write_ndjson(folder / "Patient.ndjson", pats)
    write_ndjson(folder / "Organization.ndjson", [organization()])
    qrs = [
        response({"reference": f"Patient/pat-{i}"}, request_id=f"ACX-BULK-{i}")
        for i in range(count)
    ]
    write_ndjson(folder / "QuestionnaireResponse.ndjson", qrs)
    return folder
