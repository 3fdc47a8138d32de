"""Leases on one clock: the hub's. Workstations whose clocks are 11 minutes or 2 hours fast or
slow never take a live claim and never give themselves leases born expired; expired claims are
rescued on every claim path (by id too) as a compare-and-set; the app keeps every item its user
holds alive and asks before quitting with items held.

On SQLite the hub's clock is injected (``hub_clock``), distinct from each service's clock. On
PostgreSQL the hub's clock is the server's, which a test cannot move: the hub's time "passing"
is done there by moving every lease end back by as much, which is the same for every judgement
of a lease.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Interval, literal, select, text, update

from ehub_tui.config import Settings
from ehub_tui.domain.clock import SystemClock
from ehub_tui.domain.models import Outcome
from ehub_tui.service import RELEASE_ON_QUIT, RESCUE_EVERY, HubService, LostClaim, NotAvailable
from ehub_tui.store.engine import read_tx, set_hub_clock, write_tx
from ehub_tui.store.models import Consultation
from tests.conftest import FrozenClock
from tests.support.factories import oc_row

C = Consultation.__table__  # type: ignore[attr-defined]
SKEWS = [
    timedelta(minutes=11),
    timedelta(minutes=-11),
    timedelta(hours=2),
    timedelta(hours=-2),
]


def _skew_id(skew: timedelta) -> str:
    minutes = int(skew.total_seconds() // 60)
    return f"{'+' if minutes > 0 else ''}{minutes}min"


class HubTime:
    """The hub's clock for a test, on either engine (see the module's docstring)."""

    def __init__(self, hub_url: str) -> None:
        self.sqlite = hub_url.startswith("sqlite")
        # a SQLite hub's clock starts at the real time and moves only when the test says
        self.clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
        self.seconds = 1000.0  # every workstation's monotonic clock: moves when the test says

    def now(self) -> datetime:
        """The hub's time now, as this test has it."""
        return self.clock() if self.sqlite else datetime.now(UTC)

    def attach(self, *services: HubService) -> None:
        """Judge these services' SQLite leases by the hub's clock."""
        if self.sqlite:
            for svc in services:
                # a client service's hub is the hub core's engine (tests/conftest.py)
                set_hub_clock(getattr(svc, "hub_engine", None) or svc.engine, self.clock)

    def advance(self, svc: HubService, **kwargs: Any) -> None:
        """Let the hub's time pass."""
        step = timedelta(**kwargs)
        if self.sqlite:
            self.clock.advance(**kwargs)
            return
        with write_tx(getattr(svc, "hub_engine", None) or svc.engine) as conn:
            conn.execute(
                update(C)
                .where(C.c.lease_until.is_not(None))
                .values(lease_until=C.c.lease_until - literal(step, Interval()))
            )

    def skewed(self, skew: timedelta) -> SystemClock:
        """A workstation clock ``skew`` away from the hub's (its monotonic clock is the test's)."""
        return SystemClock(lambda: self.now() + skew, lambda: self.seconds)

    def tick(self, seconds: float) -> None:
        """Let this many seconds pass on every workstation's monotonic clock."""
        self.seconds += seconds


@pytest.fixture
def hub_time(hub_url: str) -> HubTime:
    """The hub's clock for this test's hub."""
    return HubTime(hub_url)


@pytest.fixture
def open_as(hub_url: str, tmp_path: Path, hub_time: HubTime) -> Iterator[Callable[..., HubService]]:
    """``open_as("nav1", skew)``: a service (its own engine: another workstation) whose clock is
    ``skew`` away from the hub's; the hub's clock judges its leases."""
    made: list[HubService] = []

    def factory(user: str | None, skew: timedelta = timedelta(0), **settings: Any) -> HubService:
        s = Settings(data_dir=tmp_path / "data", hub_url=hub_url, **settings)
        svc = HubService.open(
            s,
            user,
            clock=hub_time.skewed(skew),
            hub_clock=hub_time.clock if hub_time.sqlite else None,
        )
        made.append(svc)
        return svc

    yield factory
    for svc in made:
        svc.close()


def _state(svc: HubService, item_id: int) -> tuple[str, str | None, int]:
    return svc.item_state(item_id)


def _lease_until(svc: HubService, item_id: int) -> datetime:
    with read_tx(svc.engine) as conn:
        value = conn.execute(select(C.c.lease_until).where(C.c.id == item_id)).scalar_one()
    assert value is not None
    return value


def _expired_events(svc: HubService) -> list[dict[str, Any]]:
    return [e for e in svc.audit_log(limit=500) if e.action == "lease_expired"]


