"""Parsing OC files: format detection, FHIR JSON, Bundles, NDJSON, supplier CSV, file errors."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.ingest.parsers import (
    FileError,
    detect_format,
    iter_paths,
    parse_text,
    read_file,
    read_text,
)
from ehub_tui.ingest.records import RawRecord

NHS1 = make_test_nhs_number(1)
NHS2 = make_test_nhs_number(2)
HEADER = (
    "source,external_id,practice_ods,nhs_number,given_name,family_name,date_of_birth,sex,"
    "received_at,request_type,template,answers,free_text,supplier_flags"
)


def qr(
    external_id: str = "ACX-000123",
    *,
    subject: str = "#pat",
    contained: bool = True,
    nhs: str = NHS1,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A QuestionnaireResponse like the example in docs/formats.md."""
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"qr-{external_id}",
        "identifier": {"system": "urn:ehub-tui:supplier:Accurx", "value": external_id},
        "questionnaire": "https://fhir.ehub-tui.example/Questionnaire/sore_throat",
        "status": "completed",
        "authored": "2026-11-20T09:14:00Z",
        "subject": {"reference": subject},
        "item": items
        if items is not None
        else [
            {"linkId": "request_type", "answer": [{"valueString": "clinical"}]},
            {"linkId": "duration_days", "answer": [{"valueInteger": 3}]},
            {"linkId": "fever", "answer": [{"valueBoolean": True}]},
            {"linkId": "free_text", "answer": [{"valueString": "sore throat since Monday"}]},
            {"linkId": "supplier_flag", "answer": [{"valueString": "urgent"}]},
        ],
    }
    if contained:
        resource["contained"] = [patient("pat", nhs)]
    return resource


def patient(pid: str = "pat", nhs: str = NHS1, family: str = "Okafor") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}],
        "name": [{"family": family, "given": ["Chidi", "Ade"]}],
        "gender": "male",
        "birthDate": "1990-04-02",
        "generalPractitioner": [
            {
                "identifier": {
                    "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                    "value": "Z99001",
                }
            }
        ],
    }


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return path


def csv_row(term: str = "\n", **overrides: str) -> str:
    values = {
        "source": "eConsult",
        "external_id": "EC-1",
        "practice_ods": "Z99001",
        "nhs_number": NHS1,
        "given_name": "Ann",
        "family_name": "Lee",
        "date_of_birth": "1980-01-02",
        "sex": "female",
        "received_at": "2026-07-01T10:00:00",
        "request_type": "clinical",
        "template": "sore_throat",
        "answers": '{"duration_days": 3, "fever": "yes"}',
        "free_text": "hurts",
        "supplier_flags": "urgent;safeguarding",
    }
    values.update(overrides)
    out = io.StringIO()
    csv.writer(out, lineterminator=term).writerow([values[c] for c in HEADER.split(",")])
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Single QuestionnaireResponse


def test_single_questionnaire_response_maps_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, "one.json", json.dumps(qr(), indent=2))
    [rec] = read_file(path)
    assert rec.location == "resource"
    assert rec.error is None
    assert rec.data == {
        "source": "Accurx",
        "external_id": "ACX-000123",
        "template": "sore_throat",
        "received_at": "2026-11-20T09:14:00Z",
        "status": "completed",
        "nhs_number": NHS1,
        "family_name": "Okafor",
        "given_name": "Chidi Ade",
        "date_of_birth": "1990-04-02",
        "sex": "male",
        "practice_ods": "Z99001",
        "request_type": "clinical",
        "answers": {"duration_days": 3, "fever": "yes"},
        "free_text": "sore throat since Monday",
        "supplier_flags": ["urgent"],
    }
    assert json.loads(rec.raw) == qr()


def test_questionnaire_version_and_other_identifier_system(tmp_path: Path) -> None:
    resource = qr()
    resource["questionnaire"] = "https://example.org/fhir/Questionnaire/fit_note|2.1"
    resource["identifier"] = {"system": "https://supplier.example/ids", "value": "X-9"}
    [rec] = read_file(write(tmp_path, "q.json", json.dumps(resource)))
    assert rec.data is not None
    assert rec.data["template"] == "fit_note"
    assert rec.data["source"] == "https://supplier.example/ids"
    assert rec.data["external_id"] == "X-9"


