"""FHIR in, as real servers send it (issue 16): every input is built in the UK Core examples'
shapes and validated with fhir.resources first (corpus.valid), then read by our parser and
checked by our validator; what comes out is asserted."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.ingest.parsers import iter_paths, parse_text, read_file
from ehub_tui.ingest.records import DEFAULT_LIMITS, IngestLimits, OCRecord, RawRecord
from ehub_tui.ingest.validate import validate
from tests.ingest.interop.corpus import (
    HAPI,
    NHS_NUMBER,
    NHS_SYSTEM,
    ORG_ID,
    PATIENT_ID,
    PRACTICE,
    bulk_export,
    bundle,
    organization,
    patient,
    response,
    valid,
    write_json,
    write_ndjson,
)

KNOWN = frozenset({"Z99001", "Z99002", "Z99003"})
TODAY = date(2026, 11, 23)


def checked(raw: RawRecord, limits: IngestLimits = DEFAULT_LIMITS) -> OCRecord:
    """The record, validated; fails the test with the reasons if it is not valid."""
    assert raw.data is not None, raw.error
    rec, problems = validate(raw.data, KNOWN, TODAY, limits=limits)
    assert rec is not None, problems
    return rec


def only(path: Path) -> RawRecord:
    records = read_file(path)
    assert len(records) == 1, records
    return records[0]


def reread(raw: RawRecord, fmt: str) -> RawRecord:
    """A record's raw text read again on its own (as a quarantine retry does)."""
    (again,) = list(parse_text(raw.raw, fmt, "retry"))
    return again


def assert_richard(rec: OCRecord, practice: str = PRACTICE) -> None:
    assert rec.nhs_number == NHS_NUMBER
    assert (rec.given_name, rec.family_name) == ("Richard Adam", "Smith")  # the official name
    assert rec.date_of_birth == date(1968, 9, 15) and rec.dob_precision == "day"
    assert rec.practice_ods == practice
    assert rec.request_type == "clinical" and rec.answers == {"duration_days": 3}


def test_collection_with_patient_and_organization_by_reference(tmp_path: Path) -> None:
    doc = bundle(
        "collection",
        [
            {
                "fullUrl": "urn:uuid:6b0f3e02-1c1a-4f5e-9d1c-3b2f6a1e0001",
                "resource": response({"reference": f"Patient/{PATIENT_ID}"}),
            },
            {"fullUrl": f"https://fhir.example.nhs.uk/Patient/{PATIENT_ID}", "resource": patient()},
            {
                "fullUrl": f"https://fhir.example.nhs.uk/Organization/{ORG_ID}",
                "resource": organization(),
            },
        ],
    )
    raw = only(write_json(tmp_path / "b.json", doc))
    rec = checked(raw)
    assert_richard(rec)
    assert rec.source == "https://fhir.accurx.com/Id/request-id"  # unmapped: as today
    assert rec.status == "completed"
    again = reread(raw, "fhir-json")  # the raw carries the Patient and the Organization
    assert again.data == raw.data


def test_hapi_searchset_with_included_patient(tmp_path: Path) -> None:
    doc = bundle(
        "searchset",
        [
            {
                "fullUrl": f"{HAPI}/QuestionnaireResponse/1201",
                "resource": response({"reference": "Patient/1200"}),
                "search": {"mode": "match"},
            },
            {
                "fullUrl": f"{HAPI}/Patient/1200",
                "resource": patient(
                    "1200",
                    gp={
                        "identifier": {
                            "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                            "value": "Z99001",
                        }
                    },
                ),
                "search": {"mode": "include"},
            },
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "information", "code": "informational"}],
                },
                "search": {"mode": "outcome"},
            },
        ],
        total=1,
        link=[
            {
                "relation": "self",
                "url": f"{HAPI}/QuestionnaireResponse?_include=QuestionnaireResponse:subject",
            }
        ],
    )
    assert_richard(checked(only(write_json(tmp_path / "search.json", doc))), "Z99001")


