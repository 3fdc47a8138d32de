"""Dates written inside the demo's fixtures, moved with the item that holds them.

A fixture written for 16–22 November 2026 speaks of "my smear appointment on Weds 25th" and
answers ``appointment_date: 2026-11-25``; moved to today by cli/demotime.py, an unmoved date
would be weeks in the past. So each date in an item's answers and in its free text moves by
whole weeks (a "Monday 23rd" stays a Monday): a date on or after the day the item was received
(an appointment, a trip) by the whole weeks at least as long as the item's own move, so it is
never before the item's new received day; an earlier date (a test, the day work stopped) by the
whole weeks at most as long, so it stays in the past. A baby's date of birth moves the same way
(its text says "born on the 2nd"); older patients' dates of birth stay as written (an age does not
notice a few weeks, and a patient who sent two items keeps one date of birth).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from typing import Any

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# "Weds 25th", "Monday 23rd", "on the 30th", "born on the 2nd" (never "4th one", "23rd in the
# queue": an ordinal counts as a date only after a weekday or "the")
ORDINAL = re.compile(
    r"\b(?:(?P<wd>(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*) |(?P<the>the ))"
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)
# "16/11", "9/11" (day/month, as in the UK; never "n/10", a score: "7/10 pain"); "6 Nov", "2 Dec"
DAY_MONTH = re.compile(r"(?<![\d/])(?P<day>\d{1,2})/(?P<month>\d{1,2})(?![\d/])(?<!/10)")
DAY_MON = re.compile(
    r"\b(?P<day>\d{1,2}) (?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b",
    re.IGNORECASE,
)
NEAR = timedelta(days=60)  # a day/month read as a date only this close to the received day
BABY = timedelta(days=365)


class DateMover:
    """Moves one item's dates: ``received`` (its fixture day) moved to ``moved_to``."""

    def __init__(self, received: date, moved_to: date, hints: tuple[date, ...] = ()) -> None:
        self.received = received
        days = (moved_to - received).days
        self.ahead = timedelta(days=7 * math.ceil(days / 7))  # for a date on/after received
        self.behind = timedelta(days=7 * math.floor(days / 7))  # for an earlier date
        self.hints = hints  # dates the answers name (which "2nd" a text means)

    def move(self, day: date) -> date:
        """``day`` moved by whole weeks, on the same side of the received day."""
        return day + (self.ahead if day >= self.received else self.behind)

    def answers(self, value: Any) -> Any:
        """The answers with every date (an ISO string or a date) moved; the rest as given."""
        if isinstance(value, dict):
            return {k: self.answers(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.answers(v) for v in value]
        if isinstance(value, date) and not isinstance(value, datetime):
            return self.move(value)
        if isinstance(value, str) and ISO_DATE.match(value):
            try:
                return self.move(date.fromisoformat(value)).isoformat()
            except ValueError:
                return value
        return value

    def text(self, text: str) -> str:
        """The free text with its calendar dates moved (weekday names kept: whole weeks)."""
        text = ORDINAL.sub(self._ordinal, text)
        text = DAY_MONTH.sub(self._day_month, text)
        return DAY_MON.sub(self._day_mon, text)

    def _candidates(self, day: int, month: int | None = None) -> list[date]:
        out = []
        for shift in (-1, 0, 1):
            y, m = self.received.year, self.received.month + shift
            y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
            if month is not None:
                y, m = self.received.year + shift, month
            try:
                d = date(y, m, day)
            except ValueError:
                continue
            if abs(d - self.received) <= NEAR:
                out.append(d)
        return out

    def _pick(self, found: list[date], weekday: str | None = None) -> date | None:
        if weekday:
            found = [d for d in found if WEEKDAYS[d.weekday()] == weekday[:3].lower()]
        hinted = [d for d in found if d in self.hints]
        found = hinted or found
        return min(found, key=lambda d: abs(d - self.received)) if found else None

    def _ordinal(self, m: re.Match[str]) -> str:
        d = self._pick(self._candidates(int(m["day"])), m["wd"])
        if d is None:
            return m[0]
        new = self.move(d)
        return f"{m['wd'] + ' ' if m['wd'] else m['the']}{new.day}{_suffix(new.day)}"

    def _day_month(self, m: re.Match[str]) -> str:
        month = int(m["month"])
        d = self._pick(self._candidates(int(m["day"]), month)) if 1 <= month <= 12 else None
        if d is None:
            return m[0]
        new = self.move(d)
        return f"{new.day}/{new.month}"

    def _day_mon(self, m: re.Match[str]) -> str:
        d = self._pick(self._candidates(int(m["day"]), MONTHS.index(m["mon"].lower()) + 1))
        if d is None:
            return m[0]
        new = self.move(d)
        return f"{new.day} {new.strftime('%b')}"

    def birth(self, dob: date) -> date:
        """A baby's date of birth moved as the item's past dates; anyone older's as given."""
        return self.move(dob) if self.received - dob <= BABY else dob


def _suffix(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def answer_dates(value: Any) -> tuple[date, ...]:
    """Every date the answers name (hints for which "2nd" a text means)."""
    if isinstance(value, dict):
        return tuple(d for v in value.values() for d in answer_dates(v))
    if isinstance(value, list):
        return tuple(d for v in value for d in answer_dates(v))
    if isinstance(value, date) and not isinstance(value, datetime):
        return (value,)
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return (date.fromisoformat(value),)
        except ValueError:
            return ()
    return ()
