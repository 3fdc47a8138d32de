"""Need: the fewest navigators in each open hour of a week that meet the response standard.

A ``Scenario`` is built once for the planned week: for each replication, simulated arrivals for
a warm-up week (the week before, same forecast, so the planned week opens with a realistic
backlog), the planned week and the week after (not measured: its urgent items go ahead of the
planned week's leftovers, as they would), each with a type and priority from the hub's mix, its
due time from the domain clock (``CoreHours.due_by``, computed once per arrival) and its handling
time (drawn once, from its own random stream). Every candidate staffing then runs on the same
arrivals and handling times (common random numbers: a comparison between two staffings is not
blurred by different luck, and the search is repeatable), through ``sim.run_queue``.

Staffing repeats by hour of the week over the warm-up week, the planned week and the week after
(Friday's work spills into Monday as in life), in half-hour steps so an hour only partly inside
core hours (18:00-18:30) is staffed only for its open part; non-working days are staffed 0. The
measure is the share of the planned week's arrivals finished by their due time, pooled over the
replications. A staffing also has to keep up: its navigator time in the planned week must cover
the week's handling work, or a backlog that only had one week to build would pass for a plan
that in fact falls further behind every week.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ehub_tui.capacity.demand import HOURS_PER_WEEK, hour_of_week
from ehub_tui.capacity.sim import run_queue
from ehub_tui.capacity.work import HandlingModel
from ehub_tui.domain.capacity import DayOutlook
from ehub_tui.domain.clock import LONDON, CoreHours, local_midnight
from ehub_tui.errors import EhubError

STEP = 1800.0  # staffing is re-read every half hour, as a rota's shifts are
#: The most navigators the search adds to an hour before giving up with a plain error.
MAX_PER_HOUR = 500

Progress = Callable[[float], None]


class NeedNotMet(EhubError, ValueError):
    """No staffing meets the share: the message says the most that can be met, and why."""


@dataclass(frozen=True)
class Run:
    """One replication's arrivals as plain numbers (seconds from the scenario's origin)."""

    times: list[float]
    priority: list[int]
    due: list[float]
    work: list[float]
    first_measured: int  # arrivals before this index are the warm-up week's
    end_measured: int  # arrivals from this index on are the week after's

    @property
    def measured(self) -> int:
        """The planned week's arrivals."""
        return self.end_measured - self.first_measured


@dataclass(frozen=True)
class Scenario:
    """The planned week, its staffing slots and the replications every candidate runs on."""

    week_of: date
    core: CoreHours
    origin: datetime  # the warm-up Monday, 00:00 UK time, as aware UTC
    open_hours: tuple[bool, ...]  # 168: the planned week's hour is (partly) inside core hours
    slot_hour: tuple[int, ...]  # per half-hour slot: the hour of week whose need staffs it, or -1
    until: float  # seconds from origin: the end of the staffed run
    runs: tuple[Run, ...]

    @property
    def measured(self) -> int:
        """Planned-week arrivals over every replication: the measure's denominator."""
        return sum(r.measured for r in self.runs)

    @property
    def work_seconds(self) -> float:
        """Handling seconds of the planned week's arrivals, mean over the replications."""
        total = sum(math.fsum(r.work[r.first_measured : r.end_measured]) for r in self.runs)
        return total / len(self.runs) if self.runs else 0.0

    def _planned_slots(self) -> slice:
        base = self.origin.timestamp()
        first = round((local_midnight(self.week_of).timestamp() - base) / STEP)
        end = round((local_midnight(self.week_of + timedelta(weeks=1)).timestamp() - base) / STEP)
        return slice(first, end)

    def slots(self, need: Sequence[int]) -> list[int]:
        """Navigators on duty in each half-hour slot when each hour of week has ``need``."""
        return [need[h] if h >= 0 else 0 for h in self.slot_hour]

    def navigator_hours(self, staff: Sequence[int]) -> int:
        """Navigator-hours of ``staff`` within the planned week (half-hour slots), rounded."""
        return round(sum(staff[self._planned_slots()]) * STEP / 3600)

    def keeps_up(self, staff: Sequence[int]) -> bool:
        """True when the planned week's navigator time covers its handling work.

        A staffing short of that could still meet the share in one simulated week (the backlog
        has only a week to build), but its backlog would grow week after week.
        """
        return sum(staff[self._planned_slots()]) * STEP >= self.work_seconds

    def meets(self, need: Sequence[int], share: float) -> bool:
        """True when ``need`` per hour of week keeps up and meets ``share`` in the simulation."""
        staff = self.slots(need)
        required = math.ceil(share * self.measured - 1e-9)
        return self.keeps_up(staff) and self.met(staff, required) >= required

    def met(self, staff: Sequence[int], required: int = 0) -> int:
        """Planned-week items met with ``staff`` per slot; -1 once ``required`` is out of reach."""
        budget = self.measured - required  # misses the share still allows
        total = 0
        for run in self.runs:
            got = run_queue(
                run.times,
                run.priority,
                run.work.__getitem__,
                staff.__getitem__,
                STEP,
                until=self.until,
                due=run.due,
                first_measured=run.first_measured,
                end_measured=run.end_measured,
                max_misses=budget if required else None,
            )
            if got < 0:
                return -1
            total += got
            budget -= run.measured - got
        return total


