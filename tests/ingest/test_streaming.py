"""Streaming ingest (issue 18): a file read a line at a time stores the same rows, quarantines
the same records for the same reasons and reports the same counts as the whole-file path."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ehub_tui.config import Settings
from ehub_tui.errors import FileError
from ehub_tui.ingest.runner import Ingester
from ehub_tui.ingest.stream import open_stream
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
from tests.conftest import FIXTURES, FrozenClock
from tests.ingest.helpers import qr_line

pytestmark = pytest.mark.db  # real SQLite hubs

FILES = sorted(
    p
    for folder in (FIXTURES / "oc", FIXTURES / "bad")
    for p in folder.rglob("*")
    if p.is_file() and p.suffix in (".ndjson", ".csv", ".json")
)

COLUMNS = (
    "source, external_id, practice_ods, nhs_number, given_name, family_name, date_of_birth, "
    "sex, received_at, request_type, template, answers, free_text, supplier_flags, priority, "
    "status, due_by"
)


def _open(path: Path, clock: FrozenClock) -> HubService:
    settings = Settings(data_dir=path / "data", hub_url=f"sqlite:///{path / 'hub.sqlite3'}")
    svc = HubService.open(settings, None, clock=clock)
    svc.import_practices(load_practices(FIXTURES / "practices.yaml"))
    return svc


def _ingest(tmp: Path, files: list[Path], clock: FrozenClock, **kw: Any) -> dict[str, Any]:
    """Ingest ``files`` into a fresh hub; what it stored, quarantined and reported."""
    svc = _open(tmp, clock)
    try:
        report = Ingester(svc, settings=svc.settings, **kw).ingest_paths(files)
        quarantined = sorted(
            (q.source_file, q.location, q.reason, q.raw or "") for q in svc.quarantined(None)
        )
    finally:
        svc.close()
    with sqlite3.connect(tmp / "hub.sqlite3") as db:
        rows = sorted(db.execute(f"SELECT {COLUMNS} FROM consultation").fetchall())
    return {"rows": rows, "quarantined": quarantined, "report": report.as_dict()}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_streaming_matches_the_whole_file_path(
    path: Path, tmp_path: Path, clock: FrozenClock
) -> None:
    whole = _ingest(tmp_path / "whole", [path], clock, stream_min_bytes=1 << 40)
    streamed = _ingest(tmp_path / "stream", [path], clock, stream_min_bytes=0)
    assert streamed == whole


def test_ndjson_and_csv_fixtures_are_streamed() -> None:
    """The comparison above is not empty: these fixtures take the streaming path."""
    kinds = {}
    for path in FILES:
        try:
            s = open_stream(path, max_bytes=None, max_record_bytes=1_048_576)
        except FileError:
            continue
        if s is not None:
            kinds[path.name] = s.fmt
            s.close()
    assert kinds["klinik_2026-11-18.ndjson"] == "ndjson"
    assert kinds["econsult_export_2026-11-16_to_22.csv"] == "csv"
    assert "broken_line.ndjson" in kinds and "mixed_records.csv" in kinds


def _hostile(tmp: Path) -> Path:
    """NDJSON with a BOM, CRLF endings, a bad byte, a NUL, a broken and an over-long line."""
    lines = [qr_line(i).encode() for i in range(1, 7)]
    lines[1] = lines[1].replace(b"Robin", b"Rob\xe9n", 1)
    lines[2] = lines[2].replace(
        b'"QuestionnaireResponse"', b'"QuestionnaireResponse", "x": "\\u0000"', 1
    )
    lines[3] = lines[3].replace(b"Robin", b"Rob\x00n", 1)
    lines[4] = lines[4][:40]
    lines[5] = lines[5].replace(
        b'"QuestionnaireResponse"', b'"QuestionnaireResponse", "pad": "' + b"a" * 5000 + b'"', 1
    )
    path = tmp / "hostile.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n")
    return path


def test_hostile_lines_cost_only_their_record(tmp_path: Path, clock: FrozenClock) -> None:
    path = _hostile(tmp_path)
    kw: dict[str, Any] = {}
    whole = _ingest(tmp_path / "whole", [path], clock, stream_min_bytes=1 << 40, **kw)
    streamed = _ingest(tmp_path / "stream", [path], clock, stream_min_bytes=0, **kw)
    assert streamed == whole
    # lines 1, 3 (an escaped NUL is still one) and 6 are stored; 2 (a bad byte), 4 (a NUL)
    # and 5 (cut short) are quarantined
    totals = whole["report"]["totals"]
    assert (totals["new"], totals["quarantined"]) == (3, 3)


def test_a_line_too_long_to_hold_is_quarantined_unread(tmp_path: Path) -> None:
    """A line over six times max_record_bytes is skipped, not read into memory; the records
    after it are still read."""
    path = tmp_path / "long.ndjson"
    path.write_bytes(
        qr_line(1).encode() + b"\n" + b"{" + b" " * 70_000 + b"}\n" + qr_line(2).encode() + b"\n"
    )
    s = open_stream(path, max_bytes=None, max_record_bytes=10_000)
    assert s is not None
    records = list(s.records)
    s.close()
    assert [r.location for r in records] == ["line 1", "line 2", "line 3"]
    assert records[1].data is None
    assert records[1].error == (
        "the record is 70,003 bytes long; at most 10,000 are allowed (setting max_record_bytes)"
    )
    assert records[0].data is not None and records[2].data is not None


def test_file_level_problems_keep_their_messages(tmp_path: Path) -> None:
    """A file too big, UTF-16 or binary is refused with the whole-file path's message."""
    big = tmp_path / "big.ndjson"
    big.write_bytes(qr_line(1).encode() + b"\n")
    with pytest.raises(FileError, match="more than the 10 bytes a file may be"):
        open_stream(big, max_bytes=10, max_record_bytes=1000)
    utf16 = tmp_path / "u16.ndjson"
    utf16.write_bytes(b"\xff\xfe" + qr_line(1).encode("utf-16-le"))
    with pytest.raises(FileError, match="is UTF-16 text, not UTF-8"):
        open_stream(utf16, max_bytes=None, max_record_bytes=1000)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(256)) * 100)
    with pytest.raises(FileError, match="binary"):
        open_stream(binary, max_bytes=None, max_record_bytes=1000)


