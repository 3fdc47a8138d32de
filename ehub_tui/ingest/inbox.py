"""The inbox folder as the watcher sees it: which names it leaves alone, what it knows about each
file, listing the folder, reading a file's exact bytes, and moving a read file on.
"""

from __future__ import annotations

import hashlib
import os
import stat as st_mode
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ehub_tui.ingest.reports import FileReport
from ehub_tui.ingest.watch_events import (
    FAILED,
    PROCESSED,
    FileChanged,
    FileDone,
    NotRead,
    WatchEvent,
    log_event,
)

# Names a sender writes under before renaming, editors' and browsers' temporary files, and MESH
# control files (.ctl: the message's envelope; its data comes in the .dat beside it).
SKIPPED_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".swp", ".ctl")

StatFn = Callable[[Path], os.stat_result]
Signature = tuple[int, int, int]  # size, modification time (ns), inode


def is_skipped(name: str) -> bool:
    """True for names the watcher leaves alone: hidden, temporary, partial or MESH control."""
    return name.startswith((".", "~")) or name.lower().endswith(SKIPPED_SUFFIXES)


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


class InboxFolder:
    """The folder side of :class:`~ehub_tui.ingest.watch.InboxWatcher`: listing the inbox,
    saying once why something is not read, reading a file's checked bytes and moving it on.

    The watcher sets these attributes in its ``__init__``; they are declared here for the
    methods below.
    """

    inbox: Path
    processed: Path
    failed: Path
    recursive: bool
    stat: StatFn
    read_bytes: Callable[[Path], bytes]
    emit: Callable[[WatchEvent], None] | None
    recheck: float
    totals: WatchTotals
    _inbox: dict[Path, _Entry]
    _moved: dict[Path, _Entry]
    _told: dict[Path, str]
    _events: list[WatchEvent]

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
                statuses=_statuses(report),
            )
        )


def _statuses(report: object) -> dict[str, int]:
    """What the responses' statuses did in a file (issue 16), those that happened."""
    counts = getattr(report, "status_counts", None)
    return {k: n for k, n in counts().items() if n} if callable(counts) else {}


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
