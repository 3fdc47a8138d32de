"""A demo hub that reads as today: the fixtures' times moved to the hub's clock, and two weeks of
completed work behind them.

The shipped fixtures were written for 16–22 November 2026; loaded as they are, every item is
weeks overdue and this week's and last week's reports are empty. So ``ehub-tui demo`` maps the
fixtures' week onto the two weeks ending at the hub's "now" (in order: the newest fixture is the
newest item, minutes old), then completes the older items as the demo navigators would have,
each at its own time, so the reports of this week and last week have figures. What is left open:
the last day and a half (new items, some due by the end of today's working day, soon on a
working afternoon), and a few older ones left undone (overdue).

The completions are made through the hub service as the demo navigators, on a clock set to each
one's time, in time order: the audit chain tells the same story in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ehub_tui.domain.models import NewConsultation, Outcome
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.ingest.runner import Ingester

if TYPE_CHECKING:
    from ehub_tui.service import HubService

# the fixtures' week (UTC) and the span it is spread over, ending at the hub's now
FIXTURE_START = datetime(2026, 11, 16, 7, 45, tzinfo=UTC)  # just before the first
FIXTURE_END = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # just after the last
SPAN = timedelta(days=14)
NEWEST = timedelta(minutes=4)  # the newest item arrived this long before now
# items received longer ago than this were worked, but for one in LEFT_UNDONE (the overdue
# few); of those received since, up to RECENT ago, every other one was worked (navigators work
# the queue as it comes); the last RECENT are all open (new)
OPEN_FOR = timedelta(hours=36)
LEFT_UNDONE = 24
RECENT = timedelta(hours=3)
NAVIGATORS = ("nav1", "nav2", "nav3")
# what a demo navigator decided, by request type (routes of the shipped SOPs)
OUTCOMES = {
    "clinical": ("clinical", "clin_gp_routine", "GP routine appointment"),
    "admin": ("admin", "adm_fit_note_new", "Fit note"),
}
OTHER_OUTCOME = ("signpost", "sp_community_pharmacy", "Community pharmacy")


def shift(received: datetime, now: datetime) -> datetime:
    """Where a fixture's received time lands: the fixtures' week spread over the two weeks
    ending ``NEWEST`` before ``now``, in the same order (a time outside it is clamped)."""
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    part = (received - FIXTURE_START) / (FIXTURE_END - FIXTURE_START)
    part = min(max(part, 0.0), 1.0)
    return now - NEWEST - SPAN * (1.0 - part)


class ShiftingIngester(Ingester):
    """The ingester, each record's received time moved by ``shift`` before it is stored."""

    def __init__(self, service: HubService, now: datetime, **kwargs: Any) -> None:
        super().__init__(service, **kwargs)
        self.now = now

    def _store_batch(
        self, items: list[NewConsultation], bad: list[dict[str, Any]], source_file: str
    ) -> tuple[list[tuple[int, int]], int]:
        moved = [
            i.model_copy(update={"received_at": shift(i.received_at, self.now)}) for i in items
        ]
        return super()._store_batch(moved, bad, source_file)


class DemoClock:
    """A clock the demo build sets to each completion's time (the hub service's ``clock``)."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._mono = 0.0

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        self._mono += 0.001
        return self._mono


def worked(
    created: Sequence[int], service: HubService, now: datetime
) -> list[tuple[int, int, datetime, str]]:
    """The new items to complete, as (item id, index, received, request type) in received
    order (see OPEN_FOR, LEFT_UNDONE and RECENT)."""
    new = set(created)
    rows = []
    offset = 0
    while True:  # the queue's own pages (a thousand at a time)
        page, total = service.queue_page("queue", QueueFilter(), offset, 1000)
        rows += [r for r in page if r.id in new and r.received_at < now - RECENT]
        offset += len(page)
        if not page or offset >= total:
            break
    rows.sort(key=lambda r: (r.received_at, r.id))

    def done(i: int, received: datetime) -> bool:
        if received < now - OPEN_FOR:
            return i % LEFT_UNDONE != LEFT_UNDONE - 1
        return i % 2 == 0

    return [
        (r.id, i, r.received_at, r.request_type)
        for i, r in enumerate(rows)
        if done(i, r.received_at)
    ]


def complete_history(service: HubService, created: Sequence[int], now: datetime) -> int:
    """Complete the older new items as the demo navigators, each at its own time (between a
    quarter of an hour and a few hours after it arrived), in time order; how many."""
    from ehub_tui.service import HubService as Hub

    plan = []
    for cid, i, received, kind in worked(created, service, now):
        taken = min(received + timedelta(minutes=15 + (i * 37) % 240), now - timedelta(minutes=5))
        done = min(taken + timedelta(minutes=3 + i % 9), now - timedelta(minutes=1))
        plan.append((taken, done, cid, NAVIGATORS[i % len(NAVIGATORS)], kind))
    plan.sort()
    clock = DemoClock(now)
    hubs = {nav: Hub(service.engine, service.settings, nav, clock=clock) for nav in NAVIGATORS}
    count = 0
    for taken, done, cid, nav, kind in plan:
        category, route, destination = OUTCOMES.get(kind, OTHER_OUTCOME)
        clock.at = taken
        claim = hubs[nav].claim(cid)
        clock.at = done
        outcome = Outcome(
            category=category,
            route=route,
            destination=destination,
            note="completed in the demo's history",
            handling_seconds=(done - taken).total_seconds(),
        )
        hubs[nav].complete(claim, outcome)
        count += 1
    return count