def test_answer_value_types_nesting_and_repeats(tmp_path: Path) -> None:
    items = [
        {"linkId": "request_type", "answer": [{"valueCoding": {"code": "admin"}}]},
        {
            "linkId": "group",
            "item": [
                {"linkId": "pregnant", "answer": [{"valueBoolean": False}]},
                {
                    "linkId": "symptoms",
                    "answer": [
                        {"valueCoding": {"system": "x", "code": "cough", "display": "Cough"}},
                        {"valueCoding": {"code": "fever"}},
                    ],
                },
            ],
        },
        {
            "linkId": "has_pain",
            "answer": [
                {
                    "valueBoolean": True,
                    "item": [{"linkId": "pain_score", "answer": [{"valueDecimal": 6.5}]}],
                }
            ],
        },
        {"linkId": "since", "answer": [{"valueDate": "2026-11-18"}]},
        {"linkId": "when", "answer": [{"valueDateTime": "2026-11-18T08:00:00Z"}]},
        {"linkId": "unanswered"},
        {"linkId": "supplier_flag", "answer": [{"valueString": "Emergency"}]},
        {"linkId": "supplier_flag", "answer": [{"valueString": "safeguarding"}]},
        {"linkId": "free_text", "answer": [{"valueString": "one"}, {"valueString": "two"}]},
    ]
    [rec] = read_file(write(tmp_path, "q.json", json.dumps(qr(items=items))))
    assert rec.data is not None
    assert rec.data["request_type"] == "admin"
    assert rec.data["answers"] == {
        "pregnant": "no",
        "symptoms": ["cough", "fever"],
        "has_pain": "yes",
        "pain_score": 6.5,
        "since": "2026-11-18",
        "when": "2026-11-18T08:00:00Z",
    }
    assert list(rec.data["answers"]) == [
        "pregnant",
        "symptoms",
        "has_pain",
        "pain_score",
        "since",
        "when",
    ]
    assert rec.data["supplier_flags"] == ["Emergency", "safeguarding"]
    assert rec.data["free_text"] == "one\ntwo"


def test_contained_reference_not_found_is_a_record_error(tmp_path: Path) -> None:
    [rec] = read_file(write(tmp_path, "q.json", json.dumps(qr(subject="#nobody"))))
    assert rec.data is None
    assert rec.location == "resource"
    assert rec.error is not None and "#nobody" in rec.error and "not found" in rec.error


def test_missing_subject_is_a_record_error(tmp_path: Path) -> None:
    resource = qr()
    del resource["subject"]
    [rec] = read_file(write(tmp_path, "q.json", json.dumps(resource)))
    assert rec.data is None
    assert rec.error is not None and "subject" in rec.error


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (json.dumps(patient()), "Patient"),
        (json.dumps([qr()]), "JSON array"),
        (json.dumps({"hello": 1}), "no resourceType"),
        (
            json.dumps({"resourceType": "Bundle", "type": "document", "entry": []}),
            "type document",
        ),
        (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": 3}), "not a list"),
    ],
)
def test_wrong_resource_type_is_a_file_error(tmp_path: Path, content: str, expected: str) -> None:
    path = write(tmp_path, "wrong.json", content)
    with pytest.raises(FileError) as info:
        read_file(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_truncated_json_names_file_line_and_column(tmp_path: Path) -> None:
    text = json.dumps(qr(), indent=2)
    path = write(tmp_path, "cut.json", text[: len(text) // 2])
    with pytest.raises(FileError) as info:
        read_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: is not valid JSON")
    assert "line " in message and "column " in message
    assert "cut short" in message


def test_invalid_json_in_the_middle(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '{\n  "resourceType": "QuestionnaireResponse",,\n}')
    with pytest.raises(FileError, match=r"bad\.json: is not valid JSON: .* line 2, column 43"):
        read_file(path)


# --------------------------------------------------------------------------------------------
# Bundles


def bundle_with_references() -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:p-1", "resource": patient("p1", NHS1, "Okafor")},
            {
                "fullUrl": "urn:uuid:q-1",
                "resource": qr("A-1", subject="urn:uuid:p-1", contained=False),
            },
            {"resource": qr("A-2", subject="Patient/p2", contained=False)},
            {"resource": {"resourceType": "Organization", "id": "org"}},
            {"resource": qr("A-3", subject="urn:uuid:missing", contained=False)},
            {"fullUrl": "https://fhir.example/Patient/p2", "resource": patient("p2", NHS2, "Ng")},
            {"resource": qr("A-4")},
        ],
    }


def test_bundle_resolves_full_url_and_patient_id_references(tmp_path: Path) -> None:
    records = read_file(write(tmp_path, "bundle.json", json.dumps(bundle_with_references())))
    assert [r.location for r in records] == ["entry 2", "entry 3", "entry 5", "entry 7"]
    first, second, missing, contained = records
    assert first.data is not None and first.data["family_name"] == "Okafor"
    assert first.data["external_id"] == "A-1"
    assert second.data is not None and second.data["family_name"] == "Ng"
    assert second.data["nhs_number"] == NHS2
    assert missing.data is None
    assert missing.error is not None
    assert "urn:uuid:missing" in missing.error and "not found" in missing.error
    assert contained.data is not None and contained.data["external_id"] == "A-4"


def test_bundle_record_raw_can_be_read_again_on_its_own(tmp_path: Path) -> None:
    records = read_file(write(tmp_path, "bundle.json", json.dumps(bundle_with_references())))
    for rec in records:
        again = list(parse_text(rec.raw, "fhir-json", "raw"))
        assert len(again) == 1
        assert again[0].data == rec.data
        assert again[0].error == rec.error


def test_bundle_patient_reference_by_absolute_url(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": qr("A-1", subject="https://fhir.example/Patient/p9", contained=False)},
            {"resource": patient("p9")},
        ],
    }
    [rec] = read_file(write(tmp_path, "b.json", json.dumps(bundle)))
    assert rec.data is not None and rec.data["nhs_number"] == NHS1


