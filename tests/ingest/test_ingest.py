"""Records, not files, and conflicting duplicates, stored in a real hub (SQLite and PostgreSQL).

Good records beside a bad one are stored; the bad one is quarantined with its line and a reason
naming the field but no patient identifier; a record re-sent with the same supplier id and a
different patient or request is quarantined beside the stored one, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.config import Settings
from ehub_tui.ingest.runner import Ingester
from ehub_tui.service import HubService
from tests.ingest.helpers import csv_text, identifiers, qr_line, record
from tests.support.hubserver import cli_hub as cli_hub_for

FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


def quarantine_by_location(hub: HubService) -> dict[str, dict]:
    return {q.location: hub.quarantine_entry(q.id) for q in hub.quarantined()}


def assert_no_identifiers(texts: list[str], records: list[dict]) -> None:
    joined = "\n".join(texts)
    for rec in records:
        for ident in identifiers(rec):
            assert ident not in joined, ident


def test_bad_records_cost_only_themselves(seeded: HubService, tmp_path: Path) -> None:
    good = [record(1), record(4), record(9)]
    nhs_fw = record(6)
    bad = [
        record(2, family_name="Quarry\x00two"),  # a NUL
        record(3, nhs_number="0000000000"),  # one repeated digit
        record(5, received_at="2019-06-01T10:00:00Z"),  # before oldest_received
        dict(nhs_fw, nhs_number=nhs_fw["nhs_number"].translate(FULL_WIDTH)),
        record(7, free_text="x" * 1_000_000),  # a 1 MB field
        record(8, date_of_birth="1971-13-04"),
    ]
    rows = [good[0], *bad[:3], good[1], *bad[3:], good[2]]
    lines = csv_text(*rows).encode().split(b"\n")
    latin = record(10, family_name="Brontë")  # one record pasted in Latin-1
    lines.insert(3, csv_text(latin).split("\n")[1].encode("latin-1"))
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\n".join(lines))

    fr = Ingester(seeded).ingest_file(path)
    assert fr.error is None
    assert (fr.records, fr.new, fr.duplicate, fr.quarantined) == (10, 3, 0, 7)
    for rec in good:
        assert seeded.find_consultation_id("eConsult", rec["external_id"]) is not None
    q = quarantine_by_location(seeded)
    expect = {
        "line 3": "family_name holds a NUL character",
        "line 4": "family_name holds the byte 0xEB, which is not UTF-8 text",
        "line 5": "NHS number is one digit repeated ten times",
        "line 6": "received_at is before 2020-01-01",
        "line 8": "NHS number is written with full-width digits",
        "line 9": "free_text is 1,000,000 characters long; at most 20,000 are allowed "
        "(setting max_field_chars)",
        "line 10": "date_of_birth is not a real date",
    }
    assert set(q) == set(expect)
    for location, words in expect.items():
        assert words in q[location].reason, (location, q[location].reason)
    assert_no_identifiers([e.reason for e in q.values()], [*bad, latin])
    # the quarantine's audit events name only the entry, file and line
    events = [e for e in seeded.audit_log(limit=50) if e.action == "quarantine"]
    assert len(events) == 7
    assert all(set(e.body) == {"quarantine_id", "file", "location"} for e in events)


def test_a_record_whose_bytes_could_not_be_kept_stays_in_quarantine(
    seeded: HubService, tmp_path: Path
) -> None:
    data = csv_text(record(1), record(2, family_name="QuarryX")).encode()
    path = tmp_path / "byte.csv"
    path.write_bytes(data.replace(b"QuarryX", b"Quarry\xe9"))
    ndjson = tmp_path / "nul.ndjson"
    line = qr_line(3, family_name="QuarryX").encode().replace(b"QuarryX", b"Quarry\x00")
    ndjson.write_bytes(qr_line(4).encode() + b"\n" + line + b"\n")
    ing = Ingester(seeded)
    assert ing.ingest_file(path).quarantined == 1
    assert ing.ingest_file(ndjson).quarantined == 1
    for entry in seeded.quarantined():
        outcome, problems = ing.retry_quarantined(entry.id)
        assert outcome == "still_bad", problems
        assert seeded.quarantine_entry(entry.id).status == "open"
    assert seeded.find_consultation_id("eConsult", "EC-R-0002") is None
    assert seeded.find_consultation_id("eConsult", "ACX-R-3") is None


def test_size_limits_come_from_the_settings(seeded: HubService, tmp_path: Path) -> None:
    small = Settings(data_dir=tmp_path / "d", max_record_bytes=1000, max_file_bytes=4000)
    big_answers = json.dumps({"notes": "n" * 900})
    path = tmp_path / "sizes.csv"
    path.write_text(csv_text(record(1), record(2, answers=big_answers), record(3)))
    fr = Ingester(seeded, settings=small).ingest_file(path)
    assert (fr.new, fr.quarantined) == (2, 1)
    [entry] = seeded.quarantined()
    assert entry.location == "line 3"
    assert "at most 1,000 are allowed (setting max_record_bytes)" in entry.reason
    # Not quarantined for ever: with the setting raised, a retry stores it.
    assert Ingester(seeded).retry_quarantined(entry.id) == ("stored", [])

    huge = tmp_path / "huge.csv"
    huge.write_text(csv_text(*(record(i) for i in range(20, 60))))
    fr = Ingester(seeded, settings=small).ingest_file(huge)
    assert fr.error is not None and "(setting max_file_bytes)" in fr.error
    assert (fr.records, fr.new) == (0, 0)
    assert seeded.find_consultation_id("eConsult", "EC-R-0020") is None


def test_ten_megabyte_free_text_is_not_stored(seeded: HubService, tmp_path: Path) -> None:
    path = tmp_path / "long.ndjson"
    path.write_text(qr_line(1) + "\n" + qr_line(2, free_text="z" * 10_000_000) + "\n")
    fr = Ingester(seeded).ingest_file(path)
    assert (fr.new, fr.quarantined) == (1, 1)
    [entry] = seeded.quarantined()
    assert entry.location == "line 2"
    assert "at most 1,048,576 are allowed (setting max_record_bytes)" in entry.reason
    assert seeded.find_consultation_id("eConsult", "ACX-R-2") is None


# -- conflicting duplicates --------------------------------------------------------------------


def test_same_id_different_patient_is_quarantined_beside_the_stored_one(
    seeded: HubService, tmp_path: Path
) -> None:
    first = tmp_path / "monday.csv"
    first.write_text(csv_text(record(1), record(2)))
    ing = Ingester(seeded)
    assert ing.ingest_file(first).new == 2
    stored_id = seeded.find_consultation_id("eConsult", "EC-R-0002")
    assert stored_id is not None

    other = record(2, nhs_number=record(77)["nhs_number"], family_name="Someone")
    resend = record(1, free_text="sore   throat\n since Monday ")  # only whitespace differs
    second = tmp_path / "tuesday.csv"
    second.write_text(csv_text(resend, other))
    fr = ing.ingest_file(second)
    assert (fr.new, fr.duplicate, fr.quarantined, fr.conflicting) == (0, 1, 1, 1)

    [entry] = [seeded.quarantine_entry(q.id) for q in seeded.quarantined()]
    # the re-send spans lines 2-3, so the other record starts on line 4
    assert entry.location == "line 4" and entry.source_file == str(second)
    assert entry.reason.startswith(
        f"conflicting duplicate: consultation {stored_id} was stored from the same supplier "
        "and id, but with a different NHS number and family name."
    )
    assert entry.consultation_id == stored_id
    assert (entry.source, entry.external_id) == ("eConsult", "EC-R-0002")
    assert other["nhs_number"] in entry.raw and "Someone" in entry.raw  # the new record
    assert_no_identifiers([entry.reason], [other, record(2)])
    kept = seeded.consultation(stored_id)
    assert (kept.nhs_number, kept.family_name) == (record(2)["nhs_number"], "Quarry2")

    events = [e for e in seeded.audit_log(limit=20) if e.action == "quarantine"]
    assert events[0].body["conflicts_with"] == stored_id

    # A retry does not "release" it as a duplicate: it stays, saying why.
    outcome, problems = ing.retry_quarantined(entry.id)
    assert outcome == "still_bad" and problems[0].startswith("conflicting duplicate")
    assert seeded.quarantine_entry(entry.id).status == "open"

    # The same file again: still counted, not quarantined twice.
    again = ing.ingest_file(second)
    assert (again.duplicate, again.quarantined, again.conflicting) == (1, 1, 1)
    assert len(seeded.quarantined()) == 1


def test_conflict_within_one_file_and_other_request_fields(
    seeded: HubService, tmp_path: Path
) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(
        csv_text(
            record(1),
            record(1, free_text="chest pain"),
            record(2),
            record(2, answers='{"duration_days": 5}', practice_ods="Z99002"),
            record(3),
            record(3, given_name="ROBIN", family_name="quarry3"),  # letter case only: same
        )
    )
    fr = Ingester(seeded).ingest_file(path)
    assert (fr.new, fr.duplicate, fr.conflicting) == (3, 1, 2)
    reasons = {q.location: q.reason for q in seeded.quarantined()}
    assert set(reasons) == {"line 3", "line 5"}
    assert "a different free text." in reasons["line 3"]
    assert "a different practice and answers." in reasons["line 5"]


def test_conflicting_rows_stored_directly_are_kept_as_rows(seeded: HubService) -> None:
    from tests.support.factories import oc_row

    (created,), _ = seeded.store_intake([oc_row(1)])
    again, _ = seeded.store_intake([oc_row(1, nhs_number="9434765919")])
    assert again == []
    [entry] = [seeded.quarantine_entry(q.id) for q in seeded.quarantined()]
    assert entry.fmt == "row" and entry.consultation_id == created[1]
    assert "9434765919" in entry.raw and "NHS number" in entry.reason
    outcome, problems = Ingester(seeded).retry_quarantined(entry.id)
    assert outcome == "still_bad" and "not read from a file" in problems[0]


# -- the summary names unknown suppliers -------------------------------------------------------


def test_unknown_suppliers_are_named_in_the_summary(seeded: HubService, tmp_path: Path) -> None:
    path = tmp_path / "s.ndjson"
    lines = [qr_line(1), qr_line(2, source="MadeUpCo"), qr_line(3, source="MadeUpCo")]
    lines.append(qr_line(4, source="ACCURX"))
    path.write_text("\n".join(lines) + "\n")
    report = Ingester(seeded).ingest_paths([path])
    assert report.new == 4
    assert report.unknown_suppliers == {"MadeUpCo": 2}
    summary = report.as_dict()
    assert summary["unknown_suppliers"] == {"MadeUpCo": 2}
    assert summary["files"][0]["unknown_suppliers"] == {"MadeUpCo": 2}
    named = Ingester(seeded, settings=Settings(data_dir=tmp_path, suppliers=["eConsult"]))
    path2 = tmp_path / "t.ndjson"
    path2.write_text(qr_line(5) + "\n")
    assert named.ingest_paths([path2]).unknown_suppliers == {}


# -- through the CLI ---------------------------------------------------------------------------


@pytest.fixture
def cli_hub(
    seeded: HubService, hub_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[HubService]:
    """The hub as the CLI reaches it: embedded SQLite, or a PostgreSQL hub through its server."""
    with cli_hub_for(seeded, hub_url, monkeypatch, tmp_path) as service:
        yield service


def test_cli_csv_without_header_quotes_nothing(cli_hub: HubService, tmp_path: Path) -> None:
    rows = [record(1), record(2)]
    path = tmp_path / "noheader.csv"
    path.write_text(csv_text(*rows).split("\n", 1)[1])
    result = CliRunner().invoke(app, ["ingest", str(path)])
    assert result.exit_code == 2
    assert "no header line" in result.stderr
    assert_no_identifiers([result.output], rows)
    assert cli_hub.queue_summary().by_status.get("queued", 0) == 0
