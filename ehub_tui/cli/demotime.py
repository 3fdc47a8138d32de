"""A demo hub that reads as today: the fixtures' times moved to the hub's clock, and two weeks of
completed work behind them.

The shipped fixtures were written for 16–22 November 2026; loaded as they are, every item is
weeks overdue and this week's and last week's reports are empty. So ``ehub-tui demo`` maps the
fixtures' week onto the two weeks ending at the hub's "now" (in order: the newest fixture is the
newest item, minutes old), screens each for red flags a minute after it arrived, then completes
the older items as the demo navigators would have, each at its own time in core hours: red-flag
emergencies escalated, Pharmacy First conditions to the community pharmacy, the rest by request
type, so the reports of this week and last week have figures (Pharmacy First and escalations
too).

What is left open reads as a queue on any day, by the hub's core hours and bank holidays (its
CoreHours): the demo navigators worked only in core hours on working days. On a working day in
core hours: new items (minutes old), the items since the previous working day's start partly
worked (one in three, and the quick Pharmacy First ones), so some are due by today's close (soon,
on a late afternoon), and at most LEFT_OVERDUE overdue since the last close. Outside core hours
(a weekend, a bank holiday, an evening): everything received since the last close is open (due
on the next working days) and at most LEFT_OVERDUE received on earlier working days are still
open, overdue since that close. A red-flag emergency is escalated within minutes in core hours;
one that arrived while the hub was closed waits for it to open (the ‼EM shows "now").
Dates written in the items' texts and answers move with them (cli/demodates.py).

Screenings and completions are made through the hub as the demo navigators, on a clock set to
each one's time, in time order: the audit chain and every item's history tell the same story in
the same order (received, screened, claimed, completed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ehub_tui.cli.demodates import DateMover, answer_dates
from ehub_tui.cli.demohours import is_open, last_close, opening, slot
from ehub_tui.domain.clock import LONDON, CoreHours
from ehub_tui.domain.models import NewConsultation, Outcome
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.types import Priority
from ehub_tui.ingest.runner import Ingester

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ehub_tui.service import HubService

# the fixtures' week (UTC) and the span it is spread over, ending at the hub's now
FIXTURE_START = datetime(2026, 11, 16, 7, 45, tzinfo=UTC)  # just before the first
FIXTURE_END = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # just after the last
SPAN = timedelta(days=14)
NEWEST = timedelta(minutes=4)  # the newest item arrived this long before now
# of the items received since the previous working day's start (in core hours; since the last
# close outside them), one in three was worked (navigators work the queue as it comes); the last
# RECENT are all open (new); older ones were worked. Overdue items were worked but for the newest
# LEFT_OVERDUE due since the last close; an emergency is worked unless it arrived within RECENT.
RECENT = timedelta(hours=3)
LEFT_OVERDUE = 3
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
    """The ingester, each record's received time moved by ``shift`` before it is stored, and the
    dates written in its answers and text with it (cli/demodates.py). A record the hub already
    holds is left out (a duplicate): moved again on a later day its dates would differ, and the
    hub would quarantine it as a conflicting duplicate."""

    def __init__(self, service: HubService, now: datetime, **kwargs: Any) -> None:
        super().__init__(service, **kwargs)
        self.now = now
        self.hub = service

    def _store_batch(
        self, items: list[NewConsultation], bad: list[dict[str, Any]], source_file: str
    ) -> tuple[list[tuple[int, int]], int]:
        known = _stored_keys(self.hub.engine, items)
        fresh = [i for i, c in enumerate(items) if (c.source, c.external_id) not in known]
        moved = [moved_item(items[i], self.now) for i in fresh]
        created, conflicting = super()._store_batch(moved, bad, source_file)
        return [(fresh[j], cid) for j, cid in created], conflicting


def moved_item(item: NewConsultation, now: datetime) -> NewConsultation:
    """``item`` as the demo stores it: received at ``shift``'s time, its dates moved with it."""
    was = item.received_at if item.received_at.tzinfo else item.received_at.replace(tzinfo=UTC)
    received = shift(was, now)
    mover = DateMover(
        was.astimezone(LONDON).date(),
        received.astimezone(LONDON).date(),
        (*answer_dates(item.answers), item.date_of_birth),
    )
    return item.model_copy(
        update={
            "received_at": received,
            "answers": mover.answers(item.answers),
            "free_text": mover.text(item.free_text),
            "date_of_birth": mover.birth(item.date_of_birth),
        }
    )


