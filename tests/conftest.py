"""Shared fixtures: every store test runs on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import keyring
import pytest

from ehub_tui.config import Settings
from ehub_tui.errors import NotFound
from ehub_tui.logs import reset_logging
from ehub_tui.secrets import MemoryKeyring
from ehub_tui.service import HubService, opening
from tests.support.pgserver import PostgresServer, find_pg_bin

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
_db_names = itertools.count(1)


# Fixtures that open a hub database, and the folders whose tests all reach one (through the CLI
# in a subprocess, the app, or a hub fixture of their own): their tests get the `db` marker, so
# `pytest -m "not db"` runs the pure-logic tests alone.
_DB_FIXTURES = frozenset(
    {
        "hub_url",
        "sqlite_url",
        "pg_server",
        "make_service",
        "seeded",
        "make_hub",
        "hub",
        "demo_hub",
        "transport",
        "served_hub",
        "make_client",
    }
)
_DB_FOLDERS = frozenset(
    {
        "store",
        "service",
        "cli",
        "reliability",
        "ui",
        "hostile",
        "logs",
        "install",
        "hub",
        "client",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a database `db` (see _DB_FIXTURES and _DB_FOLDERS)."""
    tests = Path(__file__).resolve().parent
    for item in items:
        folder = Path(str(item.path)).resolve().relative_to(tests).parts[0]
        fixtures = set(getattr(item, "fixturenames", ()))
        if folder in _DB_FOLDERS or fixtures & _DB_FIXTURES:
            item.add_marker(pytest.mark.db)


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """No user config or data dir is ever discovered (no developer's EHUB_TUI_* setting leaks
    in); passwords go to an in-memory keyring; logging set up by a test is undone after it."""
    for name in list(os.environ):
        if name.startswith("EHUB_TUI_"):
            monkeypatch.delenv(name)
    home = tmp_path / "ehub-home"
    monkeypatch.setenv("EHUB_TUI_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "ehub_tui.secrets.MemoryKeyring")
    keyring.set_keyring(MemoryKeyring())
    # the in-memory keyring's store is class-wide: each test starts with nothing kept
    monkeypatch.setattr(MemoryKeyring, "_store", {})
    if request.node.get_closest_marker("db") is None:
        # the marker is kept true: a test without it that opens a hub fails and says why
        monkeypatch.setattr(opening, "create_hub_engine", _no_database)
    yield
    reset_logging()


def _no_database(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError(
        "this test opens a hub database but is not marked `db`: use a hub fixture or add it to "
        "_DB_FIXTURES/_DB_FOLDERS in tests/conftest.py"
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole run (a fresh database per test)."""
    if find_pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are missing in CI")
        pytest.skip("no PostgreSQL binaries (initdb/pg_ctl) on this machine")
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty hub database on each engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"t{os.getpid()}_{next(_db_names)}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite hub file (for tests that need only one engine)."""
    return f"sqlite:///{tmp_path / 'hub.sqlite3'}"


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._advanced = 0.0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: Any) -> None:
        from datetime import timedelta

        step = timedelta(**kwargs)
        self.now += step
        self._advanced += max(0.0, step.total_seconds())

    def ticking(self) -> float:
        """This machine's monotonic clock plus every forward advance: durations an app measures
        (handling time) follow the test's advances, and real time still passes for what must
        wait on it (the key guard after a dialog)."""
        import time

        return time.monotonic() + self._advanced


@pytest.fixture
def clock() -> FrozenClock:
    """Monday 23 November 2026, 10:00 UTC, frozen."""
    return FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@pytest.fixture(params=["direct", "inprocess", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    """How a signed-in user's service reaches the hub, for the behaviour suites that opt in
    (``pytestmark = pytest.mark.usefixtures("transport")``): ``direct`` is the hub service
    itself; ``inprocess`` a ClientService over the in-process client (the embedded default);
    ``http`` a ClientService over HTTPS to a real uvicorn on 127.0.0.1 with a test CA.

    The in-process client runs on SQLite only: it is the embedded hub's way in (a workstation
    naming a PostgreSQL hub reaches it through its server), and over PostgreSQL it would repeat
    the direct case's hub code and the SQLite case's client code (kept out for the suite's time).
    """
    callspec = getattr(request.node, "callspec", None)
    engine = callspec.params.get("hub_url") if callspec is not None else None
    if request.param == "inprocess" and engine == "postgresql":
        pytest.skip("the in-process client is the embedded (SQLite) hub's: HTTP covers PostgreSQL")
    return str(request.param)


@pytest.fixture
def make_service(
    hub_url: str, tmp_path: Path, clock: FrozenClock, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Build services on the test's hub (each its own engine or client, like separate apps).

    ``make_service()`` is the system principal's HubService (setup and checks, hub-side). With
    a user, a test that opts into ``transport`` gets that user's ClientService signed in with a
    password through the chosen client; other tests get a HubService signed in as the user."""
    made: list[Any] = []
    hubs = _TransportHubs(hub_url, tmp_path, clock)
    chosen = (
        str(request.getfixturevalue("transport"))
        if "transport" in request.fixturenames
        else "direct"
    )

    def factory(user: str | None = None, **settings: Any) -> Any:
        s = Settings(data_dir=tmp_path / "data", hub_url=hub_url, **settings)
        if user is None or chosen == "direct":
            svc: Any = HubService.open(s, user, clock=clock)
        else:
            svc = hubs.client_service(chosen, user, settings)
        made.append(svc)
        return svc

    yield factory
    for svc in made:
        svc.close()
    hubs.close()


class _TransportHubs:
    """The hub core (and, for ``http``, the served hub) behind a test's client services: one
    per distinct set of hub settings, shared by every user's service built with them."""

    def __init__(self, hub_url: str, tmp_path: Path, clock: FrozenClock) -> None:
        self.hub_url = hub_url
        self.tmp_path = tmp_path
        self.clock = clock
        self._cores: dict[tuple[tuple[str, Any], ...], Any] = {}
        self._served: dict[tuple[tuple[str, Any], ...], Any] = {}
        self._tls: Any = None
        self._passwords: set[str] = set()
        self._devices = itertools.count(1)

    def _core(self, settings: dict[str, Any]) -> tuple[Any, tuple[tuple[str, Any], ...]]:
        from ehub_tui.hub.core import HubCore
        from tests.support.hubserver import fast_hasher

        key = tuple(sorted(settings.items()))
        if key not in self._cores:
            s = Settings(data_dir=self.tmp_path / "hub-data", hub_url=self.hub_url, **settings)
            # as make_service's hub services: the test's clock stamps records, and a SQLite
            # hub's leases follow real time until a test attaches a hub clock (HubTime)
            engine = opening.open_engine(s)
            self._cores[key] = HubCore(engine, s, clock=self.clock, hasher=fast_hasher())
        return self._cores[key], key

    def client_service(self, transport: str, user: str, settings: dict[str, Any]) -> Any:
        from ehub_tui.client.inprocess import InProcessClient
        from ehub_tui.client.service import ClientService
        from tests.support.hubserver import PASSWORD, fast_hasher, set_password

        core, key = self._core(settings)
        if user not in self._passwords:  # the hub's admin sets each user's first password
            with contextlib.suppress(NotFound):  # (no such user: signing in is then refused)
                set_password(core, user, PASSWORD)
            self._passwords.add(user)
        device = f"test-device-{next(self._devices)}"
        client: Any
        if transport == "inprocess":
            client = InProcessClient(core, device)
        else:
            from ehub_tui.client.http.client import HttpClient
            from tests.support.hubserver import TestTls, served

            if self._tls is None:
                self._tls = TestTls.make(self.tmp_path / "tls")
            if key not in self._served:
                cm = served(core, self._tls)
                self._served[key] = (cm, cm.__enter__())
            hub = self._served[key][1]
            # a generous timeout: under the full suite on two busy cores a publish (it runs the
            # SOP's tests on the hub) has taken over the default 15 s; timeouts are tested elsewhere
            client = HttpClient(hub.url, ca_file=self._tls.ca_file, device_id=device, timeout=60.0)
        s = Settings(data_dir=self.tmp_path / "ws-data", **settings)
        # a cheap hasher for the offline sign-in verifier each online sign-in keeps
        svc = ClientService(client, s, clock=self.clock, hasher=fast_hasher())
        svc.sign_in(user, PASSWORD)
        # for a test's hub-side look (its lease clock, a row it checks): the hub's engine
        svc.hub_engine = core.engine  # type: ignore[attr-defined]
        return svc

    def close(self) -> None:
        for cm, _hub in self._served.values():
            cm.__exit__(None, None, None)
        for core in self._cores.values():
            core.close()


@pytest.fixture
def seeded(make_service: Callable[..., HubService]) -> HubService:
    """A system service on a hub with the fixture practices and demo users."""
    from ehub_tui.cli.demo import DEMO_USERS
    from ehub_tui.practices import load_practices

    svc = make_service()
    svc.import_practices(load_practices(FIXTURES / "practices.yaml"))
    for username, role, name in DEMO_USERS:
        svc.add_user(username, role, name)
    # On a shared hub the CLI signs in as the OS user: make them the hub's admin.
    svc.add_user(HubService.os_username(), "admin", "the test runner")
    return svc
