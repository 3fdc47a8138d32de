"""Watch an inbox folder and ingest each file once it is complete, so no record is ever lost.

A sender may still be writing a file when the watcher first sees it, may pause for a while at
any byte, and may keep writing after a pause that looked like the end. The rules:

- A file is taken only when it is *complete*: its size, modification time and inode have not
  changed for the settle period (``watch_settle_seconds``) AND it is *whole*: a CSV or NDJSON
  file ends with a line ending outside any quoted value, and a JSON file parses as JSON (see
  :func:`incomplete_reason`). So a record without its line ending is never stored: a row cut at
  "urg" of "urgent" is not read until the rest of it has arrived.
- The watcher ingests exactly the bytes it checked (never the file re-read by name), and checks
  again before moving it: if the size, modification time or content hash differ, the file is
  read again once it is complete. Records read twice are dropped as duplicates by the store's
  (source, id) rule and an open quarantine entry is not repeated, so reading again is safe.
- A file goes to ``processed/`` only when every record in it is stored or quarantined; one that
  cannot be read at all goes to ``failed/`` with ``NAME.reason.txt`` beside it. If the hub cannot
  be reached the file stays where it is and is tried again.
- A file moved on is still watched for ``recheck_seconds``: a sender that kept its file open
  writes into the moved file, and what it adds is read from there (nothing stays unread in
  ``processed/``).
- ``*.part``, ``*.partial``, ``*.tmp``, ``*.crdownload``, ``*.swp``, MESH ``*.ctl`` files and
  names starting ``.`` or ``~`` are left alone (senders should write under such a name and
  rename). The inbox is one folder: sub-folders are read only with ``recursive=True``; anything
  else found there (a sub-folder, socket, FIFO, device, a file that cannot be read) is named once
  in a plain message and left alone.
- A file that stays unfinished (no final line ending, not yet whole JSON) for ``unfinished_after``
  seconds is reported, then again every ``unfinished_every`` seconds, but never taken.

Tests drive :class:`InboxWatcher` with an injected clock and call :meth:`InboxWatcher.poll_once`;
the CLI calls :func:`run_watch`, which polls until stopped and hands every :class:`WatchEvent` to
a callback that prints it as text or a JSON line.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ehub_tui.errors import FileError, PermissionDenied, StoreError
from ehub_tui.ingest.decode import decode_bytes
from ehub_tui.ingest.fhir_refs import INDEXED_TYPES, bulk_type
from ehub_tui.ingest.gcpause import gc_paused
from ehub_tui.ingest.inbox import InboxFolder, Signature, StatFn, _Entry, _read_bytes, _signature
from ehub_tui.ingest.inbox import WatchTotals as WatchTotals
from ehub_tui.ingest.inbox import is_skipped as is_skipped
from ehub_tui.ingest.parsers import detect_format, parse_text
from ehub_tui.ingest.reports import FileReport
from ehub_tui.ingest.runner import Ingester, log_file_report
from ehub_tui.ingest.watch_events import FAILED, PROCESSED, log_event
from ehub_tui.ingest.watch_events import FileChanged as FileChanged
from ehub_tui.ingest.watch_events import FileDone as FileDone
from ehub_tui.ingest.watch_events import HubAvailable as HubAvailable
from ehub_tui.ingest.watch_events import HubUnavailable as HubUnavailable
from ehub_tui.ingest.watch_events import NotRead as NotRead
from ehub_tui.ingest.watch_events import Stopped as Stopped
from ehub_tui.ingest.watch_events import Unfinished as Unfinished
from ehub_tui.ingest.watch_events import WatchEvent as WatchEvent
from ehub_tui.ingest.watch_events import Watching as Watching
from ehub_tui.ingest.whole import incomplete_reason as incomplete_reason

# Lines say which file, how many records and what state, never what a record holds (and never
# an unexpected error's own text, which may quote one): see ehub_tui.logs.
log = logging.getLogger(__name__)

Clock = Callable[[], float]


class InboxError(Exception):
    """The inbox cannot be watched (it does not exist, or is not a folder)."""


def ingest_snapshot(ingester: Ingester, path: Path, data: bytes, source_file: str) -> FileReport:
    """Ingest ``data``, the bytes of ``path`` as the watcher checked them, as
    :meth:`Ingester.ingest_file` ingests a file; records name ``source_file`` (the file's place
    in the inbox, also when it is read again from processed/, so quarantine entries match).

    ``ingest_file`` reads the file by name itself, which could see bytes a sender added after
    the watcher found the file whole; so the same steps are done here on the checked bytes.
    """
    fr = FileReport(source_file)
    ingester._practices = None  # as ingest_file: practices may be added while watching
    try:
        text = decode_bytes(data, source_file)
        fr.fmt = detect_format(path, text)
        records = list(parse_text(text, fr.fmt, source_file))
    except FileError as exc:
        fr.error = str(exc)  # names the file and the problem, never a record's contents
        log.info("not read: %s", fr.error)
        return fr
    fr.records = len(records)
    with gc_paused():  # as ingest_file: no cycles are made here
        ingester.store_records(records, source_file, fr)
    log_file_report(fr)
    return fr


class InboxWatcher(InboxFolder):
    """Ingests the files of one inbox folder as they become complete; see the module's rules.

    ``clock`` returns monotonic seconds and ``stat`` stats a path (both injectable so tests drive
    the watcher step by step); ``emit`` receives every event as it happens (``poll_once`` also
    returns them). ``after_store`` runs after a file brought new consultations (the CLI screens
    them for red flags); if it cannot reach the hub it runs again at the next poll.
    """

    def __init__(
        self,
        ingester: Ingester,
        inbox: Path,
        *,
        settle_seconds: float,
        clock: Clock = time.monotonic,
        stat: StatFn = os.stat,
        emit: Callable[[WatchEvent], None] | None = None,
        recursive: bool = False,
        max_file_bytes: int | None = None,
        after_store: Callable[[], object] | None = None,
        recheck_seconds: float = 600.0,
        unfinished_after: float = 600.0,
        unfinished_every: float = 3600.0,
        hub_retry_seconds: float = 10.0,
        read_bytes: Callable[[Path], bytes] = _read_bytes,
    ) -> None:
        inbox = Path(inbox)
        if not inbox.is_dir():
            what = "is not a folder" if inbox.exists() else "does not exist"
            raise InboxError(f"{inbox}: inbox folder {what}")
        self.ingester = ingester
        self.inbox = inbox
        self.processed = inbox / PROCESSED
        self.failed = inbox / FAILED
        self.processed.mkdir(exist_ok=True)
        self.failed.mkdir(exist_ok=True)
        self.settle = settle_seconds
        self.clock = clock
        self.stat = stat
        self.emit = emit
        self.recursive = recursive
        self.max_file_bytes = max_file_bytes
        self.after_store = after_store
        self.recheck = recheck_seconds
        self.unfinished_after = unfinished_after
        self.unfinished_every = unfinished_every
        self.hub_retry = hub_retry_seconds
        self.read_bytes = read_bytes
        self.totals = WatchTotals()
        self._inbox: dict[Path, _Entry] = {}
        self._moved: dict[Path, _Entry] = {}
        self._told: dict[Path, str] = {}
        self._hub_wait_until: float | None = None
        self._hub_told_at: float | None = None
        self._screen_pending = False
        self._events: list[WatchEvent] = []

    # -- public --------------------------------------------------------------------------------

    def poll_once(self) -> list[WatchEvent]:
        """Look at the inbox (and the files recently moved on) once; ingest what is complete.

        Returns the events of this poll (each was also passed to ``emit``)."""
        self._events = []
        now = self.clock()
        if self._hub_wait_until is not None and now < self._hub_wait_until:
            hub_ready = False
        else:
            hub_ready = True
            if self._screen_pending:
                self._run_after_store(now)
        found = self._scan()
        for path in [p for p in self._inbox if p not in found]:
            del self._inbox[path]  # taken away (or renamed) by someone else
        waiting_exports = _export_folders_waiting(found)
        for path, sig in sorted(found.items()):
            if path.parent in waiting_exports and bulk_type(path.name) in INDEXED_TYPES:
                continue  # a Bulk export's Patients stay until its responses have been read
            entry = self._inbox.get(path)
            if entry is None:
                entry = self._inbox[path] = _Entry(path=path, origin=path)
            hub_ready = self._step(entry, sig, now, hub_ready)
        for entry in list(self._moved.values()):
            hub_ready = self._step_moved(entry, now, hub_ready)
        return self._events

    def pending(self) -> list[Path]:
        """Files not yet completely read: every file waiting in the inbox, and every moved file
        that has changed since it was read."""
        waiting = list(self._inbox)
        for entry in self._moved.values():
            try:
                sig = _signature(self.stat(entry.path))
            except OSError:
                continue
            if sig != entry.read_sig:
                waiting.append(entry.path)
        return waiting

    # -- one file --------------------------------------------------------------------------------

    def _step_moved(self, entry: _Entry, now: float, hub_ready: bool) -> bool:
        """A file moved to processed/ or failed/: read it again if it changed since."""
        try:
            sig = _signature(self.stat(entry.path))
        except OSError:
            del self._moved[entry.path]  # taken away: nothing more to watch
            return hub_ready
        if sig == entry.read_sig:
            if now >= entry.until:
                del self._moved[entry.path]
            return hub_ready
        if not entry.told_changed:
            entry.told_changed = True
            self._say(
                FileChanged(
                    self._name(entry.origin),
                    f"changed after it was moved to {entry.home}/ (its sender was still writing "
                    "to it); it will be read again when it is complete",
                )
            )
        entry.until = now + self.recheck
        return self._step(entry, sig, now, hub_ready)

    def _step(self, entry: _Entry, sig: Signature, now: float, hub_ready: bool) -> bool:
        """Move one file on as far as it can go now; returns whether the hub may be tried."""
        if sig != entry.sig:
            entry.sig, entry.since = sig, now  # new or still changing: look again later
            entry.told_unfinished = None
            return hub_ready
        if now - entry.since < self.settle:
            return hub_ready
        if entry.not_whole == sig:
            self._maybe_tell_unfinished(entry, now)
            return hub_ready
        if not hub_ready:
            return False
        if self.max_file_bytes is not None and sig[0] > self.max_file_bytes:
            report = FileReport(
                str(entry.origin),
                error=(
                    f"{entry.origin}: the file is {sig[0]:,} bytes, more than the limit of "
                    f"{self.max_file_bytes:,} (max_file_bytes); it was not read (the watcher "
                    "reads a file whole; `ehub-tui ingest FILE` reads NDJSON, CSV and FHIR "
                    "Bundles a record at a time, up to max_streamed_file_bytes)"
                ),
            )
            self._place(entry, report, sig, None, now)
            return True
        data = self._read(entry, sig)
        if data is None:
            return hub_ready
        problem = incomplete_reason(entry.path, data)
        if problem is not None:
            entry.not_whole, entry.problem = sig, problem
            self._maybe_tell_unfinished(entry, now)
            return hub_ready
        log.info("taking %s (%d bytes)", self._name(entry.path), len(data))
        try:
            report = ingest_snapshot(self.ingester, entry.path, data, str(entry.origin))
        except PermissionDenied:
            log.error("this user may not ingest: the watcher stops")
            raise  # the user may not ingest: no file will ever succeed, so stop
        except StoreError as exc:
            self._hub_down(entry, exc, now)
            return False
        except Exception as exc:  # one bad file never stops the watcher
            # the type only: an unexpected error's text may quote what the file holds
            log.warning(
                "%s: reading it failed unexpectedly (%s); it goes to %s/",
                self._name(entry.origin),
                type(exc).__name__,
                FAILED,
            )
            report = FileReport(
                str(entry.origin), error=f"{entry.origin}: {type(exc).__name__}: {exc}"
            )
        self._hub_wait_until = None
        if self._hub_told_at is not None:
            self._hub_told_at = None
            self._say(HubAvailable())
        if report.new or report.duplicate:  # a patient's reply is taken as a duplicate:
            # screened with its request all the same (store.awaiting)
            self._screen_pending = True
            self._run_after_store(now)
        digest = hashlib.sha256(data).digest()
        if not self._unchanged(entry, sig, digest):
            return True
        self._place(entry, report, sig, digest, now)
        return True

    def _maybe_tell_unfinished(self, entry: _Entry, now: float) -> None:
        unchanged = now - entry.since
        if unchanged < self.unfinished_after:
            return
        if entry.told_unfinished is not None and now - entry.told_unfinished < (
            self.unfinished_every
        ):
            return
        entry.told_unfinished = now
        self._say(Unfinished(self._name(entry.origin), unchanged, entry.problem))

    def _hub_down(self, entry: _Entry, exc: StoreError, now: float) -> None:
        self._hub_wait_until = now + self.hub_retry
        # said when the hub is first missed, then every few minutes while it stays away
        if self._hub_told_at is None or now - self._hub_told_at >= 300:
            self._hub_told_at = now
            self._say(HubUnavailable(self._name(entry.origin), str(exc), self.hub_retry))

    def _run_after_store(self, now: float) -> None:
        if self.after_store is None:
            self._screen_pending = False
            return
        try:
            self.after_store()
            self._screen_pending = False
        except PermissionDenied:
            raise
        except StoreError:
            log.info("screening new consultations waits for the hub (their records are stored)")
            self._hub_wait_until = now + self.hub_retry  # records are stored; screen later


def _export_folders_waiting(found: dict[Path, Signature]) -> set[Path]:
    """Folders holding a Bulk Data export's QuestionnaireResponse file still in the inbox: the
    Patient and Organization files beside it are what its records are joined with, so they are
    not moved on before it (a response read after its patients had gone would be quarantined)."""
    return {p.parent for p in found if (bulk_type(p.name) or "").lower() == "questionnaireresponse"}


def run_watch(
    ingester: Ingester,
    inbox: Path,
    *,
    settle_seconds: float,
    interval: float,
    emit: Callable[[WatchEvent], None],
    stop: threading.Event | None = None,
    recursive: bool = False,
    max_file_bytes: int | None = None,
    after_store: Callable[[], object] | None = None,
    every_poll: Callable[[], object] | None = None,
    clock: Clock = time.monotonic,
) -> WatchTotals:
    """Watch ``inbox`` until ``stop`` is set (or Ctrl-C), polling every ``interval`` seconds.

    Every event goes to ``emit``: a :class:`Watching` first and a :class:`Stopped` last. Raises
    :class:`InboxError` when the inbox is not a folder, and PermissionDenied when the user may
    not ingest. Returns the totals. ``every_poll`` runs after each scan (the CLI passes the
    hub's lease-expiry rescue, which limits itself); its StoreError is left to the next scan.
    """
    watcher = InboxWatcher(
        ingester,
        inbox,
        settle_seconds=settle_seconds,
        clock=clock,
        emit=emit,
        recursive=recursive,
        max_file_bytes=max_file_bytes,
        after_store=after_store,
    )
    started = Watching(str(inbox), settle_seconds, recursive)
    log_event(started)
    emit(started)
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            watcher.poll_once()
            if every_poll is not None:
                # the hub not answering is reported by the scan itself
                with contextlib.suppress(StoreError):
                    _log_rescued(every_poll())
            stop.wait(interval)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a person stops the watcher: a normal end
    t = watcher.totals
    stopped = Stopped(t.files, t.new, t.duplicate, t.quarantined, t.failed)
    log_event(stopped)
    emit(stopped)
    return t


def _log_rescued(result: object) -> None:
    """Log the claims ``every_poll`` returned to the queue (the CLI passes the lease rescue,
    which returns the item ids)."""
    if isinstance(result, list | tuple) and result:
        ids = ", ".join(str(i) for i in result[:20]) + (" …" if len(result) > 20 else "")
        log.info("returned %d expired claim(s) to the queue: item(s) %s", len(result), ids)