def test_bundle_bad_entries_are_record_errors(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": ["oops", {"resource": 5}]}
    records = read_file(write(tmp_path, "b.json", json.dumps(bundle)))
    assert [(r.location, r.data) for r in records] == [("entry 1", None), ("entry 2", None)]
    assert all(r.error for r in records)


def test_empty_bundle_has_no_records(tmp_path: Path) -> None:
    path = write(tmp_path, "b.json", json.dumps({"resourceType": "Bundle", "type": "batch"}))
    assert read_file(path) == []


# --------------------------------------------------------------------------------------------
# NDJSON


def test_ndjson_broken_line_is_a_record_error_others_parse(tmp_path: Path) -> None:
    lines = [json.dumps(qr("N-1")), "", '{"resourceType": "QuestionnaireResponse", "id": ', "  "]
    lines.append(json.dumps(qr("N-2")))
    path = write(tmp_path, "batch.ndjson", "\n".join(lines) + "\n")
    records = read_file(path)
    assert [r.location for r in records] == ["line 1", "line 3", "line 5"]
    good1, bad, good2 = records
    assert good1.data is not None and good1.data["external_id"] == "N-1"
    assert good2.data is not None and good2.data["external_id"] == "N-2"
    assert bad.data is None
    assert bad.error is not None and "not valid JSON" in bad.error and "column" in bad.error
    assert bad.raw == lines[2].strip()
    assert good1.raw == lines[0]


def test_ndjson_with_crlf_and_bom(tmp_path: Path) -> None:
    text = "\ufeff" + "\r\n".join(json.dumps(qr(f"N-{i}")) for i in range(3)) + "\r\n"
    records = read_file(write(tmp_path, "crlf.ndjson", text))
    assert [r.data["external_id"] for r in records if r.data] == ["N-0", "N-1", "N-2"]
    assert all(r.error is None for r in records)


def test_json_file_holding_several_objects_per_line_is_ndjson(tmp_path: Path) -> None:
    path = write(tmp_path, "lines.json", f"{json.dumps(qr('A'))}\n{json.dumps(qr('B'))}\n")
    assert detect_format(path, read_text(path)) == "ndjson"
    assert len(read_file(path)) == 2


def test_ndjson_whose_first_line_is_broken_is_still_ndjson(tmp_path: Path) -> None:
    path = write(tmp_path, "lines.json", '{"resourceType": \n' + json.dumps(qr("B")) + "\n")
    records = read_file(path)
    assert [(r.location, r.data is None) for r in records] == [("line 1", True), ("line 2", False)]


def test_ndjson_odd_lines(tmp_path: Path) -> None:
    lines = [
        "[1, 2]",
        json.dumps({"id": "no-type"}),
        json.dumps(patient("p5", NHS2)),
        json.dumps(qr("N-5", subject="Patient/p5", contained=False)),
        json.dumps({"resourceType": "Observation"}),
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": qr("N-6")}, {"resource": qr("N-7")}],
            }
        ),
    ]
    records = read_file(write(tmp_path, "odd.ndjson", "\n".join(lines)))
    assert [r.location for r in records] == [
        "line 1",
        "line 2",
        "line 4",
        "line 6, entry 1",
        "line 6, entry 2",
    ]
    assert records[0].error is not None and "JSON array" in records[0].error
    assert records[1].error is not None and "resourceType" in records[1].error
    cross = records[2]
    assert cross.data is not None and cross.data["nhs_number"] == NHS2
    # The raw text of a record whose Patient is on another line carries that Patient with it.
    [again] = parse_text(cross.raw, "ndjson")
    assert again.data == cross.data


