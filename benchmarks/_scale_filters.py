"""Filter toggles at scale (issue 18 part 4, "filters as fast at 1M as at 10k"), for scale.py.

A toggle is what the queue window asks of the hub when the navigator changes a filter: the
first page of the filtered view and its size, read afresh (the window's remembered sizes and
sort keys are forgotten first, as a new filter finds none). One repeat is the p95 over the
filters a navigator has: a practice, a request type, urgent and up, due soon (`d`, which also
takes every emergency), two practices, an age band, waited over 48 hours and the due order.
Which filters grow with the queue is printed per filter, so a miss names its cause.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import text

from benchmarks._harness import pct
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.service import views as service_views

PAGE = 50


def filters(svc: HubService, now: datetime) -> dict[str, QueueFilter]:
    """The toggles, named; practice and type taken from the hub's own queue."""
    with svc.engine.connect() as conn:
        ods = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT practice_ods FROM consultation GROUP BY practice_ods ORDER BY 1 LIMIT 2"
                )
            )
        ]
        kind = conn.execute(
            text("SELECT request_type FROM consultation GROUP BY request_type ORDER BY 1 LIMIT 1")
        ).scalar_one()
    return {
        "practice": QueueFilter(practice=ods[0]),
        "type": QueueFilter(request_type=kind),
        "urgent": QueueFilter(min_priority=1),
        "due soon (d)": QueueFilter(due_before=now + timedelta(hours=1)),
        "two practices": QueueFilter(practices=tuple(ods)),
        "age band": QueueFilter(age_bands=("0-4",)),
        "waited 48 h": QueueFilter(waited_over_hours=48.0),
        "due order": QueueFilter(sort="due"),
    }


def toggle(svc: HubService, f: QueueFilter) -> float:
    """One toggle in ms: the filtered view's first page and its size, nothing remembered."""
    import time

    with service_views._counted_lock:
        service_views._counted.clear()
        service_views._latest.clear()
    t0 = time.perf_counter()
    svc.queue_page("queue", f, 0, PAGE)
    return (time.perf_counter() - t0) * 1000


def probe(
    hubs: dict[int, HubService], now: datetime, each: dict[str, dict[int, list[float]]]
) -> Callable[[int], Callable[[int], float]]:
    """scale.py's probe: n -> (repeat -> p95 of the toggles); each toggle's time kept in
    ``each`` (name -> size -> times) for the per-filter lines."""

    def make(n: int) -> Callable[[int], float]:
        named = filters(hubs[n], now)

        def go(_i: int) -> float:
            got = []
            for name, f in named.items():
                ms = toggle(hubs[n], f)
                each.setdefault(name, {}).setdefault(n, []).append(ms)
                got.append(ms)
            return pct(got, 0.95)

        return go

    return make
