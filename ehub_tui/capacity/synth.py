"""A synthetic hub history with a known weekly pattern: for tests, benchmark, snapshots, docs.

The shape is the one hubs describe: a Monday-morning peak, a daytime weekday hump, quiet nights
and low weekends. Arrivals are a Poisson process per real hour (UTC hours, so clock changes fall
out as in ``demand``); each arrival gets a request type, a practice and a priority from fixed
mixes (about 10% urgent and 1% emergency), and each completed one a handling time (lognormal by
route category). Patients write on bank holidays too, so generation ignores them; the demand side
leaves those days out. The same arguments give the same history, byte for byte: every draw comes
from generators seeded by strings (``random`` hashes those with SHA-512, not Python's per-process
hash), one stream each for arrival times, attributes and handling, so changing one mix does not
reshuffle the others.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from ehub_tui.capacity.demand import HOURS_PER_WEEK, Window, hour_of_week
from ehub_tui.domain.capacity import CapacityHistory, HistoryArrival, HistoryHandling
from ehub_tui.domain.clock import local_midnight

#: Request types and their share of arrivals (the project's RequestType values).
TYPE_MIX: tuple[tuple[str, float], ...] = (("clinical", 0.6), ("admin", 0.3), ("other", 0.1))
#: Practices the synthetic hub serves and their share (made-up ODS codes).
PRACTICE_MIX: tuple[tuple[str, float], ...] = (
    ("Y01001", 0.35),
    ("Y01002", 0.30),
    ("Y01003", 0.20),
    ("Y01004", 0.15),
)
URGENT_SHARE = 0.10
EMERGENCY_SHARE = 0.01
#: Route categories an item of each type is closed with (emergencies are always escalated).
CATEGORY_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "clinical": (("clinical", 0.55), ("signpost", 0.30), ("escalate", 0.10), ("admin", 0.05)),
    "admin": (("admin", 0.80), ("signpost", 0.20)),
    "other": (("signpost", 0.60), ("admin", 0.40)),
}
#: Median active seconds by route category (reading the request and the record, routing it,
#: replying); spread is lognormal with this sigma. About eight minutes an item on average.
CATEGORY_MEDIAN: dict[str, float] = {
    "signpost": 240.0,
    "admin": 360.0,
    "clinical": 600.0,
    "escalate": 720.0,
}
HANDLING_SIGMA = 0.5
#: Share of arrivals with no outcome to learn from (withdrawn, merged): no handling sample.
NO_OUTCOME_SHARE = 0.03

# Relative weight of each weekday (Monday first) and of each hour of a weekday / weekend day.
_DAY_WEIGHT = (1.35, 1.10, 1.0, 1.0, 0.95, 0.35, 0.30)
_WEEKDAY_HOURS = (
    0.15, 0.12, 0.10, 0.10, 0.12, 0.18, 0.30, 0.60,  # 00-07: quiet night, waking up
    2.20, 2.10, 1.80, 1.55, 1.25, 1.35, 1.35, 1.25,  # 08-15: morning rush, lunch dip
    1.10, 0.95, 0.75, 0.60, 0.50, 0.40, 0.30, 0.20,  # 16-23: tailing off
)  # fmt: skip
_WEEKEND_HOURS = (
    0.20, 0.15, 0.12, 0.10, 0.10, 0.12, 0.20, 0.40,
    0.80, 1.10, 1.20, 1.20, 1.10, 1.00, 1.00, 0.95,
    0.90, 0.85, 0.80, 0.70, 0.60, 0.50, 0.40, 0.30,
)  # fmt: skip
_MONDAY_MORNING = 1.5  # extra on Monday 08:00-11:00: the weekend's requests land at once


def pattern() -> list[float]:
    """The relative arrival rate of each hour of the week (0 = Monday 00:00), before scaling."""
    out: list[float] = []
    for bucket in range(HOURS_PER_WEEK):
        day, hour = divmod(bucket, 24)
        shape = _WEEKDAY_HOURS if day < 5 else _WEEKEND_HOURS
        boost = _MONDAY_MORNING if day == 0 and 8 <= hour < 11 else 1.0
        out.append(_DAY_WEIGHT[day] * shape[hour] * boost)
    return out


def hourly_rates(per_month: float) -> list[float]:
    """Expected arrivals in each hour of the week for a hub receiving ``per_month`` a month."""
    shape = pattern()
    per_week = per_month * 12 / 52
    scale = per_week / sum(shape)
    return [w * scale for w in shape]


def _pick(rng: random.Random, mix: Sequence[tuple[str, float]]) -> str:
    roll, acc = rng.random() * sum(w for _, w in mix), 0.0
    for name, weight in mix:
        acc += weight
        if roll < acc:
            return name
    return mix[-1][0]


def _priority(rng: random.Random) -> int:
    roll = rng.random()
    return 2 if roll < EMERGENCY_SHARE else 1 if roll < EMERGENCY_SHARE + URGENT_SHARE else 0


def _seconds(rng: random.Random, category: str) -> float:
    median = CATEGORY_MEDIAN[category]
    # clipped: a 20-second close is a misclick, an hour is a call that went wrong
    return round(min(3600.0, max(20.0, median * math.exp(rng.gauss(0.0, HANDLING_SIGMA)))), 1)


def generate_history(
    *,
    as_of: datetime,
    weeks: int = 8,
    per_month: int = 4500,
    seed: int = 0,
    core_start: time = time(8),
    core_end: time = time(18, 30),
    closed_days: Iterable[date] = (),
) -> CapacityHistory:
    """A ``weeks``-week history ending at the Monday of ``as_of``'s UK week, ~``per_month`` a month.

    Deterministic for the arguments. ``closed_days`` are recorded as the hub's closures (demand
    leaves them out like bank holidays); arrivals are still generated on them.
    """
    window = Window.last_whole_weeks(as_of, weeks, closed_days)
    rates = hourly_rates(per_month)
    times_rng = random.Random(f"synth:{seed}:arrivals")
    attr_rng = random.Random(f"synth:{seed}:attributes")
    work_rng = random.Random(f"synth:{seed}:handling")

    arrivals: list[HistoryArrival] = []
    handling: list[HistoryHandling] = []
    hour = local_midnight(window.first_monday)
    end = local_midnight(window.end_monday)
    while hour < end:
        rate = rates[hour_of_week(hour)]
        # a Poisson process within the hour: exponential gaps until the hour is spent
        t = times_rng.expovariate(rate / 3600.0)
        while t < 3600.0:
            at = hour + timedelta(seconds=round(t, 3))
            kind = _pick(attr_rng, TYPE_MIX)
            priority = _priority(attr_rng)
            arrivals.append(
                HistoryArrival(
                    at=at,
                    request_type=kind,
                    practice_ods=_pick(attr_rng, PRACTICE_MIX),
                    priority=priority,
                )
            )
            if attr_rng.random() >= NO_OUTCOME_SHARE:
                category = "escalate" if priority == 2 else _pick(attr_rng, CATEGORY_MIX[kind])
                handling.append(
                    HistoryHandling(
                        request_type=kind,
                        category=category,
                        priority=priority,
                        seconds=_seconds(work_rng, category),
                    )
                )
            t += times_rng.expovariate(rate / 3600.0)
        hour += timedelta(hours=1)
    return CapacityHistory(
        as_of=as_of,
        first_monday=window.first_monday,
        weeks=weeks,
        core_start=core_start,
        core_end=core_end,
        closed_days=sorted(window.closures),
        arrivals=arrivals,
        handling=handling,
    )