def test_ndjson_patient_on_a_later_line_keeps_record_order(tmp_path: Path) -> None:
    lines = [
        json.dumps(qr("L-1", subject="Patient/late", contained=False)),
        json.dumps(qr("L-2")),
        json.dumps(qr("L-3", subject="Patient/never", contained=False)),
        json.dumps(patient("late", NHS2, "Later")),
    ]
    records = read_file(write(tmp_path, "late.ndjson", "\n".join(lines)))
    assert [r.location for r in records] == ["line 1", "line 2", "line 3"]
    assert records[0].data is not None and records[0].data["family_name"] == "Later"
    assert records[1].data is not None
    assert records[2].error is not None and "Patient/never" in records[2].error


def test_pretty_printed_resource_named_ndjson(tmp_path: Path) -> None:
    path = write(tmp_path, "one.ndjson", json.dumps(qr(), indent=2))
    assert detect_format(path, read_text(path)) == "fhir-json"
    [rec] = read_file(path)
    assert rec.location == "resource" and rec.data is not None


# --------------------------------------------------------------------------------------------
# CSV


def test_csv_basic_record(tmp_path: Path) -> None:
    path = write(tmp_path, "oc.csv", HEADER + "\n" + csv_row())
    [rec] = read_file(path)
    assert rec.location == "line 2"
    assert rec.error is None
    assert rec.data == {
        "source": "eConsult",
        "external_id": "EC-1",
        "practice_ods": "Z99001",
        "nhs_number": NHS1,
        "given_name": "Ann",
        "family_name": "Lee",
        "date_of_birth": "1980-01-02",
        "sex": "female",
        "received_at": "2026-07-01T10:00:00",
        "request_type": "clinical",
        "template": "sore_throat",
        "answers": {"duration_days": 3, "fever": "yes"},
        "free_text": "hurts",
        "supplier_flags": ["urgent", "safeguarding"],
    }
    assert rec.raw == HEADER + "\n" + csv_row()


def test_csv_bom_crlf_and_quoted_newlines_give_physical_start_lines(tmp_path: Path) -> None:
    rows = [
        csv_row("\r\n", external_id="E-1"),
        csv_row("\r\n", external_id="E-2", free_text="line one\r\nline two, with comma\nthree"),
        csv_row("\r\n", external_id="E-3", free_text='she said "ouch"'),
        csv_row("\r\n", external_id="E-4"),
    ]
    text = "\ufeff" + HEADER + "\r\n" + "".join(rows)
    path = write(tmp_path, "crlf.csv", text)
    records = read_file(path)
    assert [r.location for r in records] == ["line 2", "line 3", "line 6", "line 7"]
    assert [r.data["external_id"] for r in records if r.data] == ["E-1", "E-2", "E-3", "E-4"]
    assert records[1].data is not None
    assert "line two, with comma" in records[1].data["free_text"]
    assert records[2].data is not None and records[2].data["free_text"] == 'she said "ouch"'


def test_csv_with_old_mac_cr_line_ends(tmp_path: Path) -> None:
    text = HEADER + "\r" + csv_row("\r", external_id="A") + csv_row("\r", external_id="B")
    records = read_file(write(tmp_path, "cr.csv", text))
    assert [(r.location, r.data and r.data["external_id"]) for r in records] == [
        ("line 2", "A"),
        ("line 3", "B"),
    ]


