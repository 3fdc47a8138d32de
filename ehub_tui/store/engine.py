"""Engine factory with the SQLite and PostgreSQL rules of docs/architecture.md.

SQLite: WAL, synchronous=FULL, busy_timeout (``sqlite_busy_timeout_seconds``), foreign_keys=ON on
every connection, and every write transaction opens with ``BEGIN IMMEDIATE`` (the pysqlite recipe:
the driver's own transaction handling is switched off and SQLAlchemy's ``begin`` event emits our
BEGIN). Read-only work uses :func:`read_tx`, which opens a deferred transaction so readers never
queue behind writers.

PostgreSQL: psycopg 3, READ COMMITTED, no pre-ping (a dropped connection fails one call with a
StoreError and the pool reconnects); the password comes from the OS keyring. Every connection has
a connect timeout, TCP keepalives, TCP_USER_TIMEOUT and a server-side statement timeout, and every
wait for the server is watched on the client (store/watchdog.py): a server that stops answering
altogether (a frozen host: the TCP connection stays open, nothing answers, so neither the statement
timeout nor the kernel's keepalives ever fire) is reported as a StoreError within seconds.

The hub's clock: leases are judged by the database's clock, never a workstation's
(:func:`hub_now`, :func:`hub_now_sql`). PostgreSQL's is ``clock_timestamp()``; a SQLite hub is on
one host, so its clock is that machine's clock read by the store (injectable for tests with
``hub_clock``, separately from any service's clock).
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, literal, literal_column
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

from ehub_tui.errors import StoreError as StoreError  # (leaf errors module; re-exported)
from ehub_tui.store.watchdog import NOT_ANSWERING, STATEMENT_GRACE, Guard, guarded_connection_class

READ_ONLY = "ehub_read_only"
HUB_CLOCK = "ehub_hub_clock"  # engine execution option: the SQLite hub's clock (tests inject one)


def utcnow() -> datetime:
    """Aware UTC now: the machine's clock (a SQLite hub's clock unless a test injects one)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long the store waits for the hub (from the settings of the same names).

    ``statement_seconds=None`` turns the server's statement timeout off (schema migrations, which
    may rightly run for minutes on a large hub); the client still notices a frozen server.
    """

    connect_seconds: int = 5
    statement_seconds: int | None = 8
    sqlite_busy_seconds: int = 5

    @classmethod
    def from_settings(cls, settings: Any) -> Timeouts:
        """connect_timeout_seconds, statement_timeout_seconds, sqlite_busy_timeout_seconds."""
        return cls(
            connect_seconds=int(settings.connect_timeout_seconds),
            statement_seconds=int(settings.statement_timeout_seconds),
            sqlite_busy_seconds=int(settings.sqlite_busy_timeout_seconds),
        )


def is_sqlite(engine: Engine | Connection) -> bool:
    """True for a SQLite engine or connection."""
    return engine.dialect.name == "sqlite"


def create_hub_engine(
    url: str,
    *,
    password: str | None = None,
    echo: bool = False,
    timeouts: Timeouts | None = None,
    hub_clock: Callable[[], datetime] | None = None,
    pool_size: int | None = None,
) -> Engine:
    """Create the engine for a hub URL (sqlite:///… or postgresql+psycopg://…).

    ``hub_clock``: the clock a SQLite hub judges leases by (default: this machine's); ignored on
    PostgreSQL, whose own clock is used. ``pool_size`` (the hub server's ``hub_pool_size``):
    PostgreSQL connections this process holds at most; None keeps a workstation's 5 + 5.
    """
    timeouts = timeouts or Timeouts()
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        engine = _sqlite_engine(url, echo=echo, timeouts=timeouts)
        engine.update_execution_options(**{HUB_CLOCK: hub_clock or utcnow})
        return engine
    if backend == "postgresql":
        if sa_url.drivername == "postgresql":
            sa_url = sa_url.set(drivername="postgresql+psycopg")
        if not sa_url.password:
            from ehub_tui.secrets import fetch_password

            pw = password if password is not None else fetch_password(url)
            if pw is not None:
                sa_url = sa_url.set(password=pw)
        return _pg_engine(sa_url, echo=echo, timeouts=timeouts, pool_size=pool_size)
    raise StoreError(f"unsupported hub URL {url!r}: use sqlite:///path or postgresql+psycopg://…")


def _pg_engine(
    sa_url: URL, *, echo: bool, timeouts: Timeouts, pool_size: int | None = None
) -> Engine:
    # the hub server: exactly ``pool_size`` connections however many apps poll it (requests
    # beyond that wait for one in the threadpool); a workstation or CLI: 5, and 5 more at a peak
    size, overflow = (5, 5) if pool_size is None else (pool_size, 0)
    options = []
    if timeouts.statement_seconds is not None:
        ms = timeouts.statement_seconds * 1000
        # a session that stops mid-transaction (a frozen or cut-off workstation) must not hold
        # its row locks (the audit head's among them) for ever
        idle_ms = max(60_000, 4 * ms)
        options = [
            f"-c statement_timeout={ms}",
            f"-c idle_in_transaction_session_timeout={idle_ms}",
        ]
    connect_args: dict[str, Any] = {
        "connect_timeout": timeouts.connect_seconds,
        "application_name": "ehub-tui",
        # a silently dropped network (no FIN, no RST) is found on idle connections by keepalives,
        # and on busy ones by TCP_USER_TIMEOUT (data unacknowledged for that long)
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 3,
        "keepalives_count": 3,
        "tcp_user_timeout": 9000,
    }
    if options:
        connect_args["options"] = " ".join(options)
    engine = create_engine(
        sa_url,
        echo=echo,
        # No pre-ping: it costs a round trip per checkout. A dropped connection fails one call
        # (reported as a StoreError), SQLAlchemy then discards the pool's connections (they may
        # be as dead) and the next call connects afresh.
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_size=size,
        max_overflow=overflow,
        connect_args=connect_args,
    )
    guard = Guard(
        where=_where(sa_url),
        hard_limit=(
            None
            if timeouts.statement_seconds is None
            else timeouts.statement_seconds + STATEMENT_GRACE
        ),
    )

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _rec: Any, cargs: Any, cparams: Any) -> Any:
        conn = guarded_connection_class().connect(*cargs, **cparams)
        conn._ehub_guard = guard
        return conn

    return engine


def _where(sa_url: URL) -> str:
    """The hub's address for messages: no user name, no password."""
    host = sa_url.host or "localhost"
    port = f":{sa_url.port}" if sa_url.port else ""
    return f"postgresql://{host}{port}/{sa_url.database or ''}"


def where(engine: Engine) -> str:
    """Where the hub is, for messages (a SQLite path, or PostgreSQL host:port/database)."""
    if is_sqlite(engine):
        return engine.url.database or ":memory:"
    return _where(engine.url)


# -- the hub's clock ----------------------------------------------------------------------------


def hub_clock(conn: Connection | Engine) -> Callable[[], datetime]:
    """A SQLite hub's clock (this machine's, or the one a test injected)."""
    clock = conn.get_execution_options().get(HUB_CLOCK)
    return clock if clock is not None else utcnow


def set_hub_clock(engine: Engine, clock: Callable[[], datetime]) -> None:
    """Judge this SQLite engine's leases by ``clock`` (tests: the hub's time passing)."""
    engine.update_execution_options(**{HUB_CLOCK: clock})


def hub_now(conn: Connection) -> datetime:
    """The hub's time now (aware UTC): PostgreSQL's ``clock_timestamp()``, or the SQLite hub's
    clock. Never a workstation's clock."""
    if is_sqlite(conn):
        return hub_clock(conn)()
    value: datetime = conn.exec_driver_sql("SELECT clock_timestamp()").scalar_one()
    return value.astimezone(UTC)


_PG_NOW = "(clock_timestamp() AT TIME ZONE 'UTC')"  # naive UTC, as every time column is stored


def hub_now_sql(conn: Connection) -> Any:
    """The hub's time now inside a statement, as stored (naive UTC): on PostgreSQL evaluated by
    the server when the statement runs, so no workstation's clock is ever involved."""
    from ehub_tui.store.models import UTCDateTime

    if is_sqlite(conn):
        return literal(hub_clock(conn)(), UTCDateTime())
    return literal_column(_PG_NOW, UTCDateTime())


# -- SQLite --------------------------------------------------------------------------------------


def _sqlite_engine(url: str, *, echo: bool, timeouts: Timeouts) -> Engine:
    sa_url = make_url(url)
    db = sa_url.database
    if db and db != ":memory:":
        path = Path(db).expanduser()
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)  # patient data: owner only
        if not path.exists():
            # SQLite gives its -wal and -shm files the database file's permissions
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    busy_ms = timeouts.sqlite_busy_seconds * 1000
    engine = create_engine(
        sa_url,
        echo=echo,
        poolclass=NullPool if db in (None, "", ":memory:") else None,
        connect_args={"check_same_thread": False, "timeout": timeouts.sqlite_busy_seconds},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # straight to the driver: this runs for every transaction
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


# Page cache for bulk intake: -65536 is 64 MiB (negative: KiB, not pages). SQLite's default is
# 2 MiB, and a batch of 2,000 rows lands across the consultation table and its five arrival and
# due-time indexes: at a million items the pages it touches no longer fit, each batch re-reads
# them from the file and writes grew x16.5 from 100k to 1M (issue 18). It fills only as pages
# are touched, and only connections that store bulk batches get it.
BULK_CACHE_SIZE = -65536


def bulk_page_cache(conn: Connection) -> None:
    """Size a SQLite connection's page cache for bulk intake, once (PostgreSQL: the server's)."""
    if not is_sqlite(conn):
        return
    raw = conn.connection.driver_connection
    if raw is None or conn.connection.info.get("bulk_cache"):
        return
    raw.execute(f"PRAGMA cache_size={BULK_CACHE_SIZE}")
    conn.connection.info["bulk_cache"] = True


WRITE_WAIT_SECONDS = 60.0


def begin_write(conn: Connection) -> Any:
    """Begin a write transaction; on SQLite keep asking while the write lock is busy.

    busy_timeout already waits inside SQLite, but its sleeping retry is not fair: under heavy
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


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the driver's error inside it, and what it was raised from or during."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]


def _first_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else ""


def lost_connection(exc: BaseException, engine: Engine) -> StoreError:
    """A failed call to the hub as a plain StoreError saying what happened.

    The first failure is what counts: a rollback that fails afterwards on the same dead
    connection ("the connection is lost") must not hide that the hub stopped answering."""
    lines = [_first_line(e) for e in _chain(exc)]
    at = where(engine)
    if any(line.startswith(NOT_ANSWERING) or "timeout expired" in line for line in lines):
        # the client's guard cut the call off, or no connection could be made in time
        return StoreError(
            f"the hub at {at} is not answering: check the network and the hub server; "
            "ehub-tui keeps trying and carries on by itself when it answers"
        )
    if any("statement timeout" in line for line in lines):
        return StoreError(
            f"the hub at {at} took too long to answer (the statement timeout): try again"
        )
    first = next((line for line in lines if line), "")
    return StoreError(
        f"the hub at {at} did not answer"
        + (f" ({first})" if first else "")
        + ": check the connection and try again"
    )


def _connection_failure(exc: BaseException) -> bool:
    """A lost, refused or frozen connection, whether SQLAlchemy or the bare driver (the claim
    and audit hot paths run on the driver's own connection) raised it."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if type(exc).__module__.startswith("psycopg"):
        import psycopg

        return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
    return False


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """One short write transaction (BEGIN IMMEDIATE on SQLite); commits on success.

    A dropped, refused or frozen connection becomes a StoreError; the pool reconnects next time.
    """
    try:
        with engine.connect() as conn, begin_write(conn):
            yield conn
    except Exception as exc:
        if _connection_failure(exc):
            raise lost_connection(exc, engine) from exc
        raise


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
    except Exception as exc:
        if _connection_failure(exc):
            raise lost_connection(exc, engine) from exc
        raise
