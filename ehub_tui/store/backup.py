"""Backups of a SQLite hub and the check every backup gets before it is called one.

A SQLite hub is copied with SQLite's online backup API (``sqlite3.Connection.backup``): one read
transaction, so the copy is one consistent moment even while the hub server writes (in WAL mode a
reader never blocks a writer). The copy is written beside its final name, switched to a rollback
journal (a single self-contained file), flushed, and only then renamed into place, mode 0600.

A backup is *verified* by opening the copy read-only and checking, touching nothing:
``PRAGMA integrity_check``, the schema revision, and the same audit check ``ehub-tui audit
verify`` runs (the chain, the signed checkpoints, every covered row against the chain) — without
the live hub's anchor (a backup rightly ends before the hub's newest checkpoint). PostgreSQL
dumps are in :mod:`ehub_tui.store.backup_pg`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ehub_tui.errors import StoreError
from ehub_tui.store import migrate
from ehub_tui.store import verify as hub_verify

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


@dataclass
class BackupReport:
    """What a backup or a verify found: the file, its size, what it holds and whether it holds."""

    file: str
    engine: str  # sqlite | postgresql
    bytes: int = 0
    revision: str | None = None
    integrity: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    restored_to: str | None = None

    @property
    def verified(self) -> bool:
        """True when every check held."""
        return not self.problems and bool(self.audit.get("ok"))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "file": self.file,
            "engine": self.engine,
            "bytes": self.bytes,
            "revision": self.revision,
            "integrity": self.integrity,
            "counts": dict(self.counts),
            "audit": dict(self.audit),
            "verified": self.verified,
            "problems": list(self.problems),
            "restored_to": self.restored_to,
        }


def stamp(at: datetime) -> str:
    """A file-name timestamp in UTC: 20261206T014500Z."""
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def sqlite_file(url: str) -> Path:
    """The file a ``sqlite:///`` URL names."""
    db = make_url(url).database
    if not db or db == ":memory:":
        raise StoreError("this hub is an in-memory SQLite database: there is no file to back up")
    return Path(db).expanduser()


def kind_of(path: Path) -> str:
    """ "sqlite" or "postgresql" from a file's first bytes (a plain sentence otherwise)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise StoreError(f"{path}: no such file") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise StoreError(
        f"{path} is neither a SQLite hub file nor a PostgreSQL custom-format dump "
        "(pg_dump --format=custom)"
    )


def private_dir(folder: Path) -> Path:
    """Make ``folder`` (owner-only when new) and return it resolved."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot make the backup folder {folder}: {exc.strerror or exc}") from None
    if not folder.is_dir():
        raise StoreError(f"{folder} is not a folder")
    return folder.resolve()


def fresh_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (refused if it exists: a backup never overwrites)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        raise StoreError(f"{path} already exists: a backup never overwrites a file") from None


def fsync_path(path: Path, directory: bool = False) -> None:
    """Flush a file (or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into the (new, empty) file ``target``."""
    try:
        src = sqlite3.connect(source, timeout=30)
    except sqlite3.Error as exc:
        raise StoreError(f"{source} cannot be opened: {exc}") from None
    try:
        dst = sqlite3.connect(target)
        try:
            # all pages in one step: one read transaction, one consistent moment (a WAL reader
            # never blocks the hub's writers, and a step-wise copy would restart on each write)
            src.backup(dst)
            # one self-contained file: no -wal beside it to lose when the copy is moved
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.commit()
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise StoreError(f"copying {source} failed: {exc}") from None
    finally:
        src.close()


def backup_sqlite(source: Path, folder: Path, at: datetime) -> Path:
    """Copy the SQLite hub ``source`` into ``folder`` as ``hub-<UTC stamp>.sqlite3`` (0600)."""
    if not source.is_file():
        raise StoreError(f"there is no hub database at {source}")
    folder = private_dir(folder)
    final = folder / f"hub-{stamp(at)}.sqlite3"
    if final.exists():
        raise StoreError(f"{final} already exists: a backup never overwrites a file")
    partial = folder / f".{final.name}.partial"
    partial.unlink(missing_ok=True)  # a copy a crash left half-written
    fresh_file(partial)
    try:
        _copy(source, partial)
        fsync_path(partial)
        os.replace(partial, final)
        fsync_path(folder, directory=True)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