def test_csv_mixed_good_and_bad_rows(tmp_path: Path) -> None:
    text = (
        HEADER
        + "\n"
        + csv_row(external_id="G-1")
        + "eConsult,short,row\n"
        + csv_row(external_id="B-2", answers="{not json")
        + "\n"
        + csv_row(external_id="B-3", answers="[1, 2]")
        + csv_row(external_id="G-4", answers="", supplier_flags="")
        + csv_row(external_id="G-5").rstrip("\n")
        + ",extra\n"
    )
    records = read_file(write(tmp_path, "mixed.csv", text))
    by_line = {r.location: r for r in records}
    assert list(by_line) == ["line 2", "line 3", "line 4", "line 6", "line 7", "line 8"]
    assert by_line["line 2"].data is not None
    assert by_line["line 3"].error == "the row has 3 cells but the header has 14 columns"
    assert by_line["line 4"].error is not None
    assert "answers cell is not valid JSON" in by_line["line 4"].error
    assert by_line["line 6"].error is not None and "JSON object" in by_line["line 6"].error
    good = by_line["line 7"].data
    assert good is not None and good["answers"] == {} and good["supplier_flags"] == []
    assert by_line["line 8"].error is not None and "15 cells" in by_line["line 8"].error
    # Bad rows keep their text with the header, so they can be fixed and read again.
    assert by_line["line 3"].raw == HEADER + "\neConsult,short,row\n"


def test_csv_header_names_case_insensitive_any_order_extra_columns(tmp_path: Path) -> None:
    cols = HEADER.split(",")
    header = ",".join(f"  {c.upper()} " for c in reversed(cols)) + ",Notes"
    values = next(csv.reader([csv_row()]))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([*reversed(values), "ignored note"])
    row = out.getvalue()
    [rec] = read_file(write(tmp_path, "reordered.csv", header + "\n" + row))
    assert rec.data is not None
    assert rec.data["external_id"] == "EC-1"
    assert rec.data["answers"] == {"duration_days": 3, "fever": "yes"}
    assert "notes" not in rec.data and "Notes" not in rec.data


def test_csv_missing_header_columns_names_them(tmp_path: Path) -> None:
    header = HEADER.replace("nhs_number,", "").replace(",sex", "")
    path = write(tmp_path, "missing.csv", header + "\n")
    with pytest.raises(FileError) as info:
        read_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: the CSV header is missing the required columns")
    assert "nhs_number, sex" in message


def test_csv_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    keep = HEADER.split(",")[:10]
    keep.remove("given_name")
    full = next(csv.reader([csv_row()]))
    values = [full[HEADER.split(",").index(c)] for c in keep]
    [rec] = read_file(write(tmp_path, "slim.csv", ",".join(keep) + "\n" + ",".join(values)))
    assert rec.data is not None
    assert "answers" not in rec.data and "given_name" not in rec.data


def test_csv_duplicate_column_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="source more than once"):
        read_file(write(tmp_path, "dup.csv", HEADER + ",Source\n"))


def test_csv_blank_lines_are_skipped(tmp_path: Path) -> None:
    text = HEADER + "\n\n" + csv_row(external_id="A") + ",,,,,,,,,,,,,\n\n" + csv_row()
    records = read_file(write(tmp_path, "gaps.csv", text))
    assert [r.location for r in records] == ["line 3", "line 6"]


def test_csv_recognised_by_header_without_csv_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "export.dat", HEADER + "\n" + csv_row())
    assert detect_format(path, read_text(path)) == "csv"


def test_csv_unclosed_quote_is_a_record_error(tmp_path: Path) -> None:
    text = HEADER + "\n" + csv_row(external_id="A") + 'eConsult,"B,never closed\n' + csv_row()
    records = read_file(write(tmp_path, "quote.csv", text))
    assert records[0].data is not None
    assert records[1].location == "line 3"
    assert records[1].error is not None and "unclosed" in records[1].error


def test_csv_raw_round_trips(tmp_path: Path) -> None:
    text = HEADER + "\r\n" + csv_row("\r\n", free_text="two\nlines")
    [rec] = read_file(write(tmp_path, "rt.csv", text))
    [again] = parse_text(rec.raw, "csv")
    assert again.data == rec.data


# --------------------------------------------------------------------------------------------
# Reading files: encodings, empty and binary files


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.json", b"")
    with pytest.raises(FileError, match=r"empty\.json: the file is empty"):
        read_file(path)


