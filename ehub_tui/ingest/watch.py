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
import json
import logging
import os
import re
import stat as st_mode
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ehub_tui.errors import FileError, PermissionDenied, StoreError
from ehub_tui.ingest.decode import decode_bytes
from ehub_tui.ingest.gcpause import gc_paused
from ehub_tui.ingest.parsers import NDJSON_SUFFIXES, detect_format, parse_text
from ehub_tui.ingest.runner import FileReport, Ingester, log_file_report

# Names a sender writes under before renaming, editors' and browsers' temporary files, and MESH
# control files (.ctl: the message's envelope; its data comes in the .dat beside it).
SKIPPED_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".swp", ".ctl")
PROCESSED = "processed"
FAILED = "failed"

# Lines say which file, how many records and what state, never what a record holds (and never
# an unexpected error's own text, which may quote one): see ehub_tui.logs.
log = logging.getLogger(__name__)

StatFn = Callable[[Path], os.stat_result]
Clock = Callable[[], float]
Signature = tuple[int, int, int]  # size, modification time (ns), inode


def is_skipped(name: str) -> bool:
    """True for names the watcher leaves alone: hidden, temporary, partial or MESH control."""
    return name.startswith((".", "~")) or name.lower().endswith(SKIPPED_SUFFIXES)


# -- is a file whole? ------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_LINE_ENDS = (b"\n", b"\r")
# CSV records as Python's csv module reads them (comma, double quote, doubled quote as escape,
# text after a closing quote kept): a quoted field runs to its closing quote across line endings;
# a quote inside an unquoted field is literal. Atomic groups and possessive repeats: linear time,
# no backtracking, so a match that stops short of the end means "inside an open quoted value".
_CSV_RECORDS = re.compile(
    rb'(?:(?>"(?:[^"]++|"")*+"[^,\r\n]*+|[^",\r\n][^,\r\n]*+|)(?:,|\r\n?|\n))*+'
)
# The first line of a pretty-printed JSON document ("{" or "[" alone): under an .ndjson name it
# is one document, whole only when it parses (as the ingest reads it).
_PRETTY_START = re.compile(rb"[{\[][ \t]*\r?\n")
# Bytes that text files hardly ever hold (as decode.decode_bytes counts them).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13))


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    return len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > len(sample) // 10