@contextmanager
def read_only(path: Path) -> Iterator[Connection]:
    """A read-only SQLAlchemy connection on a SQLite file that changes nothing in it (no journal
    mode switch, no -wal made): for verifying a copy."""
    uri = f"sqlite:///{path.resolve().as_uri()}?mode=ro&uri=true"
    engine = create_engine(uri, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # one explicit read transaction below

    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()


def counts(conn: Connection) -> dict[str, int]:
    """What a hub copy holds: items, outcomes, audit events."""
    found: dict[str, int] = {}
    for name, table in (
        ("consultations", "consultation"),
        ("outcomes", "outcome"),
        ("audit_events", "audit_event"),
    ):
        found[name] = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    return found


def check_hub(conn: Connection, report: BackupReport, trust: hub_verify.Trust) -> None:
    """The revision, the counts and ``audit verify`` of an open hub copy, into ``report``."""
    try:
        report.revision = migrate.current_revision(conn)
    except Exception as exc:  # an unreadable schema is a finding, not a crash
        report.problems.append(f"the schema cannot be read: {exc}")
        return
    if report.revision is None:
        report.problems.append("it holds no hub (no schema revision)")
        return
    if report.revision not in migrate._known_revisions():
        report.problems.append(
            f"its schema is at revision {report.revision}, newer than this ehub-tui knows "
            f"({migrate.HEAD})"
        )
        return
    report.counts = counts(conn)
    result = hub_verify.verify_hub(conn, trust.keys, None, None)
    report.audit = result.as_dict()
    if not result.ok:
        report.problems.append(f"audit verify: {result.reason}")


def verify_sqlite(path: Path, trust: hub_verify.Trust) -> BackupReport:
    """Open the SQLite file read-only and check it (integrity, revision, audit); touches nothing."""
    report = BackupReport(str(path), "sqlite", bytes=path.stat().st_size)
    try:
        with read_only(path) as conn:
            rows = conn.exec_driver_sql("PRAGMA integrity_check").all()
            report.integrity = "; ".join(str(r[0]) for r in rows[:5])
            if report.integrity != "ok":
                report.problems.append(f"PRAGMA integrity_check: {report.integrity}")
            check_hub(conn, report, trust)
    except Exception as exc:  # a damaged or foreign file: say so, never a traceback
        if isinstance(exc, StoreError):
            raise
        report.problems.append(f"it cannot be read as a SQLite hub: {str(exc).splitlines()[0]}")
    return report


def is_empty_sqlite(path: Path) -> bool:
    """True when ``path`` is missing, empty, or a SQLite file with no tables."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    try:
        with read_only(path) as conn:
            n = conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).scalar_one()
    except Exception:
        return False  # unreadable: not known to be empty, so never overwritten without --force
    return int(n) == 0


def restore_sqlite(source: Path, target: Path, *, force: bool) -> None:
    """Copy the SQLite backup ``source`` to the hub file ``target`` (new, empty, or ``force``).

    Written beside the target and renamed over it, so a failed restore leaves the target as it
    was: the old target's -wal is checkpointed into it first (refused while the hub has it open),
    and only after the rename are its stale -wal and -shm removed (they belong to the old file).
    """
    if target.exists() and not force and not is_empty_sqlite(target):
        raise StoreError(
            f"{target} already holds a database: restore only into a new or empty one, or add "
            "--force to replace it (stop the hub first)"
        )
    folder = private_dir(target.parent)
    partial = folder / f".{target.name}.restoring"
    partial.unlink(missing_ok=True)
    fresh_file(partial)
    try:
        _copy(source, partial)
        fsync_path(partial)
        _checkpoint(target)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    # after the rename: a failed rename above leaves the old hub whole, with its WAL folded in
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    fsync_path(folder, directory=True)


def _checkpoint(target: Path) -> None:
    """Fold the old hub's -wal into its file, so that it holds every committed change even
    if the rename over it fails (a -wal left beside the new file is removed after it)."""
    wal = Path(f"{target}-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return
    try:
        db = sqlite3.connect(target, timeout=5)
    except sqlite3.Error:
        return  # not a database it can open: nothing of its WAL to keep
    try:
        busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            return  # a damaged old hub: --force replaces it as it is
        busy = (1,)
    finally:
        db.close()
    if busy is not None and busy[0]:
        raise StoreError(
            f"{target} is in use (its recent changes could not be written into it): stop every "
            "ehub-tui process on the hub, then restore"
        )


def describe(problems: Sequence[str]) -> str:
    """Problems as one sentence."""
    return "; ".join(problems)
