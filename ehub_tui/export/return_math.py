"""The daily return's arithmetic: percentiles of the waiting times, shares and the equity ratio
(kept apart from export/returns.py, which turns the store's counts into the return)."""

from __future__ import annotations

Value = int | float | None


def percentile(sorted_values: list[int], q: float) -> float | None:
    """The q-th quantile by linear interpolation (as a spreadsheet's PERCENTILE.INC)."""
    n = len(sorted_values)
    if n == 0:
        return None
    pos = (n - 1) * q
    lo = int(pos)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def minutes(seconds: float | None) -> float | None:
    """Seconds as minutes to one decimal place."""
    return None if seconds is None else round(seconds / 60.0, 1)


def pct(part: float, whole: float) -> float | None:
    """A percentage to one decimal place (None of nothing)."""
    return None if whole <= 0 else round(100.0 * part / whole, 1)


def timing_values(first_action: list[int], completion: list[int]) -> dict[str, Value]:
    """The median and 90th percentile of the waits to first action and to completion."""
    fa, co = sorted(first_action), sorted(completion)
    return {
        "MINUTES_TO_FIRST_ACTION_MEDIAN": minutes(percentile(fa, 0.5)),
        "MINUTES_TO_FIRST_ACTION_P90": minutes(percentile(fa, 0.9)),
        "MINUTES_TO_COMPLETION_MEDIAN": minutes(percentile(co, 0.5)),
        "MINUTES_TO_COMPLETION_P90": minutes(percentile(co, 0.9)),
    }


def equity(received: int, hub_received: int, list_size: int, list_total: int) -> dict[str, Value]:
    """Hub share against list share: a practice's part of the hub's work and of its patients."""
    hub_share = pct(received, hub_received)
    list_share = pct(list_size, list_total)
    ratio = (
        None
        if hub_share is None or not list_share
        else round((received / hub_received) / (list_size / list_total), 2)
    )
    return {
        "PATIENTS_REGISTERED": list_size,
        "HUB_SHARE_PCT": hub_share,
        "LIST_SHARE_PCT": list_share,
        "EQUITY_RATIO": ratio,
        "SUBMISSIONS_PER_1000_PATIENTS": (
            None if list_size <= 0 else round(1000.0 * received / list_size, 2)
        ),
    }