def test_a_csv_line_too_long_to_hold_never_joins_the_next_row(
    tmp_path: Path, clock: FrozenClock
) -> None:
    # row 2 of a supplier file with a 7 MiB quoted cell: the stream skips the line unread and
    # must quarantine exactly that row, as the whole-file path does, with row 3 still stored
    lines = (FIXTURES / "oc" / "anima_export_2026-11-19.csv").read_text().splitlines(True)
    header, first, second, third = lines[:4]
    cut = second.index('"Ruby')
    long_row = second[:cut] + '"' + "x" * (7 * 1_048_576) + '",\n'
    path = tmp_path / "long.csv"
    path.write_text(header + first + long_row + third)
    whole = _ingest(tmp_path / "whole", [path], clock, stream_min_bytes=1 << 40)
    streamed = _ingest(tmp_path / "stream", [path], clock, stream_min_bytes=0)
    assert streamed["rows"] == whole["rows"] and len(whole["rows"]) == 2
    (q,) = streamed["quarantined"]
    assert q[1] == "line 3" and "bytes long; at most 1,048,576" in q[2]


def test_a_csv_quote_left_open_is_cut_at_the_row_limit_and_reading_goes_on(tmp_path: Path) -> None:
    # an unclosed quote would hold the rest of the file as one cell: the streamed row is cut
    # at the line limit (six records' worth), quarantined as too long, and later lines are read
    header = "source,external_id,practice_ods,nhs_number,family_name,date_of_birth,sex," + (
        "received_at,request_type,free_text\n"
    )
    row = "s,{},A1,9434765919,X,1980-01-01,female,2026-01-01T10:00:00Z,admin,{}\n"
    body = row.format(1, "hello") + row.format(2, '"never closed')
    body += "".join(f"{'y' * 190}\n" for _ in range(200)) + row.format(3, "after")
    path = tmp_path / "open.csv"
    path.write_text(header + body)
    stream = open_stream(path, max_bytes=None, max_record_bytes=1000)
    try:
        records = list(stream.records)
    finally:
        stream.close()
    assert records[0].data is not None and records[0].data["external_id"] == "1"
    cut = records[1]
    assert cut.data is None and cut.location == "line 3" and "bytes long" in (cut.error or "")
    assert all(len(r.raw) <= 6_000 + len(header) + 400 for r in records)  # nothing held past it
    assert records[-1].data is not None and records[-1].data["external_id"] == "3"
