"""Tests for the synthetic OC generator (ehub_tui/ingest/generate.py)."""

from __future__ import annotations

import csv
import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ehub_tui.domain.nhs import is_valid_nhs_number
from ehub_tui.ingest.generate import (
    CSV_FIELDS,
    DEFAULT_PRACTICES,
    generate_records,
    to_fhir,
    write_bundle,
    write_csv,
    write_ndjson,
)

FIELDS = set(CSV_FIELDS)
REQUIRED = {
    "source",
    "external_id",
    "practice_ods",
    "nhs_number",
    "family_name",
    "date_of_birth",
    "sex",
    "received_at",
    "request_type",
}


def _parse_utc(text: str) -> datetime:
    assert text.endswith("Z")
    return datetime.fromisoformat(text[:-1] + "+00:00")


def test_same_seed_gives_same_records() -> None:
    assert list(generate_records(500, seed=7)) == list(generate_records(500, seed=7))


def test_different_seed_gives_different_records() -> None:
    a = list(generate_records(200, seed=1))
    b = list(generate_records(200, seed=2))
    assert a != b
    strip = [{k: v for k, v in r.items() if k != "external_id"} for r in a]
    assert strip != [{k: v for k, v in r.items() if k != "external_id"} for r in b]


def test_prefix_is_stable_when_count_grows() -> None:
    """Asking for more records does not change who the patients are."""
    small = list(generate_records(50, seed=3, days=1))
    large = list(generate_records(100, seed=3, days=1))
    assert [r["nhs_number"] for r in small] == [r["nhs_number"] for r in large[:50]]


@pytest.mark.parametrize("count", [0, 1, 17, 1000])
def test_count(count: int) -> None:
    assert sum(1 for _ in generate_records(count, seed=0)) == count


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        list(generate_records(-1, seed=0))


def test_fields_present_and_typed() -> None:
    records = list(generate_records(2000, seed=11))
    for r in records:
        assert set(r) == FIELDS
        assert all(r[k] not in (None, "") for k in REQUIRED)
        assert isinstance(r["answers"], dict)
        assert isinstance(r["supplier_flags"], list)
        assert r["request_type"] in {"clinical", "admin", "other"}
        assert r["sex"] in {"male", "female", "other", "unknown"}
        assert r["practice_ods"] in DEFAULT_PRACTICES
        assert r["source"] in {"eConsult", "Accurx", "PATCHS", "Klinik", "Anima"}
        dob = date.fromisoformat(r["date_of_birth"])
        received = _parse_utc(r["received_at"])
        assert dob <= received.date()
        for value in r["answers"].values():
            assert isinstance(value, str | int | float | list)
    # variety
    assert len({r["template"] for r in records}) >= 15
    assert len({r["free_text"] for r in records}) > 500
    assert {r["request_type"] for r in records} == {"clinical", "admin", "other"}
    assert any(r["supplier_flags"] for r in records)


def test_external_ids_unique_and_named_by_seed() -> None:
    records = list(generate_records(5000, seed=42))
    ids = [r["external_id"] for r in records]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "GEN-42-00000000"
    assert ids[-1] == "GEN-42-00004999"


def test_nhs_numbers_valid_test_range_and_distinct() -> None:
    records = list(generate_records(20_000, seed=5))
    numbers = [r["nhs_number"] for r in records]
    assert all(n.startswith("999") and len(n) == 10 for n in numbers)
    assert all(is_valid_nhs_number(n) for n in numbers)
    assert len(set(numbers)) >= 0.99 * len(numbers)


def test_received_at_starts_at_start_and_spreads_over_days() -> None:
    start = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    records = list(generate_records(3000, seed=9))
    times = [_parse_utc(r["received_at"]) for r in records]
    assert min(times) >= start
    days = {t.date() for t in times}
    assert len(days) >= 10
    assert max(times) < start + timedelta(days=29)


def test_custom_practices_and_start() -> None:
    start = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)
    records = list(generate_records(300, seed=1, practices=["Z99003"], start=start, days=2))
    assert {r["practice_ods"] for r in records} == {"Z99003"}
    times = [_parse_utc(r["received_at"]) for r in records]
    assert min(times) >= start
    assert max(times) < start + timedelta(days=3)


def test_fast_enough() -> None:
    began = time.perf_counter()
    n = sum(1 for _ in generate_records(100_000, seed=1))
    assert n == 100_000
    assert time.perf_counter() - began < 10