@pytest.mark.parametrize("skew", SKEWS, ids=_skew_id)
def test_a_skewed_workstation_takes_no_live_claim(
    seeded: HubService,
    open_as: Callable[..., HubService],
    hub_time: HubTime,
    skew: timedelta,
) -> None:
    created, _ = seeded.store_intake([oc_row(1, minutes_ago=30), oc_row(2, minutes_ago=20)])
    first, second = (cid for _, cid in created)
    holder = open_as("nav1")
    by_next = holder.claim_next()
    by_id = holder.claim(second)
    assert by_next is not None and by_next.item_id == first
    held = {first: by_next.epoch, second: by_id.epoch}

    skewed = open_as("nav2", skew)
    assert skewed.rescue_expired() == []
    assert skewed.claim_next() is None  # the queue looks empty: it rescues first, and finds none
    for item_id in (first, second):
        with pytest.raises(NotAvailable, match="held by nav1"):
            skewed.claim(item_id)
    # the hub's time moves on, but not past the lease: still nothing to take
    hub_time.advance(skewed, minutes=9)
    assert skewed.rescue_expired() == [] and skewed.claim_next() is None
    for item_id, epoch in held.items():
        assert _state(seeded, item_id) == ("claimed", "nav1", epoch)
    assert _expired_events(seeded) == []


@pytest.mark.parametrize("skew", SKEWS, ids=_skew_id)
def test_a_skewed_workstations_own_leases_are_not_born_expired(
    seeded: HubService,
    open_as: Callable[..., HubService],
    hub_time: HubTime,
    skew: timedelta,
) -> None:
    created, _ = seeded.store_intake([oc_row(1), oc_row(2), oc_row(3)])
    ids = [cid for _, cid in created]
    skewed = open_as("nav1", skew)
    before = hub_time.now()
    claims = [skewed.claim_next(), skewed.claim(ids[1])]
    assert all(c is not None for c in claims)
    renewed = skewed.heartbeat(claims[0])  # type: ignore[arg-type]
    after = hub_time.now()
    lease = timedelta(minutes=10)
    for item_id in (claims[0].item_id, ids[1]):  # type: ignore[union-attr]
        ends = _lease_until(seeded, item_id)
        # the lease runs from the hub's now, whatever this workstation's clock says
        assert before + lease - timedelta(seconds=2) <= ends <= after + lease + timedelta(seconds=2)
    assert before + lease - timedelta(seconds=2) <= renewed.lease_until

    others = [open_as("nav2"), open_as("sup1", -skew), open_as("nav2", skew * 2)]
    for other in others:
        assert other.rescue_expired() == []
        with pytest.raises(NotAvailable, match="held by nav1"):
            other.claim(ids[1])
    assert _state(seeded, ids[1]) == ("claimed", "nav1", claims[1].epoch)  # type: ignore[union-attr]
    assert _expired_events(seeded) == []


@pytest.mark.parametrize("skew", [SKEWS[0], SKEWS[3]], ids=_skew_id)
def test_expired_claims_are_rescued_by_the_hubs_clock_on_every_claim_path(
    seeded: HubService,
    open_as: Callable[..., HubService],
    hub_time: HubTime,
    skew: timedelta,
) -> None:
    created, _ = seeded.store_intake([oc_row(1, minutes_ago=30), oc_row(2), oc_row(3)])
    ids = [cid for _, cid in created]
    crashed = open_as("nav1")
    gone = [crashed.claim(i) for i in ids]
    hub_time.advance(crashed, minutes=11)  # past the 10-minute leases, by the hub's clock

    other = open_as("nav2", skew)
    other.parts.queue.next_rescue = float("inf")  # no periodic rescue: only the one by id
    again = other.claim(ids[1])  # opened by id: that item's expired claim is rescued first
    assert (again.item_id, again.epoch) == (ids[1], gone[1].epoch + 2)
    # the others are still expired-but-held until a rescue runs: claim-next with an empty
    # queue runs one at once
    nxt = other.claim_next()
    assert nxt is not None and nxt.item_id == ids[0] and nxt.epoch == gone[0].epoch + 2
    assert _state(seeded, ids[2])[0] == "queued"
    expired = _expired_events(seeded)
    assert sorted(e.consultation_id for e in expired) == sorted(ids)
    assert all(e.actor == "system" for e in expired)
    with pytest.raises(LostClaim, match="now held by nav2"):
        crashed.complete(gone[1], Outcome(category="admin", route="other"))
    with pytest.raises(LostClaim):
        crashed.heartbeat(gone[2])
    assert seeded.verify_audit().ok


