"""No patient identifier reaches a log line: real ingest and watcher runs over the fixtures, the
naughty corpus and files made to tempt a log (an NHS number as a file name, a CSV whose first
line is a patient's record) write a log that is then searched for every name, NHS number, date
of birth, free text and answer they hold."""

from __future__ import annotations

import csv
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ehub_tui.config import Settings
from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.ingest.parsers import detect_format, iter_paths, parse_text, read_text
from ehub_tui.ingest.runner import Ingester
from ehub_tui.ingest.watch import FileDone, InboxWatcher, WatchEvent, run_watch
from ehub_tui.logs import REDACTED, configure_logging, scrub
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
from ehub_tui.store.engine import set_hub_clock
from tests.conftest import FIXTURES, FrozenClock
from tests.hostile.corpus import forbidden
from tests.hostile.hub import consultation_rows, write_inbox
from tests.ingest.conftest import Ticker

# A patient whose details are written where a careless log would pick them up.
TEMPTING = {
    "nhs_number": make_test_nhs_number(4242),
    "given_name": "Philippa",
    "family_name": "Quarterman-Oyelaran",
    "date_of_birth": "1961-07-19",
    "free_text": "Rash on both forearms since the caravan holiday",
}
NAME_NUMBER = make_test_nhs_number(4343)  # a supplier file named by an NHS number
LINE_START = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) ")


@pytest.fixture
def hub(tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[HubService, HubService, Settings]]:
    """A system service and a navigator's on a SQLite hub whose clock the test moves."""
    settings = Settings(
        data_dir=tmp_path / "data", hub_url=f"sqlite:///{tmp_path / 'hubdir' / 'hub.sqlite3'}"
    )
    (tmp_path / "hubdir").mkdir()
    system = HubService.open(settings, None, clock=clock)
    system.import_practices(load_practices(FIXTURES / "practices.yaml"))
    system.add_user("nav1", "navigator", "Nav One")
    nav = HubService.open(settings, "nav1", clock=clock)
    yield system, nav, settings
    nav.close()
    system.close()


def identifiers() -> set[str]:
    """Every name, NHS number, date of birth, free text and answer of the records logged."""
    found: set[str] = set()
    records: list[dict[str, Any]] = [*consultation_rows(), TEMPTING]
    for path in iter_paths([FIXTURES / "oc", FIXTURES / "bad"]):
        try:
            text = read_text(path, max_bytes=10**9)
            records += [r.data for r in parse_text(text, detect_format(path, text), str(path))
                        if r.data]  # fmt: skip
        except Exception:  # an unreadable fixture holds no records to look for
            continue
    for data in records:
        for key in ("given_name", "family_name", "nhs_number", "date_of_birth"):
            if isinstance(data.get(key), str) and len(data[key].strip()) >= 3:
                found.add(data[key].strip())
        free = data.get("free_text")
        if isinstance(free, str) and free.strip():
            found.add(free.strip()[:24])
        answers = data.get("answers")
        if isinstance(answers, str):
            answers = json.loads(answers)
        for value in (answers or {}).values():
            if isinstance(value, str) and len(value) >= 8:
                found.add(value[:24])
    return found


def write_tempting_files(inbox: Path) -> None:
    """A CSV named by an NHS number, and one whose first line is a patient's record."""
    header = (FIXTURES / "oc" / "klinik_export_2026-11-20.csv").read_text().split("\n", 1)[0]
    columns = header.split(",")
    row = {c: "" for c in columns} | TEMPTING | {
        "source": "Klinik", "external_id": "T-1", "practice_ods": "Z99001", "sex": "female",
        "received_at": "2026-11-23T08:00:00Z", "request_type": "clinical",
        "template": "rash", "supplier_flags": "", "answers": "",
    }  # fmt: skip
    for name, with_header in ((f"{NAME_NUMBER}.csv", True), ("no-header.csv", False)):
        with (inbox / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, columns)
            if with_header:
                writer.writeheader()
            writer.writerow(row)


def test_no_identifier_reaches_the_log(
    hub: tuple[HubService, HubService, Settings], tmp_path: Path
) -> None:
    system, nav, settings = hub
    log_file = configure_logging("watch", level="debug", directory=tmp_path / "logs")
    assert log_file is not None

    # 1. a plain ingest of every fixture, good and bad
    Ingester(system, settings=settings).ingest_paths([FIXTURES / "oc", FIXTURES / "bad"])

    # 2. the watcher while the hub is away, then back: the naughty corpus and tempting files
    inbox = tmp_path / "inbox"
    write_inbox(inbox)
    write_tempting_files(inbox)
    ticker = Ticker()
    watcher = InboxWatcher(
        Ingester(system, settings=settings), inbox, settle_seconds=1, clock=ticker
    )
    hub_dir = tmp_path / "hubdir"
    system.engine.dispose()
    hub_dir.rename(tmp_path / "away")
    try:
        watcher.poll_once()
        ticker.advance(2)
        watcher.poll_once()
    finally:
        (tmp_path / "away").rename(hub_dir)
    ticker.advance(60)
    done = [e for e in watcher.poll_once() if isinstance(e, FileDone)]
    assert len(done) == 5

    # 3. run_watch, as `ingest --watch` runs it, returning a claim whose lease ran out
    hub_clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    set_hub_clock(system.engine, hub_clock)
    set_hub_clock(nav.engine, hub_clock)
    claim = nav.claim_next()
    assert claim is not None
    hub_clock.advance(minutes=settings.lease_minutes + 1)
    second = tmp_path / "inbox2"
    second.mkdir()
    (second / "again.csv").write_bytes((inbox / "processed" / "corpus.csv").read_bytes())
    stop = threading.Event()
    timer = threading.Timer(120, stop.set)  # a guard only: the run stops when the file is done
    timer.start()

    def emit(event: WatchEvent) -> None:
        if isinstance(event, FileDone):
            stop.set()

    try:
        run_watch(
            Ingester(system, settings=settings),
            second,
            settle_seconds=0,
            interval=0.05,
            emit=emit,
            stop=stop,
            every_poll=system.rescue_if_due,
        )
    finally:
        timer.cancel()

    text = log_file.read_text(encoding="utf-8")
    lines = text.splitlines()
    # what a log is for: each step is there
    for words in (
        "ingest finished:",
        "not read:",
        "taking corpus.csv",
        "hub not answering, ",
        "the hub answers again",
        "quarantined (",
        "returned 1 expired claim(s) to the queue: item(s) " + str(claim.item_id),
        "watching ",
        "stopped watching: 1 file(s)",
        f"taking {REDACTED}.csv",
        "the CSV file has no header line",
    ):
        assert words in text, words
    # and nothing else: no identifier, no control character, no line forged by a line break
    assert forbidden(text) == []
    assert all(LINE_START.match(line) for line in lines), [
        line for line in lines if not LINE_START.match(line)
    ][:3]
    # without the time, and without the names of the files (the senders' names, rightly logged,
    # which here share words with the records: a fixture's date, a naughty string)
    bodies = "\n".join(LINE_START.sub("", line) for line in lines)
    for path in [*iter_paths([FIXTURES / "oc", FIXTURES / "bad"]), *inbox.rglob("*")]:
        bodies = bodies.replace(scrub(path.name), "<file>")
    leaked = sorted(s for s in identifiers() | {NAME_NUMBER} if s in bodies)
    assert leaked == [], leaked
