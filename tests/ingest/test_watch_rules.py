"""The inbox watcher's rules, one at a time, on a real SQLite hub with a clock moved by hand."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ehub_tui.domain.models import Consultation
from ehub_tui.ingest.records import RawRecord
from ehub_tui.ingest.runner import FileReport, Ingester
from ehub_tui.ingest.watch import (
    FileChanged,
    FileDone,
    HubAvailable,
    HubUnavailable,
    InboxError,
    InboxWatcher,
    NotRead,
    Stopped,
    Unfinished,
    WatchEvent,
    Watching,
    incomplete_reason,
    is_skipped,
    run_watch,
)
from ehub_tui.service import HubService
from tests.conftest import FIXTURES
from tests.ingest.conftest import Ticker

SETTLE = 5.0
OC = FIXTURES / "oc"
CSV_HEADER = (OC / "klinik_export_2026-11-20.csv").read_bytes().split(b"\n", 1)[0] + b"\n"


def csv_row(ext: str, flags: str = "urgent", free_text: str = "Sore throat") -> bytes:
    """One valid supplier CSV row (Klinik layout) ending with its line ending."""
    cells = [
        "Klinik", ext, "Z99001", "9990600015", "David", "Lee", "1985-11-14", "male",
        "2026-11-16T08:01:17Z", "clinical", "sore_throat", "", free_text, flags, "web", "",
    ]  # fmt: skip
    out = []
    for c in cells:
        out.append('"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\n\r') else c)
    return (",".join(out) + "\n").encode("utf-8")


def make_watcher(
    hub: HubService, inbox: Path, ticker: Ticker, ingester: Ingester | None = None, **kw: Any
) -> tuple[InboxWatcher, list[WatchEvent]]:
    events: list[WatchEvent] = []
    watcher = InboxWatcher(
        ingester or Ingester(hub),
        inbox,
        settle_seconds=SETTLE,
        clock=ticker,
        emit=events.append,
        **kw,
    )
    return watcher, events


def settle(watcher: InboxWatcher, ticker: Ticker, polls: int = 2) -> list[WatchEvent]:
    """Poll, then poll again after each settle period; the events of all the polls."""
    events = watcher.poll_once()
    for _ in range(polls):
        ticker.advance(SETTLE + 0.1)
        events += watcher.poll_once()
    return events


def stored(hub: HubService, ext: str, source: str = "Klinik") -> Consultation | None:
    cid = hub.find_consultation_id(source, ext)
    return None if cid is None else hub.consultation(cid)


def of(events: Sequence[WatchEvent], kind: type[WatchEvent]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


# -- what "whole" means --------------------------------------------------------------------------

AT_URG = csv_row("K-1")[: csv_row("K-1").index(b"urgent") + 3]  # a row cut at "urg"
# a row cut just after a line ending inside its quoted free text
IN_QUOTES = csv_row("K-1", free_text="one\ntwo").split(b"one\n")[0] + b"one\n"


@pytest.mark.parametrize(
    ("name", "data", "whole"),
    [
        ("a.csv", CSV_HEADER + csv_row("K-1"), True),
        ("a.csv", CSV_HEADER + csv_row("K-1")[:-1], False),  # last line without its line ending
        ("a.csv", CSV_HEADER + AT_URG, False),
        ("a.csv", CSV_HEADER + csv_row("K-1").replace(b"\n", b"\r\n"), True),
        ("a.csv", CSV_HEADER + csv_row("K-1").replace(b"\n", b"\r"), True),
        # a line ending inside a quoted value is not the end of the record
        ("a.csv", CSV_HEADER + IN_QUOTES, False),
        ("a.csv", CSV_HEADER + csv_row("K-1", free_text='say ""hi"", then\nbye'), True),
        # a quote inside a field is literal; one at a field's start opens a quoted value
        ("a.csv", b'a,b"c,"d\n', False),
        ("a.csv", b'a,"b"x\n', True),
        ("a.csv", CSV_HEADER, True),  # a header alone: whole (no records yet)
        ("a.ndjson", b'{"a": 1}\n{"b": 2}\n', True),
        ("a.ndjson", b'{"a": 1}\n{"b": 2', False),
        ("a.ndjson", b'{"a": 1}\n{"b": "urg', False),
        ("a.json", b'{"resourceType": "Bundle", "entry": []}', True),
        ("a.json", b'{"resourceType": "Bundle", "entry": [\n', False),
        ("a.json", b'{"a": 1}\n{"b": 2}\n', True),  # NDJSON under a .json name
        ("a.json", b'{\n  "resourceType": "Bundle",\n', False),  # pretty JSON cut at a line end
        ("a.json", '{"a": "caf\u00e9"}'.encode()[:-3], False),  # cut inside a character
        ("a.json", b'\xef\xbb\xbf{"a": 1}', True),  # byte-order mark
        ("noext", b'{"a": 1', False),
        ("a.ndjson", b'{"a": 1}\n{"broken\n{"b": 2}\n', True),  # a bad line is its record's
        ("a.ndjson", b'{\n  "resourceType": "Bundle",\n', False),  # pretty JSON, .ndjson name
        ("a.ndjson", b'{\n  "resourceType": "Bundle"\n}\n', True),
        # the ingest refuses these whatever comes next: whole, so they go to failed/ with a reason
        ("a.csv", b"", True),
        ("a.csv", b"\n\n  ", True),
        ("a.csv", b"\x00\x01\x02\x03" * 100, True),  # binary: whole, so it goes to failed/
        ("a.csv", "x,y\n".encode("utf-16"), True),  # UTF-16: whole, the ingest names it
    ],
)
def test_whole_means_every_record_has_its_end(name: str, data: bytes, whole: bool) -> None:
    reason = incomplete_reason(Path(name), data)
    assert (reason is None) is whole, reason


def test_fixture_files_are_whole_and_every_cut_of_them_is_not() -> None:
    for path in sorted(OC.glob("*.*")):
        data = path.read_bytes()
        assert incomplete_reason(path, data) is None, path
        # any cut that does not end on a line ending (or for JSON, before its end) is unfinished
        for cut in range(1, len(data) - 2, 97):
            part = data[:cut]
            if path.suffix != ".json" and part.endswith((b"\n", b"\r")):
                continue
            assert incomplete_reason(path, part) is not None, (path, cut)


@pytest.mark.parametrize(
    ("name", "skipped"),
    [
        ("export.csv.part", True),
        ("export.csv.PARTIAL", True),
        ("export.csv.tmp", True),
        ("export.csv.crdownload", True),
        (".export.csv.swp", True),
        (".hidden.csv", True),
        ("~lock.csv", True),
        ("MESH_0001.ctl", True),
        ("MESH_0001.CTL", True),
        ("MESH_0001.dat", False),
        ("export.csv", False),
        ("bundle.json", False),
    ],
)
def test_partial_hidden_and_mesh_control_names_are_left_alone(name: str, skipped: bool) -> None:
    assert is_skipped(name) is skipped


# -- taking files --------------------------------------------------------------------------------


def test_a_file_is_taken_only_after_the_settle_period(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker)
    (inbox / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1"))
    assert watcher.poll_once() == []
    ticker.advance(SETTLE - 0.5)
    assert watcher.poll_once() == []
    assert (inbox / "a.csv").exists() and stored(hub, "K-1") is None
    ticker.advance(0.5)
    [done] = watcher.poll_once()
    assert isinstance(done, FileDone) and done.error is None
    assert (done.file, done.fmt, done.records, done.new) == ("a.csv", "csv", 1, 1)
    assert Path(done.moved_to) == inbox / "processed" / "a.csv"
    assert not (inbox / "a.csv").exists()
    assert stored(hub, "K-1") is not None


def test_a_file_that_keeps_changing_waits_for_a_quiet_settle_period(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker)
    path = inbox / "a.csv"
    path.write_bytes(CSV_HEADER + csv_row("K-1"))
    watcher.poll_once()
    for i in range(2, 6):  # a row every 4 s: never quiet for 5 s
        ticker.advance(4)
        with path.open("ab") as f:
            f.write(csv_row(f"K-{i}"))
        assert watcher.poll_once() == []
    ticker.advance(SETTLE)
    [done] = watcher.poll_once()
    assert isinstance(done, FileDone) and done.new == 5


def test_a_record_without_its_line_ending_is_never_stored(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, events = make_watcher(hub, inbox, ticker, unfinished_after=600, unfinished_every=3600)
    path = inbox / "a.csv"
    row = csv_row("K-2")
    cut = row.index(b"urgent") + 3  # the sender stops at "urg"
    path.write_bytes(CSV_HEADER + csv_row("K-1") + row[:cut])
    watcher.poll_once()
    for _ in range(70):  # over an hour and ten minutes, a poll every minute
        ticker.advance(60)
        watcher.poll_once()
    assert path.exists() and stored(hub, "K-1") is None and stored(hub, "K-2") is None
    assert hub.quarantined() == []
    told = of(events, Unfinished)
    assert len(told) == 2  # once after 10 minutes, then an hour later
    assert told[0].file == "a.csv" and "no line ending" in told[0].message()
    assert told[0].unchanged_seconds >= 600 and told[1].unchanged_seconds >= 3600 + 600
    with path.open("ab") as f:  # the rest arrives
        f.write(row[cut:])
    [done] = settle(watcher, ticker)
    assert isinstance(done, FileDone) and done.new == 2
    record = stored(hub, "K-2")
    assert record is not None and record.supplier_flags == ["urgent"]


@pytest.mark.parametrize(
    ("name", "whole", "cut_at"),
    [
        ("a.ndjson", (OC / "patchs_2026-11-21.ndjson").read_bytes(), b'"urgent"'),
        ("b.json", (OC / "accurx_bundle_2026-11-17.json").read_bytes(), b"\n  ]"),
    ],
)
def test_ndjson_and_json_are_taken_only_when_whole(
    hub: HubService, inbox: Path, ticker: Ticker, name: str, whole: bytes, cut_at: bytes
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker)
    path = inbox / name
    cut = whole.index(cut_at) + 3 if cut_at in whole else len(whole) // 2
    path.write_bytes(whole[:cut])
    assert settle(watcher, ticker, polls=4) == []
    assert path.exists()
    with path.open("ab") as f:
        f.write(whole[cut:])
    [done] = settle(watcher, ticker)
    assert isinstance(done, FileDone) and done.error is None and done.new == done.records > 0


def test_a_file_that_cannot_be_read_at_all_goes_to_failed_with_a_note(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker)
    text = (CSV_HEADER + csv_row("K-1")).decode()
    (inbox / "wide.csv").write_bytes(text.encode("utf-16"))  # UTF-16: the ingest refuses it
    [done] = settle(watcher, ticker)
    assert isinstance(done, FileDone) and done.error and "UTF-16" in done.error
    moved = inbox / "failed" / "wide.csv"
    assert Path(done.moved_to) == moved and moved.exists()
    assert "UTF-16" in (inbox / "failed" / "wide.csv.reason.txt").read_text()
    assert done.message().startswith("failed: ")
    assert watcher.totals.failed == 1 and stored(hub, "K-1") is None


def test_an_empty_file_goes_to_failed_and_back_if_its_sender_writes_into_it(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker)
    with (inbox / "a.csv").open("wb", buffering=0) as sender:  # created, nothing written yet
        [failed] = settle(watcher, ticker)
        assert isinstance(failed, FileDone) and failed.error and "empty" in failed.error
        note = inbox / "failed" / "a.csv.reason.txt"
        assert note.exists()
        sender.write(CSV_HEADER + csv_row("K-1"))  # lands in failed/a.csv
    events = settle(watcher, ticker)
    [done] = of(events, FileDone)
    assert done.error is None and done.again and done.new == 1
    assert Path(done.moved_to) == inbox / "processed" / "a.csv"
    assert not (inbox / "failed" / "a.csv").exists() and not note.exists()
    assert stored(hub, "K-1") is not None


def test_a_file_with_quarantined_records_goes_to_processed(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker)
    bad = csv_row("K-2").replace(b"Z99001", b"Z00000")  # an unknown practice
    (inbox / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1") + bad)
    [done] = settle(watcher, ticker)
    assert isinstance(done, FileDone) and (done.new, done.quarantined) == (1, 1)
    assert Path(done.moved_to).parent == inbox / "processed"
    [q] = hub.quarantined()
    assert q.source_file == str(inbox / "a.csv")


def test_a_name_already_in_processed_gets_a_number(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker)
    (inbox / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1"))
    settle(watcher, ticker)
    (inbox / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1") + csv_row("K-2"))
    [done] = settle(watcher, ticker)
    assert isinstance(done, FileDone) and (done.new, done.duplicate) == (1, 1)
    assert Path(done.moved_to) == inbox / "processed" / "a.1.csv"
    assert (inbox / "processed" / "a.csv").exists()


def test_a_file_too_big_is_not_read(hub: HubService, inbox: Path, ticker: Ticker) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker, max_file_bytes=1000)
    (inbox / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1") * 10)
    [done] = settle(watcher, ticker)
    assert isinstance(done, FileDone) and done.error and "max_file_bytes" in done.error
    assert (inbox / "failed" / "a.csv").exists() and stored(hub, "K-1") is None


# -- files that change ---------------------------------------------------------------------------


class WriterDuringRead(Ingester):
    """A real Ingester; the sender appends to ``path`` while the first batch is being stored."""

    def __init__(self, service: HubService, path: Path, more: bytes) -> None:
        super().__init__(service)
        self.path, self.more = path, more

    def store_records(
        self, records: Sequence[RawRecord], source_file: str, fr: FileReport, *args: Any
    ) -> None:
        if self.more:
            with self.path.open("ab") as f:
                f.write(self.more)
            self.more = b""
        super().store_records(records, source_file, fr, *args)


def test_a_file_that_changes_while_it_is_read_is_read_again(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    path = inbox / "a.csv"
    path.write_bytes(CSV_HEADER + csv_row("K-1"))
    ingester = WriterDuringRead(hub, path, csv_row("K-2") + csv_row("K-3"))
    watcher, _ = make_watcher(hub, inbox, ticker, ingester=ingester)
    events = settle(watcher, ticker, polls=1)
    [changed] = of(events, FileChanged)
    assert "changed while it was being read" in changed.message()
    assert of(events, FileDone) == [] and path.exists()
    assert stored(hub, "K-1") is not None and stored(hub, "K-3") is None
    [done] = settle(watcher, ticker)
    assert isinstance(done, FileDone) and (done.new, done.duplicate) == (2, 1)
    assert all(stored(hub, f"K-{i}") is not None for i in (1, 2, 3))


def test_a_sender_still_writing_after_the_move_is_read_from_processed(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker)
    with (inbox / "a.csv").open("wb", buffering=0) as sender:  # keeps the file open
        sender.write(CSV_HEADER + csv_row("K-1"))
        [done] = settle(watcher, ticker)  # a long pause after a whole line: taken
        assert isinstance(done, FileDone) and done.new == 1
        row = csv_row("K-2")
        sender.write(row[:20])  # the rest lands in processed/a.csv
        events = settle(watcher, ticker, polls=3)
        [changed] = of(events, FileChanged)
        assert "changed after it was moved to processed/" in changed.message()
        assert of(events, FileDone) == []  # half a row: not read
        assert watcher.pending() == [inbox / "processed" / "a.csv"]
        sender.write(row[20:] + csv_row("K-3"))
    [again] = settle(watcher, ticker)
    assert isinstance(again, FileDone) and again.again and (again.new, again.duplicate) == (2, 1)
    assert Path(again.moved_to) == inbox / "processed" / "a.csv"
    assert "read again" in again.message()
    assert all(stored(hub, f"K-{i}") is not None for i in (1, 2, 3))
    assert watcher.pending() == []
    assert hub.quarantined() == []


def test_moved_files_are_watched_only_for_the_recheck_period(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker, recheck_seconds=30)
    (inbox / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1"))
    settle(watcher, ticker)
    ticker.advance(31)
    watcher.poll_once()
    with (inbox / "processed" / "a.csv").open("ab") as f:
        f.write(csv_row("K-2"))
    assert settle(watcher, ticker) == []


# -- what else is in the inbox -------------------------------------------------------------------


def test_skipped_names_are_never_touched(hub: HubService, inbox: Path, ticker: Ticker) -> None:
    watcher, events = make_watcher(hub, inbox, ticker)
    names = ["a.csv.part", "a.csv.tmp", ".a.csv", "~a.csv", "MESH_1.ctl"]
    for name in names:
        (inbox / name).write_bytes(CSV_HEADER + csv_row("K-1"))
    settle(watcher, ticker, polls=3)
    assert events == [] and stored(hub, "K-1") is None
    assert all((inbox / n).exists() for n in names)
    os.rename(inbox / "a.csv.part", inbox / "a.csv")  # the sender's rename when done
    [done] = settle(watcher, ticker)
    assert isinstance(done, FileDone) and done.new == 1


def test_sub_folders_are_named_once_and_not_read(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, events = make_watcher(hub, inbox, ticker)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1"))
    settle(watcher, ticker, polls=3)
    [told] = events
    assert isinstance(told, NotRead) and told.name == "sub" and "is a folder" in told.message()
    assert stored(hub, "K-1") is None and (inbox / "sub" / "a.csv").exists()


def test_recursive_reads_sub_folders_into_processed_sub_folders(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, _ = make_watcher(hub, inbox, ticker, recursive=True)
    (inbox / "sub" / "deeper").mkdir(parents=True)
    (inbox / "sub" / "deeper" / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1"))
    [done] = settle(watcher, ticker)
    assert isinstance(done, FileDone) and done.file == os.path.join("sub", "deeper", "a.csv")
    assert (inbox / "processed" / "sub" / "deeper" / "a.csv").exists()
    assert stored(hub, "K-1") is not None


def test_pipes_and_sockets_are_named_once_and_never_opened(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, events = make_watcher(hub, inbox, ticker)
    os.mkfifo(inbox / "pipe.csv")  # opening it would block the watcher for ever
    sock = socket.socket(socket.AF_UNIX)
    short = Path(f"/tmp/ehub-watch-{os.getpid()}.sock")  # AF_UNIX paths must be short
    try:
        sock.bind(str(short))
        os.symlink(short, inbox / "sock.csv")
        os.symlink(inbox / "missing.csv", inbox / "dangling.csv")
        settle(watcher, ticker, polls=3)
    finally:
        sock.close()
        short.unlink(missing_ok=True)
    told = {e.name: e.reason for e in of(events, NotRead)}
    assert len(of(events, NotRead)) == 3
    assert "named pipe" in told["pipe.csv"] and "socket" in told["sock.csv"]
    assert "does not exist" in told["dangling.csv"]


def test_an_unreadable_file_is_named_once_and_taken_when_readable(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    locked = {"a.csv"}

    def read(path: Path) -> bytes:
        if path.name in locked:
            raise PermissionError(13, "Permission denied", str(path))
        return path.read_bytes()

    watcher, events = make_watcher(hub, inbox, ticker, read_bytes=read)
    (inbox / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1"))
    settle(watcher, ticker, polls=4)
    [told] = events
    assert isinstance(told, NotRead) and "cannot be read (Permission denied)" in told.message()
    assert (inbox / "a.csv").exists()
    locked.clear()
    watcher.poll_once()
    [done] = of(events, FileDone)
    assert done.new == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission_stays_in_the_inbox(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    watcher, events = make_watcher(hub, inbox, ticker)
    path = inbox / "a.csv"
    path.write_bytes(CSV_HEADER + csv_row("K-1"))
    path.chmod(0)
    settle(watcher, ticker, polls=3)
    [told] = events
    assert isinstance(told, NotRead) and path.exists()
    path.chmod(0o600)
    assert of(settle(watcher, ticker), FileDone)


def test_an_inbox_that_is_not_a_folder_is_refused(hub: HubService, tmp_path: Path) -> None:
    with pytest.raises(InboxError, match="does not exist"):
        InboxWatcher(Ingester(hub), tmp_path / "nope", settle_seconds=1)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InboxError, match="is not a folder"):
        InboxWatcher(Ingester(hub), tmp_path / "file", settle_seconds=1)


# -- the hub -------------------------------------------------------------------------------------


def test_an_unreachable_hub_keeps_the_file_and_it_is_retried(
    hub: HubService, hub_dir: Path, inbox: Path, ticker: Ticker
) -> None:
    screened: list[int] = []
    watcher, events = make_watcher(
        hub, inbox, ticker, hub_retry_seconds=30, after_store=lambda: screened.append(1)
    )
    (inbox / "a.csv").write_bytes(CSV_HEADER + csv_row("K-1"))
    (inbox / "b.csv").write_bytes(CSV_HEADER + csv_row("K-2"))
    away = hub_dir.with_name("hub-away")
    hub.engine.dispose()
    hub_dir.rename(away)  # the hub's file is gone: every connection fails
    try:
        settle(watcher, ticker, polls=3)
    finally:
        away.rename(hub_dir)
    [down] = of(events, HubUnavailable)  # said once, not once per file or per poll
    assert down.file == "a.csv" and "will retry a.csv in 30 s" in down.message()
    assert (inbox / "a.csv").exists() and (inbox / "b.csv").exists()
    assert of(events, FileDone) == [] and screened == []
    ticker.advance(30)
    later = watcher.poll_once()
    assert isinstance(later[0], HubAvailable)
    assert [e.file for e in of(later, FileDone)] == ["a.csv", "b.csv"]
    assert stored(hub, "K-1") is not None and stored(hub, "K-2") is not None
    assert screened == [1, 1]


# -- run_watch and events ------------------------------------------------------------------------


def test_run_watch_polls_until_stopped_and_reports_totals(hub: HubService, inbox: Path) -> None:
    shutil.copy(OC / "klinik_export_2026-11-20.csv", inbox / "k.csv")
    stop = threading.Event()
    events: list[WatchEvent] = []

    def emit(event: WatchEvent) -> None:
        events.append(event)
        if isinstance(event, FileDone):
            stop.set()

    totals = run_watch(
        Ingester(hub), inbox, settle_seconds=0.0, interval=0.01, emit=emit, stop=stop
    )
    assert isinstance(events[0], Watching) and isinstance(events[-1], Stopped)
    assert (totals.files, totals.new) == (1, 15)
    assert "15 new" in events[-1].message()
    line = json.loads(json.dumps(events[1].as_dict()))
    assert line["event"] == "file"
    # the keys ingest --watch --json has always printed are all still there
    assert {"file", "moved_to", "fmt", "new", "duplicate", "quarantined", "error"} <= set(line)


def test_every_event_has_a_message_and_a_json_form() -> None:
    samples: list[WatchEvent] = [
        Watching("/in", 5.0, True),
        FileDone("a.csv", "/in/processed/a.csv", "csv", 2, 1, 1, 0),
        FileDone("a.csv", "/in/failed/a.csv", error="a.csv: is not UTF-8"),
        FileChanged("a.csv", "changed"),
        Unfinished("a.csv", 600.0, "its last line has no line ending yet"),
        NotRead("sub", "is a folder"),
        HubUnavailable("a.csv", "the hub did not answer", 10.0),
        HubAvailable(),
        Stopped(1, 2, 3, 4, 5),
    ]
    for event in samples:
        assert event.message() and "\n" not in event.message()
        assert json.loads(json.dumps(event.as_dict()))["event"] == event.kind
    assert "10 minutes" in samples[4].message()
    other = FileDone("a.csv", "/in/processed/a.csv", "csv", 2, 2, unknown_suppliers={"Acme": 2})
    assert other.message().endswith("not known suppliers (returns count them as OTHER): Acme (2)")
    assert [e.is_result for e in samples[1:3]] == [True, True]
