"""The synthetic hub history: deterministic for a seed, with the shape and mixes it promises."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from ehub_tui.capacity.demand import Window, hour_of_week
from ehub_tui.capacity.synth import generate_history, hourly_rates

AS_OF = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history():  # type: ignore[no-untyped-def]
    return generate_history(as_of=AS_OF, weeks=8, per_month=4500, seed=3)


def test_same_seed_same_history_other_seed_differs(history) -> None:  # type: ignore[no-untyped-def]
    assert generate_history(as_of=AS_OF, weeks=8, per_month=4500, seed=3) == history
    assert generate_history(as_of=AS_OF, weeks=8, per_month=4500, seed=4) != history


def test_window_volume_and_mixes(history) -> None:  # type: ignore[no-untyped-def]
    window = Window.last_whole_weeks(AS_OF, 8)
    assert history.first_monday == window.first_monday == date(2025, 1, 13)
    assert all(window.locate(a.at) is not None for a in history.arrivals)
    per_week = len(history.arrivals) / 8
    assert per_week == pytest.approx(4500 * 12 / 52, rel=0.05)
    priorities = Counter(a.priority for a in history.arrivals)
    n = len(history.arrivals)
    assert priorities[1] / n == pytest.approx(0.10, abs=0.02)
    assert priorities[2] / n == pytest.approx(0.01, abs=0.005)
    assert {a.request_type for a in history.arrivals} == {"clinical", "admin", "other"}
    assert len({a.practice_ods for a in history.arrivals}) == 4
    # most completed items leave a handling sample, every one positive and clipped
    assert 0.9 * n < len(history.handling) <= n
    assert all(20 <= h.seconds <= 3600 for h in history.handling)
    assert {h.category for h in history.handling} == {"signpost", "clinical", "admin", "escalate"}


def test_weekly_shape_monday_morning_peak_quiet_nights(history) -> None:  # type: ignore[no-untyped-def]
    rates = hourly_rates(4500)
    assert max(range(168), key=rates.__getitem__) == 8  # Monday 08:00
    by_hour = Counter(hour_of_week(a.at) for a in history.arrivals)
    monday_9, tuesday_3, saturday_10 = 9, 24 + 3, 5 * 24 + 10
    assert by_hour[monday_9] > 3 * by_hour[saturday_10] > 3 * by_hour[tuesday_3]


def test_closed_days_are_recorded() -> None:
    closed = [date(2025, 2, 14)]
    h = generate_history(as_of=AS_OF, weeks=8, per_month=300, closed_days=closed)
    assert h.closed_days == closed
