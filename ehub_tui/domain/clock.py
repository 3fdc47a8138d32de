"""The response-standard clock: core hours, working days and due times (England).

Urgent requests are due the same working day (by the end of core hours; one that arrives after core
hours, or on a non-working day, is due by the end of the next working day's core hours). Other
requests are due by the end of the next working day. Times are UTC at the edges and reasoned
about in Europe/London, where the core hours live.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Aware UTC now: this machine's wall clock."""
    return datetime.now(UTC)


@runtime_checkable
class Clock(Protocol):
    """The one clock every layer is given: wall time (stamps records, decides "today") and a
    monotonic count of seconds (decides how long since: rescue timers, caches, key guards), so a
    test can move either and a wall clock set back never stretches an interval."""

    def now(self) -> datetime:
        """Aware UTC now."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start that never go backwards."""
        ...


class SystemClock:
    """A Clock from two functions (by default this machine's wall and monotonic clocks).

    Calling it gives ``now()``: older code injected a bare ``Callable[[], datetime]`` and still
    calls the clock it holds.
    """

    __slots__ = ("_monotonic", "_wall")

    def __init__(
        self,
        wall: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = _time.monotonic,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic

    def now(self) -> datetime:
        """Aware UTC now (a naive value from an injected function is taken as UTC)."""
        value = self._wall()
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def monotonic(self) -> float:
        """Monotonic seconds."""
        return self._monotonic()

    def today(self) -> date:
        """Today's date in the UK."""
        return self.now().astimezone(LONDON).date()

    def __call__(self) -> datetime:
        return self.now()


def as_clock(clock: Clock | Callable[[], datetime] | None = None) -> SystemClock:
    """A SystemClock from whatever was injected: a Clock (its two readings are used), a function
    giving the wall time (the monotonic clock is this machine's), or None (the machine's)."""
    if clock is None:
        return SystemClock()
    if isinstance(clock, SystemClock):
        return clock
    # not isinstance(clock, Clock): a test's frozen clock may hold a ``now`` datetime attribute
    now, mono = getattr(clock, "now", None), getattr(clock, "monotonic", None)
    if callable(now) and callable(mono):
        return SystemClock(now, mono)
    if callable(clock):
        return SystemClock(clock)
    raise TypeError(f"not a clock: {clock!r}")


def local_midnight(day: date) -> datetime:
    """00:00 UK time on ``day``, as aware UTC."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


@lru_cache(maxsize=64)
def _england_holidays(year: int) -> frozenset[date]:
    import holidays  # a well-kept table of UK bank holidays; imported lazily

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: date) -> bool:
    """True on a bank holiday in England."""
    return day in _england_holidays(day.year)


@dataclass(frozen=True)
class CoreHours:
    """Core hours of the hub, in UK local time (default 08:00-18:30, Monday to Friday)."""

    start: time = time(8, 0)
    end: time = time(18, 30)
    extra_closed_days: frozenset[date] = field(default_factory=frozenset)
    _working: dict[date, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, not a bank holiday in England, not a configured closure."""
        known = self._working.get(day)
        if known is None:
            known = (
                day.weekday() < 5 and not is_bank_holiday(day) and day not in self.extra_closed_days
            )
            self._working[day] = known
        return known

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        d = day + timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def close_of(self, day: date) -> datetime:
        """End of core hours on ``day`` as an aware UTC datetime."""
        return datetime.combine(day, self.end, tzinfo=LONDON).astimezone(UTC)

    def due_by(self, received_at: datetime, urgent: bool) -> datetime:
        """When a response is due for a request received at ``received_at``."""
        if received_at.tzinfo is None:
            received_at = received_at.replace(tzinfo=UTC)
        local = received_at.astimezone(LONDON)
        day = local.date()
        in_hours_day = self.is_working_day(day) and local.time() < self.end
        # The working day the request counts as received on.
        counted = day if in_hours_day else self.next_working_day(day)
        if urgent:
            return self.close_of(counted)
        return self.close_of(self.next_working_day(counted))


DEFAULT_CORE_HOURS = CoreHours()
