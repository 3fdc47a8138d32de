"""The hub's history for capacity planning (issue 17): the last whole UK-local weeks by the hub's
clock, every arrival whatever became of it, handling times only where a workstation measured
them, no patient identifiers, for supervisors and managers only, and the same value through the
hub service, the in-process client and HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from ehub_tui.domain.capacity import MAX_WEEKS, CapacityHistory, HistoryArrival, HistoryHandling
from ehub_tui.errors import PermissionDenied, StoreError
from ehub_tui.hub.wire_capacity import CAPACITY_HISTORY, CapacityHistoryWire
from ehub_tui.service import HubService
from tests.conftest import FrozenClock
from tests.hub.syncing import OUTCOME, event
from tests.support.factories import oc_row

# A Wednesday in British Summer Time: the window is the two whole weeks before Monday 8 June,
# from Monday 25 May (a bank holiday: its arrivals are sent all the same; the demand count
# leaves the day out) 00:00 BST = Sunday 24 May 23:00 UTC, to Monday 8 June 00:00 BST.
AS_OF = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
FIRST_MONDAY = date(2026, 5, 25)
WEEKS = 2


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


# item number -> (received, request type, priority); the comments say what becomes of each
RECEIVED = {
    1: (_utc(2026, 5, 24, 22, 59, 59), "clinical", 0),  # Sunday 23:59:59 BST: before the window
    2: (_utc(2026, 5, 24, 23, 0, 0), "admin", 1),  # Monday 00:00 BST: the first inside
    3: (_utc(2026, 5, 27, 9, 0), "clinical", 0),  # completed on a workstation, 61 s on screen
    4: (_utc(2026, 5, 27, 9, 30), "clinical", 0),  # completed on the hub: its handling time
    5: (_utc(2026, 5, 27, 10, 0), "clinical", 0),  # completed on a workstation, 0 s on screen
    6: (_utc(2026, 5, 28, 11, 0), "admin", 0),  # cancelled as a duplicate: still arrived
    7: (_utc(2026, 6, 7, 22, 59, 59), "clinical", 0),  # Sunday 23:59:59 BST: the last inside
    8: (_utc(2026, 6, 7, 23, 0, 0), "clinical", 0),  # Monday 8 June 00:00 BST: this week's
    9: (_utc(2026, 5, 22, 10, 0), "clinical", 2),  # before; completed inside, 30 s on screen
    10: (_utc(2026, 6, 1, 8, 0), "admin", 0),  # inside; completed this week, 45 s on screen
}
INSIDE = [2, 3, 4, 5, 6, 10, 7]  # in order of arrival


def _complete_on_a_workstation(nav: HubService, item_id: int, active: float, at: datetime) -> None:
    claim = nav.claim(item_id)
    payload = {"outcome": OUTCOME.model_dump(mode="json"), "active_seconds": active}
    (result,) = nav.sync_push([event("complete", claim, payload=payload, client_at=at)]).results
    assert result.state == "accepted", result


@pytest.fixture
def history_hub(
    seeded: HubService, make_service: Callable[..., Any], clock: FrozenClock
) -> HubService:
    """The seeded hub with RECEIVED arriving (each at its time: the hub takes none from its
    future) and worked as the comments there say, the clock then at AS_OF; returns the system's
    hub service."""
    ids: dict[int, int] = {}

    def arrive(*items: int) -> None:
        for i in items:
            at, kind, priority = RECEIVED[i]
            clock.now = at
            row = oc_row(i, received_at=at, request_type=kind, priority=priority)
            ((_, ids[i]),) = seeded.store_intake([row]).created

    # the workers are the hub service itself whatever the test's transport: setting up only
    nav = HubService.open(seeded.settings, "nav1", clock=clock)
    sup = HubService.open(seeded.settings, "sup1", clock=clock)
    try:
        arrive(9, 1, 2)
        clock.now = _utc(2026, 5, 26, 10, 0)
        _complete_on_a_workstation(nav, ids[9], 30.0, clock.now)
        arrive(3, 4, 5)
        clock.now = _utc(2026, 5, 27, 12, 0)
        _complete_on_a_workstation(nav, ids[3], 61.0, clock.now)
        nav.complete(nav.claim(ids[4]), OUTCOME.model_copy(update={"category": "admin"}))
        _complete_on_a_workstation(nav, ids[5], 0.0, clock.now)
        arrive(6)
        sup.cancel(ids[6], "duplicate of another request")
        arrive(10, 7, 8)
        clock.now = _utc(2026, 6, 8, 8, 0)
        _complete_on_a_workstation(nav, ids[10], 45.0, clock.now)
    finally:
        nav.close()
        sup.close()
    clock.now = AS_OF
    return seeded


def _expected_arrivals() -> list[HistoryArrival]:
    return [
        HistoryArrival(
            at=RECEIVED[i][0],
            request_type=RECEIVED[i][1],
            practice_ods=oc_row(i).practice_ods,
            priority=RECEIVED[i][2],
        )
        for i in INSIDE
    ]


# the store's reads on both engines (through the hub service: no client to spin up)
def test_the_window_holds_its_arrivals_and_measured_handling_times(
    history_hub: HubService,
) -> None:
    history = history_hub.capacity_history(WEEKS)
    assert history.as_of == AS_OF
    assert (history.first_monday, history.weeks) == (FIRST_MONDAY, WEEKS)
    assert (history.core_start, history.core_end) == (time(8, 0), time(18, 30))
    assert history.closed_days == []  # the hub has no closures beyond bank holidays
    assert history.arrivals == _expected_arrivals()
    # completed inside the window with time on screen, in order of completion: item 9 (received
    # before the window), then item 3, then item 4 (completed on the hub directly: its outcome's
    # own handling_seconds); not item 5 (0 s) nor 10 (this week)
    assert history.handling == [
        HistoryHandling(request_type="clinical", category="signpost", priority=2, seconds=30.0),
        HistoryHandling(request_type="clinical", category="signpost", priority=0, seconds=61.0),
        HistoryHandling(
            request_type="clinical",
            category="admin",
            priority=0,
            seconds=OUTCOME.handling_seconds,
        ),
    ]
    # times, types, practice codes, priorities and categories only: nothing about a patient
    sent = history.model_dump_json()
    for i in RECEIVED:
        row = oc_row(i)
        for private in (row.nhs_number, row.family_name, row.given_name, row.external_id):
            assert private not in sent
    # more weeks reach further back; the current week never counts
    longer = history_hub.capacity_history(3)
    assert longer.first_monday == date(2026, 5, 18)
    assert [a.at for a in longer.arrivals] == [RECEIVED[i][0] for i in [9, 1, *INSIDE]]


@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)
def test_a_window_before_anything_arrived_is_empty(
    history_hub: HubService, clock: FrozenClock
) -> None:
    clock.now = _utc(2024, 1, 3, 12, 0)
    empty = history_hub.capacity_history(1)
    assert (empty.first_monday, empty.arrivals, empty.handling) == (date(2023, 12, 25), [], [])
    assert _over_the_wire(empty) == empty


def test_the_hubs_closed_days_shut_due_times_and_reach_the_plan(
    seeded: HubService, make_service: Callable[..., Any], clock: FrozenClock
) -> None:
    # Wednesday 3 June 2026 is a protected-learning day: a request at 19:00 on Tuesday (after
    # hours) counts as received on Thursday, not Wednesday, so it is due at the end of Friday
    # (Thursday without the closure); and the history names the day
    shut = date(2026, 6, 3)
    hub = make_service(closed_days=[shut])
    clock.now = _utc(2026, 6, 2, 18, 0)
    row = oc_row(1, received_at=clock.now, request_type="clinical")
    ((_, item),) = hub.store_intake([row]).created
    assert hub.consultation(item).due_by == _utc(2026, 6, 5, 17, 30)  # 18:30 BST on Friday
    clock.now = AS_OF
    assert make_service("mgr1", closed_days=[shut]).capacity_history(WEEKS).closed_days == [shut]


def _over_the_wire(history: CapacityHistory) -> CapacityHistory:
    text = CAPACITY_HISTORY.dump_json(CapacityHistoryWire.of(history))
    return CAPACITY_HISTORY.validate_json(text).to_domain()


def test_the_wire_form_is_exact_and_compact() -> None:
    # a fortnight of a busy hub: an arrival every 97.000013 s, handling times with fractions
    start = datetime(2026, 3, 23, 0, 0, tzinfo=UTC)  # Monday; the clocks change on the 29th
    arrivals = [
        HistoryArrival(
            at=start + timedelta(seconds=97.000013 * n),
            request_type=("clinical", "admin")[n % 2],
            practice_ods=f"Z9900{n % 7}",
            priority=n % 3,
        )
        for n in range(12_000)
    ]
    handling = [
        HistoryHandling(
            request_type=("clinical", "admin")[n % 2],
            category=("signpost", "clinical", "admin", "escalate")[n % 4],
            priority=n % 3,
            seconds=0.1 + n / 7,
        )
        for n in range(10_000)
    ]
    history = CapacityHistory(
        as_of=_utc(2026, 4, 8, 9, 0),
        first_monday=date(2026, 3, 23),
        weeks=2,
        core_start=time(8, 0),
        core_end=time(18, 30),
        closed_days=[date(2026, 12, 24)],
        arrivals=arrivals,
        handling=handling,
    )
    assert _over_the_wire(history) == history
    wire = len(CAPACITY_HISTORY.dump_json(CapacityHistoryWire.of(history)))
    assert wire < len(history.model_dump_json()) / 4


WINDOW = {
    "as_of": "2026-06-10T09:00:00Z",
    "first_monday": "2026-05-25",
    "weeks": 2,
    "core_start": "08:00",
    "core_end": "18:30",
}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"arrival_type": [5]}, "points past"),
        ({"arrival_priority": [3]}, "less than or equal to 2"),
        ({"arrival_at": [-1]}, "greater than or equal to 0"),
        ({"arrival_practice": []}, "differ in length"),
        ({"handling_seconds": [0.0]}, "greater than 0"),
        ({"window": WINDOW | {"weeks": MAX_WEEKS + 1}}, "less than or equal"),
    ],
)
def test_a_reply_that_is_not_a_history_is_refused_as_it_is_read(
    change: dict[str, Any], why: str
) -> None:
    good: dict[str, Any] = {
        "window": WINDOW,
        "request_types": ["clinical"],
        "practices": ["Z99001"],
        "categories": ["signpost"],
        "arrival_at": [0],
        "arrival_type": [0],
        "arrival_practice": [0],
        "arrival_priority": [0],
        "handling_type": [0],
        "handling_category": [0],
        "handling_priority": [0],
        "handling_seconds": [1.5],
    }
    assert CAPACITY_HISTORY.validate_python(good).to_domain().arrivals[0].at == _utc(
        2026, 5, 24, 23, 0
    )
    with pytest.raises(ValidationError, match=why):
        CAPACITY_HISTORY.validate_python(good | change)


@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("transport", ["direct", "inprocess", "http"], indirect=True)
def test_every_transport_gives_the_same_history_to_those_who_see_reports(
    history_hub: HubService, make_service: Callable[..., Any], transport: str
) -> None:
    expected = history_hub.capacity_history(WEEKS)
    services = {user: make_service(user) for user in ("mgr1", "sup1", "nav1", "author1")}
    (last,) = history_hub.audit_log(limit=1)  # (signing in over a client is audited)
    for user in ("mgr1", "sup1"):
        assert services[user].capacity_history(WEEKS) == expected, user
    manager = services["mgr1"]
    for weeks in (0, -1, MAX_WEEKS + 1):
        with pytest.raises(StoreError, match=f"1 to {MAX_WEEKS} whole weeks"):
            manager.capacity_history(weeks)
    assert manager.capacity_history(MAX_WEEKS).weeks == MAX_WEEKS
    for user in ("nav1", "author1"):
        for weeks in (WEEKS, 0):  # the role is refused before the weeks are looked at
            with pytest.raises(PermissionDenied, match="see reports"):
                services[user].capacity_history(weeks)
    # each refusal audited (as every refusal is); the reads themselves are not, as report()'s
    since = [e for e in history_hub.audit_log(limit=100) if e.seq > last.seq]
    assert sorted((e.actor, e.action, e.body["permission"]) for e in since) == [
        (user, "denied", "see_reports") for user in ("author1", "author1", "nav1", "nav1")
    ]