@pytest.mark.parametrize(
    "ref",
    [
        f"Patient/{PATIENT_ID}/_history/2",
        f"{HAPI}/Patient/{PATIENT_ID}/_history/2",
    ],
)
def test_versioned_reference(tmp_path: Path, ref: str) -> None:
    doc = bundle(
        "collection",
        [
            {
                "fullUrl": f"{HAPI}/QuestionnaireResponse/1",
                "resource": response({"reference": ref}),
            },
            {"fullUrl": f"{HAPI}/Patient/{PATIENT_ID}", "resource": patient()},
            {"fullUrl": f"{HAPI}/Organization/{ORG_ID}", "resource": organization()},
        ],
    )
    assert_richard(checked(only(write_json(tmp_path / "v.json", doc))))


def test_message_bundle(tmp_path: Path) -> None:
    qr_url = "urn:uuid:0c4d4b7e-2c1e-4a8e-b3f5-7f7e2d1a0001"
    pat_url = "urn:uuid:0c4d4b7e-2c1e-4a8e-b3f5-7f7e2d1a0002"
    header = {
        "resourceType": "MessageHeader",
        "id": "mh-1",
        "eventCoding": {
            "system": "https://fhir.nhs.uk/CodeSystem/message-event",
            "code": "online-consultation",
        },
        "source": {"endpoint": "https://fhir.accurx.com/message"},
        "focus": [{"reference": qr_url}],
    }
    doc = bundle(
        "message",
        [
            {"fullUrl": "urn:uuid:0c4d4b7e-2c1e-4a8e-b3f5-7f7e2d1a0000", "resource": header},
            {"fullUrl": qr_url, "resource": response({"reference": pat_url})},
            {"fullUrl": pat_url, "resource": patient()},
            {
                "fullUrl": "urn:uuid:0c4d4b7e-2c1e-4a8e-b3f5-7f7e2d1a0003",
                "resource": organization(),
            },
        ],
        timestamp="2026-11-20T09:15:00+00:00",
    )
    # the Organization is named by its urn:uuid in a message, so the Patient points there
    doc["entry"][2]["resource"]["generalPractitioner"] = [
        {"reference": "urn:uuid:0c4d4b7e-2c1e-4a8e-b3f5-7f7e2d1a0003"}
    ]
    raw = only(write_json(tmp_path / "msg.json", valid(doc)))
    assert_richard(checked(raw))


def test_transaction_bundle(tmp_path: Path) -> None:
    qr_url = "urn:uuid:9a1d1c2e-0000-4000-8000-000000000001"
    pat_url = "urn:uuid:9a1d1c2e-0000-4000-8000-000000000002"
    doc = bundle(
        "transaction",
        [
            {
                "fullUrl": pat_url,
                "resource": patient(),
                "request": {
                    "method": "PUT",
                    "url": f"Patient?identifier={NHS_SYSTEM}|{NHS_NUMBER}",
                },
            },
            {
                "fullUrl": "urn:uuid:9a1d1c2e-0000-4000-8000-000000000003",
                "resource": organization(),
                "request": {"method": "PUT", "url": f"Organization/{ORG_ID}"},
            },
            {
                "fullUrl": qr_url,
                "resource": response({"reference": pat_url}),
                "request": {"method": "POST", "url": "QuestionnaireResponse"},
            },
            {"request": {"method": "DELETE", "url": "QuestionnaireResponse/old-1"}},
        ],
    )
    assert_richard(checked(only(write_json(tmp_path / "tx.json", doc))))


