"""Demand by UK-local hour of week: bucketing across BST, bank holidays, closures, exposure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ehub_tui.capacity.demand import (
    HOURS_PER_WEEK,
    Window,
    demand_by,
    hour_of_week,
    weekly_demand,
    weekly_rates,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_summer_monday_0030_utc_is_monday_0100_local() -> None:
    assert hour_of_week(utc(2024, 7, 1, 0, 30)) == 1  # 01:30 BST
    assert hour_of_week(utc(2024, 1, 8, 0, 30)) == 0  # 00:30 GMT
    # Sunday 23:30 UTC in summer is already Monday 00:30 in London.
    assert hour_of_week(utc(2024, 6, 30, 23, 30)) == 0
    assert hour_of_week(utc(2024, 7, 7, 23, 59)) == 0


def test_summer_sunday_night_arrival_counts_in_the_next_local_week() -> None:
    window = Window(date(2024, 6, 24), 2)
    assert window.locate(utc(2024, 6, 30, 23, 30)) == (1, 0)
    assert window.locate(utc(2024, 6, 30, 22, 30)) == (0, 6 * 24 + 23)


def test_naive_time_is_refused_in_a_sentence() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        hour_of_week(datetime(2024, 7, 1, 0, 30))


def test_clock_changes_give_honest_exposure() -> None:
    sunday_1am = 6 * 24 + 1
    spring = Window(date(2025, 3, 24), 1)  # Sunday 30 March 2025: 01:00 -> 02:00
    autumn = Window(date(2024, 10, 21), 1)  # Sunday 27 October 2024: 02:00 -> 01:00
    assert spring.exposure()[0][sunday_1am] == 0
    assert autumn.exposure()[0][sunday_1am] == 2
    assert sum(spring.exposure()[0]) == HOURS_PER_WEEK - 1
    assert sum(autumn.exposure()[0]) == HOURS_PER_WEEK + 1
    # Both 01:xx hours of the autumn Sunday land in one bucket; the rate is per real hour.
    twice = [utc(2024, 10, 27, 0, 15), utc(2024, 10, 27, 1, 15)]
    assert [hour_of_week(t) for t in twice] == [sunday_1am, sunday_1am]
    assert weekly_rates(twice, autumn)[0][sunday_1am] == 1.0
    assert weekly_rates(twice, spring)[0][sunday_1am] is None


def test_bank_holidays_and_closures_are_excluded_with_their_exposure() -> None:
    # Week of Monday 23 December 2024: 25 and 26 December are bank holidays in England.
    window = Window(date(2024, 12, 23), 1, frozenset({date(2024, 12, 27)}))
    arrivals = [
        utc(2024, 12, 23, 10, 0),  # Monday: counts
        utc(2024, 12, 25, 10, 0),  # Christmas Day: bank holiday
        utc(2024, 12, 26, 10, 5),  # Boxing Day: bank holiday
        utc(2024, 12, 27, 10, 0),  # a closure date
        utc(2024, 12, 30, 10, 0),  # next week: outside the window
    ]
    demand = weekly_demand(arrivals, window)
    assert demand.total == 1
    assert window.excluded_days() == [date(2024, 12, 25), date(2024, 12, 26), date(2024, 12, 27)]
    wed_10, thu_10, fri_10, mon_10 = 2 * 24 + 10, 3 * 24 + 10, 4 * 24 + 10, 10
    assert demand.exposure[wed_10] == demand.exposure[thu_10] == demand.exposure[fri_10] == 0
    assert demand.mean(wed_10) is None
    assert demand.mean(mon_10) == 1.0


def test_means_over_weeks_observed_not_weeks_in_window() -> None:
    # Two weeks of Mondays: 6 May 2024 is the Early May bank holiday, 13 May is not.
    window = Window(date(2024, 5, 6), 2)
    arrivals = [utc(2024, 5, 6, 8, 0), utc(2024, 5, 13, 8, 0), utc(2024, 5, 13, 8, 30)]
    demand = weekly_demand(arrivals, window)
    monday_9_bst = 9
    assert demand.counts[monday_9_bst] == 2
    assert demand.exposure[monday_9_bst] == 1
    assert demand.mean(monday_9_bst) == 2.0


def test_split_by_key_shares_the_window_exposure() -> None:
    window = Window(date(2024, 7, 1), 1)
    arrivals = [
        (utc(2024, 7, 1, 9, 0), "A81001"),
        (utc(2024, 7, 1, 9, 10), "A81001"),
        (utc(2024, 7, 2, 9, 0), "B82002"),
    ]
    by_practice = demand_by(arrivals, window)
    assert set(by_practice) == {"A81001", "B82002"}
    assert by_practice["A81001"].counts[10] == 2
    assert by_practice["B82002"].counts[24 + 10] == 1
    assert by_practice["B82002"].mean(10) == 0.0  # observed, no arrivals: zero, not unknown


def test_last_whole_weeks_leaves_out_the_current_week() -> None:
    window = Window.last_whole_weeks(utc(2024, 7, 3, 12, 0), 4)
    assert window.first_monday == date(2024, 6, 3)
    assert window.end_monday == date(2024, 7, 1)
    with pytest.raises(ValueError, match="Monday"):
        Window(date(2024, 7, 2), 1)
