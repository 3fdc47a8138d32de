"""The demo's reading of the hub's core hours (its CoreHours: working days, bank holidays):
when the hub last closed, when it opens next, and when a piece of work fits in core hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ehub_tui.domain.clock import LONDON, CoreHours


def last_close(hours: CoreHours, now: datetime) -> datetime:
    """The end of core hours of the latest working day that has closed by ``now``."""
    day = now.astimezone(LONDON).date()
    while not (hours.is_working_day(day) and hours.close_of(day) <= now):
        day -= timedelta(days=1)
    return hours.close_of(day)


def opening(hours: CoreHours, day: date) -> datetime:
    """Start of core hours on ``day`` as aware UTC."""
    return datetime.combine(day, hours.start, tzinfo=LONDON).astimezone(UTC)


def is_open(hours: CoreHours, now: datetime) -> bool:
    """Whether ``now`` is in core hours on a working day."""
    day = now.astimezone(LONDON).date()
    return hours.is_working_day(day) and opening(hours, day) <= now < hours.close_of(day)


def next_opening(hours: CoreHours, now: datetime) -> datetime:
    """When core hours next start after ``now`` (today's start if that is still to come)."""
    day = now.astimezone(LONDON).date()
    if hours.is_working_day(day) and now < opening(hours, day):
        return opening(hours, day)
    return opening(hours, hours.next_working_day(day))


def slot(hours: CoreHours, at: datetime, takes: timedelta) -> datetime:
    """The first time from ``at`` when ``takes`` fits inside core hours on a working day."""
    day = at.astimezone(LONDON).date()
    while True:
        start = max(at, opening(hours, day))
        if hours.is_working_day(day) and start + takes <= hours.close_of(day):
            return start
        day = hours.next_working_day(day)
