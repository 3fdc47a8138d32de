"""The local store's SQLite file: where it is, how it is opened, and its transactions.

The same rules as a SQLite hub (store/engine.py): WAL, synchronous=FULL (a committed outcome
survives a power cut), a busy timeout, and every write transaction opens with ``BEGIN IMMEDIATE``
so two writers (the app and its sender thread, or two apps of one account) queue instead of
failing half-way. The file is created 0600 in a 0700 folder: it holds patient data.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from ehub_tui.errors import StoreError

FOLDER = "workstation"
_READ_ONLY = "ehub_local_read_only"
WRITE_WAIT_SECONDS = 30.0


def hub_key(hub: str) -> str:
    """A short name for a hub (its server URL, or the embedded hub's database URL): the local
    file's name, so a workstation that talks to two hubs keeps their data apart."""
    return hashlib.sha256(hub.encode("utf-8")).hexdigest()[:16]


def path_for(data_dir: Path, hub: str) -> Path:
    """``<data_dir>/workstation/<hub key>.sqlite3``."""
    return data_dir / FOLDER / f"{hub_key(hub)}.sqlite3"


def make_private(path: Path) -> None:
    """Create ``path``'s folder (0700) and the file (0600) when they do not exist yet, and
    tighten them when they do (a folder made by hand may be wider)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
    except OSError as exc:
        raise StoreError(
            f"{path}: cannot create this workstation's local store ({exc.strerror or exc})."
        ) from None


def open_engine(path: Path, busy_seconds: float = 5.0) -> Engine:
    """A SQLAlchemy engine on the file with the pragmas above (the file must exist)."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": busy_seconds},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


@contextmanager
def write_tx(engine: Engine, path: Path) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE, asked again while another writer holds the
    lock); commits on success, rolls back on any exception."""
    deadline = time.monotonic() + WRITE_WAIT_SECONDS
    with engine.connect() as conn:
        while True:
            try:
                tx = conn.begin()
                break
            except (OperationalError, sqlite3.OperationalError) as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise StoreError(f"{path}: the local store failed ({exc}).") from None
                if conn.in_transaction():
                    conn.rollback()
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{path}: the local store stayed locked by another program for "
                        f"{WRITE_WAIT_SECONDS:.0f} s; close other ehub-tui windows and try again."
                    ) from None
                time.sleep(random.uniform(0.001, 0.02))
        with tx:
            yield conn


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """One read transaction (deferred: a WAL snapshot that never blocks the writers)."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{_READ_ONLY: True})
        with conn.begin():
            yield conn
