"""The hub away and back, a fenced outcome, and clocks that are wrong (issue 14's acceptance).

- **Hub down 60 s** (the real thing, one test): a SQLite and a PostgreSQL hub, each served over
  HTTPS (tests/support/hubserver), each with three workstations holding 10 items apiece, are
  stopped together for 60 s while the workstations complete their items; the status line's
  offline count equals the pending outbox rows whenever it is read; the hubs come back on the
  same address and all 30 completions of each are accepted within 20 s; nothing is applied twice.
  The workstations run as the app does: the sender thread, and the queue screen's 1 s poll
  (``change_cursor``), which wakes the sender when a call finds the hub back.
- **Fenced outcome**: A claims and goes offline; the hub's time passes beyond the lease (the
  claim is rescued); B claims and completes; A completes offline and comes back: A's outcome is
  refused as fenced, kept whole on A (``rejected_here``, the status line's count) within 3 s and
  in the hub's ``sync_rejected`` (the supervisor's board); the item has only B's outcome. Over
  the in-process client (SQLite) and HTTPS (SQLite, PostgreSQL).
- **Clock skew**: workstations 10 min slow, 3 min fast, 2 h fast: the lease end each estimates
  is within 2 s of the hub's (online, and counted on with the hub away); the hub keeps the
  completion's corrected time within 2 s of its own and flags the clock suspect. A 1 h wall
  clock step mid-task changes the handling time by at most 0.5 s (TriageSession, injected
  clocks).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import Claim
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.serve import ServedHub
from ehub_tui.store.engine import read_tx
from tests.support.faults import FaultTransport
from tests.support.hubserver import PASSWORD, TestTls
from tests.support.sync_hub import (
    SUPERVISOR,
    HubTemplate,
    LiveClock,
    await_condition,
    expire_leases,
    hub_facts,
)
from tests.support.sync_ws import Workstation

OUTAGE_SECONDS = 60.0
DRAIN_LIMIT = 20.0
SHOWN_LIMIT = 3.0
_ports = itertools.count()


def _outcome(note: str) -> Outcome:
    return Outcome(
        category="clinical",
        route="pf_sore_throat",
        destination="Community pharmacy",
        note=note,
        handling_seconds=42.0,
    )


@dataclass
class Site:
    """A hub (served over HTTPS, or reached in-process) and its workstations."""

    engine: str
    transport: str
    core: HubCore
    clock: LiveClock
    folder: Path
    tls: TestTls | None = None
    server: ServedHub | None = None
    port: int = 0
    faults: dict[str, FaultTransport] = field(default_factory=dict)
    ws: list[Workstation] = field(default_factory=list)

    def serve(self) -> None:
        assert self.tls is not None
        self.server = ServedHub(
            self.core, self.tls.cert_file, self.tls.key_file, port=self.port, upkeep=False
        ).start()
        self.port = self.server.port

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def workstation(self, name: str, user: str, skew: float = 0.0, **settings: Any) -> Workstation:
        make: Callable[[str], Any] | None = None
        if self.transport == "http":
            assert self.tls is not None
            url, ca = f"https://127.0.0.1:{self.port}", self.tls.ca_file
            tls = self.tls

            def make(device: str) -> Any:
                faults = FaultTransport(httpx.HTTPTransport(verify=tls.client_context()))
                self.faults[name] = faults
                return HttpClient(url, ca_file=ca, device_id=device, transport=faults, timeout=5)

        w = Workstation(
            name,
            user,
            self.folder,
            core=self.core if make is None else None,
            make_client=make,
            skew=skew,
            hub_now=self.clock,
            step=False,
            **settings,
        )
        self.ws.append(w)
        return w

    def go_down(self, w: Workstation) -> None:
        """This workstation's network fails (the hub keeps running)."""
        if w.faulty is not None:
            w.faulty.go_down()
        else:
            self.faults[w.name].go_down()

    def heal(self, w: Workstation) -> None:
        if w.faulty is not None:
            w.faulty.heal()
        else:
            self.faults[w.name].heal()

    def close(self) -> None:
        for w in self.ws:
            w.close()
        self.stop()
        self.core.close()


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Seeded hubs per engine, made once for the module (PostgreSQL on first use)."""
    return {"folder": tmp_path_factory.mktemp("outage-templates")}


def _template(templates: dict[str, Any], engine: str, request: pytest.FixtureRequest) -> Any:
    if engine not in templates:
        pg = request.getfixturevalue("pg_server") if engine == "postgresql" else None
        templates[engine] = HubTemplate.make(templates["folder"] / engine, 40, pg=pg)
    return templates[engine]


@pytest.fixture
def make_site(
    templates: dict[str, Any], request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str, str], Site]]:
    sites: list[Site] = []

    def make(engine: str, transport: str) -> Site:
        template = _template(templates, engine, request)
        clock = LiveClock()
        folder = tmp_path / f"{engine}-{transport}-{next(_ports)}"
        core = template.open(folder / "hub", clock)
        site = Site(engine, transport, core, clock, folder)
        if transport == "http":
            site.tls = TestTls.make(folder / "tls")
            site.serve()
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.close()


# -- the hub down for 60 s ------------------------------------------------------------------------


class Watch:
    """The app around one workstation during the outage: its queue screen's 1 s poll, and the
    status line read every 0.2 s (offline count == pending rows whenever no completion is
    between its commit and the sender's next round)."""

    def __init__(self, w: Workstation) -> None:
        self.w = w
        self.busy = threading.Lock()
        self.checking = True
        self.stop = threading.Event()
        self.mismatches: list[tuple[int, int]] = []
        self.reads = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        last_poll = 0.0
        while not self.stop.wait(0.2):
            if time.monotonic() - last_poll >= 1.0:
                last_poll = time.monotonic()
                with contextlib.suppress(Exception):  # the screen tries again next tick
                    self.w.svc.change_cursor()  # the queue screen's poll
            if self.checking and self.busy.acquire(blocking=False):
                try:
                    status = self.w.svc.sync_status()
                    rows = self.w.store.counts(self.w.user)[0]
                    if not status.online:
                        self.reads += 1
                        if status.pending != rows:
                            self.mismatches.append((status.pending, rows))
                finally:
                    self.busy.release()


def _outage(site: Site, report: dict[str, Any]) -> None:
    """One hub's outage (run for both hubs at once, see the test)."""
    claims: dict[str, list[Claim]] = {}
    for w in site.ws:
        assert w.sign_in()
        claims[w.name] = [c for c in (w.svc.claim_next() for _ in range(10)) if c is not None]
        assert len(claims[w.name]) == 10
    watches = [Watch(w) for w in site.ws]
    saved: dict[str, list[str]] = {w.name: [] for w in site.ws}
    errors: list[BaseException] = []

    def work(w: Workstation, watch: Watch) -> None:
        try:
            for n, claim in enumerate(claims[w.name]):
                with watch.busy:  # the completion and the status line catching up with it
                    done = w.svc.complete(claim, _outcome(f"{w.name} offline {n}"))
                    assert done.state == "pending", done
                    saved[w.name].append(done.event_id)
                    await_condition(
                        lambda: (
                            w.svc.sync_status().pending == w.store.counts(w.user)[0]
                            and not w.svc.sync_status().online
                        ),
                        10,
                        f"{w.name}'s status line to count its completion offline",
                    )
        except BaseException as exc:
            errors.append(exc)

    down_at = time.monotonic()
    site.stop()
    workers = [
        threading.Thread(target=work, args=(w, x)) for w, x in zip(site.ws, watches, strict=True)
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join(OUTAGE_SECONDS)
    assert not errors, errors
    assert all(len(ids) == 10 for ids in saved.values()), "completions not all saved offline"
    while time.monotonic() - down_at < OUTAGE_SECONDS:
        time.sleep(0.1)  # the outage is the scenario
    for x in watches:
        x.checking = False  # the hub comes back: the count moves with the answers now
    site.serve()
    up_at = time.monotonic()
    everything = [e for ids in saved.values() for e in ids]

    def accepted() -> bool:
        states = Counter(o["state"] for w in site.ws for o in w.store.outcomes())
        return states.get("accepted", 0) == len(everything) and all(
            w.store.counts(w.user)[0] == 0 for w in site.ws
        )

    await_condition(accepted, 60, f"{site.engine}: every completion accepted after the outage")
    report["drained_seconds"] = time.monotonic() - up_at
    for x in watches:
        x.stop.set()
        x.thread.join(5)
        assert not x.mismatches, f"{x.w.name}: status pending vs rows {x.mismatches[:5]}"
    report["status_reads"] = sum(x.reads for x in watches)
    facts = hub_facts(site.core)
    by_event = Counter(o.event_id for o in facts.outcomes if o.event_id)
    assert sorted(by_event) == sorted(everything) and set(by_event.values()) == {1}
    items = Counter(o.item_id for o in facts.outcomes)
    assert len(items) == 30 and set(items.values()) == {1}
    assert all(facts.events[e].state == "accepted" for e in everything)


def test_hub_down_60_s_while_three_workstations_complete_their_held_items(
    make_site: Callable[[str, str], Site], pg_server: Any
) -> None:
    sites = [make_site("sqlite", "http"), make_site("postgresql", "http")]
    for site in sites:
        for k in range(3):
            site.workstation(f"w{k}", f"nav{k + 1}", sync_wait_seconds=1.0)
    reports: dict[str, dict[str, Any]] = {s.engine: {} for s in sites}
    failures: list[BaseException] = []

    def run(site: Site) -> None:
        try:
            _outage(site, reports[site.engine])
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in sites]
    for t in threads:
        t.start()
    for t in threads:
        t.join(OUTAGE_SECONDS + 120)
    if failures:
        raise failures[0]
    print(f"drained after the hub's return: {reports}")
    for engine, report in reports.items():
        assert report["status_reads"] > 50, f"{engine}: the status line was hardly read"
        assert report["drained_seconds"] <= DRAIN_LIMIT, (engine, report)


# -- a fenced outcome -----------------------------------------------------------------------------


def _fenced(site: Site) -> tuple[Workstation, Claim, str, str]:
    """A claims and goes offline; the lease runs out on the hub; B claims and completes; A
    completes offline and comes back. Returns (A, A's claim, A's event, B's event) once A's
    refusal is shown to A (within SHOWN_LIMIT of A's return)."""
    a = site.workstation("a", "nav1", sync_wait_seconds=1.0)
    b = site.workstation("b", "nav2", sync_wait_seconds=1.0)
    assert a.sign_in() and b.sign_in()
    a_claim = a.svc.claim_next()
    assert a_claim is not None
    site.go_down(a)  # A's network goes
    rescued = expire_leases(site.core, site.clock)  # the hub's time passes beyond the lease
    assert a_claim.item_id in rescued
    b_claim = b.svc.claim(a_claim.item_id)
    assert b_claim.epoch > a_claim.epoch
    b_done = b.svc.complete(b_claim, _outcome("B's outcome"))
    await_condition(
        lambda: b.store.outcomes()[0]["state"] == "accepted", 10, "B's completion accepted"
    )
    a_done = a.svc.complete(a_claim, _outcome("A's outcome, written offline"))
    assert a_done.state == "pending"

    poll = Watch(a)  # A's app: its 1 s poll and status line
    poll.checking = False
    try:
        back = time.monotonic()
        site.heal(a)

        def shown() -> bool:
            refused = a.svc.rejected_here()
            return [r.event_id for r in refused] == [
                a_done.event_id
            ] and a.svc.sync_status().rejected == 1

        await_condition(shown, SHOWN_LIMIT, "A's refused outcome shown to A")
        print(f"{site.engine}/{site.transport}: shown {time.monotonic() - back:.2f} s after")
    finally:
        poll.stop.set()
    return a, a_claim, a_done.event_id, b_done.event_id


@pytest.mark.parametrize(
    ("engine", "transport"),
    [("sqlite", "inprocess"), ("sqlite", "http"), ("postgresql", "http")],
)
def test_an_outcome_completed_offline_after_the_item_moved_on_is_refused_and_kept(
    make_site: Callable[[str, str], Site], engine: str, transport: str
) -> None:
    site = make_site(engine, transport)
    a, a_claim, a_event, b_event = _fenced(site)
    refused = a.svc.rejected_here()[0]
    assert refused.code == "fenced" and refused.reason
    assert refused.payload["outcome"]["note"] == "A's outcome, written offline"  # kept whole
    (kept,) = [o for o in a.store.outcomes() if o["event_id"] == a_event]
    assert kept["state"] == "rejected" and kept["outcome"]["note"] == "A's outcome, written offline"
    # the board: the supervisor sees it among the hub's refused events
    sup = InProcessClient(site.core, "ws-board")
    sup.sign_in(SUPERVISOR, PASSWORD)
    board = {r.event_id: r for r in sup.sync_rejected()}
    assert board[a_event].code == "fenced"
    assert board[a_event].payload["outcome"]["note"] == "A's outcome, written offline"
    facts = hub_facts(site.core)
    only = [o for o in facts.outcomes if o.item_id == a_claim.item_id]
    assert [(o.navigator, o.event_id) for o in only] == [("nav2", b_event)]
    assert a_event in facts.rejected


# -- clocks -------------------------------------------------------------------------------------

SKEWS = {"10 min slow": -600.0, "3 min fast": 180.0, "2 h fast": 7200.0}


def _hub_lease_left(site: Site, claim: Claim) -> float:
    from ehub_tui.store.models import Consultation

    table = Consultation.__table__  # type: ignore[attr-defined]
    with read_tx(site.core.engine) as conn:
        ends = conn.execute(
            select(table.c.lease_until).where(table.c.id == claim.item_id)
        ).scalar_one()
    if ends.tzinfo is None:
        from datetime import UTC

        ends = ends.replace(tzinfo=UTC)
    return float((ends - site.clock()).total_seconds())


@pytest.mark.parametrize(
    ("engine", "transport"),
    [("sqlite", "inprocess"), ("sqlite", "http"), ("postgresql", "http")],
)
def test_skewed_workstation_clocks_estimate_the_hubs_lease_end_within_2_s(
    make_site: Callable[[str, str], Site], engine: str, transport: str
) -> None:
    site = make_site(engine, transport)
    stations = {
        name: site.workstation(f"w{k}", f"nav{k + 1}", skew=skew, sync_wait_seconds=2.0)
        for k, (name, skew) in enumerate(SKEWS.items())
    }
    done: dict[str, str] = {}
    for name, w in stations.items():
        assert w.sign_in()
        claim = w.svc.claim_next()
        assert claim is not None
        w.svc.sync_drain(5)  # a round: the sender's clock estimate from the hub's replies
        ours, hubs = w.svc.lease_left(claim), _hub_lease_left(site, claim)
        assert abs(ours - hubs) <= 2.0, f"{name}: lease left {ours:.1f} s here, {hubs:.1f} s"
        site.go_down(w)  # and with the hub away, counted on by the monotonic clock
        time.sleep(1.0)  # the time passing is the scenario
        ours, hubs = w.svc.lease_left(claim), _hub_lease_left(site, claim)
        assert abs(ours - hubs) <= 2.0, f"{name} offline: {ours:.1f} s here, {hubs:.1f} s"
        site.heal(w)
        result = w.svc.complete(claim, _outcome(f"clock {name}"))
        if result.state != "accepted":
            w.svc.sync_drain(10)
        done[name] = result.event_id
        status = w.svc.sync_status()
        assert status.suspect_clock and status.offset_seconds is not None
        assert abs(status.offset_seconds + SKEWS[name]) <= 2.0, (name, status)
    from ehub_tui.store.models import Outcome as OutcomeRow

    table = OutcomeRow.__table__  # type: ignore[attr-defined]
    with read_tx(site.core.engine) as conn:
        rows = {
            r.event_id: r
            for r in conn.execute(
                select(
                    table.c.event_id,
                    table.c.completed_at,
                    table.c.client_completed_at,
                    table.c.clock_suspect,
                    table.c.clock_offset_seconds,
                )
            )
        }
    for name, event_id in done.items():
        row = rows[event_id]
        assert row.clock_suspect is True, name
        gap = abs((row.client_completed_at - row.completed_at).total_seconds())
        assert gap <= 2.0, f"{name}: the corrected completion time is {gap:.1f} s off"


def test_a_one_hour_clock_step_mid_task_changes_the_handling_time_by_at_most_half_a_second() -> (
    None
):
    from tests.triage.conftest import NOW, Ticks, session

    for step in (timedelta(hours=1), timedelta(hours=-1)):
        ticks = Ticks()
        s = session("throat", monotonic=ticks)  # opened at NOW (wall), ticks 100.0
        ticks.t += 50.0
        wall = NOW + timedelta(seconds=50) + step  # the wall clock steps an hour mid-task
        s.hidden(wall)  # a dialog over it for 10 s
        ticks.t += 10.0
        s.shown(wall + timedelta(seconds=10))
        ticks.t += 30.0
        outcome = s.accept(wall + timedelta(seconds=40))
        assert outcome is not None
        assert abs(outcome.handling_seconds - 80.0) <= 0.5, (step, outcome.handling_seconds)