def test_rescue_is_a_compare_and_set(
    seeded: HubService, open_as: Callable[..., HubService], hub_time: HubTime
) -> None:
    """A rescue whose item moved on since it was read (a heartbeat, or another rescue and a
    new claim) changes nothing."""
    from ehub_tui.store import queue

    created, _ = seeded.store_intake([oc_row(1)])
    (item_id,) = (cid for _, cid in created)
    holder = open_as("nav1")
    claim = holder.claim(item_id)
    hub_time.advance(holder, minutes=11)
    now = datetime.now(UTC)
    with write_tx(seeded.engine) as conn:
        # what a slower rescuer read before the holder renewed: (id, epoch) of an expired claim
        stale = conn.execute(select(C.c.id, C.c.epoch).where(C.c.id == item_id)).one()
    holder.heartbeat(claim)  # the holder renews in between
    with write_tx(seeded.engine) as conn:
        changed = conn.execute(
            update(C)
            .where(C.c.id == stale.id, C.c.epoch == stale.epoch, queue._expired(conn))
            .values(status="queued", owner=None, lease_until=None, updated_at=now)
        ).rowcount
        assert changed == 0
        assert queue.rescue_expired(conn, now) == []
    assert _state(seeded, item_id) == ("claimed", "nav1", claim.epoch)


def test_every_item_held_is_kept_alive(
    seeded: HubService, open_as: Callable[..., HubService], hub_time: HubTime
) -> None:
    created, _ = seeded.store_intake([oc_row(i) for i in range(1, 5)])
    ids = [cid for _, cid in created]
    mine = open_as("nav1", timedelta(hours=-2))
    theirs = open_as("nav2", timedelta(minutes=11))
    held = [mine.claim(ids[0]), mine.claim(ids[1]), mine.claim(ids[2])]
    other = theirs.claim(ids[3])
    for _ in range(3):  # 18 minutes of the hub's time, renewed every 6
        hub_time.advance(mine, minutes=6)
        renewed = mine.heartbeat_held()
        assert [c.item_id for c in renewed] == ids[:3]
        assert [c.epoch for c in renewed] == [c.epoch for c in held]
    assert theirs.rescue_expired() == [ids[3]]  # nav2's was not renewed: only the holder's are
    assert [c.item_id for c in mine.held_claims()] == ids[:3]
    assert _state(seeded, ids[3]) == ("queued", None, other.epoch + 1)
    assert open_as(None).heartbeat_held() == []  # the system principal holds nothing


def test_release_held_writes_an_audited_release_for_each(
    seeded: HubService, open_as: Callable[..., HubService]
) -> None:
    created, _ = seeded.store_intake([oc_row(1), oc_row(2)])
    ids = [cid for _, cid in created]
    nav = open_as("nav1")
    claims = [nav.claim(i) for i in ids]
    assert nav.release_held() == ids
    assert nav.held_claims() == []
    for claim in claims:
        assert _state(seeded, claim.item_id) == ("queued", None, claim.epoch + 1)
        (event,) = [e for e in seeded.audit_log(claim.item_id) if e.action == "release"]
        assert event.actor == "nav1" and event.body["reason"] == RELEASE_ON_QUIT
    assert seeded.verify_audit().ok


def test_the_periodic_rescue_runs_on_the_monotonic_clock(
    seeded: HubService, open_as: Callable[..., HubService], hub_time: HubTime
) -> None:
    created, _ = seeded.store_intake([oc_row(1)])
    (item_id,) = (cid for _, cid in created)
    crashed = open_as("nav1")
    crashed.claim(item_id)
    watcher = open_as(None, timedelta(hours=2))  # e.g. ingest --watch, between scans
    assert watcher.rescue_if_due() == []  # first call: runs, nothing expired
    hub_time.advance(watcher, minutes=11)
    assert watcher.rescue_if_due() == []  # not due again yet (30 s of this process's time)
    hub_time.tick(RESCUE_EVERY.total_seconds() - 1)
    assert watcher.rescue_if_due() == []  # 29 s on: still not due
    hub_time.tick(1)  # 30 s on
    assert watcher.rescue_if_due() == [item_id]


def test_hub_now_is_the_hubs_clock(
    seeded: HubService, open_as: Callable[..., HubService], hub_time: HubTime
) -> None:
    svc = open_as("nav1", timedelta(hours=2))
    got = svc.hub_now()
    assert abs(got - hub_time.now()) < timedelta(seconds=5)
    if not hub_time.sqlite:
        with read_tx(svc.engine) as conn:
            server = conn.execute(text("SELECT now()")).scalar_one()
        assert abs(got - server) < timedelta(seconds=5)


# -- the app: every held item kept alive; quitting with items held asks first --------------------


