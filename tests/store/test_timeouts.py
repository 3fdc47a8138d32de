"""Timeouts: a hub that stops answering is reported as such within 10 s, the app stays
responsive, and everything carries on by itself when the hub answers again.

The frozen hub is a real PostgreSQL server whose postmaster and every backend are stopped with
SIGSTOP: the TCP connections stay open and nothing answers, so the server's own statement
timeout never fires and the kernel still acknowledges every packet and keepalive. Only the
client's guard can notice. Each test has its own server (stopping the session's shared one would
stall other tests) and always sends SIGCONT in a ``finally``.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ehub_tui.config import Settings
from ehub_tui.service import HubService, StoreError
from ehub_tui.store.engine import read_tx, write_tx
from tests.conftest import FIXTURES
from tests.support.factories import oc_row
from tests.support.pgserver import PostgresServer, find_pg_bin

REPORTED_WITHIN = 10.0


@pytest.fixture
def pg() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own."""
    if find_pg_bin() is None:
        pytest.skip("no PostgreSQL binaries (initdb/pg_ctl) on this machine")
    with PostgresServer() as server:
        yield server


def _server_pids(pg: PostgresServer) -> list[int]:
    """The postmaster and every process it started (its backends among them)."""
    postmaster = int((pg.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == postmaster:
            children.append(int(entry.name))
    return [postmaster, *children]


@contextmanager
def frozen(pg: PostgresServer) -> Iterator[None]:
    """The whole server stopped (SIGSTOP) for the block; always continued afterwards."""
    postmaster = _server_pids(pg)[0]
    stopped: list[int] = []
    try:
        # the postmaster first, so it forks nothing more; then its processes, listed again now
        # that the list can no longer grow. One that has exited meanwhile (a backend whose
        # session ended) is not there to answer anyway: skipped, not an error.
        os.kill(postmaster, signal.SIGSTOP)
        stopped.append(postmaster)
        for pid in _server_pids(pg)[1:]:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                continue
            stopped.append(pid)
        assert len(stopped) > 2, "the postmaster and its processes"
        yield
    finally:
        for pid in stopped:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def _seed(url: str, tmp_path: Path) -> Settings:
    from ehub_tui.practices import load_practices

    settings = Settings(data_dir=tmp_path / "data", hub_url=url)
    system = HubService.open(settings)
    try:
        system.import_practices(load_practices(FIXTURES / "practices.yaml"))
        system.add_user("nav1", "navigator")
        system.store_intake([oc_row(i) for i in range(1, 6)])
    finally:
        system.close()
    return settings


def _not_answering(pg: PostgresServer, database: str) -> str:
    return re.escape(f"the hub at postgresql://127.0.0.1:{pg.port}/{database} is not answering")


def test_a_frozen_postgresql_is_reported_within_10_s_and_recovers(
    pg: PostgresServer, tmp_path: Path
) -> None:
    settings = _seed(pg.create_database("frozen"), tmp_path)
    nav = HubService.open(settings, "nav1")
    try:
        first = nav.claim_next()  # the pool holds a working connection to the server
        assert first is not None
        with frozen(pg):
            # on a connection that was open (the client's guard cuts it off) …
            start = time.monotonic()
            with pytest.raises(StoreError, match=_not_answering(pg, "frozen")) as err:
                nav.claim_next()
            assert time.monotonic() - start < REPORTED_WITHIN
            assert "Traceback" not in str(err.value)
            # … and on a new one (the connect timeout)
            start = time.monotonic()
            with pytest.raises(StoreError, match=_not_answering(pg, "frozen")):
                nav.heartbeat(first)
            assert time.monotonic() - start < REPORTED_WITHIN
        # the hub is back: the next call works, with no restart and nothing done by hand
        renewed = nav.heartbeat(first)
        assert renewed.item_id == first.item_id
        again = nav.claim_next()
        assert again is not None and again.item_id != first.item_id
    finally:
        nav.close()


def test_opening_a_frozen_hub_is_reported_within_10_s(pg: PostgresServer, tmp_path: Path) -> None:
    settings = _seed(pg.create_database("frozen_open"), tmp_path)
    with frozen(pg):
        start = time.monotonic()
        with pytest.raises(StoreError, match="cannot open the hub") as err:
            HubService.open(settings, "nav1")
        assert time.monotonic() - start < REPORTED_WITHIN
        assert "not answering" in str(err.value)
    HubService.open(settings, "nav1").close()


def test_a_slow_statement_meets_the_servers_statement_timeout(
    pg: PostgresServer, tmp_path: Path
) -> None:
    settings = _seed(pg.create_database("slow"), tmp_path)
    svc = HubService.open(settings.model_copy(update={"statement_timeout_seconds": 1}))
    try:
        start = time.monotonic()
        with (
            pytest.raises(StoreError, match="took too long to answer"),
            read_tx(svc.engine) as conn,
        ):
            conn.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - start < 4
        with read_tx(svc.engine) as conn:  # the connection is fine afterwards
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "1s"
    finally:
        svc.close()


def test_a_slow_but_answering_server_is_not_cut_off(pg: PostgresServer, tmp_path: Path) -> None:
    """The guard asks the server whether it is there: a statement that takes longer than the
    guard's first look (within the statement timeout) finishes normally."""
    settings = _seed(pg.create_database("busy"), tmp_path)
    svc = HubService.open(settings)
    try:
        with read_tx(svc.engine) as conn:
            assert conn.execute(text("SELECT pg_sleep(3.5), 7")).one()[1] == 7
    finally:
        svc.close()


def test_connection_settings_come_from_the_settings(pg: PostgresServer, tmp_path: Path) -> None:
    settings = _seed(pg.create_database("settings"), tmp_path).model_copy(
        update={"statement_timeout_seconds": 7, "connect_timeout_seconds": 3}
    )
    svc = HubService.open(settings)
    try:
        with read_tx(svc.engine) as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "7s"
            assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar_one() == (
                "1min"
            )
            info = conn.connection.driver_connection.info  # type: ignore[union-attr]
            params = info.get_parameters()
            assert params["connect_timeout"] == "3"
            assert params["keepalives"] == "1"
            assert params["tcp_user_timeout"] == "9000"
    finally:
        svc.close()


def test_sqlite_busy_timeout_comes_from_the_settings(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        hub_url=f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        sqlite_busy_timeout_seconds=3,
    )
    svc = HubService.open(settings)
    try:
        with write_tx(svc.engine) as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 3000
    finally:
        svc.close()


def test_the_app_stays_responsive_on_a_frozen_hub_and_recovers(
    pg: PostgresServer, tmp_path: Path
) -> None:
    from ehub_tui.ui.app import make_app
    from ehub_tui.ui.screens.help import HelpScreen
    from tests.ui.conftest import run, settle, shipped_sops, wait_until

    settings = _seed(pg.create_database("frozen_app"), tmp_path)
    svc = HubService.open(settings, "nav1")
    svc.use_sop_library(shipped_sops())
    svc.claim_next()
    app = make_app(svc, poll_interval=0.5, heartbeat_interval=0.5)
    app.animation_level = "none"
    timings: dict[str, Any] = {}

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert app.hub_problem is None
            with frozen(pg):
                start = time.monotonic()
                # keys are still handled at once while the workers wait for the hub
                await pilot.press("question_mark")
                await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
                timings["key"] = time.monotonic() - start
                await pilot.press("escape")
                await wait_until(
                    pilot,
                    lambda: app.hub_problem is not None,
                    timeout=REPORTED_WITHIN + 2,
                    what="the hub reported as not answering",
                )
                timings["reported"] = time.monotonic() - start
                timings["problem"] = app.hub_problem
            await wait_until(
                pilot, lambda: app.hub_problem is None, timeout=15, what="the hub back again"
            )

    try:
        run(body())
    finally:
        svc.close()
    assert timings["key"] < 1.0
    assert timings["reported"] < REPORTED_WITHIN + 0.5  # the first round starts within 0.5 s
    assert "is not answering" in timings["problem"]
