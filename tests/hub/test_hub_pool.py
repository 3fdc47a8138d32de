"""The hub server holds at most ``hub_pool_size`` PostgreSQL connections however many requests
arrive at once (HubCore.open passes it to the engine; requests beyond it wait for one)."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from ehub_tui.config import Settings
from ehub_tui.hub.core import HubCore
from tests.conftest import FrozenClock
from tests.support.hubserver import fast_core

POOL = 3
THREADS = 10
CALLS = 25  # each thread's queue summaries


def _connections(dsn: str, database: str) -> int:
    """Connections to ``database`` other than this one, as the server counts them."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("hub_url", ["postgresql"], indirect=True)
def test_the_hub_never_holds_more_than_its_pool(
    hub_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    url = make_url(hub_url)
    database = url.database or ""
    # the watcher's own connection goes to another database, so it is never counted
    dsn = f"host={url.host} port={url.port} user={url.username} dbname=postgres"
    core: HubCore = fast_core(
        Settings(data_dir=tmp_path / "data", hub_url=hub_url, hub_pool_size=POOL), clock
    )
    # what the pool itself opens and closes (the invariant), beside what the server counts
    opened = {"now": core.engine.pool.checkedin() + core.engine.pool.checkedout(), "max": 0}
    lock = threading.Lock()

    def on_connect(*_: object) -> None:
        with lock:
            opened["now"] += 1
            opened["max"] = max(opened["max"], opened["now"])

    def on_close(*_: object) -> None:
        with lock:
            opened["now"] -= 1

    from sqlalchemy import event

    event.listen(core.engine, "connect", on_connect)
    event.listen(core.engine, "close", on_close)
    event.listen(core.engine, "close_detached", on_close)
    try:
        start = threading.Barrier(THREADS + 1)
        failures: list[BaseException] = []

        def summaries() -> None:
            try:
                start.wait()
                for _ in range(CALLS):
                    core.system().queue_summary()
            except BaseException as exc:  # reported by the assertion below
                failures.append(exc)

        workers = [threading.Thread(target=summaries) for _ in range(THREADS)]
        for worker in workers:
            worker.start()
        start.wait()
        seen = [_connections(dsn, database)]
        while any(w.is_alive() for w in workers):
            seen.append(_connections(dsn, database))  # sampled while the threads run
        for worker in workers:
            worker.join()
        seen.append(_connections(dsn, database))
        assert not failures, failures
        assert opened["max"] <= POOL, opened
        # the server's count may include, for a moment, a backend whose client has just gone
        # (seen once in a loaded full run: 4 with a pool of 3); never more than that
        assert max(seen) <= POOL + 1, seen
        # the pool keeps what it opened: the ten threads did need more than one connection
        assert seen[-1] >= 2, seen
    finally:
        core.close()
