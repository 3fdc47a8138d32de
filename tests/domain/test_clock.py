"""The response-standard clock: weekends, bank holidays, after-hours arrivals, BST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from ehub_tui.domain.clock import CoreHours, is_bank_holiday

CH = CoreHours()


def utc(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("received", "urgent", "due"),
    [
        # Monday in core hours: urgent same day 18:30 GMT, routine end of Tuesday
        ("2026-11-23 10:00", True, "2026-11-23 18:30"),
        ("2026-11-23 10:00", False, "2026-11-24 18:30"),
        # before core hours still counts as that working day
        ("2026-11-23 06:30", True, "2026-11-23 18:30"),
        # after core hours: counts as received next working day
        ("2026-11-23 19:00", True, "2026-11-24 18:30"),
        ("2026-11-23 19:00", False, "2026-11-25 18:30"),
        # Friday evening and the weekend roll to Monday (urgent) / Tuesday (routine)
        ("2026-11-20 18:45", True, "2026-11-23 18:30"),
        ("2026-11-21 11:00", False, "2026-11-24 18:30"),
        ("2026-11-22 23:59", True, "2026-11-23 18:30"),
        # Christmas 2026: Fri 25 and Mon 28 (Boxing Day substitute) are bank holidays
        ("2026-12-24 12:00", False, "2026-12-29 18:30"),
        ("2026-12-24 12:00", True, "2026-12-24 18:30"),
        ("2026-12-25 09:00", True, "2026-12-29 18:30"),
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March
        ("2027-03-25 15:00", False, "2027-03-30 17:30"),  # BST from 28 March: 18:30 = 17:30Z
        # summer time: core hours end 18:30 BST = 17:30 UTC
        ("2026-07-01 09:00", True, "2026-07-01 17:30"),
        ("2026-07-01 17:45", True, "2026-07-02 17:30"),  # 18:45 BST is after hours
    ],
)
def test_due_by(received: str, urgent: bool, due: str) -> None:
    assert CH.due_by(utc(received), urgent) == utc(due)


def test_bank_holidays_are_englands() -> None:
    assert is_bank_holiday(date(2026, 12, 28))  # Boxing Day substitute
    assert is_bank_holiday(date(2026, 8, 31))  # summer bank holiday (England, not Scotland)
    assert not is_bank_holiday(date(2026, 8, 3))  # Scotland's only
    assert not is_bank_holiday(date(2026, 11, 23))


def test_configured_core_hours_and_closures() -> None:
    ch = CoreHours(start=time(8), end=time(17), extra_closed_days=frozenset({date(2026, 11, 24)}))
    assert ch.due_by(utc("2026-11-23 10:00"), True) == utc("2026-11-23 17:00")
    # Tuesday is a closure (e.g. protected learning time): routine rolls to Wednesday
    assert ch.due_by(utc("2026-11-23 10:00"), False) == utc("2026-11-25 17:00")


def test_naive_time_is_taken_as_utc() -> None:
    assert CH.due_by(datetime(2026, 11, 23, 10), True) == utc("2026-11-23 18:30")