def _app_hub(sqlite_url: str, tmp_path: Path, clock: FrozenClock, hub_time: HubTime) -> Any:
    """The UI tests' small hub (tests/ui/conftest.py) with three cases, nav1 holding two."""
    from ehub_tui.practices import load_practices
    from tests.conftest import FIXTURES
    from tests.ui.conftest import CASES, Hub

    hub = Hub(sqlite_url, tmp_path, clock)
    system = hub.service(None)
    system.import_practices(load_practices(FIXTURES / "practices.yaml"))
    system.add_user("nav1", "navigator", "Priya Shah")
    system.add_user("nav2", "navigator", "Tom Fletcher")
    cases = ("throat", "uti", "fit_note")
    created, _ = system.store_intake([CASES[c]() for c in cases])
    hub.ids = {cases[i]: cid for i, cid in created}
    holder = hub.service("nav1")
    for case in ("throat", "fit_note"):
        holder.claim(hub.ids[case])
    hub_time.attach(system, holder)
    return hub


def _app(hub: Any, hub_time: HubTime, user: str = "nav1") -> Any:
    from ehub_tui.ui.app import make_app

    svc = hub.service(user)
    hub_time.attach(svc)
    app = make_app(svc, clock=hub.clock, poll_interval=0.2, heartbeat_interval=0.2)
    app.animation_level = "none"
    return app


@pytest.fixture
def app_hub(sqlite_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[Any, HubTime]]:
    hub_time = HubTime(sqlite_url)
    hub = _app_hub(sqlite_url, tmp_path, clock, hub_time)
    yield hub, hub_time
    hub.close()


def test_the_open_app_keeps_every_held_item_alive(app_hub: tuple[Any, HubTime]) -> None:
    from tests.ui.conftest import run, wait_until

    hub, hub_time = app_hub
    system = hub.service(None)
    hub_time.attach(system)
    held = [hub.ids["throat"], hub.ids["fit_note"]]
    app = _app(hub, hub_time)

    def renewed_past(limit: datetime) -> bool:
        return all(_lease_until(system, i) > limit for i in held)

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(3):  # 18 minutes of the hub's time, neither item on screen
                hub_time.advance(system, minutes=6)
                target = hub_time.now() + timedelta(minutes=9)

                def renewed(t: datetime = target) -> bool:
                    return renewed_past(t)

                await wait_until(pilot, renewed, what="both renewed")
            assert system.rescue_expired() == []

    run(body())
    for item_id in held:
        assert _state(system, item_id)[:2] == ("claimed", "nav1")
    assert _expired_events(system) == []


def test_quitting_while_holding_items_asks_to_return_them(app_hub: tuple[Any, HubTime]) -> None:
    from ehub_tui.ui.app import QuitDialog
    from tests.ui.conftest import run, settle, wait_until

    hub, hub_time = app_hub
    system = hub.service(None)
    held = [hub.ids["throat"], hub.ids["fit_note"]]
    app = _app(hub, hub_time)

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+q")
            await wait_until(pilot, lambda: isinstance(app.screen, QuitDialog), what="asked")
            dialog = app.screen
            assert dialog.held == held
            await pilot.press("escape")  # stay
            await wait_until(pilot, lambda: not isinstance(app.screen, QuitDialog), what="gone")
            await settle(pilot)
            assert app.return_code is None
            await pilot.press("ctrl+q")
            await wait_until(pilot, lambda: isinstance(app.screen, QuitDialog), what="asked")
            await pilot.press("r")  # return them and quit
            await wait_until(pilot, lambda: app.return_code == 0, what="quit", timeout=5)

    run(body())
    for item_id in held:
        assert _state(system, item_id)[:2] == ("queued", None)
        (event,) = [e for e in system.audit_log(item_id) if e.action == "release"]
        assert event.actor == "nav1" and event.body["reason"] == RELEASE_ON_QUIT
    assert system.verify_audit().ok


def test_quitting_may_keep_the_items_and_without_items_asks_nothing(
    app_hub: tuple[Any, HubTime],
) -> None:
    from ehub_tui.ui.app import QuitDialog
    from tests.ui.conftest import run, settle, wait_until

    hub, hub_time = app_hub
    system = hub.service(None)
    app = _app(hub, hub_time)

    async def keep() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+q")
            await wait_until(pilot, lambda: isinstance(app.screen, QuitDialog), what="asked")
            await pilot.press("k")
            await wait_until(pilot, lambda: app.return_code == 0, what="quit", timeout=5)

    run(keep())
    for case in ("throat", "fit_note"):
        assert _state(system, hub.ids[case])[:2] == ("claimed", "nav1")

    other = _app(hub, hub_time, "nav2")  # holds nothing: quits at once

    async def plain() -> None:
        async with other.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+q")
            await wait_until(pilot, lambda: other.return_code == 0, what="quit", timeout=5)
            assert not isinstance(other.screen, QuitDialog)

    run(plain())
