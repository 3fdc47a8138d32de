"""A demo hub that reads as today: the fixtures' times moved to the hub's clock, and two weeks of
completed work behind them.

The shipped fixtures were written for 16–22 November 2026; loaded as they are, every item is
weeks overdue and this week's and last week's reports are empty. So ``ehub-tui demo`` maps the
fixtures' week onto the two weeks ending at the hub's "now" (in order: the newest fixture is the
newest item, minutes old), screens each for red flags a minute after it arrived, then completes
the older items as the demo navigators would have, each at its own time: red-flag emergencies
escalated, Pharmacy First conditions to the community pharmacy, the rest by request type, so
the reports of this week and last week have figures (Pharmacy First and escalations too).

What is left open reads as a queue on any day: the last day and a half (new items, some due by
the end of today's working day, soon on a working afternoon; one in three of the older ones
worked), at most LEFT_OVERDUE overdue, by hours (due within the last OVERDUE_WITHIN); a
red-flag emergency is left open only when it arrived within RECENT today (never days ago).

Screenings and completions are made through the hub as the demo navigators, on a clock set to
each one's time, in time order: the audit chain and every item's history tell the same story in
the same order (received, screened, claimed, completed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ehub_tui.domain.clock import LONDON
from ehub_tui.domain.models import NewConsultation, Outcome
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.types import Priority
from ehub_tui.ingest.runner import Ingester

if TYPE_CHECKING:
    from ehub_tui.service import HubService

# the fixtures' week (UTC) and the span it is spread over, ending at the hub's now
FIXTURE_START = datetime(2026, 11, 16, 7, 45, tzinfo=UTC)  # just before the first
FIXTURE_END = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # just after the last
SPAN = timedelta(days=14)
NEWEST = timedelta(minutes=4)  # the newest item arrived this long before now
# items received longer ago than this were worked; of those received since, up to RECENT ago,
# one in three was worked (navigators work the queue as it comes); the last RECENT are all
# open (new). Overdue items are worked but for the newest LEFT_OVERDUE due within OVERDUE_WITHIN
# (overdue by hours: on a Saturday evening, Friday's close); an emergency is always worked
# unless it arrived within RECENT, today.
OPEN_FOR = timedelta(hours=36)
RECENT = timedelta(hours=3)
LEFT_OVERDUE = 3
OVERDUE_WITHIN = timedelta(hours=26)
LATE_FROM = timedelta(days=4)
SCREENED_AFTER = timedelta(minutes=1)
NAVIGATORS = ("nav1", "nav2", "nav3")
# what a demo navigator decided, by request type (routes of the shipped SOPs)
OUTCOMES = {
    "clinical": ("clinical", "clin_gp_routine", "GP routine appointment"),
    "admin": ("admin", "adm_fit_note_new", "Fit note"),
}
OTHER_OUTCOME = ("signpost", "sp_community_pharmacy", "Community pharmacy")
# a Pharmacy First condition (the consultation's template) goes to the community pharmacy with
# the Pharmacy First SNOMED code (what the returns count); an emergency red flag is escalated
PHARMACY_FIRST = ("signpost", "Community pharmacy (Pharmacy First)", "COMMUNITY_PHARMACY")
PHARMACY_FIRST_SNOMED = "1362511000000107"


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


@dataclass(frozen=True, slots=True)
class Planned:
    """A new item as the demo sees it once screened: when it arrived, how urgent, when due."""

    id: int
    received_at: datetime
    request_type: str
    template: str | None
    priority: int
    due_by: datetime
    flags: tuple[dict[str, str], ...]


def _rows(service: HubService, created: Sequence[int]) -> list[Any]:
    """The created items' queue rows, in received order."""
    new = set(created)
    rows = []
    offset = 0
    while True:  # the queue's own pages (a thousand at a time)
        page, total = service.queue_page("queue", QueueFilter(), offset, 1000)
        rows += [r for r in page if r.id in new]
        offset += len(page)
        if not page or offset >= total:
            break
    rows.sort(key=lambda r: (r.received_at, r.id))
    return rows


def _screened(service: HubService, created: Sequence[int]) -> list[Planned]:
    """Each created item with the red flags the SOPs find (not recorded yet: the screening is
    recorded at its own time by ``complete_history``), its priority and due time after them."""
    from sqlalchemy import select

    from ehub_tui.store import screening
    from ehub_tui.store.engine import read_tx

    rows = _rows(service, created)
    engine = service.parts.guidance.library.engine
    items: dict[int, dict[str, Any]] = {}
    if engine is not None and rows:
        with read_tx(service.engine) as conn:
            found = conn.execute(
                select(*screening.FIELDS).where(screening.C.c.id.in_([r.id for r in rows]))
            ).all()
        items = {int(r.id): dict(r._mapping) for r in found}
    out = []
    for r in rows:
        flags: tuple[dict[str, str], ...] = ()
        item = items.get(r.id)
        if engine is not None and item is not None:
            day = (r.received_at + SCREENED_AFTER).astimezone(LONDON).date()
            found_flags = engine.evaluate(item, {}, day, trace=False, hub_priority=False).red_flags
            flags = tuple({"id": f.id, "level": f.level} for f in found_flags)
        want = int(Priority.from_flags(f["level"] for f in flags))
        priority, due = r.priority, r.due_by
        if want > priority:  # as the prescreen raises it (never lowers)
            priority, due = want, service._ctx.due_by(r.received_at, want)
        out.append(Planned(r.id, r.received_at, r.request_type, r.template, priority, due, flags))
    return out


