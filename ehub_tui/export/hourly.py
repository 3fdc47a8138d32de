"""Arrivals by UK-local hour of day, per practice and for the whole hub: the series the xlsx and
html exports chart (issue 16). Counts only: no patient identifier reaches them."""

from __future__ import annotations

from collections.abc import Iterable

from ehub_tui.export.metrics import ALL_SUPPLIERS

HOURS = 24


def fold_hours(rows: Iterable[tuple[str, str, int]], codes: Iterable[str]) -> dict[str, list[int]]:
    """Fold ``(YYYY-MM-DD HH, practice, n)`` rows into 24 counts per practice (hour of day,
    summed over the days) and ``ALL`` for every practice together.

    Every practice in ``codes`` is listed (a quiet practice gets 24 zeros); rows for a practice
    not in ``codes`` count towards ``ALL`` only (as the return's hub totals count every row).

    >>> fold_hours([("2026-11-16 09", "A", 2), ("2026-11-17 09", "A", 1)], ["A", "B"])["A"][9]
    3
    """
    out = {code: [0] * HOURS for code in codes}
    hub = [0] * HOURS
    for stamp, practice, n in rows:
        hour = int(stamp[11:13])
        hub[hour] += n
        if practice in out:
            out[practice][hour] += n
    out[ALL_SUPPLIERS] = hub
    return out
