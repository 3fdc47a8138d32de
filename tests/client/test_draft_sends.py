"""A draft being worked reaches the hub while the triage screen is open (trial 15b): the screen's
debounced save also sends it, throttled by ``DraftSends``, so a supervisor's reassign moments
later carries it to the receiver. The workstation is a real ClientService (its local store and
outbox on a real file, its sender thread) over the in-process client of a real SQLite hub."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.service import ClientService
from ehub_tui.config import Settings
from ehub_tui.hub.core import HubCore
from ehub_tui.store import handover
from ehub_tui.store.engine import read_tx
from ehub_tui.triage.draft import DraftSends
from tests.client.test_inprocess import PASSWORD, cheap_hasher, seeded_core
from tests.conftest import FrozenClock

FAST = {"sync_pull_seconds": 0.5, "sync_backoff_max_seconds": 1.0}


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def core(tmp_path: Path, clock: FrozenClock) -> Iterator[HubCore]:
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    hub = seeded_core(Settings(data_dir=tmp_path / "hub-data", hub_url=url), clock)
    yield hub
    hub.close()


def station(core: HubCore, tmp_path: Path, username: str) -> ClientService:
    settings = Settings(data_dir=tmp_path / f"ws-{username}", **FAST)  # type: ignore[arg-type]
    svc = ClientService(
        InProcessClient(core, str(uuid.uuid4())), settings, clock=core.clock, hasher=cheap_hasher()
    )
    svc.sign_in(username, PASSWORD)
    return svc


def hub_draft(core: HubCore, item: int, user: str) -> dict[str, object] | None:
    with read_tx(core.engine) as conn:
        return handover.last_draft(conn, item, user)


def test_a_draft_saved_while_open_reaches_the_hub_and_a_reassign_carries_it(
    core: HubCore, tmp_path: Path
) -> None:
    nav1, nav2, sup = (station(core, tmp_path, u) for u in ("nav1", "nav2", "sup1"))
    try:
        claim = nav1.claim(3)
        ticks = Ticks()
        sends = DraftSends(ticks, every=5.0)

        def debounced_save(note: str) -> None:
            """What the open triage screen does a second after a change (triage_work)."""
            nav1.save_draft(3, claim.epoch, {"note": note}, send=sends.take() <= 0)

        debounced_save("rang, no answer")  # the first change goes to the hub at once
        assert nav1.sync_drain(10).pending == 0
        assert hub_draft(core, 3, "nav1") == {"note": "rang, no answer"}

        ticks.t += 2  # a burst: the next change within the throttle is kept here only...
        debounced_save("rang twice, no answer")
        assert sends.held
        assert nav1.sync_drain(10).pending == 0
        assert hub_draft(core, 3, "nav1") == {"note": "rang, no answer"}
        ticks.t += 3  # ...and goes once the wait is over: the last change always reaches it
        debounced_save("rang twice, no answer")
        assert not sends.held
        assert nav1.sync_drain(10).pending == 0
        assert hub_draft(core, 3, "nav1") == {"note": "rang twice, no answer"}

        # the supervisor hands it on with the draft, the screen still open on nav1's side
        sup.reassign(3, "nav2", "covering: nav1 is on a call", carry_draft=True)
        (told,) = nav2.handovers()
        assert told.item_id == 3 and told.draft == {"note": "rang twice, no answer"}
        assert "nav1's draft comes with it" in told.words()
        moved = [e.body for e in sup.audit_log(3) if e.action == "reassign"]
        assert moved[-1]["draft_carried"] is True
        # nav1's open screen is told the supervisor's choice in the hub's words
        lost = nav1.why_lost(claim)
        assert lost is not None and "Your draft went with it to nav2." in lost
    finally:
        for svc in (nav1, nav2, sup):
            svc.close()


def test_a_returned_item_reopened_by_anyone_says_why_it_was_returned(
    core: HubCore, tmp_path: Path
) -> None:
    from ehub_tui.ui.format import short_time
    from ehub_tui.ui.screens.triage_park import last_return_words

    nav1, nav2 = (station(core, tmp_path, u) for u in ("nav1", "nav2"))
    try:
        now = core.clock.now()
        claim = nav1.claim(5)
        assert last_return_words(nav1.item_history(5), now) is None  # never returned
        done = nav1.release(claim, "need senior look")
        assert done.state == "accepted"
        nav2.claim(5)  # reopened by someone else: the hub's history says why (what triage reads)
        words = last_return_words(nav2.item_history(5), now)
        assert words == f"Returned by nav1 at {short_time(now, now)}: need senior look"
    finally:
        nav1.close()
        nav2.close()
