"""The workstation's sync over a real hub: the in-process client on a SQLite hub, and HTTPS to a
served hub (uvicorn, TLS from a test CA, loopback) on SQLite and PostgreSQL. The network is
broken on purpose — the in-process client through tests/support/sync_faults.FaultyClient, HTTPS
through tests/support/faults.FaultTransport (connect errors before the server) — and the code
under test runs unchanged: ClientService, its sender thread and its local store on a real file.

What is shown: a completion is accepted and recorded once on the hub with the event's id and the
workstation's clock offset; with the hub away it is saved (pending), the status says offline
with the count, claims are refused with OFFLINE_CLAIM, supervisor actions with OFFLINE_ACTION,
the queue, Mine and a held consultation come from the cache; on reconnect everything drains; a
fenced completion is refused and kept, on the workstation and the hub, until resolved; drafts
survive a restart; a user signs in offline with the right password only, and the real sign-in
follows when the hub answers; ``sync verify`` agrees with the hub and names a difference."""

from __future__ import annotations

import contextlib
import os
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.local.base import OB
from ehub_tui.client.service import ClientService
from ehub_tui.client.sync import SyncEngine
from ehub_tui.config import Settings
from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.sync import OFFLINE_ACTION, OFFLINE_CLAIM
from ehub_tui.errors import HubUnreachable, NotSignedIn
from ehub_tui.hub.core import HubCore
from ehub_tui.store.engine import read_tx
from tests.client.local_support import wait_until
from tests.client.test_inprocess import PASSWORD, cheap_hasher, seeded_core
from tests.conftest import FrozenClock
from tests.support.faults import FaultTransport
from tests.support.hubserver import TestTls, served
from tests.support.sync_faults import FaultyClient

OUTCOME = Outcome(
    category="clinical", route="manual", destination="GP routine", destination_code="GP_ROUTINE"
)
WAYS = ["inprocess-sqlite", "http-sqlite", "http-postgresql"]
FAST: dict[str, Any] = {"sync_pull_seconds": 0.5, "sync_backoff_max_seconds": 1.0}


class Station:
    """One workstation: its ClientService and the network between it and the hub."""

    def __init__(self, svc: ClientService, net: Any) -> None:
        self.svc = svc
        self.net = net  # FaultyClient or FaultTransport: go_down() / heal()

    def go_down(self) -> None:
        self.net.go_down()

    def heal(self) -> None:
        self.net.heal()


class Hub:
    """The hub under test and a way to make workstations for it."""

    def __init__(self, way: str, core: HubCore, tmp_path: Path, stack: contextlib.ExitStack):
        self.way, self.core, self.tmp_path, self.stack = way, core, tmp_path, stack
        self.server: Any = None
        self.tls: TestTls | None = None
        if way.startswith("http"):
            self.tls = TestTls.make(tmp_path / "tls")
            self.server = stack.enter_context(served(core, self.tls))

    def station(
        self, username: str | None, folder: str = "ws", *, sign_in: bool = True, **settings: Any
    ) -> Station:
        s = Settings(data_dir=self.tmp_path / folder, **(FAST | settings))
        device = str(uuid.uuid4())
        net: Any
        if self.server is None:
            net = FaultyClient(InProcessClient(self.core, device))
            client: Any = net.client
        else:
            assert self.tls is not None
            net = FaultTransport(httpx.HTTPTransport(verify=self.tls.client_context()))
            client = HttpClient(
                self.server.url, ca_file=self.tls.ca_file, device_id=device, transport=net
            )
        # this workstation's clock runs 3 s behind the hub's
        local = FrozenClock(self.core.clock.now() - timedelta(seconds=3))
        svc = ClientService(client, s, clock=local, hasher=cheap_hasher())
        self.stack.callback(svc.close)
        if username is not None and sign_in:
            svc.sign_in(username, PASSWORD)
        return Station(svc, net)

    def item(self, item_id: int) -> tuple[str, str | None]:
        c = self.core.system().consultation(item_id)
        return str(c.status), c.owner

    def outcomes(self, item_id: int) -> list[Any]:
        with read_tx(self.core.engine) as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT navigator, event_id, clock_offset_seconds, clock_suspect "
                        "FROM outcome WHERE consultation_id = :i"
                    ),
                    {"i": item_id},
                )
            )


