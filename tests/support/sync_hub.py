"""A hub for the sync reliability tests: made once as a template (migrations, the fixture
practices, navigators, a supervisor, queued items), copied for each example or test, opened as a
``HubCore`` with a hub clock the test moves, and read back for the invariants (what the hub
accepted and refused, outcome rows, item states).

The hub's time passing for leases is done as ``tests/reliability/test_kill9.py`` does it: every
lease end is moved back (on PostgreSQL the server's clock judges leases, and a test cannot move
it), then the hub rescues what has expired — the same for both engines.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from ehub_tui.config import Settings
from ehub_tui.hub.core import HubCore
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.models import Consultation, SyncEventRow, SyncRejected
from ehub_tui.store.models import Outcome as OutcomeRow
from tests.support.factories import many_rows
from tests.support.hubserver import PASSWORD, fast_hasher, set_password

C = Consultation.__table__  # type: ignore[attr-defined]
O = OutcomeRow.__table__  # type: ignore[attr-defined]  # noqa: E741
SE = SyncEventRow.__table__  # type: ignore[attr-defined]
SR = SyncRejected.__table__  # type: ignore[attr-defined]

REPO = Path(__file__).resolve().parent.parent.parent
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday morning, by the hub's clock
NAVIGATORS = ("nav1", "nav2", "nav3")
SUPERVISOR = "sup1"
_names = itertools.count(1)


class HubClock:
    """The hub's wall clock, moved by the test (monotonic: the machine's)."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class LiveClock:
    """The hub's wall clock running in real time (a served hub's), moved on by ``advance``."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def advance(self, seconds: float) -> None:
        self.shift += timedelta(seconds=seconds)


def seed(core: HubCore, items: int, navigators: tuple[str, ...] = NAVIGATORS) -> None:
    """The fixture practices, ``navigators`` and a supervisor (password PASSWORD), and
    ``items`` queued consultations."""
    from ehub_tui.practices import load_practices

    system = core.system()
    system.import_practices(load_practices(REPO / "fixtures" / "practices.yaml"))
    for user in navigators:
        system.add_user(user, "navigator", user)
        set_password(core, user, PASSWORD)
    system.add_user(SUPERVISOR, "supervisor", "the supervisor")
    set_password(core, SUPERVISOR, PASSWORD)
    system.store_intake(many_rows(items))
    # the shipped SOPs recorded as published now, once, rather than by each copy's first pull
    # (loading them costs ~0.6 s a hub)
    system.published_sops()


@dataclass
class HubTemplate:
    """A seeded hub made once; ``fresh()`` copies it for one example."""

    engine: str  # sqlite | postgresql
    folder: Path
    url: str
    pg: Any = None

    @classmethod
    def make(
        cls,
        folder: Path,
        items: int,
        *,
        pg: Any = None,
        navigators: tuple[str, ...] = NAVIGATORS,
    ) -> HubTemplate:
        """Migrate and seed a template hub in ``folder`` (PostgreSQL when ``pg`` is given)."""
        folder.mkdir(parents=True, exist_ok=True)
        if pg is None:
            url = f"sqlite:///{folder / 'hub.sqlite3'}"
        else:
            url = pg.create_database(f"synctmpl_{next(_names)}")
        clock = HubClock()
        core = HubCore.open(_settings(url, folder), clock=clock, hasher=fast_hasher())
        try:
            seed(core, items, navigators)
        finally:
            core.close()
        return cls("sqlite" if pg is None else "postgresql", folder, url, pg)

    def fresh(self, dest: Path) -> tuple[str, Path]:
        """A copy of the template hub: its URL and data folder (untimed set-up)."""
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(self.folder, dest)
        if self.engine == "sqlite":
            return f"sqlite:///{dest / 'hub.sqlite3'}", dest
        import psycopg
        from psycopg import sql

        name = f"syncex_{next(_names)}"
        template = self.url.rsplit("/", 1)[1]
        with psycopg.connect(self.pg.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return self.pg.url_for(name), dest

    def open(self, dest: Path, clock: HubClock | LiveClock, **settings: Any) -> HubCore:
        """A fresh copy opened as a hub core whose clock is ``clock``."""
        url, folder = self.fresh(dest)
        return HubCore.open(
            _settings(url, folder, **settings), clock=clock, hasher=fast_hasher(), migrate=False
        )


def _settings(url: str, folder: Path, **more: Any) -> Settings:
    return Settings(data_dir=folder, hub_url=url, **more)


def expire_leases(core: HubCore, clock: HubClock | LiveClock) -> list[int]:
    """The hub's time passes beyond every lease (lease ends moved back by more than a lease,
    the hub clock moved on as much); the hub returns the expired claims to the queue. Returns
    the items rescued."""
    step = timedelta(minutes=core.settings.lease_minutes + 1)
    with write_tx(core.engine) as conn:
        rows = conn.execute(select(C.c.id, C.c.lease_until).where(C.c.lease_until.is_not(None)))
        for item_id, ends in rows.all():
            conn.execute(update(C).where(C.c.id == item_id).values(lease_until=ends - step))
    clock.advance(step.total_seconds())
    return core.system().rescue_expired()


@dataclass(frozen=True)
class HubEvent:
    """One row of the hub's dedupe ledger."""

    event_id: str
    username: str
    kind: str
    item_id: int
    epoch: int
    state: str
    code: str | None
    outcome_id: int | None


@dataclass(frozen=True)
class HubOutcome:
    """One outcome row, with the sync event it came from."""

    id: int
    item_id: int
    navigator: str
    epoch: int
    event_id: str | None


@dataclass(frozen=True)
class HubFacts:
    """What the hub holds, read in one transaction."""

    events: dict[str, HubEvent]
    outcomes: list[HubOutcome]
    rejected: set[str]  # event ids in sync_rejected
    items: dict[int, tuple[str, str | None, int]]  # id -> (status, owner, epoch)


def hub_facts(core: HubCore) -> HubFacts:
    """The ledger, the outcomes, the refused events and every item's state."""
    with read_tx(core.engine) as conn:
        events = {
            r.event_id: HubEvent(
                r.event_id,
                r.username,
                r.kind,
                int(r.item_id),
                int(r.epoch),
                r.state,
                r.code,
                r.outcome_id,
            )
            for r in conn.execute(select(SE))
        }
        outcomes = [
            HubOutcome(int(r.id), int(r.consultation_id), r.navigator, int(r.epoch), r.event_id)
            for r in conn.execute(
                select(O.c.id, O.c.consultation_id, O.c.navigator, O.c.epoch, O.c.event_id)
            )
        ]
        rejected = {str(r) for r in conn.execute(select(SR.c.event_id)).scalars()}
        items = {
            int(r.id): (str(r.status), r.owner, int(r.epoch))
            for r in conn.execute(select(C.c.id, C.c.status, C.c.owner, C.c.epoch))
        }
    return HubFacts(events, outcomes, rejected, items)


def await_condition(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until it holds (a deadline, never a fixed sleep); fail naming ``what``."""
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.02)