def incomplete_reason(path: Path, data: bytes) -> str | None:
    """Why ``data`` (the bytes of ``path``) is not yet a whole file, or None when it is whole.

    Whole means: an NDJSON file (``.ndjson``, ``.jsonl``) ends with a line ending; another JSON
    file parses as one JSON document (or is NDJSON: its first line parses and it ends with a line
    ending); any other file ends with a line ending that is not inside a quoted CSV value. A file
    the ingest will refuse anyway (empty, blank, binary, UTF-16) counts as whole, so that it goes
    to failed/ with the ingest's reason rather than being waited on for ever (and should its
    sender still write into it there, it is read again).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_binary(data):
        return None
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    stripped = body.lstrip()
    if not stripped:
        return None
    suffix = path.suffix.lower()
    if suffix in NDJSON_SUFFIXES and not _PRETTY_START.match(stripped):
        # one record a line: a bad line is that record's problem (quarantined), not the file's
        return None if body.endswith(_LINE_ENDS) else "its last line has no line ending yet"
    if suffix != ".csv" and stripped[:1] in (b"{", b"["):
        return _json_incomplete(body)
    if not body.endswith(_LINE_ENDS):
        return "its last line has no line ending yet"
    match = _CSV_RECORDS.match(body)
    if match is None or match.end() != len(body):
        return "its last record is inside a quoted value that is not closed yet"
    return None


def _json_incomplete(body: bytes) -> str | None:
    # Invalid UTF-8 is replaced, not refused: the ingest names it; a character cut at the end
    # becomes U+FFFD there, which is never whole JSON nor a line ending.
    text = body.decode("utf-8", errors="replace")
    try:
        json.loads(text, strict=False)  # strict=False: control characters inside strings
        return None
    except RecursionError:
        return None  # too deep to tell here: the ingest reports it
    except ValueError:
        pass
    if not body.endswith(_LINE_ENDS):
        return "it is not yet a whole JSON document, and its last line has no line ending"
    first = text.lstrip().splitlines()[0]
    try:
        json.loads(first, strict=False)
    except (ValueError, RecursionError):
        return "it is not yet a whole JSON document"
    return None  # NDJSON: every line before the last line ending is complete


# -- events ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """Something the watcher did or found; ``message()`` is plain text (print it literally:
    names are the senders' file names), ``as_dict()`` one JSON line."""

    kind: ClassVar[str] = "event"
    # True for a file's outcome (standard output), False for a note (standard error)
    is_result: ClassVar[bool] = False

    def message(self) -> str:
        """One plain-English line."""
        raise NotImplementedError

    def as_dict(self) -> dict[str, Any]:
        """The event for a JSON line: ``{"event": kind, ...fields}``."""
        return {"event": self.kind, **asdict(self)}


@dataclass(frozen=True, slots=True)
class Watching(WatchEvent):
    """The watcher has started."""

    kind: ClassVar[str] = "watching"
    inbox: str
    settle_seconds: float
    recursive: bool = False

    def message(self) -> str:
        """One plain-English line."""
        sub = " and its sub-folders" if self.recursive else ""
        return (
            f"Watching {self.inbox}{sub}: a file is read once it is complete and unchanged for "
            f"{_seconds(self.settle_seconds)} (Ctrl-C to stop)…"
        )


@dataclass(frozen=True, slots=True)
class FileDone(WatchEvent):
    """A file was read: moved to processed/ (``error`` None) or failed/ (``error`` says why).

    The fields are those of the JSON lines ``ingest --watch --json`` has always printed, plus
    ``records`` and ``again`` (True when the file was read again because it grew after it was
    moved on)."""

    kind: ClassVar[str] = "file"
    is_result: ClassVar[bool] = True
    file: str
    moved_to: str
    fmt: str = ""
    records: int = 0
    new: int = 0
    duplicate: int = 0
    quarantined: int = 0
    error: str | None = None
    again: bool = False
    conflicting: int = 0  # of the quarantined: same supplier id, different content
    # sources that are not known suppliers, with their record counts (returns say OTHER)
    unknown_suppliers: dict[str, int] = field(default_factory=dict)

    def message(self) -> str:
        """One plain-English line."""
        if self.error:
            return f"failed: {self.error} → {self.moved_to}"
        again = " (read again: it grew after it was moved)" if self.again else ""
        text = (
            f"{self.file}{again}: {self.new} new, {self.duplicate} duplicate, "
            f"{self.quarantined} quarantined → {PROCESSED}/"
        )
        if self.unknown_suppliers:
            names = ", ".join(f"{k} ({n})" for k, n in self.unknown_suppliers.items())
            text += f"; not known suppliers (returns count them as OTHER): {names}"
        return text


@dataclass(frozen=True, slots=True)
class FileChanged(WatchEvent):
    """A file changed after it was read; it will be read again once complete."""

    kind: ClassVar[str] = "changed"
    file: str
    detail: str

    def message(self) -> str:
        """One plain-English line."""
        return f"{self.file}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Unfinished(WatchEvent):
    """A file has looked unfinished for a long time; it is not taken."""

    kind: ClassVar[str] = "unfinished"
    file: str
    unchanged_seconds: float
    problem: str

    def message(self) -> str:
        """One plain-English line."""
        return (
            f"{self.file}: not read: it has not changed for {_seconds(self.unchanged_seconds)} "
            f"but looks unfinished ({self.problem}). It stays in the inbox and is read when it "
            "is complete; if its sender has stopped, ask for the file to be sent again."
        )


@dataclass(frozen=True, slots=True)
class NotRead(WatchEvent):
    """Something in the inbox the watcher will not read (told once per name)."""

    kind: ClassVar[str] = "not-read"
    name: str
    reason: str

    def message(self) -> str:
        """One plain-English line."""
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True, slots=True)
class HubUnavailable(WatchEvent):
    """The hub could not store a file's records; the file stays and is tried again."""

    kind: ClassVar[str] = "hub-unavailable"
    file: str
    error: str
    retry_seconds: float

    def message(self) -> str:
        """One plain-English line."""
        return (
            f"hub not available, will retry {self.file} in {_seconds(self.retry_seconds)}: "
            f"{self.error}"
        )