def working_slots(core: CoreHours, origin: datetime, count: int) -> list[tuple[int, bool]]:
    """(hour of week, open) for ``count`` half-hour slots from ``origin``.

    Open means a working day and the slot overlaps core hours (so 18:00-18:30 is open with an
    18:30 close, 18:30-19:00 is not).
    """
    start_s = core.start.hour * 3600 + core.start.minute * 60
    end_s = core.end.hour * 3600 + core.end.minute * 60
    out: list[tuple[int, bool]] = []
    for k in range(count):
        local = (origin + timedelta(seconds=k * STEP)).astimezone(LONDON)
        sec = local.hour * 3600 + local.minute * 60
        is_open = core.is_working_day(local.date()) and sec < end_s and sec + STEP > start_s
        out.append((local.weekday() * 24 + local.hour, is_open))
    return out


def open_hours(core: CoreHours, week_of: date) -> list[bool]:
    """For each local hour of the week of ``week_of``: a working day and (partly) in core hours."""
    start_h = core.start.hour
    end_h = core.end.hour + (1 if core.end.minute else 0)  # 18:30 close: the 18:00 hour is open
    return [
        core.is_working_day(week_of + timedelta(days=d)) and start_h <= h < end_h
        for d in range(7)
        for h in range(24)
    ]


def _stand_in(planned_open: Sequence[bool]) -> list[int]:
    """The hour of week whose need staffs each hour in the other weeks.

    Its own when open in the planned week; for a weekday closed in the planned week (a bank
    holiday) but working in the warm-up week or the week after, the same hour on the nearest
    open weekday of the planned week (earlier first); -1 when there is none.
    """
    out = []
    for h in range(HOURS_PER_WEEK):
        day, hour = divmod(h, 24)
        pick = -1
        for dist in range(7):
            for d in (day - dist, day + dist):
                if pick < 0 and 0 <= d < 5 and planned_open[d * 24 + hour]:
                    pick = d * 24 + hour
        out.append(pick)
    return out