def plan_work(items: Sequence[Planned], now: datetime) -> list[tuple[int, Planned]]:
    """The items to complete, as (index, item) in received order (see OPEN_FOR, RECENT,
    LEFT_OVERDUE, OVERDUE_WITHIN); every other one is left open."""
    today = now.astimezone(LONDON).date()
    older = [p for p in items if p.received_at < now - RECENT]
    # the overdue few left undone: the newest due within OVERDUE_WITHIN (received within
    # LATE_FROM: a weekday's leftover, over a weekend at most); never an emergency
    late = [
        p
        for p in older
        if now - OVERDUE_WITHIN <= p.due_by < now
        and p.priority < int(Priority.EMERGENCY)
        and p.received_at >= now - LATE_FROM
    ]
    left = {p.id for p in late[-LEFT_OVERDUE:]}
    out = []
    for i, p in enumerate(items):
        emergency = p.priority >= int(Priority.EMERGENCY)
        fresh = p.received_at >= now - RECENT and p.received_at.astimezone(LONDON).date() == today
        if p.id in left:
            continue
        if emergency and not fresh:
            out.append((i, p))  # escalated at the time: never an emergency days old
        elif p.received_at >= now - RECENT:
            continue  # new
        elif p.received_at < now - OPEN_FOR or p.due_by < now or i % 3 == 0 or _quick(p):
            out.append((i, p))
    return out


def _quick(p: Planned) -> bool:
    """A Pharmacy First condition is a quick referral, worked as it comes (so even a week two
    days old has one in its report)."""
    from ehub_tui.export.metrics import PHARMACY_FIRST_CONDITIONS

    return p.priority == int(Priority.NORMAL) and p.template in PHARMACY_FIRST_CONDITIONS


def outcome_for(p: Planned, taken: datetime, done: datetime) -> Outcome:
    """What a demo navigator decided: an emergency escalated, a Pharmacy First condition to the
    community pharmacy, else by request type (routes of the shipped SOPs)."""
    from ehub_tui.export.metrics import PHARMACY_FIRST_CONDITIONS

    common: dict[str, Any] = {
        "note": "completed in the demo's history",
        "handling_seconds": (done - taken).total_seconds(),
    }
    if p.priority >= int(Priority.EMERGENCY):
        flag = p.flags[0]["id"] if p.flags else "red_flag"
        return Outcome(
            category="escalate",
            route=f"escalate_{flag}",
            destination="Duty clinician now",
            destination_code="DUTY_CLINICIAN_NOW",
            urgency="immediate",
            contact_mode="phone",
            **common,
        )
    if p.template in PHARMACY_FIRST_CONDITIONS:
        category, destination, code = PHARMACY_FIRST
        return Outcome(
            category=category,
            route=f"pf_{p.template}",
            destination=destination,
            destination_code=code,
            urgency="same_day",
            snomed_code=PHARMACY_FIRST_SNOMED,
            contact_mode="message",
            **common,
        )
    category, route, destination = OUTCOMES.get(p.request_type, OTHER_OUTCOME)
    return Outcome(category=category, route=route, destination=destination, **common)


def _record_screening(service: HubService, p: Planned, at: datetime) -> None:
    """The prescreen of one item at its own time (as the hub's prescreen records it)."""
    from sqlalchemy import select

    from ehub_tui.store import screening
    from ehub_tui.store.engine import read_tx, write_tx

    engine = service.parts.guidance.library.engine
    if engine is None:
        return
    with read_tx(service.engine) as conn:
        row = conn.execute(
            select(*screening.FIELDS).where(
                screening.C.c.id == p.id, screening.C.c.screened_at.is_(None)
            )
        ).first()
    if row is None:
        return
    sops = [{"id": s.id, "version": s.meta.version, "sha256": s.sha256} for s in engine.sops]
    with write_tx(service.engine) as conn:
        screening.record(
            conn,
            [(dict(row._mapping), list(p.flags))],
            service.actor,
            at,
            service._ctx.due_by,
            sops,
        )


def complete_history(service: HubService, created: Sequence[int], now: datetime) -> int:
    """Screen every new item a minute after it arrived, and complete the older ones as the demo
    navigators, each at its own time (between a quarter of an hour and a few hours after it
    arrived), all in time order; how many were completed."""
    from ehub_tui.service import HubService as Hub

    items = _screened(service, created)
    events: list[tuple[datetime, int, Any]] = []
    for p in items:
        events.append((min(p.received_at + SCREENED_AFTER, now), 0, p))
    for i, p in plan_work(items, now):
        # an emergency is escalated within minutes; other work within a few hours
        wait = 5 + i % 10 if p.priority >= int(Priority.EMERGENCY) else 15 + (i * 37) % 240
        taken = min(p.received_at + timedelta(minutes=wait), now - timedelta(minutes=5))
        taken = max(taken, p.received_at + SCREENED_AFTER)
        done = min(taken + timedelta(minutes=3 + i % 9), now - timedelta(minutes=1))
        events.append((taken, 1, (taken, done, p, NAVIGATORS[i % len(NAVIGATORS)])))
    events.sort(key=lambda e: (e[0], e[1]))
    clock = DemoClock(now)
    hubs = {nav: Hub(service.engine, service.settings, nav, clock=clock) for nav in NAVIGATORS}
    count = 0
    for at, kind, what in events:
        if kind == 0:
            _record_screening(service, what, at)
            continue
        taken, done, p, nav = what
        clock.at = taken
        claim = hubs[nav].claim(p.id)
        clock.at = done
        hubs[nav].complete(claim, outcome_for(p, taken, done))
        count += 1
    return count