def test_subject_by_nhs_number_with_the_patient_present(tmp_path: Path) -> None:
    subject = {"identifier": {"system": NHS_SYSTEM, "value": NHS_NUMBER}}
    doc = bundle(
        "collection",
        [
            {
                "fullUrl": "urn:uuid:1b0f3e02-1c1a-4f5e-9d1c-3b2f6a1e0001",
                "resource": response(subject),
            },
            {"fullUrl": "urn:uuid:1b0f3e02-1c1a-4f5e-9d1c-3b2f6a1e0002", "resource": patient()},
            {"fullUrl": f"Organization/{ORG_ID}", "resource": organization()},
        ],
    )
    raw = only(write_json(tmp_path / "ident.json", doc))
    assert_richard(checked(raw))
    assert reread(raw, "fhir-json").data == raw.data


def test_subject_by_nhs_number_alone_is_quarantined_naming_what_is_missing(
    tmp_path: Path,
) -> None:
    qr = response({"identifier": {"system": NHS_SYSTEM, "value": NHS_NUMBER}})
    raw = only(write_json(tmp_path / "alone.json", qr))
    assert raw.data is None and raw.error is not None
    assert "family name, date of birth, sex and GP practice are missing" in raw.error
    assert NHS_NUMBER not in raw.error
    # the same in NDJSON (the Patient could have been on a later line: it is not)
    lines = write_ndjson(tmp_path / "alone.ndjson", [qr, patient(nhs=make_test_nhs_number(99))])
    (nd,) = read_file(lines)
    assert nd.data is None and "missing" in (nd.error or "") and NHS_NUMBER not in (nd.error or "")


def test_practice_organization_not_in_the_file_is_named(tmp_path: Path) -> None:
    doc = bundle(
        "collection",
        [
            {
                "fullUrl": "urn:uuid:2b0f3e02-1c1a-4f5e-9d1c-3b2f6a1e0001",
                "resource": response({"reference": f"Patient/{PATIENT_ID}"}),
            },
            {"fullUrl": f"Patient/{PATIENT_ID}", "resource": patient()},
        ],
    )
    raw = only(write_json(tmp_path / "noorg.json", doc))
    assert raw.data is not None
    rec, problems = validate(raw.data, KNOWN, TODAY)
    assert rec is None
    assert any("Organization reference that is not in the file" in p for p in problems)


@pytest.mark.parametrize(
    ("birth", "day", "precision"),
    [("1968-09", date(1968, 9, 1), "month"), ("1968", date(1968, 1, 1), "year")],
)
def test_partial_birth_date(tmp_path: Path, birth: str, day: date, precision: str) -> None:
    pat = patient(
        birth=birth,
        gp={
            "identifier": {
                "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                "value": "Z99001",
            }
        },
    )
    pat["id"] = "p"
    qr = response({"reference": "#p"})
    qr["contained"] = [pat]
    rec = checked(only(write_json(tmp_path / "partial.json", qr)))
    assert (rec.date_of_birth, rec.dob_precision) == (day, precision)


def test_partial_birth_date_that_is_not_a_date_is_refused(tmp_path: Path) -> None:
    pat = patient(birth="1968-09-15")
    pat["birthDate"] = "1968-13"  # not valid FHIR: written past the validator on purpose
    pat["id"] = "p"
    qr = response({"reference": "#p"})
    qr["contained"] = [pat]
    (raw,) = list(parse_text(json.dumps(qr), "fhir-json", "bad"))
    assert raw.data is not None
    rec, problems = validate(raw.data, KNOWN, TODAY)
    assert rec is None and any("date_of_birth" in p for p in problems)


def test_bulk_export_folder_is_joined(tmp_path: Path) -> None:
    folder = bulk_export(tmp_path / "export")
    files = list(iter_paths([folder]))
    assert [f.name for f in files] == [
        "Organization.ndjson",
        "Patient.ndjson",
        "QuestionnaireResponse.ndjson",
    ]
    by_name: dict[str, list[RawRecord]] = {f.name: read_file(f) for f in files}
    assert by_name["Patient.ndjson"] == [] and by_name["Organization.ndjson"] == []
    recs = [checked(r) for r in by_name["QuestionnaireResponse.ndjson"]]
    assert [r.external_id for r in recs] == ["ACX-BULK-0", "ACX-BULK-1", "ACX-BULK-2"]
    assert {r.practice_ods for r in recs} == {PRACTICE}
    assert recs[1].date_of_birth == date(1951, 2, 11)
    # each record's raw text is a Bundle holding its Patient and Organization: it reads again
    # on its own, with the export folder gone
    first = by_name["QuestionnaireResponse.ndjson"][0]
    for f in files:
        f.unlink()
    assert reread(first, "ndjson").data == first.data


