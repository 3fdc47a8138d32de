"""Forecast arrivals by hour of week, and measure the forecast against the hub's own history.

The seasonal method forecasts each hour of the week from the same hour in the last ``k`` observed
weeks (plain mean, trimmed mean, or exponentially weighted mean), optionally scaled by the recent
week-on-week trend. The naive baseline is "same hour last week". ``backtest`` walks forward over
history — each week after the first ``k`` is forecast from the weeks before it only — and scores
both methods side by side, so the method's claim is measured, not assumed.

Inputs are weeks of rates (arrivals per observed hour, None where unobserved) as built by
``demand.weekly_rates``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ehub_tui.capacity.demand import HOURS_PER_WEEK, WeekRates

History = Sequence[Sequence[float | None]]

# A trend is a per-week growth factor; clipped so one odd fortnight cannot double the rota.
_TREND_CLIP = (0.9, 1.1)


class Method(StrEnum):
    """How the same hour's last ``k`` values are combined."""

    MEAN = "mean"
    TRIMMED = "trimmed"
    EWM = "ewm"


@dataclass(frozen=True)
class Seasonal:
    """Settings of the seasonal method (the defaults are the ones the back-test is reported for)."""

    k: int = 6
    method: Method = Method.MEAN
    alpha: float = 0.3
    trend: bool = False

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"the seasonal forecast needs k >= 1 weeks, not {self.k}")
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"the smoothing weight alpha must be in (0, 1], not {self.alpha}")


def _combine(values: list[float], cfg: Seasonal) -> float:
    """Combine one hour's recent values, oldest first."""
    if cfg.method is Method.TRIMMED and len(values) >= 3:
        # Drop the single highest and lowest: one outage or one surge should not move the mean.
        ordered = sorted(values)[1:-1]
        return sum(ordered) / len(ordered)
    if cfg.method is Method.EWM:
        level = values[0]
        for v in values[1:]:
            level = cfg.alpha * v + (1 - cfg.alpha) * level
        return level
    return sum(values) / len(values)


def _recent(history: History, bucket: int, k: int) -> list[float]:
    """The bucket's observed values in the last ``k`` weeks, oldest first."""
    return [v for w in history[-k:] if (v := w[bucket]) is not None]


def _level(week: Sequence[float | None]) -> float | None:
    seen = [v for v in week if v is not None]
    return sum(seen) / len(seen) if seen else None


def trend_factor(history: History, k: int) -> float:
    """Per-week growth: mean level of the last ``k`` weeks over the ``k`` before, k-th rooted.

    1.0 when there is not enough history (2k weeks) or no demand to compare against.
    """
    if len(history) < 2 * k:
        return 1.0
    recent = [lv for w in history[-k:] if (lv := _level(w)) is not None]
    before = [lv for w in history[-2 * k : -k] if (lv := _level(w)) is not None]
    if not recent or not before or sum(before) == 0:
        return 1.0
    ratio = (sum(recent) / len(recent)) / (sum(before) / len(before))
    growth = ratio ** (1 / k) if ratio > 0 else _TREND_CLIP[0]
    return min(max(growth, _TREND_CLIP[0]), _TREND_CLIP[1])


def seasonal_forecast(
    history: History, cfg: Seasonal = Seasonal(), horizon: int = 1
) -> list[WeekRates]:
    """Forecast the next ``horizon`` weeks' rate per hour of week from ``history``.

    An hour never observed in the last ``k`` weeks falls back to its mean over all history, then
    to None (unknown, e.g. a hub with no history yet): the caller decides, nothing is invented.
    """
    if horizon < 1:
        raise ValueError(f"the forecast horizon must be at least one week, not {horizon}")
    base: WeekRates = []
    for b in range(HOURS_PER_WEEK):
        values = _recent(history, b, cfg.k) or _recent(history, b, len(history))
        base.append(_combine(values, cfg) if values else None)
    growth = trend_factor(history, cfg.k) if cfg.trend else 1.0
    # The last-k mean sits (k-1)/2 weeks behind the last week, so week h ahead is (k-1)/2 + h away.
    centre = (min(cfg.k, len(history)) - 1) / 2
    return [
        [None if v is None else v * growth ** (centre + h) for v in base]
        for h in range(1, horizon + 1)
    ]


def naive_forecast(history: History) -> WeekRates:
    """Same hour last week (the most recent observed week for an hour closed last week)."""
    out: WeekRates = []
    for b in range(HOURS_PER_WEEK):
        seen = [v for w in history if (v := w[b]) is not None]
        out.append(seen[-1] if seen else None)
    return out


@dataclass(frozen=True)
class Score:
    """Error of one method over the back-tested hours.

    ``wape`` (total absolute error over total actual) stands in for MAPE: hourly counts are often
    zero overnight, where a percentage error is undefined.
    """

    mae: float
    wape: float
    hours: int


@dataclass(frozen=True)
class Backtest:
    """Seasonal and naive scores over the same weeks and hours."""

    seasonal: Score
    naive: Score
    weeks: int

    @property
    def seasonal_better(self) -> bool:
        """True when the seasonal method's mean absolute error is lower."""
        return self.seasonal.mae < self.naive.mae


def _score(errors: list[float], actual_total: float) -> Score:
    n = len(errors)
    total = sum(errors)
    return Score(total / n if n else 0.0, total / actual_total if actual_total else 0.0, n)


def backtest(history: History, cfg: Seasonal = Seasonal()) -> Backtest:
    """Walk forward: forecast each week after the first ``cfg.k`` from the weeks before it only.

    Only hours observed in the actual week, and forecast by both methods, are scored, so both
    methods are judged on exactly the same hours.
    """
    seasonal_err: list[float] = []
    naive_err: list[float] = []
    actual_total = 0.0
    weeks = 0
    for t in range(cfg.k, len(history)):
        past = history[:t]
        s_week = seasonal_forecast(past, cfg)[0]
        n_week = naive_forecast(past)
        weeks += 1
        for actual, s, n in zip(history[t], s_week, n_week, strict=True):
            if actual is None or s is None or n is None:
                continue
            seasonal_err.append(abs(s - actual))
            naive_err.append(abs(n - actual))
            actual_total += actual
    return Backtest(_score(seasonal_err, actual_total), _score(naive_err, actual_total), weeks)