def _stored_keys(engine: Engine, items: Sequence[NewConsultation]) -> set[tuple[str, str]]:
    """Which of ``items`` (source, external id) the hub holds already."""
    from sqlalchemy import select, tuple_

    from ehub_tui.store.engine import read_tx
    from ehub_tui.store.models import Consultation

    c = Consultation.__table__  # type: ignore[attr-defined]
    keys = {(i.source, i.external_id) for i in items}
    if not keys:
        return set()
    with read_tx(engine) as conn:
        rows = conn.execute(
            select(c.c.source, c.c.external_id).where(
                tuple_(c.c.source, c.c.external_id).in_(list(keys))
            )
        ).all()
    return {(str(r.source), str(r.external_id)) for r in rows}


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


def plan_work(
    items: Sequence[Planned], now: datetime, hours: CoreHours
) -> list[tuple[int, Planned]]:
    """The items to complete, as (index, item) in received order (see RECENT, LEFT_OVERDUE and
    the module docstring); every other one is left open (and so is a planned one for which core
    hours leave no time before now: ``complete_history``)."""
    closed = last_close(hours, now)
    if is_open(hours, now):  # since the previous working day's start, one in three worked
        today = now.astimezone(LONDON).date()
        day = today - timedelta(days=1)
        while not hours.is_working_day(day):
            day -= timedelta(days=1)
        since = opening(hours, day)
    else:  # the hub is closed: what came since the last close waits for it to open
        since = closed
    older = [p for p in items if p.received_at < now - RECENT]
    # the overdue few left undone: the newest due since the last close; never an emergency
    late = [p for p in older if closed <= p.due_by < now and p.priority < int(Priority.EMERGENCY)]
    left = {p.id for p in late[-LEFT_OVERDUE:]}
    out = []
    for i, p in enumerate(items):
        if p.id in left:
            continue
        if p.priority >= int(Priority.EMERGENCY):
            if p.received_at < now - RECENT:
                out.append((i, p))  # escalated as soon as core hours allow
        elif p.received_at >= now - RECENT:
            continue  # new
        elif p.received_at < since or p.due_by < now or i % 3 == 0 or _quick(p):
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
    """Screen every new item a minute after it arrived, and complete the planned ones as the demo
    navigators, in core hours on working days only (an emergency within minutes of arriving or
    of the hub opening; other work a quarter of an hour to a few hours later, before its due
    time where core hours allow), all in time order; how many were completed."""
    from ehub_tui.service import HubService as Hub

    hours = service._ctx.core_hours
    items = _screened(service, created)
    events: list[tuple[datetime, int, Any]] = []
    for p in items:
        events.append((min(p.received_at + SCREENED_AFTER, now), 0, p))
    for i, p in plan_work(items, now, hours):
        takes = timedelta(minutes=3 + i % 9)
        first = p.received_at + SCREENED_AFTER
        if p.priority >= int(Priority.EMERGENCY):
            taken = slot(hours, first, takes) + timedelta(minutes=4 + i % 10)
        else:
            taken = slot(hours, p.received_at + timedelta(minutes=15 + (i * 37) % 240), takes)
            if taken + takes > p.due_by:  # worked before it fell due, where hours allow
                taken = slot(hours, first, takes)
        taken = slot(hours, taken, takes)
        done = taken + takes
        if done > now - timedelta(minutes=1):
            continue  # the hub has not been open long enough since: it waits in the queue
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
