"""Demand: arrivals counted by UK-local hour of the week over the last whole weeks.

Pure functions over plain data (aware datetimes in, counts out); the store query that feeds them
lives elsewhere. Hours of the week are numbered 0..167 from Monday 00:00-01:00 Europe/London, so an
arrival at 00:30 UTC on a summer Monday is hour 1 (01:00-02:00 BST). Bank holidays in England (from
the domain clock) and given closure dates are left out, and every bucket carries its *exposure* —
how many real hours it was open and observed — so a mean is counts over exposure, never counts
over weeks: the spring clock change has no Sunday 01:00 hour and the autumn one has two.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from ehub_tui.domain.clock import LONDON, is_bank_holiday, local_midnight

HOURS_PER_WEEK = 168

K = TypeVar("K", bound=Hashable)

#: One week's observed rate per hour of week (arrivals per real hour); None where the hour was
#: not observed (closed, bank holiday, or absent at the spring clock change).
WeekRates = list[float | None]


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        # A naive time could be UTC or local; guessing would shift a whole hour of demand.
        raise ValueError(f"arrival time {at.isoformat()} has no time zone (expected aware UTC)")
    return at


def hour_of_week(at: datetime) -> int:
    """The UK-local hour of the week (0 = Monday 00:00-01:00) an aware time falls in."""
    local = _aware(at).astimezone(LONDON)
    return local.weekday() * 24 + local.hour


def monday_of(day: date) -> date:
    """The Monday on or before ``day``."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Window:
    """Whole UK-local weeks from ``first_monday`` and the days inside them that do not count."""

    first_monday: date
    weeks: int
    closures: frozenset[date] = field(default_factory=frozenset)
    #: hours before this (aware) time were not observed: the hub was not live yet
    live_from: datetime | None = None

    def __post_init__(self) -> None:
        if self.first_monday.weekday() != 0:
            raise ValueError(f"a demand window starts on a Monday, not {self.first_monday}")
        if self.weeks < 1:
            raise ValueError(f"a demand window needs at least one week, not {self.weeks}")

    @classmethod
    def last_whole_weeks(cls, as_of: datetime, weeks: int, closures: Iterable[date] = ()) -> Window:
        """The ``weeks`` whole local weeks before the one ``as_of`` falls in.

        The current week is left out because it is partial: counting it would drag every mean down.
        """
        this_monday = monday_of(_aware(as_of).astimezone(LONDON).date())
        return cls(this_monday - timedelta(weeks=weeks), weeks, frozenset(closures))

    @property
    def end_monday(self) -> date:
        """The Monday just after the window (exclusive end)."""
        return self.first_monday + timedelta(weeks=self.weeks)

    def is_excluded(self, day: date) -> bool:
        """True for a bank holiday in England or a given closure date."""
        return day in self.closures or is_bank_holiday(day)

    def excluded_days(self) -> list[date]:
        """Every day inside the window that does not count, in order."""
        days = (self.first_monday + timedelta(days=i) for i in range(self.weeks * 7))
        return [d for d in days if self.is_excluded(d)]

    def locate(self, at: datetime) -> tuple[int, int] | None:
        """(week index, hour of week) for an arrival, or None if outside or on an excluded day."""
        local = _aware(at).astimezone(LONDON)
        day = local.date()
        week = (day - self.first_monday).days // 7
        if not 0 <= week < self.weeks or self.is_excluded(day):
            return None
        return week, day.weekday() * 24 + local.hour

    def exposure(self) -> list[list[int]]:
        """Real hours observed per week and hour of week (0, 1, or 2 at the autumn change).

        Walks the window in UTC hours: UK offsets are whole hours, so each UTC hour is exactly
        one local hour and the clock changes fall out without special cases.
        """
        grid = [[0] * HOURS_PER_WEEK for _ in range(self.weeks)]
        hour = local_midnight(self.first_monday)
        if self.live_from is not None:
            # from the live hour on: UK offsets are whole hours, so UTC hours are local hours
            live = self.live_from.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            hour = max(hour, live)
        end = local_midnight(self.end_monday)
        while hour < end:
            spot = self.locate(hour)
            if spot is not None:
                grid[spot[0]][spot[1]] += 1
            hour += timedelta(hours=1)
        return grid


@dataclass(frozen=True)
class WeeklyDemand:
    """Arrivals per hour of week summed over a window, with the hours each bucket was observed."""

    window: Window
    counts: tuple[int, ...]
    exposure: tuple[int, ...]

    @property
    def total(self) -> int:
        """All counted arrivals."""
        return sum(self.counts)

    def mean(self, bucket: int) -> float | None:
        """Mean arrivals per observed hour in ``bucket``; None if it was never observed."""
        seen = self.exposure[bucket]
        return self.counts[bucket] / seen if seen else None

    def means(self) -> list[float | None]:
        """``mean`` for all 168 buckets."""
        return [self.mean(b) for b in range(HOURS_PER_WEEK)]


def count_grid(arrivals: Iterable[datetime], window: Window) -> list[list[int]]:
    """Arrival counts per week and hour of week (excluded days and outside arrivals dropped)."""
    grid = [[0] * HOURS_PER_WEEK for _ in range(window.weeks)]
    for at in arrivals:
        spot = window.locate(at)
        if spot is not None:
            grid[spot[0]][spot[1]] += 1
    return grid


def _summarise(
    window: Window, counts: Sequence[Sequence[int]], exposure: Sequence[Sequence[int]]
) -> WeeklyDemand:
    return WeeklyDemand(
        window,
        tuple(sum(week[b] for week in counts) for b in range(HOURS_PER_WEEK)),
        tuple(sum(week[b] for week in exposure) for b in range(HOURS_PER_WEEK)),
    )


def weekly_demand(arrivals: Iterable[datetime], window: Window) -> WeeklyDemand:
    """Arrivals by hour of week over ``window``, with each bucket's observed hours."""
    return _summarise(window, count_grid(arrivals, window), window.exposure())


def demand_by(arrivals: Iterable[tuple[datetime, K]], window: Window) -> dict[K, WeeklyDemand]:
    """``weekly_demand`` split by a key (request type, practice): one summary per key seen.

    The exposure is the window's, shared by every key: a practice with no arrivals in an open hour
    was observed at zero, which is what its mean should say.
    """
    exposure = window.exposure()
    grids: dict[K, list[list[int]]] = {}
    for at, key in arrivals:
        spot = window.locate(at)
        if spot is None:
            continue
        grid = grids.get(key)
        if grid is None:
            grid = grids[key] = [[0] * HOURS_PER_WEEK for _ in range(window.weeks)]
        grid[spot[0]][spot[1]] += 1
    return {key: _summarise(window, grid, exposure) for key, grid in grids.items()}


def weekly_rates(arrivals: Iterable[datetime], window: Window) -> list[WeekRates]:
    """Per week, arrivals per observed hour in each bucket (None where unobserved).

    This is the history the forecast works on: rates rather than counts so the doubled autumn hour
    does not look like a surge.
    """
    counts = count_grid(arrivals, window)
    exposure = window.exposure()
    return [
        [c / e if e else None for c, e in zip(cw, ew, strict=True)]
        for cw, ew in zip(counts, exposure, strict=True)
    ]
