"""Sizes of the queue window that do not read every queued row (issue 18 part 4).

Two ways, both exact:

- ``from_counters``: practice, type and priority filters are sums of the counters the database
  keeps (store/counters.py), a few rows whatever the queue's size.
- ``by_complement``: "due soon" (`d`) and "waited over N hours" match most of a large backlog,
  so counting what matches reads most of the queue. What does NOT match is bounded instead —
  items not yet due, or arrived in the last N hours — and is a range of an index on the due time
  or the arrival time: size = the counters' answer for the rest of the filter, less the queued
  items in that range that the filter leaves out (the board's "Due < 1 h" counts the same way).
  The complement's clause is the list's clause negated with SQL's NULLs in mind: a missing
  ``sop_flags`` is not an emergency in the list, so it is counted as "not an emergency" here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from ehub_tui.domain import search as S
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.store import counters
from ehub_tui.store import search as store_search

# The list's due-soon clause (store/views.py _where) is
#   due_by <= :due_before OR priority >= 2 OR CAST(sop_flags AS TEXT) LIKE :emergency_flag
# and its negation, where a NULL sop_flags reads as "no emergency flag" in both:
_NOT_DUE_SOON = (
    "c.due_by > :due_before AND c.priority < 2 "
    "AND COALESCE(CAST(c.sop_flags AS TEXT), '') NOT LIKE :emergency_flag"
)
EMERGENCY_FLAG = '%"emergency"%'


def from_counters(conn: Connection, view: str, f: QueueFilter) -> int | None:
    """The queue's size by practice, type and priority from the counters (a few rows, whatever
    the queue's size); None for what they cannot answer (a search, age bands, waiting time, due
    soon; the other views, which are small)."""
    if view != "queue" or f.search or f.age_bands or f.waited_over_hours or f.due_before:
        return None
    practices, types = set(f.all_practices()), set(f.all_types())
    return sum(
        n
        for (status, ods, rtype, priority), n in counters.queue_counts(conn).rows.items()
        if status == "queued"
        and (not practices or ods in practices)
        and (not types or rtype in types)
        and priority >= f.min_priority
    )


def by_complement(
    conn: Connection,
    view: str,
    f: QueueFilter,
    now: datetime | None,
    bind: Callable[[dict[str, Any]], dict[str, Any]],
) -> int | None:
    """Due soon OR waited over N hours (one of them, with any practice, type and priority
    filters): the counters' size without it, less the queued items it leaves out (a bounded
    range: not yet due, or arrived within the N hours). None for anything else."""
    if view != "queue" or f.search or f.age_bands or (f.due_before and f.waited_over_hours):
        return None
    cutoff = S.waited_cutoff(now, f.waited_over_hours) if now is not None else None
    if f.due_before is None and cutoff is None:
        return None
    rest = dataclasses.replace(f, due_before=None, waited_over_hours=None)
    total = from_counters(conn, view, rest)
    if total is None:
        return None
    params: dict[str, Any] = {}
    parts = ["c.status = 'queued'", *_rest_clauses(rest, params)]
    if f.due_before is not None:
        parts.append(_NOT_DUE_SOON)
        params.update(due_before=f.due_before, emergency_flag=EMERGENCY_FLAG)
    else:
        parts.append("c.received_at > :v_waited")
        params["v_waited"] = cutoff
    left_out = conn.execute(
        text(f"SELECT count(*) FROM consultation c WHERE {' AND '.join(parts)}"), bind(params)
    ).scalar_one()
    return total - int(left_out)


def _rest_clauses(f: QueueFilter, params: dict[str, Any]) -> list[str]:
    """Practice, type and priority, as the list applies them (store/search.py filter_clauses
    for the multi-selects; no age band or waiting time is left in ``f``)."""
    parts = store_search.filter_clauses(f, params, date.min, None)
    if f.min_priority:
        parts.append("c.priority >= :minp")
        params["minp"] = f.min_priority
    return parts