@dataclass(frozen=True, slots=True)
class HubAvailable(WatchEvent):
    """The hub answers again after it could not be reached."""

    kind: ClassVar[str] = "hub-available"

    def message(self) -> str:
        """One plain-English line."""
        return "the hub answers again; waiting files are being read"


@dataclass(frozen=True, slots=True)
class Stopped(WatchEvent):
    """The watcher has stopped; totals of the run."""

    kind: ClassVar[str] = "stopped"
    files: int
    new: int
    duplicate: int
    quarantined: int
    failed: int

    def message(self) -> str:
        """One plain-English line."""
        return (
            f"stopped watching: {self.files} file(s) read, {self.new} new, {self.duplicate} "
            f"duplicate, {self.quarantined} quarantined, {self.failed} failed"
        )


def _seconds(s: float) -> str:
    if s >= 120:
        return f"{s / 60:.0f} minutes"
    return f"{s:g} s"


# -- the watcher ---------------------------------------------------------------------------------


class InboxError(Exception):
    """The inbox cannot be watched (it does not exist, or is not a folder)."""


@dataclass(slots=True)
class _Entry:
    """What the watcher knows about one file, in the inbox or moved on."""

    path: Path  # where the file is now
    origin: Path  # where it was in the inbox: names its records and its events
    home: str = ""  # "" (the inbox), PROCESSED or FAILED
    sig: Signature | None = None
    since: float = 0.0  # when ``sig`` was first seen (the clock's time)
    not_whole: Signature | None = None  # the signature last found unfinished
    problem: str = ""
    told_unfinished: float | None = None
    read_sig: Signature | None = None  # moved files: the signature when last read
    until: float = 0.0  # moved files: watched until then
    told_changed: bool = False


@dataclass(slots=True)
class WatchTotals:
    """Files and records handled since the watcher started."""

    files: int = 0
    new: int = 0
    duplicate: int = 0
    quarantined: int = 0
    failed: int = 0


def _signature(st: os.stat_result) -> Signature:
    return st.st_size, st.st_mtime_ns, st.st_ino


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


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