def test_a_file_not_named_as_a_bulk_export_does_not_borrow_the_folder(tmp_path: Path) -> None:
    folder = bulk_export(tmp_path / "inbox")
    other = folder / "accurx-2026-11-20.ndjson"  # a supplier file dropped beside an export
    other.write_text((folder / "QuestionnaireResponse.ndjson").read_text(), encoding="utf-8")
    records = read_file(other)
    assert records and all(r.data is None for r in records)
    assert all("not found in the file" in (r.error or "") for r in records)
    assert all("export folder" not in (r.error or "") for r in records)


def test_bulk_response_file_without_its_patients(tmp_path: Path) -> None:
    folder = bulk_export(tmp_path / "export")
    (folder / "Patient.ndjson").unlink()
    records = read_file(folder / "QuestionnaireResponse.ndjson")
    assert all(
        r.data is None and "not found in the file or its Bulk export folder" in (r.error or "")
        for r in records
    )


def test_supplier_identifier_system_mapped_in_settings(tmp_path: Path) -> None:
    qr = response({"reference": "#p"})
    pat = patient(
        gp={
            "identifier": {
                "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                "value": "Z99001",
            }
        }
    )
    pat["id"] = "p"
    qr["contained"] = [pat]
    raw = only(write_json(tmp_path / "acx.json", qr))
    limits = IngestLimits(supplier_systems={"https://fhir.accurx.com/Id/request-id": "Accurx"})
    rec = checked(raw, limits)
    assert (rec.source, rec.external_id) == ("Accurx", "ACX-900001")
    # unmapped: the system as the source, as before
    assert checked(raw).source == "https://fhir.accurx.com/Id/request-id"


def test_shipped_convention_still_names_the_supplier(tmp_path: Path) -> None:
    qr = response({"reference": "#p"}, system="urn:ehub-tui:supplier:Accurx")
    pat = patient(
        gp={
            "identifier": {
                "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                "value": "Z99001",
            }
        }
    )
    pat["id"] = "p"
    qr["contained"] = [pat]
    limits = IngestLimits(supplier_systems={"https://x.example/Id": "Other"})
    assert checked(only(write_json(tmp_path / "u.json", qr)), limits).source == "Accurx"


def test_a_reference_holding_an_nhs_number_is_never_quoted(tmp_path: Path) -> None:
    ref = f"{HAPI}/Patient/{NHS_NUMBER}/_history/3"
    raw = only(write_json(tmp_path / "r.json", response({"reference": ref})))
    assert raw.data is None and raw.error is not None
    assert NHS_NUMBER not in raw.error and "(not shown)" in raw.error


def test_practice_organization_without_an_ods_code_is_named(tmp_path: Path) -> None:
    org = organization()
    org["identifier"] = [{"system": "https://example.org/Id/local", "value": "L1"}]
    doc = bundle(
        "collection",
        [
            {
                "fullUrl": "urn:uuid:3b0f3e02-1c1a-4f5e-9d1c-3b2f6a1e0001",
                "resource": response({"reference": f"Patient/{PATIENT_ID}"}),
            },
            {"fullUrl": f"Patient/{PATIENT_ID}", "resource": patient()},
            {"fullUrl": f"Organization/{ORG_ID}", "resource": org},
        ],
    )
    raw = only(write_json(tmp_path / "noods.json", doc))
    assert raw.data is not None
    rec, problems = validate(raw.data, KNOWN, TODAY)
    assert rec is None and any("Organization has no ODS code" in p for p in problems)
