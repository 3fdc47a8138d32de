"""Records, not files: what the parsers and validation make of bad bytes, NULs, encodings,
sizes, missing headers and odd digits (no hub needed; see test_ingest.py for storing)."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest

from ehub_tui.ingest.parsers import FileError, parse_text, read_file, read_text
from ehub_tui.ingest.records import IngestLimits, RawRecord
from ehub_tui.ingest.validate import validate
from tests.ingest.helpers import HEADER, as_data, csv_text, identifiers, qr_line, record

KNOWN = {"Z99001"}
TODAY = date(2026, 11, 23)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def problems(raw: RawRecord, limits: IngestLimits | None = None) -> list[str]:
    assert raw.data is not None, raw.error
    rec, found = validate(raw.data, KNOWN, TODAY, limits=limits or IngestLimits())
    assert rec is None
    return found


def valid(raw: RawRecord) -> bool:
    return raw.data is not None and validate(raw.data, KNOWN, TODAY)[0] is not None


# -- a bad byte or a NUL costs one record ------------------------------------------------------


def test_nul_in_one_csv_field_costs_only_that_record(tmp_path: Path) -> None:
    bad = record(2, family_name="Quarry\x00two")
    text = csv_text(record(1), bad, record(3))
    records = read_file(write(tmp_path, "nul.csv", text.encode()))
    assert [r.location for r in records] == ["line 2", "line 3", "line 4"]
    assert valid(records[0]) and valid(records[2])
    [problem] = problems(records[1])
    assert problem == "family_name holds a NUL character, which cannot be stored"


def test_latin1_byte_in_one_csv_record_names_the_byte_and_field(tmp_path: Path) -> None:
    # A file that is otherwise UTF-8 (é in record 1 is fine) with one record pasted in Latin-1.
    good = csv_text(record(1, given_name="Zoé"))
    bad_line = csv_text(record(2, family_name="Núñez")).split("\n", 1)[1].encode("latin-1")
    data = good.encode() + bad_line + csv_text(record(3)).split("\n", 1)[1].encode()
    records = read_file(write(tmp_path, "mixed.csv", data))
    assert len(records) == 3
    assert valid(records[0]) and valid(records[2])
    assert records[0].data is not None and records[0].data["given_name"] == "Zoé"
    [problem] = problems(records[1])
    assert problem.startswith("family_name holds the byte 0xFA, which is not UTF-8 text")
    assert "Latin-1" in problem and "Quarry2" not in problem


def test_whole_latin1_file_is_read_record_by_record(tmp_path: Path) -> None:
    text = csv_text(record(1, family_name="Brontë"), record(2), record(3, family_name="Ó Dónaill"))
    records = read_file(write(tmp_path, "latin1.csv", text.encode("latin-1")))
    assert [valid(r) for r in records] == [False, True, False]
    assert "0xEB" in problems(records[0])[0]


def test_nul_and_bad_byte_in_ndjson_strings_cost_only_their_lines(tmp_path: Path) -> None:
    lines = [
        qr_line(1).encode(),
        qr_line(2, family_name="NulXhere").encode().replace(b"NulXhere", b"Nul\x00here"),
        qr_line(3, family_name="ByteXhere").encode().replace(b"ByteXhere", b"Byte\xe9here"),
        qr_line(4).encode(),
    ]
    records = read_file(write(tmp_path, "x.ndjson", b"\n".join(lines) + b"\n"))
    assert [r.location for r in records] == ["line 1", "line 2", "line 3", "line 4"]
    assert valid(records[0]) and valid(records[3])
    assert problems(records[1]) == ["family_name holds a NUL character, which cannot be stored"]
    assert "byte 0xE9" in problems(records[2])[0]
    # The kept text can be stored and read again to the same verdict.
    for raw in records[1:3]:
        assert "\x00" not in raw.raw
        raw.raw.encode("utf-8")  # no lone surrogates left: NUL and the byte are \u escapes
        [again] = parse_text(raw.raw, "ndjson")
        assert problems(again) == problems(raw)


def test_nul_outside_a_string_makes_only_that_line_unreadable(tmp_path: Path) -> None:
    data = (qr_line(1) + "\n" + qr_line(2) + "\x00\n" + qr_line(3) + "\n").encode()
    records = read_file(write(tmp_path, "x.ndjson", data))
    assert [r.error is None for r in records] == [True, False, True]
    assert "not valid JSON" in (records[1].error or "")


def test_bad_byte_in_one_bundle_entry_costs_only_that_entry(tmp_path: Path) -> None:
    entries = [{"resource": json.loads(qr_line(i))} for i in (1, 2, 3)]
    bundle = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    data = bundle.encode().replace(b"Quarry2", b"Quarr\xff2")
    records = read_file(write(tmp_path, "b.json", data))
    assert [valid(r) for r in records] == [True, False, True]
    assert "byte 0xFF" in problems(records[1])[0]


# -- files that are not UTF-8 text at all ------------------------------------------------------


@pytest.mark.parametrize(("codec", "named"), [("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")])
def test_utf16_without_bom_is_named(tmp_path: Path, codec: str, named: str) -> None:
    path = write(tmp_path, "u16.csv", csv_text(record(1), record(2)).encode(codec))
    with pytest.raises(FileError) as info:
        read_file(path)
    assert str(info.value) == (
        f"{path}: looks like UTF-16 text ({named}) without a byte-order mark, not UTF-8; "
        "save it as UTF-8 and try again"
    )


def test_random_bytes_are_still_binary(tmp_path: Path) -> None:
    rng = random.Random(11)
    blob = bytes(rng.randrange(32, 256) for _ in range(4000))  # no control bytes at all
    with pytest.raises(FileError, match="looks like a binary file"):
        read_file(write(tmp_path, "noise.csv", blob))


def test_many_nuls_are_binary_a_few_are_not(tmp_path: Path) -> None:
    text = csv_text(*(record(i) for i in range(20)))
    with pytest.raises(FileError, match="binary"):
        read_file(write(tmp_path, "a.csv", text.replace(",", ",\x00\x00").encode()))
    few = text.replace("Quarry3", "Quarry\x003").encode()
    assert len(read_file(write(tmp_path, "b.csv", few))) == 20


# -- sizes -------------------------------------------------------------------------------------


def test_file_over_max_file_bytes_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "big.csv", csv_text(*(record(i) for i in range(40))).encode())
    with pytest.raises(FileError) as info:
        read_text(path, max_bytes=2000)
    message = str(info.value)
    assert message.startswith(f"{path}: is ")
    assert "more than the 2,000 bytes a file may be (setting max_file_bytes)" in message
    assert read_text(path, max_bytes=path.stat().st_size)


def test_megabyte_csv_field_is_read_and_refused_by_the_field_limit(tmp_path: Path) -> None:
    text = csv_text(record(1), record(2, free_text="x" * 1_048_576), record(3))
    records = read_file(write(tmp_path, "long.csv", text.encode()))
    assert [r.error for r in records] == [None, None, None]  # no CSV field_size_limit error
    assert problems(records[1]) == [
        "free_text is 1,048,576 characters long; at most 20,000 are allowed "
        "(setting max_field_chars)"
    ]
    limits = IngestLimits(max_field_chars=2_000_000)
    assert records[1].data is not None
    assert validate(records[1].data, KNOWN, TODAY, limits=limits)[0] is not None


def test_answer_over_the_field_limit() -> None:
    data = as_data(record(1, answers='{"duration_days": 3, "notes": "' + "y" * 150 + '"}'))
    rec, found = validate(data, KNOWN, TODAY, limits=IngestLimits(max_field_chars=100))
    assert rec is None and found == [
        "answer 'notes' is 150 characters long; at most 100 are allowed (setting max_field_chars)"
    ]


# -- values that are refused, with reasons that say why without quoting them --------------------


@pytest.mark.parametrize("digit", "0123456789")
def test_nhs_number_of_one_repeated_digit_is_refused(digit: str) -> None:
    rec, found = validate(as_data(record(1, nhs_number=digit * 10)), KNOWN, TODAY)
    assert rec is None
    assert found == ["NHS number is one digit repeated ten times, which is never a real NHS number"]


def test_received_before_oldest_received_is_refused() -> None:
    old = as_data(record(1, received_at="2019-12-31T23:59:00Z"))
    rec, found = validate(old, KNOWN, TODAY)
    assert rec is None and found == [
        "received_at is before 2020-01-01, too long ago for a new online consultation "
        "(setting oldest_received)"
    ]
    rec, found = validate(old, KNOWN, TODAY, limits=IngestLimits(oldest_received=date(2019, 1, 1)))
    assert rec is not None and found == []
    assert validate(as_data(record(1, received_at="2020-01-01T00:00:00Z")), KNOWN, TODAY)[0]


def test_full_width_digits_get_a_reason_that_says_so() -> None:
    fw = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))
    rec = as_data(record(1))
    for field in ("nhs_number", "date_of_birth", "received_at"):
        _, found = validate(dict(rec, **{field: rec[field].translate(fw)}), KNOWN, TODAY)
        assert len(found) == 1, found
        assert "full-width digits" in found[0] and "ASCII digits 0-9" in found[0]
        assert found[0].startswith(("NHS number", field))


def test_no_reason_quotes_a_patient_identifier() -> None:
    rec = as_data(
        record(1, nhs_number="9434765918", date_of_birth="2031-02-03", family_name="Quarry1")
    )
    shifted = dict(
        rec,
        sex=rec["family_name"],
        request_type=rec["nhs_number"],
        received_at=rec["date_of_birth"],
        practice_ods=rec["nhs_number"],
    )
    for data in (rec, shifted, dict(rec, date_of_birth="03/02/1971")):
        _, found = validate(data, KNOWN, TODAY)
        assert found
        text = " ".join(found)
        for ident in [*identifiers(rec), "03/02/1971"]:
            assert ident not in text, (ident, text)


# -- files without a header --------------------------------------------------------------------


def test_csv_without_a_header_names_the_problem_without_quoting_the_data(tmp_path: Path) -> None:
    rows = [record(1), record(2)]
    text = csv_text(*rows).split("\n", 1)[1]  # the header line left out
    path = write(tmp_path, "noheader.csv", text.encode())
    with pytest.raises(FileError) as info:
        read_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: the CSV file has no header line: line 1")
    assert "does not name the columns" in message
    for rec in rows:
        for ident in identifiers(rec):
            assert ident not in message


def test_missing_header_columns_are_listed_but_unknown_cells_are_not_quoted(
    tmp_path: Path,
) -> None:
    header = HEADER.replace("nhs_number", "9434765919").replace("family_name", "Smith")
    path = write(tmp_path, "h.csv", (header + "\n").encode())
    with pytest.raises(FileError) as info:
        read_file(path)
    message = str(info.value)
    assert "missing the required columns nhs_number, family_name" in message
    assert "and 2 other columns" in message
    assert "9434765919" not in message and "Smith" not in message


def test_patient_reference_that_may_be_an_nhs_number_is_not_quoted(tmp_path: Path) -> None:
    resource = json.loads(qr_line(1))
    resource["subject"] = {"reference": "Patient/9434765919"}
    [rec] = read_file(write(tmp_path, "r.json", json.dumps(resource).encode()))
    assert rec.error == "Patient reference (not shown) not found in the file"