class InboxWatcher:
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
        for path, sig in sorted(found.items()):
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

    # -- looking -------------------------------------------------------------------------------

    def _scan(self) -> dict[Path, Signature]:
        """The inbox's candidate files and their signatures; tells about anything else once."""
        found: dict[Path, Signature] = {}
        seen: set[Path] = set()
        folders = [self.inbox]
        while folders:
            folder = folders.pop()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                seen.add(folder)
                self._tell(folder, f"the folder cannot be listed ({exc.strerror or exc})")
                continue
            for e in entries:
                path = Path(e.path)
                if folder == self.inbox and e.name in (PROCESSED, FAILED):
                    continue
                if is_skipped(e.name):
                    continue
                seen.add(path)
                try:
                    st = self.stat(path)  # follows a symbolic link to what it names
                except FileNotFoundError:
                    if e.is_symlink():
                        self._tell(path, "is a link to something that does not exist; not read")
                    continue  # otherwise gone since it was listed
                except OSError as exc:
                    self._tell(path, f"cannot be examined ({exc.strerror or exc}); not read")
                    continue
                if st_mode.S_ISREG(st.st_mode):
                    found[path] = _signature(st)
                elif st_mode.S_ISDIR(st.st_mode):
                    if self.recursive and not e.is_symlink():
                        folders.append(path)
                    elif self.recursive:
                        self._tell(path, "is a link to a folder; links are not followed")
                    else:
                        self._tell(
                            path,
                            "is a folder; only files directly in the inbox are read (files in "
                            "sub-folders are left alone)",
                        )
                else:
                    self._tell(path, f"is {_kind(st.st_mode)}, not a file; it is left alone")
        for path in [p for p in self._told if p not in seen]:
            del self._told[path]  # gone: if something of that name comes back, say so again
        return found

    def _tell(self, path: Path, reason: str) -> None:
        """Say once per name (and reason) why something in the inbox is not read."""
        if self._told.get(path) != reason:
            self._told[path] = reason
            self._say(NotRead(self._name(path), reason))

    def _name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.inbox))
        except ValueError:
            return str(path)

    def _say(self, event: WatchEvent) -> None:
        log_event(event)
        self._events.append(event)
        if self.emit is not None:
            self.emit(event)

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
                    f"{self.max_file_bytes:,} (max_file_bytes); it was not read"
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
        if report.new:
            self._screen_pending = True
            self._run_after_store(now)
        digest = hashlib.sha256(data).digest()
        if not self._unchanged(entry, sig, digest):
            return True
        self._place(entry, report, sig, digest, now)
        return True

    def _read(self, entry: _Entry, sig: Signature) -> bytes | None:
        """The file's bytes if they are what ``sig`` describes; None if it cannot be read now."""
        try:
            data = self.read_bytes(entry.path)
            after = _signature(self.stat(entry.path))
        except FileNotFoundError:
            return None  # gone: the next scan forgets it
        except OSError as exc:
            self._tell(
                entry.path,
                f"cannot be read ({exc.strerror or exc}); it stays and is tried again",
            )
            return None
        if self._told.get(entry.path, "").startswith("cannot be read"):
            del self._told[entry.path]  # readable now
        if after != sig or len(data) != sig[0]:
            entry.sig = None  # written to while we read it: start settling again
            return None
        return data

    def _unchanged(self, entry: _Entry, sig: Signature, digest: bytes) -> bool:
        """Check, just before moving, that the file is still exactly what was read."""
        try:
            now_sig = _signature(self.stat(entry.path))
            same = now_sig == sig and hashlib.sha256(self.read_bytes(entry.path)).digest() == digest
        except FileNotFoundError:
            self._forget(entry)
            self._say(
                FileChanged(
                    self._name(entry.origin),
                    "was taken away before it could be moved on (the records read from it are "
                    "stored)",
                )
            )
            return False
        except OSError:
            same = False
        if not same:
            entry.sig = None  # read again once complete; duplicates are dropped by the store
            entry.not_whole = None
            self._say(
                FileChanged(
                    self._name(entry.origin),
                    "changed while it was being read; it will be read again when it is complete",
                )
            )
        return same

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

    def _forget(self, entry: _Entry) -> None:
        if entry.home:
            self._moved.pop(entry.path, None)
        else:
            self._inbox.pop(entry.path, None)

    def _place(
        self,
        entry: _Entry,
        report: FileReport,
        sig: Signature,
        digest: bytes | None,
        now: float,
    ) -> None:
        """Move a file that has been read to processed/ or failed/ and keep watching it."""
        home = FAILED if report.error else PROCESSED
        again = bool(entry.home)
        dest = entry.path
        try:
            if entry.home != home:
                root = self.failed if report.error else self.processed
                folder = root / entry.origin.parent.relative_to(self.inbox)
                folder.mkdir(parents=True, exist_ok=True)
                dest = _free_name(folder, entry.origin.name)
                # rename, never copy: a sender still holding the file open keeps writing into
                # it in its new place, where it is watched (a copy would lose those writes)
                os.rename(entry.path, dest)
                if entry.home == FAILED:
                    entry.path.with_name(entry.path.name + ".reason.txt").unlink(missing_ok=True)
            if report.error:
                dest.with_name(dest.name + ".reason.txt").write_text(
                    report.error + "\n", encoding="utf-8"
                )
        except OSError as exc:
            self._tell(
                entry.path,
                f"could not be moved to {home}/ ({exc.strerror or exc}); its records are "
                "stored and it will be read again",
            )
            entry.sig = None
            return
        self._forget(entry)
        moved = _Entry(path=dest, origin=entry.origin, home=home, sig=sig, since=now)
        moved.read_sig = sig  # a rename keeps size, modification time and inode
        moved.until = now + self.recheck
        self._moved[dest] = moved
        t = self.totals
        t.files += 1
        t.new += report.new
        t.duplicate += report.duplicate
        t.quarantined += report.quarantined
        t.failed += 1 if report.error else 0
        self._say(
            FileDone(
                file=self._name(entry.origin),
                moved_to=str(dest),
                fmt=report.fmt,
                records=report.records,
                new=report.new,
                duplicate=report.duplicate,
                quarantined=report.quarantined,
                error=report.error,
                again=again,
                # reported by ingest runners that know them (conflicting duplicates, suppliers)
                conflicting=getattr(report, "conflicting", 0),
                unknown_suppliers=dict(getattr(report, "unknown_suppliers", None) or {}),
            )
        )


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or with a number added (``x.1.csv``) when that name is taken."""
    dest = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 0
    while dest.exists() or dest.is_symlink():
        n += 1
        dest = folder / f"{stem}.{n}{suffix}"
    return dest


def _kind(mode: int) -> str:
    if st_mode.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if st_mode.S_ISSOCK(mode):
        return "a socket"
    if st_mode.S_ISCHR(mode) or st_mode.S_ISBLK(mode):
        return "a device"
    return "something other than a file"


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


def log_event(event: WatchEvent) -> None:
    """One log line for a watcher event: names, counts and states; a failed file's reason is
    logged where it is found (a file error), never an unexpected error's text."""
    if isinstance(event, Watching):
        log.info(
            "watching %s (settle %g s%s)",
            event.inbox,
            event.settle_seconds,
            ", sub-folders too" if event.recursive else "",
        )
    elif isinstance(event, FileDone) and event.error:
        log.warning(
            "%s could not be read → %s (the reason is in %s.reason.txt)",
            event.file,
            event.moved_to,
            Path(event.moved_to).name,
        )
    elif isinstance(event, FileDone):
        others = sum(event.unknown_suppliers.values())
        log.info(
            "%s%s: %d record(s): %d new, %d duplicate, %d quarantined (%d conflicting)%s → %s/",
            event.file,
            " (read again)" if event.again else "",
            event.records,
            event.new,
            event.duplicate,
            event.quarantined,
            event.conflicting,
            f"; {others} from sources that are not known suppliers" if others else "",
            PROCESSED,
        )
    elif isinstance(event, HubUnavailable):
        log.warning(
            "hub not answering, %s waits (retry in %g s): %s",
            event.file,
            event.retry_seconds,
            event.error,
        )
    elif isinstance(event, HubAvailable):
        log.info("the hub answers again")
    elif isinstance(event, Unfinished):
        log.info(
            "%s: unchanged for %.0f s but unfinished (%s); not taken",
            event.file,
            event.unchanged_seconds,
            event.problem,
        )
    elif isinstance(event, FileChanged):
        log.info("%s: %s", event.file, event.detail)
    elif isinstance(event, NotRead):
        log.info("%s: %s", event.name, event.reason)
    elif isinstance(event, Stopped):
        log.info(
            "stopped watching: %d file(s), %d new, %d duplicate, %d quarantined, %d failed",
            event.files,
            event.new,
            event.duplicate,
            event.quarantined,
            event.failed,
        )