@pytest.mark.parametrize("content", [b"   \n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \n"])
def test_blank_file_counts_as_empty(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(FileError, match="the file is empty"):
        read_file(write(tmp_path, "blank.csv", content))


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path, "photo.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(FileError) as info:
        read_file(path)
    assert str(info.value) == f"{path}: looks like a binary file, not JSON or CSV"


def test_control_character_soup_is_binary(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="binary"):
        read_file(write(tmp_path, "x.csv", bytes(range(1, 32)) * 4))


def test_latin1_record_is_read_with_the_bad_byte_kept_for_validation(tmp_path: Path) -> None:
    # Records, not files: the byte costs only its record (validate names it; see
    # tests/ingest).
    text = HEADER + "\n" + csv_row(family_name="Müller")
    [rec] = read_file(write(tmp_path, "latin1.csv", text.encode("latin-1")))
    assert rec.data is not None and rec.data["family_name"] == "M\udcfcller"


def test_utf16_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "u16.csv", (HEADER + "\n").encode("utf-16"))
    with pytest.raises(FileError, match="UTF-16"):
        read_file(path)


def test_bom_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(qr()).encode())
    assert not read_text(path).startswith("\ufeff")
    [rec] = read_file(path)
    assert rec.data is not None


def test_a_byte_that_is_not_utf8_is_kept_as_a_lone_surrogate(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", b"\xef\xbb\xbfab\xff")
    assert read_text(path) == "ab\udcff"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="no such file"):
        read_file(tmp_path / "nope.json")
    with pytest.raises(FileError, match="is a folder"):
        read_text(tmp_path)


# --------------------------------------------------------------------------------------------
# Format detection


def test_detect_format_by_content(tmp_path: Path) -> None:
    single = write(tmp_path, "a.txt", json.dumps(qr(), indent=1))
    assert detect_format(single, read_text(single)) == "fhir-json"
    ndjson = write(tmp_path, "b.ndjson", json.dumps(qr()))
    assert detect_format(ndjson, read_text(ndjson)) == "ndjson"
    csv_file = write(tmp_path, "c.csv", "whatever,else\n1,2\n")
    assert detect_format(csv_file, read_text(csv_file)) == "csv"
    unknown = write(tmp_path, "d.dat", "hello world\n")
    with pytest.raises(FileError, match=r"d\.dat: is not a kind of file ehub-tui reads"):
        detect_format(unknown, read_text(unknown))
    not_json = write(tmp_path, "e.json", "hello\n")
    with pytest.raises(FileError, match=r"e\.json: is not valid JSON"):
        detect_format(not_json, read_text(not_json))


def test_detect_then_parse_matches_read_file(tmp_path: Path) -> None:
    path = write(tmp_path, "b.json", json.dumps(bundle_with_references()))
    text = read_text(path)
    fmt = detect_format(path, text)
    assert list(parse_text(text, fmt, str(path))) == read_file(path)
    # and a second parse of the same text still works
    assert list(parse_text(text, fmt, str(path))) == read_file(path)


def test_json_with_trailing_garbage_on_the_same_line(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="Extra data at line 1"):
        read_file(write(tmp_path, "x.json", json.dumps(qr()) + " xyz"))


def test_unknown_format_name() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        parse_text("", "xml")


# --------------------------------------------------------------------------------------------
# Folders


def test_iter_paths_walks_sorted_and_skips(tmp_path: Path) -> None:
    for name in [
        "b.json",
        "a.csv",
        "sub/z.ndjson",
        "sub/deeper/y.json",
        ".hidden.json",
        ".git/config.json",
        "README.md",
        "notes.txt",
        "conf.yaml",
        "conf.yml",
        "script.py",
        "sub/c.json",
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    explicit = tmp_path / "notes.txt"
    found = list(iter_paths([tmp_path, explicit]))
    assert found == [
        tmp_path / "a.csv",
        tmp_path / "b.json",
        tmp_path / "sub" / "c.json",
        tmp_path / "sub" / "deeper" / "y.json",
        tmp_path / "sub" / "z.ndjson",
        explicit,
    ]


def test_iter_paths_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileError) as info:
        list(iter_paths([tmp_path / "absent"]))
    assert str(tmp_path / "absent") in str(info.value)


def test_iter_paths_survives_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert list(iter_paths([tmp_path])) == [tmp_path / "a.json"]


# --------------------------------------------------------------------------------------------
# Robustness: whatever the bytes, read_file returns records or raises FileError


def check_read(path: Path) -> None:
    try:
        records = read_file(path)
    except FileError as e:
        assert str(e).startswith(str(path))
        return
    for rec in records:
        assert isinstance(rec, RawRecord)
        assert (rec.data is None) == (rec.error is not None)
        assert isinstance(rec.raw, str)