class _Mix:
    """Draws (request type, priority) pairs in the history's proportions."""

    def __init__(self, pairs: Sequence[tuple[str, int]]) -> None:
        counts: dict[tuple[str, int], int] = {}
        for pair in pairs:
            counts[pair] = counts.get(pair, 0) + 1
        self.keys = sorted(counts) or [("other", 0)]
        self.cum: list[int] = []
        acc = 0
        for key in self.keys:
            acc += counts.get(key, 1)
            self.cum.append(acc)

    def draw(self, rng: random.Random) -> tuple[str, int]:
        return self.keys[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def build_scenario(
    *,
    week_of: date,
    core: CoreHours,
    rates: Sequence[float],
    mix: Sequence[tuple[str, int]],
    handling: HandlingModel,
    seed: int,
    replications: int,
) -> Scenario:
    """Arrivals for each replication (warm-up week + planned week) and the staffing slots."""
    origin = local_midnight(week_of - timedelta(weeks=1))
    base = origin.timestamp()
    measured_from = local_midnight(week_of).timestamp() - base
    measured_to = local_midnight(week_of + timedelta(weeks=1)).timestamp() - base
    # the week after has arrivals too (not measured): its urgent ones go ahead of the planned
    # week's leftovers, as they would
    arrivals_end = local_midnight(week_of + timedelta(weeks=2))
    end_s = core.end.hour * 3600 + core.end.minute * 60
    hours: list[tuple[float, float, date, float]] = []  # (offset, rate, local day, local secs)
    hour = origin
    while hour < arrivals_end:
        local = hour.astimezone(LONDON)
        rate = rates[hour_of_week(hour)]
        hours.append((hour.timestamp() - base, rate, local.date(), local.hour * 3600.0))
        hour += timedelta(hours=1)
    dues: dict[tuple[date, bool, bool], float] = {}
    picker = _Mix(mix)
    runs = []
    for r in range(replications):
        # separate streams: arrival gaps, the type/priority mix and handling times never share
        # draws, so a longer handling time never comes with a longer gap
        gaps = random.Random(f"need:{seed}:{r}:arrivals")
        kinds = random.Random(f"need:{seed}:{r}:mix")
        work_rng = random.Random(f"need:{seed}:{r}:handling")
        times: list[float] = []
        priority: list[int] = []
        due: list[float] = []
        work: list[float] = []
        for offset, rate, day, secs in hours:
            if rate <= 0:
                continue
            t = gaps.expovariate(rate / 3600.0)
            while t < 3600.0:
                request_type, prio = picker.draw(kinds)
                key = (day, secs + t < end_s, prio > 0)
                if key not in dues:
                    at = datetime.fromtimestamp(base + offset + t, LONDON)
                    dues[key] = core.due_by(at, urgent=prio > 0).timestamp() - base
                times.append(offset + t)
                priority.append(prio)
                due.append(dues[key])
                work.append(handling.draw(work_rng, prio, request_type))
                t += gaps.expovariate(rate / 3600.0)
        first = bisect.bisect_left(times, measured_from)
        runs.append(Run(times, priority, due, work, first, bisect.bisect_left(times, measured_to)))
    # staffed through the week after, and on past the latest due time if a closure pushes it out
    latest = max(
        (d for run in runs for d in run.due[run.first_measured : run.end_measured]), default=0.0
    )
    until = max(local_midnight(week_of + timedelta(weeks=2)).timestamp() - base, latest + STEP)
    planned_open = open_hours(core, week_of)
    stand_in = _stand_in(planned_open)
    slots = working_slots(core, origin, math.floor(until / STEP) + 1)  # the last read is at until
    slot_hour = tuple(stand_in[h] if is_open else -1 for h, is_open in slots)
    return Scenario(week_of, core, origin, tuple(planned_open), slot_hour, until, tuple(runs))


def search_need(
    scenario: Scenario, load: Sequence[float], share: float, progress: Progress | None = None
) -> list[int]:
    """The fewest navigators per hour of week (0 when closed) meeting ``share``.

    Starts at the offered load (at least one) in every open hour, raises every open hour by one
    until the share is met, then trims: hours in order of surplus over their load each try one
    fewer, kept when the share still holds, until no hour can drop. The result is locally
    minimal: one fewer in any hour misses the share. An open hour keeps at least one navigator
    (someone is there for urgent items and red flags), a choice, not a finding.
    """
    hours = [h for h in range(HOURS_PER_WEEK) if scenario.open_hours[h]]
    need = [0] * HOURS_PER_WEEK
    total = scenario.measured
    if not hours or total == 0:
        for h in hours:
            need[h] = 1
        return need
    for h in hours:
        need[h] = max(1, math.ceil(load[h] - 1e-9))
    if not scenario.meets(need, share):
        # before adding staff round after round: can any staffing meet it? An urgent request
        # written minutes before the close cannot be finished by its due time however many are
        # on, so a share near 100% may be out of reach whatever the rota
        ceiling = [MAX_PER_HOUR if is_open else 0 for is_open in scenario.open_hours]
        best = share_met(scenario, scenario.slots(ceiling))
        if best < share:
            reachable = math.floor(best * 1000) / 1000
            raise NeedNotMet(
                f"no staffing meets {share * 100:.6g}% of requests by their due time: even with "
                f"{MAX_PER_HOUR} navigators in every open hour {best:.2%} would be met (some "
                "requests arrive too close to their due time to be finished by it, urgent ones "
                f"late in the day, say); choose a share of {reachable:g} or less"
            )
    while not scenario.meets(need, share):
        if max(need) >= MAX_PER_HOUR:
            raise NeedNotMet(  # the ceiling above meets it, so only a bug reaches this
                f"even {MAX_PER_HOUR} navigators in every open hour do not meet {share:.2%} of "
                "requests by their due time"
            )
        for h in hours:
            need[h] += 1
    version = 0
    tried = dict.fromkeys(hours, -1)  # the plan version each hour last failed to drop against
    trials = 0
    shown = 0.0
    while True:
        order = sorted(hours, key=lambda h: (load[h] - need[h], h))
        todo = [h for h in order if need[h] > 1 and tried[h] != version]
        if not todo:
            return need
        for h in todo:
            if need[h] <= 1 or tried[h] == version:
                continue
            need[h] -= 1
            trials += 1
            if scenario.meets(need, share):
                version += 1
            else:
                need[h] += 1
                tried[h] = version
            if progress is not None:
                # the trials left are unknown: a rough, never-falling share of the way
                shown = max(shown, min(0.99, trials / (trials + len(todo))))
                progress(shown)


def share_met(scenario: Scenario, staff: Sequence[int]) -> float:
    """Share of the planned week's items finished by their due time with ``staff`` per slot."""
    total = scenario.measured
    return scenario.met(staff) / total if total else 1.0


def outlook(
    scenario: Scenario, staff: Sequence[int], arrivals: Sequence[float]
) -> list[DayOutlook]:
    """Each day of the planned week as the simulation ran it with ``staff`` (means over runs).

    ``completed``: items finished that day; ``backlog_end``: items arrived and not finished at
    the end of the day's core hours (midnight on a closed day); ``breaches``: items due that
    day not finished by their due time. ``arrivals`` are the forecast per day.
    """
    base = scenario.origin.timestamp()
    core = scenario.core
    days = [scenario.week_of + timedelta(days=d) for d in range(7)]
    starts = [local_midnight(d).timestamp() - base for d in days]
    ends = [*starts[1:], local_midnight(days[-1] + timedelta(days=1)).timestamp() - base]
    cut = [
        core.close_of(d).timestamp() - base if core.is_working_day(d) else e
        for d, e in zip(days, ends, strict=True)
    ]
    sums = [[0.0, 0.0, 0.0] for _ in days]
    inf = math.inf
    for run in scenario.runs:
        started: list[float | None] = [None] * len(run.times)
        run_queue(
            run.times,
            run.priority,
            run.work.__getitem__,
            staff.__getitem__,
            STEP,
            until=scenario.until,
            started=started,
        )
        finish = [inf if s is None else s + w for s, w in zip(started, run.work, strict=True)]
        for d in range(7):
            lo, hi, at = starts[d], ends[d], cut[d]
            row = sums[d]
            for t, f, due in zip(run.times, finish, run.due, strict=True):
                if lo <= f < hi:
                    row[0] += 1
                if t <= at < f:
                    row[1] += 1
                if lo <= due < hi and f > due:
                    row[2] += 1
    n = max(1, len(scenario.runs))
    return [
        DayOutlook(
            day=day,
            working=core.is_working_day(day),
            arrivals=arrivals[d],
            completed=sums[d][0] / n,
            backlog_end=sums[d][1] / n,
            breaches=sums[d][2] / n,
        )
        for d, day in enumerate(days)
    ]
