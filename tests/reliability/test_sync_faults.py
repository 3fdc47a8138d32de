"""Every network fault the sync tests inject, on a push to a real hub, over the in-process client
(tests/support/sync_faults.FaultyClient) and over HTTPS to a served hub (tests/support/faults.
FaultTransport), SQLite and PostgreSQL: whatever the fault, sending the same outbox again until
the hub answers applies each event exactly once and every answer names the stored result.

These check the fault injectors themselves (a fault that silently did nothing would make the
state machine's run meaningless) and the hub's dedupe under each one.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import Claim
from ehub_tui.domain.sync import PushResult, SyncEvent
from ehub_tui.errors import HubUnreachable
from ehub_tui.hub.core import HubCore
from tests.support.faults import FaultTransport
from tests.support.hubserver import PASSWORD, TestTls, served
from tests.support.sync_faults import FaultyClient
from tests.support.sync_hub import HubClock, HubTemplate, hub_facts

OUTCOME = Outcome(category="admin", route="fit_note", destination="Fit note", handling_seconds=30)
_seq = itertools.count(1)


def _events(claims: list[Claim], device: str) -> list[SyncEvent]:
    return [
        SyncEvent(
            event_id=str(uuid.uuid4()),
            device_id=device,
            device_seq=next(_seq),
            username=c.owner,
            kind="complete",
            item_id=c.item_id,
            epoch=c.epoch,
            client_at=datetime(2026, 11, 23, 10, 5, tzinfo=UTC),
            offset_seconds=0.0,
            rtt_seconds=0.001,
            payload={"outcome": OUTCOME.model_dump(mode="json"), "active_seconds": 30.0},
        )
        for c in claims
    ]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> HubTemplate:
    """A seeded hub per engine, made once for the module (each test gets a copy)."""
    pg = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
    return HubTemplate.make(tmp_path_factory.mktemp("sync-faults"), 12, pg=pg)


@pytest.fixture
def hub(template: HubTemplate, tmp_path: Path) -> Iterator[HubCore]:
    core = template.open(tmp_path / "hub", HubClock())
    yield core
    core.close()


class Link:
    """A signed-in client to the hub with a fault injector in front of it."""

    def __init__(
        self, kind: str, client: Any, add: Callable[..., None], heal: Callable[[], None]
    ) -> None:
        self.kind = kind
        self.client = client
        self.add = add
        self.heal = heal


@pytest.fixture(params=["inprocess", "http"])
def link(
    request: pytest.FixtureRequest, template: HubTemplate, hub: HubCore, tmp_path: Path
) -> Iterator[Link]:
    if request.param == "inprocess":
        if template.engine == "postgresql":  # as tests/conftest.py's transport fixture
            pytest.skip("the in-process client is the embedded (SQLite) hub's: HTTP covers it")
        faulty = FaultyClient(InProcessClient(hub, "ws-faults"))
        faulty.sign_in("nav1", PASSWORD)

        def add_inprocess(kind: str, times: int = 1, second: bool = False) -> None:
            if kind == "partition":
                faulty.partition(times)
            else:
                faulty.add(kind, "sync_push", times, second)  # type: ignore[arg-type]

        yield Link("inprocess", faulty, add_inprocess, faulty.heal)
        return
    tls = TestTls.make(tmp_path / "tls")
    with ExitStack() as stack:
        server = stack.enter_context(served(hub, tls))
        faults = FaultTransport(httpx.HTTPTransport(verify=tls.client_context()))
        client = HttpClient(
            server.url, ca_file=tls.ca_file, device_id="ws-faults", transport=faults, timeout=5
        )
        stack.callback(client.close)
        client.sign_in("nav1", PASSWORD)

        def add_http(kind: str, times: int = 1, second: bool = False) -> None:
            path = "/sync/push"
            if kind == "partition":
                faults.partition(times)
            elif kind == "duplicate":
                faults.duplicate("POST", path, times, second)
            elif kind == "status":
                faults.fail_with("POST", path, 503, times)
            elif kind == "delay":
                faults.late("POST", path, times)
            else:
                getattr(faults, kind)("POST", path, times)

        yield Link("http", client, add_http, faults.heal)


FAULTS = ["drop_before", "drop_after", "duplicate", "duplicate2", "reorder", "delay", "status"]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_push_under_each_fault_applies_every_event_once(link: Link, fault: str) -> None:
    client = link.client
    claims = [client.claim_next() for _ in range(4)]
    events = _events([c for c in claims if c is not None], "ws-faults")
    assert len(events) == 4
    if fault == "duplicate2":
        link.add("duplicate", times=1, second=True)
    else:
        link.add(fault, times=1)
    answers: list[PushResult] = []
    for _ in range(5):  # as the sender does: the same pending events until answered
        try:
            answers.append(client.sync_push(events))
            break
        except HubUnreachable:
            continue
    link.heal()
    assert answers, f"{fault}: never answered"
    first = answers[0]
    assert [r.event_id for r in first.results] == [e.event_id for e in events]
    assert all(r.state in ("accepted", "duplicate") for r in first.results), first.results
    again = client.sync_push(events)  # a late resend is answered from the ledger
    assert [r.state for r in again.results] == ["duplicate"] * 4
    assert [r.outcome_id for r in again.results] == [r.outcome_id for r in first.results]


@pytest.mark.parametrize("fault", FAULTS)
def test_the_hub_holds_each_event_once_whatever_the_fault(
    link: Link, hub: HubCore, fault: str
) -> None:
    client = link.client
    claims = [c for c in (client.claim_next() for _ in range(3)) if c is not None]
    events = _events(claims, "ws-faults")
    link.add("duplicate" if fault == "duplicate2" else fault, times=2, second=fault != "duplicate")
    for _ in range(6):
        try:
            client.sync_push(events)
            break
        except HubUnreachable:
            continue
    link.heal()
    client.sync_push(events)
    facts = hub_facts(hub)
    mine = {e.event_id for e in events}
    assert mine <= set(facts.events)
    applied = [o for o in facts.outcomes if o.event_id in mine]
    assert sorted(o.event_id for o in applied if o.event_id) == sorted(mine)  # once each
    assert {o.item_id for o in applied} == {c.item_id for c in claims}
    assert all(facts.items[c.item_id][0] == "completed" for c in claims)


def test_a_partition_refuses_n_calls_then_lets_them_through(link: Link) -> None:
    link.add("partition", times=3)
    # in-process: three calls refused; HTTPS: one GET, whose two retries use up the other two
    for _ in range(3 if link.kind == "inprocess" else 1):
        with pytest.raises(HubUnreachable):
            link.client.view_counts()
    assert link.client.view_counts()["queue"] >= 1
