"""A seeded, repeatable discrete-event simulation of the hub's queue.

Items arrive with a priority; navigators on duty (a number read from a staffing function every
hour, or every ``step`` seconds) take the highest priority first, then the oldest; an item in
hand is finished even if its navigator's shift ends (nobody drops a patient mid-call), but nobody
new starts until the count on duty allows it. Items still waiting when the staff go home wait for
the next staffed hour.
Each item's due time comes from the domain's response-standard clock (``CoreHours.due_by``), so
core hours, working days and England bank holidays are the real ones.

``simulate`` takes and returns objects; ``run_queue`` is its event loop on plain numbers, which the
need search (``capacity.need``) calls many times over with arrivals, due times and handling
times prepared once.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ehub_tui.domain.clock import DEFAULT_CORE_HOURS, CoreHours

HOUR = 3600.0

Staffing = Callable[[datetime], int]
"""Navigators on duty from the given aware UTC datetime until the next reading."""

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


def run_queue(
    times: Sequence[float],
    priority: Sequence[int],
    work: Callable[[int], float],
    staff: Callable[[int], int],
    step: float = HOUR,
    *,
    until: float,
    due: Sequence[float] | None = None,
    first_measured: int = 0,
    end_measured: int | None = None,
    max_misses: int | None = None,
    started: list[float | None] | None = None,
) -> int:
    """The queue's event loop on plain numbers: the core ``simulate`` and the need search share.

    ``times`` are arrival offsets in seconds from the run's origin (ascending; ties keep index
    order, the "oldest first" rule); ``priority[i]`` is 0..2; ``work(i)`` gives item ``i``'s
    handling seconds when it is started; ``staff(k)`` the navigators on duty from ``k * step``
    (read at every step, the first at 0). Nothing happens after ``until`` (finite: with nobody
    ever on duty the steps would go on for ever).

    Returns how many measured items (``first_measured`` <= index < ``end_measured``, default to
    the last) were finished by ``due[i]`` (and by ``until``), or -1 as soon as more than
    ``max_misses`` measured items are known to miss (a search only needs to know a staffing
    fails). ``started`` (if given) receives each item's start.
    """
    n = len(times)
    stop = n if end_measured is None else end_measured
    # Waiting items, one first-in-first-out line per priority: within a priority the oldest is
    # first, and arrivals come in time order, so no heap is needed for them.
    lines: tuple[deque[int], deque[int], deque[int]] = (deque(), deque(), deque())
    low, mid, high = lines
    busy: list[float] = []  # finish times of items in hand (a heap)
    allowed = n if max_misses is None else max_misses
    push, pop = heapq.heappush, heapq.heappop
    inf = math.inf
    waiting = on_duty = met = misses = slot = i = 0
    tick = 0.0
    arrive = times[0] if n else inf
    while True:
        done = busy[0] if busy else inf
        # At one instant: a finish frees a seat, then the step's count applies, then arrivals.
        if done <= tick and done <= arrive:
            if done == inf:
                break
            now = pop(busy)
        elif tick <= arrive:
            now = tick
            if now > until or (i >= n and not waiting and not busy):
                break  # past the end, or everything finished: the remaining steps change nothing
            on_duty = max(0, staff(slot))
            slot += 1
            tick = slot * step
        else:
            now = arrive
            lines[priority[i]].append(i)
            waiting += 1
            i += 1
            arrive = times[i] if i < n else inf
        if now > until:
            break
        # Seat waiting items while navigators are free; one in hand above the count just ends.
        while waiting and len(busy) < on_duty:
            k = high.popleft() if high else mid.popleft() if mid else low.popleft()
            waiting -= 1
            end = now + work(k)
            push(busy, end)
            if started is not None:
                started[k] = now
            if first_measured <= k < stop and due is not None:
                if end <= due[k] and end <= until:
                    met += 1
                else:
                    misses += 1
                    if misses > allowed:
                        return -1
    return met


def simulate(
    arrivals: Iterable[Arrival | tuple[datetime, int]],
    handling: Handling,
    staffing: Staffing,
    *,
    seed: int = 0,
    core_hours: CoreHours = DEFAULT_CORE_HOURS,
    horizon: timedelta = timedelta(days=21),
    step: float = HOUR,
) -> SimResult:
    """Run the queue for ``arrivals`` and return each item's wait and whether it met its due time.

    Staffing is read at the first arrival's hour and every ``step`` seconds after (a rota with
    half-hour shifts uses 1800). Handling times are drawn from ``random.Random(seed)`` as items
    are started, in the order they are started. The same arrivals, functions and ``seed`` give
    the same result. The run stops when every item is finished, or ``horizon`` after the last
    arrival (so a rota with nobody on duty ends).
    """
    if step <= 0:
        raise ValueError(f"the staffing step must be a positive number of seconds, not {step}")
    # Arrival order (stable on ties) is the "oldest first" tie-break and the result order.
    items = sorted((_as_arrival(x) for x in arrivals), key=lambda a: a.at)
    if not items:
        return SimResult(())
    rng = random.Random(seed)
    origin = items[0].at.replace(minute=0, second=0, microsecond=0)
    base = origin.timestamp()
    times = [a.at.timestamp() - base for a in items]
    priority = [min(2, max(0, a.priority)) for a in items]
    end = times[-1] + horizon.total_seconds()
    started: list[float | None] = [None] * len(items)
    work: list[float] = [0.0] * len(items)

    def draw(k: int) -> float:
        work[k] = seconds = max(0.0, float(handling(rng, items[k].priority)))
        return seconds

    def staff(slot: int) -> int:
        return int(staffing(origin + timedelta(seconds=slot * step)))

    run_queue(times, priority, draw, staff, step, until=end, started=started)

    def stamp(value: float | None) -> datetime | None:
        return None if value is None else origin + timedelta(seconds=value)

    def finish(k: int) -> datetime | None:
        s = started[k]
        # a finish past the horizon did not happen within the run
        return None if s is None or (f := s + work[k]) > end else stamp(f)

    out = tuple(
        Handled(
            arrival=a,
            due_by=core_hours.due_by(a.at, urgent=a.priority > 0),
            started=stamp(started[i]),
            finished=finish(i),
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
