"""Seasonal forecast vs "same hour last week", back-tested on a generated year of arrivals."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

import pytest

from ehub_tui.capacity.demand import (
    HOURS_PER_WEEK,
    WeekRates,
    Window,
    hour_of_week,
    weekly_rates,
)
from ehub_tui.capacity.forecast import (
    Method,
    Seasonal,
    backtest,
    naive_forecast,
    seasonal_forecast,
    trend_factor,
)
from ehub_tui.domain.clock import local_midnight


def pattern(bucket: int) -> float:
    """A known weekly shape: busy weekday core hours with a Monday peak, quiet nights, weekends."""
    day, hour = divmod(bucket, 24)
    if day >= 5:
        return 0.5
    if 8 <= hour < 18:
        return 12.0 if day == 0 else 8.0
    return 1.0


def poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small rates here and needs only the standard library.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@pytest.fixture(scope="module")
def year() -> tuple[Window, list[datetime]]:
    """52 whole weeks from Monday 1 January 2024, one seeded Poisson draw per real hour."""
    window = Window(date(2024, 1, 1), 52)
    rng = random.Random(17)
    arrivals: list[datetime] = []
    hour = local_midnight(window.first_monday)
    end = local_midnight(window.end_monday)
    while hour < end:
        for _ in range(poisson(rng, pattern(hour_of_week(hour)))):
            arrivals.append(hour + timedelta(seconds=rng.randrange(3600)))
        hour += timedelta(hours=1)
    return window, arrivals


def test_seasonal_backtest_beats_same_hour_last_week(year: tuple[Window, list[datetime]]) -> None:
    window, arrivals = year
    history = weekly_rates(arrivals, window)
    for cfg in (Seasonal(), Seasonal(method=Method.TRIMMED), Seasonal(method=Method.EWM)):
        result = backtest(history, cfg)
        assert result.weeks == 52 - cfg.k
        assert result.seasonal.hours == result.naive.hours > 0
        assert result.seasonal_better, (cfg, result)
        assert result.seasonal.wape < result.naive.wape
    # Poisson noise on a known pattern: the naive error is near sqrt(2) times the seasonal one.
    plain = backtest(history)
    assert plain.naive.mae / plain.seasonal.mae > 1.2


def test_forecast_recovers_the_known_pattern(year: tuple[Window, list[datetime]]) -> None:
    window, arrivals = year
    history = weekly_rates(arrivals, window)
    nxt = seasonal_forecast(history, Seasonal(k=12))[0]
    monday_10, tuesday_10, saturday_3 = 10, 24 + 10, 5 * 24 + 3
    for bucket in (monday_10, tuesday_10, saturday_3):
        value = nxt[bucket]
        assert value is not None
        assert value == pytest.approx(pattern(bucket), rel=0.3)


def test_bank_holiday_hours_are_skipped_not_zero() -> None:
    # Week 0's Monday was a bank holiday (unobserved); the naive method reaches back past it.
    history: list[WeekRates] = [[2.0] * HOURS_PER_WEEK, [3.0] * HOURS_PER_WEEK]
    history[1][10] = None
    assert naive_forecast(history)[10] == 2.0
    assert seasonal_forecast(history, Seasonal(k=2))[0][10] == 2.0
    assert seasonal_forecast([], Seasonal())[0][10] is None


def test_trend_scales_a_steady_rise() -> None:
    history = [[10.0 * 1.02**w] * HOURS_PER_WEEK for w in range(8)]
    assert trend_factor(history, 4) == pytest.approx(1.02)
    flat = seasonal_forecast(history, Seasonal(k=4))[0][0]
    rising = seasonal_forecast(history, Seasonal(k=4, trend=True))[0][0]
    assert flat is not None and rising is not None
    # The mean of a geometric run sits a hair above its centre, hence the loose tolerance.
    assert rising == pytest.approx(10.0 * 1.02**8, rel=1e-3)
    assert rising > flat
