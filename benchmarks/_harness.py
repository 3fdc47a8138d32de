"""The method every benchmark shares: interleaved repeats, alternating order, median and spread.

A comparison is ours beside a baseline measured the same number of times in one run:

- **interleaved**: repeat i measures both sides before repeat i+1 starts, so drift in the
  machine's speed (other work, thermal state) falls on both sides alike;
- **alternating order**: ours first on odd repeats (1, 3, …), the baseline first on even ones,
  so neither side always gets the warm (or the cold) slot;
- **fresh state per side per repeat**: each side's measure function is handed the repeat number
  and builds (untimed) whatever it measures against — a fresh database file, a fresh process —
  so neither side runs on what the other left behind;
- **median and spread**: each side's median, min, max and interquartile range (q1–q3) are
  reported, and so are the ratios of each repeat's pair (ratio_min–ratio_max), so a reader can
  see whether the headline ratio is stable or one lucky draw.

Each script prints a human line per comparison and, as its LAST line, one JSON object
``{"comparisons": [...], "benchmark": name, ...}``; `benchmarks/report.py` turns those lines
into the tables in docs/benchmarks.md.

Ratios are "our cost over the baseline's", so lower is better: for times ours / baseline; for
rates (``higher_is_better``) baseline / ours.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Samples:
    """Each side's measurements, one per repeat, in repeat order."""

    ours: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)


def interleave(
    repeats: int,
    ours: Callable[[int], float],
    baseline: Callable[[int], float],
    *,
    warmup: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Samples:
    """Run ``repeats`` pairs; ours first on odd repeats, the baseline first on even ones.

    Each function gets the repeat number (1-based; 0 and below for warm-ups, whose results are
    dropped) and returns one measurement. Warm-ups alternate too.
    """
    out = Samples()
    for i in range(1 - warmup, repeats + 1):
        order: list[tuple[str, Callable[[int], float]]] = [("ours", ours), ("baseline", baseline)]
        if i % 2 == 0:  # even repeats (and every other warm-up): the baseline goes first
            order.reverse()
        got = {}
        for side, fn in order:
            got[side] = fn(i)
        if i >= 1:
            out.ours.append(got["ours"])
            out.baseline.append(got["baseline"])
        if progress is not None:
            tag = f"repeat {i}/{repeats}" if i >= 1 else f"warm-up {i + warmup}/{warmup}"
            progress(
                f"  {tag} ({order[0][0]} first): ours {fmt(got['ours'])}  "
                f"baseline {fmt(got['baseline'])}"
            )
    return out


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """The first and third quartiles (inclusive method; a single value is its own quartiles)."""
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min, max, q1 and q3 of one side's measurements."""
    q1, q3 = quartiles(values)
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "q1": q1,
        "q3": q3,
    }


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile of values by nearest rank (p95 of 100 values is the 95th smallest)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def fmt(x: float) -> str:
    """A figure for a human line: whole numbers with commas from 1,000 up, else 4 figures."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _r(x: float) -> float:
    """Round to 4 significant figures (enough for a noisy machine, short in the JSON)."""
    return float(f"{x:.4g}")


def comparison(
    name: str,
    unit: str,
    samples: Samples,
    *,
    higher_is_better: bool = False,
    target: float | None = None,
    target_text: str | None = None,
    extra_ok: bool = True,
    quiet: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """One comparison: both sides' medians and spreads, the ratio of the medians and the range
    of the per-repeat ratios; printed as one line, returned as the JSON object.

    ``target`` is an upper bound on the ratio; ``extra_ok`` folds in any other condition of the
    target (an absolute limit), described by ``target_text``.
    """
    ours, base = spread(samples.ours), spread(samples.baseline)

    def ratio(o: float, b: float) -> float:
        return b / o if higher_is_better else o / b

    pairs = [ratio(o, b) for o, b in zip(samples.ours, samples.baseline, strict=True)]
    r = ratio(ours["median"], base["median"])
    out: dict[str, Any] = {
        "name": name,
        "unit": unit,
        "ours": _r(ours["median"]),
        "baseline": _r(base["median"]),
        "ratio": _r(r),
        "repeats": len(samples.ours),
        "ours_min": _r(ours["min"]),
        "ours_max": _r(ours["max"]),
        "ours_q1": _r(ours["q1"]),
        "ours_q3": _r(ours["q3"]),
        "baseline_min": _r(base["min"]),
        "baseline_max": _r(base["max"]),
        "baseline_q1": _r(base["q1"]),
        "baseline_q3": _r(base["q3"]),
        "ratio_min": _r(min(pairs)),
        "ratio_max": _r(max(pairs)),
        "higher_is_better": higher_is_better,
    }
    verdict = ""
    if target is not None:
        met = r <= target and extra_ok
        out.update(target=target, met=met)
        if target_text:
            out["target_text"] = target_text
        verdict = f"   (target {target_text or f'<= {target:g}'}: {'met' if met else 'MISSED'})"
    out.update(extra)
    if not quiet:
        print(
            f"{name}: ours {fmt(ours['median'])} {unit} [{fmt(ours['min'])}–{fmt(ours['max'])}]   "
            f"baseline {fmt(base['median'])} {unit} [{fmt(base['min'])}–{fmt(base['max'])}]   "
            f"ratio {r:.3f} [per repeat {min(pairs):.3f}–{max(pairs):.3f}], "
            f"{len(samples.ours)} repeats{verdict}",
            flush=True,
        )
    return out


def emit(benchmark: str, comparisons: list[dict[str, Any]], **extra: Any) -> None:
    """Print the LAST line: one JSON object with every comparison (report.py reads it)."""
    print(json.dumps({"comparisons": comparisons, "benchmark": benchmark, **extra}))
