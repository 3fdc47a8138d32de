"""Synthetic records written in the ingest's input formats: a FHIR QuestionnaireResponse with
its Patient, NDJSON, the supplier CSV layout and a FHIR collection Bundle (docs/formats.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ehub_tui.ingest.csvfile import CSV_COLUMNS

#: Column order of the supplier CSV layout (docs/formats.md).
CSV_FIELDS: tuple[str, ...] = CSV_COLUMNS

FHIR_BASE = "https://fhir.ehub-tui.example"
_SUPPLIER_SYSTEM = "urn:ehub-tui:supplier:"
_NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
_ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"


def _fhir_answers(value: Any) -> list[dict[str, Any]]:
    """FHIR ``answer`` list for one OC answer value."""
    if isinstance(value, list | tuple):
        out: list[dict[str, Any]] = []
        for v in value:
            out.extend(_fhir_answers(v))
        return out
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if value in ("yes", "no"):
        return [{"valueBoolean": value == "yes"}]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    if isinstance(value, float):
        return [{"valueDecimal": value}]
    return [{"valueString": str(value)}]


def _fhir_id(value: str) -> str:
    """A FHIR resource id ([A-Za-z0-9-.]{1,64}) made from any string."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "-" for c in value)
    return cleaned[:64] or "x"


def _patient(record: dict[str, Any], pid: str) -> dict[str, Any]:
    name: dict[str, Any] = {"family": record["family_name"]}
    if record.get("given_name"):
        name["given"] = [record["given_name"]]
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": _NHS_SYSTEM, "value": record["nhs_number"]}],
        "name": [name],
        "gender": record["sex"],
        "birthDate": record["date_of_birth"],
        "generalPractitioner": [
            {"identifier": {"system": _ODS_SYSTEM, "value": record["practice_ods"]}}
        ],
    }


def to_fhir(record: dict[str, Any]) -> dict[str, Any]:
    """Turn one OC record into a FHIR R4 QuestionnaireResponse with a contained Patient.

    The shape is exactly the one in docs/formats.md: supplier identifier, questionnaire URL whose
    last segment is the template, ``authored`` = ``received_at``, ``subject`` ``#pat``, and items
    for ``request_type``, each answer, ``free_text`` and one ``supplier_flag`` answer per flag.
    """
    items: list[dict[str, Any]] = [
        {"linkId": "request_type", "answer": [{"valueString": record["request_type"]}]}
    ]
    for key, value in (record.get("answers") or {}).items():
        answers = _fhir_answers(value)
        if answers:
            items.append({"linkId": key, "answer": answers})
    if record.get("free_text"):
        items.append({"linkId": "free_text", "answer": [{"valueString": record["free_text"]}]})
    flags = record.get("supplier_flags") or []
    if flags:
        items.append({"linkId": "supplier_flag", "answer": [{"valueString": f} for f in flags]})

    qr: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": _fhir_id(f"qr-{record['external_id']}"),
        "identifier": {
            "system": f"{_SUPPLIER_SYSTEM}{record['source']}",
            "value": record["external_id"],
        },
    }
    if record.get("template"):
        qr["questionnaire"] = f"{FHIR_BASE}/Questionnaire/{record['template']}"
    qr.update(
        {
            "status": "completed",
            "authored": record["received_at"],
            "subject": {"reference": "#pat"},
            "contained": [_patient(record, "pat")],
            "item": items,
        }
    )
    return qr


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_ndjson(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write one FHIR QuestionnaireResponse per line (UTF-8, LF); return how many."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(_dumps(to_fhir(record)))
            f.write("\n")
            n += 1
    return n


def _csv_row(record: dict[str, Any]) -> list[str]:
    answers = record.get("answers") or {}
    row: list[str] = []
    for field in CSV_FIELDS:
        if field == "answers":
            row.append(_dumps(answers) if answers else "")
        elif field == "supplier_flags":
            row.append(";".join(record.get("supplier_flags") or []))
        else:
            value = record.get(field)
            row.append("" if value is None else str(value))
    return row


def write_csv(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write the supplier CSV layout of docs/formats.md (UTF-8, LF, header first); return rows."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        for record in records:
            writer.writerow(_csv_row(record))
            n += 1
    return n


def write_bundle(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write a FHIR Bundle (``collection``) of QuestionnaireResponses; return how many.

    Each entry's ``fullUrl`` is ``https://fhir.ehub-tui.example/QuestionnaireResponse/<id>`` and
    the Patient is contained in its QuestionnaireResponse. The file is streamed, so very large sets
    are fine.
    """
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"resourceType":"Bundle","type":"collection","entry":[\n')
        for record in records:
            qr = to_fhir(record)
            entry = {"fullUrl": f"{FHIR_BASE}/QuestionnaireResponse/{qr['id']}", "resource": qr}
            if n:
                f.write(",\n")
            f.write(_dumps(entry))
            n += 1
        f.write("\n]}\n")
    return n