@pytest.fixture(params=WAYS)
def hub(request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock) -> Iterator[Hub]:
    way = str(request.param)
    if way.endswith("postgresql"):
        url = request.getfixturevalue("pg_server").create_database(
            f"lsync{os.getpid()}_{uuid.uuid4().hex[:10]}"
        )
    else:
        url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    core = seeded_core(Settings(data_dir=tmp_path / "hub-data", hub_url=url), clock)
    with contextlib.ExitStack() as stack:
        yield Hub(way, core, tmp_path, stack)
    core.close()


def test_a_completion_is_accepted_once_with_its_event_and_clock_offset(hub: Hub) -> None:
    nav = hub.station("nav1").svc
    claim = nav.claim(3)
    done = nav.complete(claim, OUTCOME)
    assert done.state == "accepted" and done.outcome_id is not None
    assert hub.item(3) == ("completed", "nav1")
    (row,) = hub.outcomes(3)
    assert (row.navigator, row.event_id) == ("nav1", done.event_id)
    # the workstation's clock is 3 s behind: the estimate says so, and the hub flags it
    assert row.clock_offset_seconds == pytest.approx(3.0, abs=1.0) and row.clock_suspect
    (kept,) = nav.local.outcomes("nav1")
    assert (kept["state"], kept["hub_outcome_id"]) == ("accepted", done.outcome_id)
    wait_until(
        lambda: nav.sync_status().last_synced is not None and nav.sync_status().pending == 0,
        "a round ended with nothing pending",
    )
    status = nav.sync_status()
    assert (status.online, status.pending, status.suspect_clock) == (True, 0, True)
    assert status.offset_seconds == pytest.approx(3.0, abs=1.0)
    assert nav.held_claims() == []


def test_offline_work_is_saved_then_drains_when_the_hub_is_back(hub: Hub) -> None:
    station = hub.station("nav1", sync_wait_seconds=0.3)
    nav = station.svc
    first, second = nav.claim(1), nav.claim(2)
    nav.sync_drain(10)  # (a pull after the claims)
    station.go_down()

    done = nav.complete(first, OUTCOME)
    assert done.state == "pending"
    wait_until(lambda: not nav.sync_status().online, "the status says offline")
    status = nav.sync_status()
    assert status.pending == 1 and status.last_error
    with pytest.raises(HubUnreachable) as refused:
        nav.claim(5)
    assert str(refused.value) == OFFLINE_CLAIM
    with pytest.raises(HubUnreachable, match="Claiming needs the hub"):
        nav.claim_next()
    with pytest.raises(HubUnreachable) as sup_action:
        nav.board()
    assert str(sup_action.value) == OFFLINE_ACTION

    # the views and the held item come from this workstation's records
    rows, total = nav.queue_page("queue", QueueFilter(), 0, 50)
    assert total == 8 and {r.id for r in rows} == set(range(3, 11))
    mine, n = nav.queue_page("mine", QueueFilter(), 0, 50)
    assert n == 1 and mine[0].id == 2  # the completed one left Mine
    assert nav.view_counts()["mine"] == 1
    assert [c.item_id for c in nav.held_claims()] == [2]
    assert nav.consultation(2).id == 2
    assert nav.lease_left(second) > 0
    released = nav.release(second, "the patient will ring back")
    assert released.state == "pending" and nav.held_claims() == []
    wait_until(lambda: nav.sync_status().pending == 2, "two waiting to send")
    assert hub.item(1) == ("claimed", "nav1")  # the hub has not heard

    station.heal()
    status = nav.sync_drain(10)
    assert (status.online, status.pending, status.rejected) == (True, 0, 0)
    assert hub.item(1) == ("completed", "nav1") and hub.item(2) == ("queued", None)
    assert [r.event_id for r in hub.outcomes(1)] == [done.event_id]  # once
    assert nav.sync_verify().ok


