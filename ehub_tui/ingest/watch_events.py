"""What the inbox watcher says: one event class per kind, and the log line for each.

Events name files, counts and states, never what a record holds.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

# The folders inside the inbox that a read file is moved to (events and their lines name them).
PROCESSED = "processed"
FAILED = "failed"

# Lines say which file, how many records and what state, never what a record holds: see
# ehub_tui.logs. The watcher's lines keep one logger name, whichever of its modules writes them.
log = logging.getLogger("ehub_tui.ingest.watch")


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
    # issue 16: what the responses' statuses did, those that happened (waiting, stopped,
    # withdrawn, withdrawn_unknown, amended, flagged; ingest/reports.py); a file of only
    # waiting or withdrawn records is read and moved to processed/ like any other
    statuses: dict[str, int] = field(default_factory=dict)

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
        if self.statuses:
            from ehub_tui.ingest.reports import STATUS_WORDS

            text += "; " + ", ".join(
                f"{n} {STATUS_WORDS.get(k, k)}" for k, n in self.statuses.items()
            )
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
        statuses = ", ".join(f"{n} {k}" for k, n in event.statuses.items())
        log.info(
            "%s%s: %d record(s): %d new, %d duplicate, %d quarantined (%d conflicting)%s%s → %s/",
            event.file,
            " (read again)" if event.again else "",
            event.records,
            event.new,
            event.duplicate,
            event.quarantined,
            event.conflicting,
            f"; {others} from sources that are not known suppliers" if others else "",
            f"; statuses: {statuses}" if statuses else "",
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
