"""Engine factory with the SQLite and PostgreSQL rules of docs/architecture.md.

SQLite: WAL, synchronous=FULL, busy_timeout=5000, foreign_keys=ON on every connection, and every
write transaction opens with ``BEGIN IMMEDIATE`` (the pysqlite recipe: the driver's own
transaction handling is switched off and SQLAlchemy's ``begin`` event emits our BEGIN). Read-only
work uses :func:`read_tx`, which opens a deferred transaction so readers never queue behind writers.

PostgreSQL: psycopg 3, READ COMMITTED, no pre-ping (a dropped connection fails one call with a
StoreError and the pool reconnects); the password comes from the OS keyring.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

READ_ONLY = "ehub_read_only"


class StoreError(Exception):
    """A problem with the hub store that a person can act on; the message says what."""


def is_sqlite(engine: Engine | Connection) -> bool:
    """True for a SQLite engine or connection."""
    return engine.dialect.name == "sqlite"


def create_hub_engine(url: str, *, password: str | None = None, echo: bool = False) -> Engine:
    """Create the engine for a hub URL (sqlite:///… or postgresql+psycopg://…)."""
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, echo=echo)
    if backend == "postgresql":
        if sa_url.drivername == "postgresql":
            sa_url = sa_url.set(drivername="postgresql+psycopg")
        if not sa_url.password:
            from ehub_tui.secrets import fetch_password

            pw = password if password is not None else fetch_password(url)
            if pw is not None:
                sa_url = sa_url.set(password=pw)
        return create_engine(
            sa_url,
            echo=echo,
            # No pre-ping: it costs a round trip per checkout. A dropped connection fails one
            # call (reported as a StoreError) and the pool reconnects on the next.
            pool_pre_ping=False,
            pool_recycle=1800,
            pool_size=5,
            max_overflow=5,
            connect_args={"connect_timeout": 10, "application_name": "ehub-tui"},
        )
    raise StoreError(f"unsupported hub URL {url!r}: use sqlite:///path or postgresql+psycopg://…")


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    sa_url = make_url(url)
    db = sa_url.database
    if db and db != ":memory:":
        path = Path(db).expanduser()
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)  # patient data: owner only
        if not path.exists():
            # SQLite gives its -wal and -shm files the database file's permissions
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    engine = create_engine(
        sa_url,
        echo=echo,
        poolclass=NullPool if db in (None, "", ":memory:") else None,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # straight to the driver: this runs for every transaction
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


WRITE_WAIT_SECONDS = 60.0


def begin_write(conn: Connection) -> Any:
    """Begin a write transaction; on SQLite keep asking while the write lock is busy.

    busy_timeout already waits 5 s inside SQLite, but its sleeping retry is not fair: under heavy
    contention one writer can lose the race for longer. BEGIN IMMEDIATE fails before anything is
    done, so asking again is always safe.
    """
    if not is_sqlite(conn):
        return conn.begin()
    deadline = time.monotonic() + WRITE_WAIT_SECONDS
    while True:
        try:
            return conn.begin()
        except (OperationalError, sqlite3.OperationalError) as exc:  # the begin event is raw
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if conn.in_transaction():
                conn.rollback()
            if time.monotonic() > deadline:
                raise StoreError(
                    "the hub database stayed locked by other writers for "
                    f"{WRITE_WAIT_SECONDS:.0f} s; try again"
                ) from exc
            time.sleep(random.uniform(0.001, 0.02))


def _lost_connection(exc: DBAPIError) -> StoreError:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return StoreError(
        "the hub did not answer"
        + (f" ({text[0]})" if text else "")
        + ": check the connection and try again"
    )


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """One short write transaction (BEGIN IMMEDIATE on SQLite); commits on success.

    A dropped or refused connection becomes a StoreError; the pool reconnects next time.
    """
    try:
        with engine.connect() as conn, begin_write(conn):
            yield conn
    except (OperationalError, InterfaceError) as exc:
        raise _lost_connection(exc) from exc


@contextmanager
def read_tx(engine: Engine, *, snapshot: bool = False) -> Iterator[Connection]:
    """One read-only transaction (deferred on SQLite, so it never blocks writers).

    With ``snapshot`` every statement sees the same moment (PostgreSQL REPEATABLE READ; a SQLite
    read transaction in WAL mode is a snapshot already): for reports made of several queries.
    """
    try:
        with engine.connect() as conn:
            options: dict[str, Any] = {READ_ONLY: True}
            if snapshot and not is_sqlite(conn):
                options["isolation_level"] = "REPEATABLE READ"
            conn = conn.execution_options(**options)
            with conn.begin():
                yield conn
    except (OperationalError, InterfaceError) as exc:
        raise _lost_connection(exc) from exc
