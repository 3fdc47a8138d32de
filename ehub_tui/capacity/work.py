"""Work: how long an item takes, learnt from the active seconds navigators recorded on outcomes.

The simulation draws each item's handling time by resampling the hub's own samples (no fitted
curve to argue about): of the item's request type and priority when there are enough of those,
else of its type, else of every sample pooled. With no samples at all (a new hub) it falls back
to an exponential time with a documented mean, ``DEFAULT_SECONDS``, and says so (``defaulted``)
so the plan can carry a note.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from ehub_tui.domain.capacity import HandlingSummary, HistoryHandling

#: Mean handling seconds assumed when the hub has no samples: four minutes, a typical time for a
#: navigator to read an online consultation and route it (replace it with the hub's own figures
#: as soon as there are some).
DEFAULT_SECONDS = 240.0
#: Fewest samples of one (type, priority) before they are used on their own; fewer and a few odd
#: long calls would decide every urgent item's time.
MIN_SAMPLES = 30
ALL = "all"


def _summary(request_type: str, category: str, values: list[float]) -> HandlingSummary:
    ordered = sorted(values)
    # p90 by linear interpolation between the closest ranks (statistics' "inclusive" method)
    p90 = (
        statistics.quantiles(ordered, n=10, method="inclusive")[8]
        if len(ordered) > 1
        else ordered[0]
    )
    return HandlingSummary(
        request_type=request_type,
        category=category,
        count=len(ordered),
        mean_seconds=sum(ordered) / len(ordered),
        median_seconds=statistics.median(ordered),
        p90_seconds=p90,
    )


@dataclass(frozen=True)
class HandlingModel:
    """Handling times by request type, priority and route category, resampled."""

    samples: tuple[HistoryHandling, ...] = ()
    _pooled: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _by_type: dict[str, tuple[float, ...]] = field(init=False, repr=False, compare=False)
    _by_type_priority: dict[tuple[str, int], tuple[float, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_type: dict[str, list[float]] = {}
        by_tp: dict[tuple[str, int], list[float]] = {}
        for s in self.samples:
            by_type.setdefault(s.request_type, []).append(s.seconds)
            by_tp.setdefault((s.request_type, s.priority), []).append(s.seconds)
        # frozen: set the derived look-ups once, through object.__setattr__
        object.__setattr__(self, "_pooled", tuple(s.seconds for s in self.samples))
        object.__setattr__(self, "_by_type", {k: tuple(v) for k, v in by_type.items()})
        object.__setattr__(
            self,
            "_by_type_priority",
            {k: tuple(v) for k, v in by_tp.items() if len(v) >= MIN_SAMPLES},
        )

    @classmethod
    def from_samples(cls, samples: Iterable[HistoryHandling]) -> HandlingModel:
        """A model of the given samples (in the order given: resampling is by index)."""
        return cls(tuple(samples))

    @property
    def defaulted(self) -> bool:
        """True when there are no samples and ``DEFAULT_SECONDS`` stands in."""
        return not self._pooled

    def pool(self, priority: int, request_type: str) -> tuple[float, ...]:
        """The samples an item of this priority and type is drawn from (empty when defaulted)."""
        return (
            self._by_type_priority.get((request_type, priority))
            or self._by_type.get(request_type)
            or self._pooled
        )

    def draw(self, rng: random.Random, priority: int, request_type: str) -> float:
        """One item's handling seconds: a sample picked at random from its ``pool``."""
        values = self.pool(priority, request_type)
        if not values:
            return rng.expovariate(1.0 / DEFAULT_SECONDS)
        return values[int(rng.random() * len(values))]

    def mean_seconds(self, request_type: str | None = None) -> float:
        """Mean handling seconds of a type (all samples pooled when None or unknown)."""
        values = (self._by_type.get(request_type) if request_type else None) or self._pooled
        return math.fsum(values) / len(values) if values else DEFAULT_SECONDS

    def summaries(self) -> list[HandlingSummary]:
        """Count, mean, median and p90 per (type, category), sorted, then ("all", "all")."""
        groups: dict[tuple[str, str], list[float]] = {}
        for s in self.samples:
            groups.setdefault((s.request_type, s.category), []).append(s.seconds)
        out = [_summary(t, c, v) for (t, c), v in sorted(groups.items())]
        if self._pooled:
            out.append(_summary(ALL, ALL, list(self._pooled)))
        return out