def test_to_fhir_shape() -> None:
    record = next(r for r in generate_records(500, seed=4) if r["supplier_flags"] and r["answers"])
    qr = to_fhir(record)
    assert qr["resourceType"] == "QuestionnaireResponse"
    assert qr["identifier"] == {
        "system": f"urn:ehub-tui:supplier:{record['source']}",
        "value": record["external_id"],
    }
    assert qr["questionnaire"].rsplit("/", 1)[1] == record["template"]
    assert qr["authored"] == record["received_at"]
    assert qr["subject"] == {"reference": "#pat"}
    (patient,) = qr["contained"]
    assert patient["id"] == "pat"
    assert patient["identifier"] == [
        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": record["nhs_number"]}
    ]
    assert patient["birthDate"] == record["date_of_birth"]
    assert patient["gender"] == record["sex"]
    assert patient["name"][0]["family"] == record["family_name"]
    ods = patient["generalPractitioner"][0]["identifier"]
    assert ods == {
        "system": "https://fhir.nhs.uk/Id/ods-organization-code",
        "value": record["practice_ods"],
    }
    items = {i["linkId"]: i["answer"] for i in qr["item"]}
    assert items["request_type"] == [{"valueString": record["request_type"]}]
    assert items["free_text"] == [{"valueString": record["free_text"]}]
    assert [a["valueString"] for a in items["supplier_flag"]] == record["supplier_flags"]
    for key, value in record["answers"].items():
        answers = items[key]
        if value in ("yes", "no"):
            assert answers == [{"valueBoolean": value == "yes"}]
        elif isinstance(value, list):
            assert [a["valueString"] for a in answers] == value
        elif isinstance(value, int):
            assert answers == [{"valueInteger": value}]


def test_write_csv_round_trips_through_csv_module(tmp_path: Path) -> None:
    records = list(generate_records(1500, seed=8))
    # make sure awkward text survives: quotes, commas, line breaks, emoji, apostrophes
    records[0]["free_text"] = "He said \"it's fine\", but\nit isn't, is it? 😩"
    path = tmp_path / "out.csv"
    assert write_csv(records, path) == len(records)
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == CSV_FIELDS
        rows = list(reader)
    assert len(rows) == len(records)
    for row, rec in zip(rows, records, strict=True):
        for key in CSV_FIELDS:
            if key == "answers":
                assert (json.loads(row[key]) if row[key] else {}) == rec["answers"]
            elif key == "supplier_flags":
                assert [f for f in row[key].split(";") if f] == rec["supplier_flags"]
            else:
                assert row[key] == rec[key]


def test_write_ndjson(tmp_path: Path) -> None:
    records = list(generate_records(300, seed=6))
    path = tmp_path / "out.ndjson"
    assert write_ndjson(records, path) == 300
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    assert [json.loads(line) for line in lines] == [to_fhir(r) for r in records]


def test_write_bundle_accepts_a_generator(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    assert write_bundle(generate_records(250, seed=6), path) == 250
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    resources = [e["resource"] for e in bundle["entry"]]
    assert resources == [to_fhir(r) for r in generate_records(250, seed=6)]
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == 250


def test_write_empty(tmp_path: Path) -> None:
    assert write_bundle([], tmp_path / "b.json") == 0
    assert json.loads((tmp_path / "b.json").read_text())["entry"] == []
    assert write_csv([], tmp_path / "c.csv") == 0
    assert (tmp_path / "c.csv").read_text().strip() == ",".join(CSV_FIELDS)
    assert write_ndjson([], tmp_path / "n.ndjson") == 0


def test_written_files_parse_with_the_ingest_parsers(tmp_path: Path) -> None:
    """If the parsers are present, everything the writers produce reads back without errors."""
    parsers = pytest.importorskip("ehub_tui.ingest.parsers")
    records = list(generate_records(400, seed=12))
    write_csv(records, tmp_path / "g.csv")
    write_ndjson(records, tmp_path / "g.ndjson")
    write_bundle(records, tmp_path / "g.json")
    for name in ("g.csv", "g.ndjson", "g.json"):
        raws = parsers.read_file(tmp_path / name)
        assert len(raws) == len(records), name
        assert not [r for r in raws if r.error], name
        got = {r.data["external_id"]: r.data for r in raws}
        for rec in records[:50]:
            data = got[rec["external_id"]]
            assert data["template"] == rec["template"]
            assert data["free_text"] == rec["free_text"]
