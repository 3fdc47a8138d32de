"""A seeded, repeatable discrete-event simulation of the hub's queue.

Items arrive with a priority; navigators on duty (a number for each hour, from a staffing
function) take the highest priority first, then the oldest; an item in hand is finished even if
its navigator's hour ends (nobody drops a patient mid-call), but nobody new starts until the count
on duty allows it. Items still waiting when the staff go home wait for the next staffed hour.
Each item's due time comes from the domain's response-standard clock (``CoreHours.due_by``), so
core hours, working days and England bank holidays are the real ones.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ehub_tui.domain.clock import DEFAULT_CORE_HOURS, CoreHours

HOUR = 3600.0

# Event kinds, in the order they are handled at the same instant: a navigator finishing frees a
# seat before the hour's new count is applied, and both happen before a new arrival is queued,
# so an item arriving exactly on the hour sees that hour's staff.
_DONE, _HOUR_TICK, _ARRIVE = 0, 1, 2

Staffing = Callable[[datetime], int]
"""Navigators on duty for the hour starting at the given aware UTC datetime."""

Handling = Callable[[random.Random, int], float]
"""Active handling seconds for one item of the given priority, drawn from the given generator."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """One item arriving: when (aware UTC) and its priority (0 normal, 1 urgent, 2 emergency)."""

    at: datetime
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Handled:
    """What happened to one item: when it started and finished, and whether it met its due time.

    ``started``/``finished`` are None when the run ended (no staff until the horizon) first.
    """

    arrival: Arrival
    due_by: datetime
    started: datetime | None
    finished: datetime | None

    @property
    def wait_seconds(self) -> float | None:
        """Seconds from arrival to a navigator starting it (None if never started)."""
        if self.started is None:
            return None
        return (self.started - self.arrival.at).total_seconds()

    @property
    def met(self) -> bool:
        """True when it was finished by its due time."""
        return self.finished is not None and self.finished <= self.due_by


@dataclass(frozen=True, slots=True)
class SimResult:
    """Every item's fate, in arrival order."""

    items: tuple[Handled, ...]

    @property
    def share_met(self) -> float:
        """Share of items finished by their due time (1.0 when there were none)."""
        if not self.items:
            return 1.0
        return sum(1 for h in self.items if h.met) / len(self.items)

    @property
    def mean_wait_seconds(self) -> float:
        """Mean wait of the items that were started."""
        waits = [w for h in self.items if (w := h.wait_seconds) is not None]
        return sum(waits) / len(waits) if waits else 0.0


def _as_arrival(item: Arrival | tuple[datetime, int]) -> Arrival:
    a = item if isinstance(item, Arrival) else Arrival(item[0], int(item[1]))
    if a.at.tzinfo is None:
        # domain convention: a naive time is UTC
        a = Arrival(a.at.replace(tzinfo=UTC), a.priority)
    return a


def simulate(
    arrivals: Iterable[Arrival | tuple[datetime, int]],
    handling: Handling,
    staffing: Staffing,
    *,
    seed: int = 0,
    core_hours: CoreHours = DEFAULT_CORE_HOURS,
    horizon: timedelta = timedelta(days=21),
) -> SimResult:
    """Run the queue for ``arrivals`` and return each item's wait and whether it met its due time.

    The same arrivals, functions and ``seed`` give the same result. The run stops when every item
    is finished, or ``horizon`` after the last arrival (so a rota with nobody on duty ends).
    """
    # Arrival order (stable on ties) is the "oldest first" tie-break and the result order.
    items = sorted((_as_arrival(x) for x in arrivals), key=lambda a: a.at)
    if not items:
        return SimResult(())
    rng = random.Random(seed)
    origin = items[0].at.replace(minute=0, second=0, microsecond=0)
    base = origin.timestamp()
    times = [a.at.timestamp() - base for a in items]
    end = times[-1] + horizon.total_seconds()

    started: list[float | None] = [None] * len(items)
    finished: list[float | None] = [None] * len(items)
    # Events: (time, kind, index). Index breaks ties deterministically and names the item.
    events: list[tuple[float, int, int]] = [(t, _ARRIVE, i) for i, t in enumerate(times)]
    events.append((0.0, _HOUR_TICK, 0))
    heapq.heapify(events)
    waiting: list[tuple[int, float, int]] = []  # (-priority, arrived, index): best first
    on_duty = 0
    busy = 0
    remaining = len(items)
    push, pop = heapq.heappush, heapq.heappop

    while events and remaining:
        now, kind, index = pop(events)
        if now > end:
            break
        if kind == _ARRIVE:
            push(waiting, (-items[index].priority, now, index))
        elif kind == _DONE:
            busy -= 1
            remaining -= 1
        else:
            on_duty = max(0, int(staffing(origin + timedelta(seconds=now))))
            push(events, (now + HOUR, _HOUR_TICK, index + 1))
        # Seat waiting items while navigators are free; one in hand above the count just ends.
        while busy < on_duty and waiting:
            _, _, taken = pop(waiting)
            started[taken] = now
            done_at = now + max(0.0, float(handling(rng, items[taken].priority)))
            finished[taken] = done_at
            busy += 1
            push(events, (done_at, _DONE, taken))

    def stamp(value: float | None) -> datetime | None:
        return None if value is None else origin + timedelta(seconds=value)

    out = tuple(
        Handled(
            arrival=a,
            due_by=core_hours.due_by(a.at, urgent=a.priority > 0),
            started=stamp(started[i]),
            # a finish past the horizon did not happen within the run
            finished=stamp(f) if (f := finished[i]) is not None and f <= end else None,
        )
        for i, a in enumerate(items)
    )
    return SimResult(out)


def poisson_arrivals(
    rng: random.Random, start: datetime, end: datetime, per_hour: float, priority: int = 0
) -> list[Arrival]:
    """Arrivals at a constant rate between ``start`` and ``end`` (exponential gaps)."""
    out: list[Arrival] = []
    if per_hour <= 0:
        return out
    t, span = 0.0, (end - start).total_seconds()
    rate = per_hour / HOUR
    while True:
        t += rng.expovariate(rate)
        if t >= span:
            return out
        out.append(Arrival(start + timedelta(seconds=t), priority))


def exponential_handling(mean_seconds: float) -> Handling:
    """Handling times drawn from an exponential distribution with the given mean."""
    rate = 1.0 / mean_seconds

    def draw(rng: random.Random, priority: int) -> float:
        return rng.expovariate(rate)

    return draw