def test_a_fenced_completion_is_refused_kept_and_resolved(hub: Hub) -> None:
    nav = hub.station("nav1").svc
    sup = hub.station("sup1", "ws-sup").svc
    claim = nav.claim(4)
    sup.reassign(4, "nav2", "covering while nav1 is on the phone")
    done = nav.complete(claim, OUTCOME)
    assert (done.state, done.code) == ("rejected", "fenced")
    assert done.reason and done.outcome_id is None
    assert hub.item(4) == ("claimed", "nav2") and hub.outcomes(4) == []

    (mine,) = nav.rejected_here()
    assert mine.event_id == done.event_id and mine.code == "fenced"
    assert Outcome.model_validate(mine.payload["outcome"]) == OUTCOME  # kept whole
    wait_until(lambda: nav.sync_status().rejected == 1, "one refused in the status")
    (on_hub,) = sup.sync_rejected()
    assert on_hub.event_id == done.event_id and on_hub.username == "nav1"
    assert [r.event_id for r in nav.sync_rejected()] == [done.event_id]

    sup.resolve_rejected(done.event_id, "nav2 completed it; nav1's note copied by hand")
    nav.sync_drain(5)
    wait_until(lambda: nav.sync_status().rejected == 0, "resolved on the hub, noted here")
    assert nav.rejected_here() == []
    assert nav.sync_verify().ok  # refused here and refused on the hub


def test_drafts_survive_a_restart_and_a_sent_draft_reaches_the_hub(hub: Hub) -> None:
    nav = hub.station("nav1").svc
    claim = nav.claim(6)
    nav.save_draft(6, claim.epoch, {"answers": {"fever": True}, "note": "rang once"})
    nav.mark_viewed(claim, nav.clock.now())
    nav.mark_viewed(claim, nav.clock.now())  # once per claim
    nav.close()

    again = hub.station("nav1").svc  # the same folder: the same local file
    assert again.drafts() == {6: {"answers": {"fever": True}, "note": "rang once"}}
    again.save_draft(6, claim.epoch, {"note": "leaving it for now"}, send=True)
    assert again.sync_drain(10).pending == 0
    kinds = [r.kind for r in again.local.rows() if r.state == "acked"]
    assert sorted(kinds) == ["draft", "viewed"]
    with read_tx(hub.core.engine) as conn:
        kept = conn.execute(
            text("SELECT draft FROM sync_draft WHERE item_id = 6 AND username = 'nav1'")
        ).scalar_one()
    assert "leaving it for now" in str(kept)


def test_offline_sign_in_needs_the_right_password_and_signs_in_for_real_later(
    hub: Hub,
) -> None:
    first = hub.station("nav1")
    first.svc.claim(7)
    first.svc.close()

    station = hub.station(None, sign_in=False)
    station.go_down()
    svc = station.svc
    with pytest.raises(NotSignedIn, match="wrong username or password"):
        svc.sign_in("nav1", "not the password at all")
    with pytest.raises(HubUnreachable):
        svc.sign_in("nav2", PASSWORD)  # never signed in here: no verifier
    signed = svc.sign_in("nav1", PASSWORD)
    assert signed.token == "" and svc.offline_session
    assert svc.actor == "nav1" and svc.may("work_items")
    assert [c.item_id for c in svc.held_claims()] == [7]  # from this workstation's records

    station.heal()
    svc.sync_drain(10)
    wait_until(lambda: not svc.offline_session, "signed in on the hub")
    assert svc.me is not None and svc.me.device_id  # the hub's answer now
    assert [c.item_id for c in svc.held_claims()] == [7]


