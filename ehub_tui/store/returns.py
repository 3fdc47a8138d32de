"""The daily return's reads: counts grouped by UK-local day and practice, in SQL.

Every query groups by the *local* (Europe/London) day. PostgreSQL converts time zones itself;
SQLite has no zone database, so the day expression is built from the UTC offsets that apply in the
range asked for (at most a few segments a year: the clocks change twice). Both engines return the
day as ``YYYY-MM-DD`` text, so the two give identical returns.

Counts are done by the database (GROUP BY); the waiting times (whole seconds) come back gathered
per group in the same pass, because medians and percentiles need the values themselves.

Outcomes are counted by destination *code* (``domain/destinations.py``), never by the route's
words: an outcome's stored code when it has one, else the code its destination's service name
had in the shipped SOPs (outcomes recorded before routes had codes), else ``OTHER``. The text is
read only to look that up and goes no further than this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from ehub_tui.domain.clock import LONDON, local_midnight
from ehub_tui.domain.destinations import reported_code
from ehub_tui.store import bulk
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import Outcome

# Outcomes carry a destination code from migration 0007 on; before it, the code comes from the
# destination text alone (see the module docstring).
_OUTCOME_HAS_CODE = "destination_code" in Outcome.__table__.c  # type: ignore[attr-defined]


def offset_segments(start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The UK offsets (whole hours) in force from ``start`` up to ``end``: [(from, hours), ...]."""
    segments: list[tuple[datetime, int]] = []
    t = start.replace(minute=0, second=0, microsecond=0)
    while t < end:
        off = int((t.astimezone(LONDON).utcoffset() or timedelta()).total_seconds() // 3600)
        if not segments or segments[-1][1] != off:
            segments.append((max(t, start), off))
        t += timedelta(hours=1)
    return segments or [(start, 0)]


class _Sql:
    """SQL fragments for one engine and one range."""

    def __init__(self, conn: Connection, start: datetime, end: datetime) -> None:
        self.sqlite = is_sqlite(conn)
        self.p = bulk.param(self.sqlite)
        self.segments = offset_segments(start, end)

    def value(self, dt: datetime) -> object:
        """A datetime as the driver compares it with stored values."""
        return bulk.storage_value(dt, self.sqlite)

    def local(self, col: str, unit: str = "day") -> str:
        """``col`` (naive UTC) as UK-local ``YYYY-MM-DD`` (unit day) or ``YYYY-MM-DD HH`` (hour)."""
        if not self.sqlite:
            fmt = "YYYY-MM-DD" if unit == "day" else "YYYY-MM-DD HH24"
            return f"to_char(({col} AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London', '{fmt}')"
        width = 10 if unit == "day" else 13

        def shifted(hours: int) -> str:
            if hours == 0:
                return f"substr({col}, 1, {width})"
            if unit == "day":
                return f"date({col}, '{hours:+d} hours')"
            return f"strftime('%Y-%m-%d %H', {col}, '{hours:+d} hours')"

        if len(self.segments) == 1:
            return shifted(self.segments[0][1])
        whens = " ".join(
            f"WHEN {col} < '{self.value(nxt)}' THEN {shifted(off)}"
            for (_, off), (nxt, _) in zip(self.segments, self.segments[1:], strict=False)
        )
        return f"CASE {whens} ELSE {shifted(self.segments[-1][1])} END"

    def gather(self, expr: str) -> str:
        """A group's values of ``expr`` as comma-separated text (NULLs left out)."""
        if self.sqlite:
            return f"group_concat({expr})"
        return f"string_agg(CAST({expr} AS text), ',')"


@dataclass
class RangeCounts:
    """What the store says about one range of days (UK-local), grouped by day and practice."""

    # (day, practice, supplier, request_type, n)
    received: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    # (day, practice, category, destination code, snomed, template, n, within_standard)
    outcomes: list[tuple[str, str, str, str, str | None, str | None, int, int]] = field(
        default_factory=list
    )
    # (day, practice, seconds to first action, seconds to completion): each outcome group's
    # values as comma-separated text, for medians and percentiles (see ``parse_seconds``)
    timings: list[tuple[str, str, str, str]] = field(default_factory=list)
    cancelled: list[tuple[str, str, int]] = field(default_factory=list)
    reassigned: list[tuple[str, str, int]] = field(default_factory=list)
    # (day, practice, metric, n): parked awaiting the patient, replied, no reply (issue 15)
    awaiting: list[tuple[str, str, str, int]] = field(default_factory=list)


def parse_seconds(texts: list[str]) -> list[int]:
    """Gathered waiting times (comma-separated texts) as integers, negatives as 0."""
    joined = ",".join(t for t in texts if t)
    if not joined:
        return []
    values = list(map(int, joined.split(",")))
    return values if min(values) >= 0 else [v if v > 0 else 0 for v in values]


def _rows(conn: Connection, sql: str, params: tuple[object, ...]) -> Iterator[tuple[Any, ...]]:
    cur = bulk.driver(conn).cursor()
    try:
        cur.execute(sql, params)
        yield from cur.fetchall()
    finally:
        cur.close()


def range_counts(conn: Connection, first: date, last: date) -> RangeCounts:
    """Counts for the UK-local days ``first`` to ``last`` inclusive."""
    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    q = _Sql(conn, start, end)
    s, e, p = q.value(start), q.value(end), q.p
    out = RangeCounts()
    out.received = [
        (d, pr, str(src), str(rt), int(n))
        for d, pr, src, rt, n in _rows(
            conn,
            f"SELECT {q.local('received_at')}, practice_ods, source, request_type, COUNT(*) "
            f"FROM consultation WHERE received_at >= {p} AND received_at < {p} "
            "GROUP BY 1, 2, 3, 4",
            (s, e),
        )
    ]
    # one pass over the period's outcomes: counts per group, and each group's waits (fixed at
    # completion, whole seconds) gathered as text ("12,340,…") so medians need no second scan
    # an outcome with a code groups by it; the destination text is read only when it has none
    code, text_ = (
        ("o.destination_code", "CASE WHEN o.destination_code IS NULL THEN o.destination END")
        if _OUTCOME_HAS_CODE
        else ("NULL", "o.destination")
    )
    for d, pr, cat, stored, dest, snomed, tpl, n, w, firsts, dones in _rows(
        conn,
        f"SELECT {q.local('o.completed_at')}, c.practice_ods, o.category, {code}, {text_}, "
        "o.snomed_code, c.template, COUNT(*), "
        "SUM(CASE WHEN o.completed_at <= c.due_by THEN 1 ELSE 0 END), "
        f"{q.gather('o.first_action_seconds')}, {q.gather('o.completion_seconds')} "
        "FROM outcome o JOIN consultation c ON c.id = o.consultation_id "
        f"WHERE o.completed_at >= {p} AND o.completed_at < {p} "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7",
        (s, e),
    ):
        dcode = reported_code(stored, dest)
        out.outcomes.append((d, pr, str(cat), dcode, snomed, tpl, int(n), int(w or 0)))
        out.timings.append((d, pr, firsts or "", dones or ""))
    out.cancelled = [
        (d, pr, int(n))
        for d, pr, n in _rows(
            conn,
            f"SELECT {q.local('cancelled_at')}, practice_ods, COUNT(*) FROM consultation "
            f"WHERE cancelled_at >= {p} AND cancelled_at < {p} GROUP BY 1, 2",
            (s, e),
        )
    ]
    from ehub_tui.store import awaiting  # (imports this module's neighbours only)

    out.awaiting = awaiting.day_counts(conn, q.local, s, e)
    out.reassigned = [
        (d, pr, int(n))
        for d, pr, n in _rows(
            conn,
            f"SELECT {q.local('a.at')}, c.practice_ods, COUNT(*) FROM audit_event a "
            "JOIN consultation c ON c.id = a.consultation_id "
            f"WHERE a.action = 'reassign' AND a.at >= {p} AND a.at < {p} GROUP BY 1, 2",
            (s, e),
        )
    ]
    return out


def open_at(conn: Connection, day: date) -> dict[str, int]:
    """Items open (received, not yet completed or cancelled) at 00:00 UK time on ``day``."""
    at = local_midnight(day)
    sqlite = is_sqlite(conn)
    p, t = bulk.param(sqlite), bulk.storage_value(at, sqlite)
    counts: dict[str, int] = {}
    # SQLite without statistics would walk ix_consultation_practice to save a sort; the
    # covering indexes read only the items closed since that midnight
    hint = {
        name: f" INDEXED BY {name}" if sqlite else ""
        for name in ("ix_consultation_completed", "ix_consultation_cancelled")
    }
    for sql, params in (
        (
            "SELECT practice_ods, COUNT(*) FROM consultation "
            f"WHERE status IN ('queued', 'claimed') AND received_at < {p} GROUP BY 1",
            (t,),
        ),
        (
            f"SELECT practice_ods, COUNT(*) FROM consultation{hint['ix_consultation_completed']} "
            f"WHERE completed_at >= {p} AND received_at < {p} GROUP BY 1",
            (t, t),
        ),
        (
            f"SELECT practice_ods, COUNT(*) FROM consultation{hint['ix_consultation_cancelled']} "
            f"WHERE cancelled_at >= {p} AND received_at < {p} GROUP BY 1",
            (t, t),
        ),
    ):
        for practice, n in _rows(conn, sql, params):
            counts[practice] = counts.get(practice, 0) + int(n)
    return counts


def arrivals_by_hour(conn: Connection, first: date, last: date) -> list[tuple[str, str, int]]:
    """Submissions per UK-local hour: [(``YYYY-MM-DD HH``, practice, n)]."""
    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    q = _Sql(conn, start, end)
    return [
        (str(h), pr, int(n))
        for h, pr, n in _rows(
            conn,
            f"SELECT {q.local('received_at', 'hour')}, practice_ods, COUNT(*) FROM consultation "
            f"WHERE received_at >= {q.p} AND received_at < {q.p} GROUP BY 1, 2",
            (q.value(start), q.value(end)),
        )
    ]