SUFFIXES = st.sampled_from(["x.json", "x.ndjson", "x.csv", "x", "x.dat"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), name=SUFFIXES)
def test_arbitrary_bytes_never_crash(tmp_path: Path, data: bytes, name: str) -> None:
    check_read(write(tmp_path, name, data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceType",
                    "entry",
                    "resource",
                    "fullUrl",
                    "subject",
                    "reference",
                    "contained",
                    "id",
                    "item",
                    "answer",
                    "linkId",
                    "valueCoding",
                    "identifier",
                    "name",
                    "given",
                    "generalPractitioner",
                    "type",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=json_values,
    where=st.sampled_from(
        [
            "top",
            "qr-item",
            "qr-subject",
            "qr-contained",
            "bundle-entry",
            "patient",
            "csv-answers",
        ]
    ),
)
def test_arbitrary_json_shapes_never_crash(tmp_path: Path, value: Any, where: str) -> None:
    doc: Any
    if where == "top":
        doc = value
    elif where == "qr-item":
        doc = qr(items=[{"linkId": "x", "answer": value}, {"linkId": "y", "item": value}])
    elif where == "qr-subject":
        doc = qr()
        doc["subject"] = value
    elif where == "qr-contained":
        doc = qr()
        doc["contained"] = value
    elif where == "bundle-entry":
        doc = {"resourceType": "Bundle", "entry": value}
    elif where == "patient":
        doc = qr()
        doc["contained"][0] = copy.deepcopy(value)
        if isinstance(value, dict):
            doc["contained"][0].update({"resourceType": "Patient", "id": "pat"})
    else:
        path = write(tmp_path, "x.csv", HEADER + "\n" + csv_row(answers=json.dumps(value)))
        check_read(path)
        return
    check_read(write(tmp_path, "x.json", json.dumps(doc)))
    check_read(write(tmp_path, "x.ndjson", json.dumps(doc) + "\n" + json.dumps(doc)))


def test_deeply_nested_json(tmp_path: Path) -> None:
    check_read(write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000))
    check_read(write(tmp_path, "deep.ndjson", "{}\n" + "[" * 100_000 + "]" * 100_000))
    check_read(write(tmp_path, "deep.csv", HEADER + "\n" + csv_row(answers="[" * 100_000)))


def test_huge_csv_field_is_read_whole(tmp_path: Path) -> None:
    # No CSV field_size_limit: the field limit is settings.max_field_chars, in validate.
    big = "x" * 200_000
    text = HEADER + "\n" + csv_row(free_text=big) + csv_row(external_id="ok")
    records = read_file(write(tmp_path, "big.csv", text))
    assert records[0].data is not None and records[0].data["free_text"] == big
    assert records[-1].data is not None and records[-1].data["external_id"] == "ok"


# --------------------------------------------------------------------------------------------
# Fixtures written for the project (when present)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "oc"


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="fixtures/oc not written yet")
def test_fixture_files_parse_without_record_errors() -> None:
    problems = []
    files = [p for p in iter_paths([FIXTURES]) if "bad" not in p.name.lower()]
    for path in files:
        try:
            records = read_file(path)
        except FileError as e:
            problems.append(str(e))
            continue
        problems.extend(f"{path}: {r.location}: {r.error}" for r in records if r.error)
    assert problems == []


BAD = FIXTURES.parent / "bad"


@pytest.mark.skipif(not BAD.is_dir(), reason="fixtures/bad not written yet")
@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("truncated.json", "is not valid JSON"),
        ("empty.csv", "the file is empty"),
        ("binary.csv", "looks like a binary file"),
    ],
)
def test_bad_fixture_files_are_refused(name: str, fragment: str) -> None:
    path = BAD / name
    with pytest.raises(FileError) as info:
        read_file(path)
    assert str(info.value).startswith(f"{path}: ")
    assert fragment in str(info.value)


@pytest.mark.skipif(not BAD.is_dir(), reason="fixtures/bad not written yet")
@pytest.mark.parametrize(
    ("name", "unreadable"),
    [
        ("broken_line.ndjson", ["line 3"]),
        ("mixed_records.csv", ["line 12"]),
        ("bundle_bad_entry.json", []),
    ],
)
def test_bad_fixture_records_fail_one_by_one(name: str, unreadable: list[str]) -> None:
    records = read_file(BAD / name)
    assert [r.location for r in records if r.error] == unreadable
    assert len(records) > len(unreadable)