def test_a_stopped_server_leaves_the_completion_saved(tmp_path: Path, clock: FrozenClock) -> None:
    """The hub server itself stops (not a fault rule): the completion is saved, pending."""
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    core = seeded_core(Settings(data_dir=tmp_path / "hub-data", hub_url=url), clock)
    tls = TestTls.make(tmp_path / "tls")
    try:
        with contextlib.ExitStack() as stack:
            server = stack.enter_context(served(core, tls))
            client = HttpClient(server.url, ca_file=tls.ca_file, device_id=str(uuid.uuid4()))
            s = Settings(data_dir=tmp_path / "ws", sync_wait_seconds=0.3, **FAST)
            nav = ClientService(client, s, clock=clock, hasher=cheap_hasher())
            nav.sign_in("nav1", PASSWORD)
            claim = nav.claim(8)
            stack.close()  # the server stops
            done = nav.complete(claim, OUTCOME)
            assert done.state == "pending"
            wait_until(lambda: not nav.sync_status().online, "offline")
            assert nav.sync_status().pending == 1
            assert nav.local.integrity_check() == "ok"
            nav.close()
    finally:
        core.close()


def test_verify_names_an_event_the_hub_never_heard_of(hub: Hub) -> None:
    nav = hub.station("nav1").svc
    nav.complete(nav.claim(9), OUTCOME)
    assert nav.sync_drain(5).pending == 0
    report = nav.sync_verify()
    assert report.ok and report.checked == 1
    # an event acked here the hub has no record of (as if its reply had been made up)
    nav.mark_viewed(nav.claim(10), nav.clock.now())
    nav.sync_drain(5)
    with nav.local._write() as conn:
        conn.execute(update(OB).where(OB.c.kind == "viewed").values(event_id=str(uuid.uuid4())))
    report = nav.sync_verify()
    assert not report.ok and len(report.differences) == 1
    assert "viewed of item 10" in report.differences[0]
    assert "the hub has no record of it" in report.differences[0]


def test_the_backoff_doubles_to_its_cap_with_full_jitter(tmp_path: Path) -> None:
    from ehub_tui.client.local import LocalStore
    from ehub_tui.domain.clock import SystemClock

    store = LocalStore(tmp_path / "ws" / "x.sqlite3", device_id="dev")
    engine = SyncEngine(
        object(),  # type: ignore[arg-type]  # (never called here)
        store,
        Settings(data_dir=tmp_path, sync_backoff_max_seconds=8.0),
        SystemClock(),
        user=lambda: "",
        rng=random.Random(7),
    )
    caps = [1, 2, 4, 8, 8, 8]
    waits = [engine._backoff() for _ in caps]
    assert all(0 < w <= cap for w, cap in zip(waits, caps, strict=True))
    # full jitter: over many draws at the cap, the waits spread over the whole range
    engine._failures = 10
    draws = [engine._backoff() for _ in range(200)]
    assert min(draws) < 1.0 and max(draws) > 7.0 and max(draws) <= 8.0
    store.close()


def test_guidance_starts_from_the_sop_cache_with_the_hub_away(hub: Hub) -> None:
    online = hub.station("nav1").svc
    assert online.guidance_state().available  # (the hub publishes its shipped SOPs)
    published = {v.sha256 for v in hub.core.system().published_sops()}
    assert {v.sha256 for v in online.local.cached_sops()} == published
    in_use = {v.sha256 for v in online.sops.in_use}
    assert len(in_use) > 1  # more than the shipped red flags (the last resort)
    online.close()

    station = hub.station("nav1")  # this workstation again, the hub then away
    station.go_down()
    state = station.svc.guidance_state()
    assert state.available and state.problem is None
    assert {v.sha256 for v in station.svc.sops.in_use} == in_use
