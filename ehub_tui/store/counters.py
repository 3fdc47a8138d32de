"""Whole-hub queue counts read from counters the database keeps (migration 0019), not recounted.

``queue_count`` holds one row per (status, practice, request type, priority) with how many items
have it; ``queued_hour`` how many queued items arrived in each UTC hour. Triggers on
``consultation`` keep both in the transaction of every change (intake, claim, completion, cancel,
reassign, parking, prescreen, amendment, retention purge: every writer, without each knowing).
SQLite's triggers write the counters directly (its writers are serialised); PostgreSQL's append a
delta row (no lock for concurrent claims to wait on), which ``fold`` moves into the counters and
readers add while pending. A read costs the number of keys and pending deltas, never the history.

Figures that depend on the time now (breaching, due soon, the median wait) are not counters:
``breaching`` and ``median_received`` are indexed reads whose cost is bounded by the items due
in the future and one hour's arrivals (see each).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import UTCDateTime

log = logging.getLogger(__name__)

Key = tuple[str, str, str, int]  # (status, practice_ods, request_type, priority)
OPEN = ("queued", "claimed")
_FOLD_LOCK = 0x65686366  # "ehcf": one folder at a time (pg_try_advisory_xact_lock)
_DT = UTCDateTime()

_COUNTS = text(
    "SELECT status, practice_ods, request_type, priority, sum(n) AS n FROM ("
    " SELECT status, practice_ods, request_type, priority, n FROM queue_count"
    " UNION ALL"
    " SELECT status, practice_ods, request_type, priority, n FROM count_delta"
    ") AS c GROUP BY status, practice_ods, request_type, priority HAVING sum(n) <> 0"
)
# The hour holding the queued item at position :mid (oldest first) and how many queued items
# arrived before that hour: a running sum over the hour buckets, in the database. SQLite's
# counters are never pending; PostgreSQL's buckets add the pending deltas first.
_MIDDLE = (
    "SELECT hour, cum - n AS before FROM ("
    " SELECT hour, n, sum(n) OVER (ORDER BY hour) AS cum FROM {hours}"
    ") AS w WHERE cum > :mid ORDER BY hour LIMIT 1"
)
_MIDDLE_SQLITE = text(_MIDDLE.format(hours="queued_hour"))
_MIDDLE_PG = text(
    _MIDDLE.format(
        hours="(SELECT hour, sum(n) AS n FROM ("
        " SELECT hour, n FROM queued_hour"
        " UNION ALL SELECT hour, n FROM count_delta WHERE hour IS NOT NULL"
        ") AS u GROUP BY hour) AS h"
    )
)
_OLDEST = text("SELECT min(received_at) FROM consultation WHERE status = 'queued'")
_FOLD = text(
    "WITH moved AS (DELETE FROM count_delta RETURNING status, practice_ods, request_type, "
    "priority, hour, n), "
    "keyed AS (INSERT INTO queue_count (status, practice_ods, request_type, priority, n) "
    " SELECT status, practice_ods, request_type, priority, sum(n) FROM moved "
    " GROUP BY status, practice_ods, request_type, priority "
    " ORDER BY status, practice_ods, request_type, priority "
    " ON CONFLICT (status, practice_ods, request_type, priority) "
    " DO UPDATE SET n = queue_count.n + excluded.n RETURNING 1) "
    "INSERT INTO queued_hour (hour, n) SELECT hour, sum(n) FROM moved WHERE hour IS NOT NULL "
    "GROUP BY hour ORDER BY hour "
    "ON CONFLICT (hour) DO UPDATE SET n = queued_hour.n + excluded.n"
)


@dataclass
class QueueCounts:
    """How many items each (status, practice, type, priority) has, and the oldest queued."""

    rows: dict[Key, int] = field(default_factory=dict)
    oldest_queued: datetime | None = None

    def count(
        self,
        status: str | Iterable[str] | None = None,
        practice: str | None = None,
        request_type: str | None = None,
        min_priority: int | None = None,
    ) -> int:
        """Items matching every filter given (a status or several; None: any)."""
        wanted = {status} if isinstance(status, str) else None if status is None else set(status)
        return sum(
            n
            for (st, ods, rt, pr), n in self.rows.items()
            if (wanted is None or st in wanted)
            and (practice is None or ods == practice)
            and (request_type is None or rt == request_type)
            and (min_priority is None or pr >= min_priority)
        )

    def by_status(self) -> dict[str, int]:
        """Items by status (statuses with none left out)."""
        return self._by(0, None)

    def queued_by_practice(self) -> dict[str, int]:
        """Queued items by practice ODS code."""
        return self._by(1, "queued")

    def queued_by_type(self) -> dict[str, int]:
        """Queued items by request type."""
        return self._by(2, "queued")

    def queued_by_priority(self) -> dict[int, int]:
        """Queued items by priority."""
        return self._by(3, "queued")

    def _by(self, part: int, status: str | None) -> dict[Any, int]:
        out: dict[Any, int] = {}
        for key, n in self.rows.items():
            if status is None or key[0] == status:
                out[key[part]] = out.get(key[part], 0) + n
        return {k: n for k, n in out.items() if n}


def as_utc(value: Any) -> datetime | None:
    """A datetime as the driver gave it back (SQLite: text), aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _DT.process_result_value(value, None)


def queue_counts(conn: Connection) -> QueueCounts:
    """The counters (plus any pending deltas) and the oldest queued item's arrival (one seek on
    the (status, received_at) index)."""
    out = QueueCounts()
    for r in conn.execute(_COUNTS):
        out.rows[(r.status, r.practice_ods, r.request_type, int(r.priority))] = int(r.n)
    out.oldest_queued = as_utc(conn.execute(_OLDEST).scalar())
    return out


def bind_time(conn: Connection, dt: datetime) -> Any:
    """A datetime as a bound parameter compared with stored ones (SQLite: text)."""
    naive = _DT.process_bind_param(dt, None)
    if is_sqlite(conn) and naive is not None:
        return naive.isoformat(sep=" ", timespec="microseconds")
    return naive


def breaching(conn: Connection, counts: QueueCounts, now: datetime) -> int:
    """Open items (queued or held) due before ``now``: the open items counted, less those due
    from now on (a range of the (status, due_by) index over items due in the future, however
    long the history of overdue ones)."""
    not_yet = conn.execute(
        text(
            "SELECT count(*) FROM consultation "
            "WHERE status IN ('queued', 'claimed') AND due_by >= :now"
        ),
        {"now": bind_time(conn, now)},
    ).scalar_one()
    return counts.count(OPEN) - int(not_yet)


def median_received(conn: Connection, queued: int) -> datetime | None:
    """The arrival time of the middle queued item (the one at position ``queued // 2`` oldest
    first, as an OFFSET over all of them would give), exact: a running sum over the hour buckets
    finds the hour holding it, then it is read within that hour from the (status, received_at)
    index, so the cost is the backlog's hours (a year's: 8,760 small rows summed in the
    database) plus one hour's arrivals, not the backlog itself."""
    if queued <= 0:
        return None
    mid = queued // 2
    found = conn.execute(_MIDDLE_SQLITE if is_sqlite(conn) else _MIDDLE_PG, {"mid": mid}).first()
    if found is None:
        return None
    start = datetime.fromisoformat(f"{found.hour}:00:00").replace(tzinfo=UTC)
    got = conn.execute(
        text(
            "SELECT received_at FROM consultation "
            "WHERE status = 'queued' AND received_at >= :start "
            "ORDER BY received_at LIMIT 1 OFFSET :off"
        ),
        {"start": bind_time(conn, start), "off": mid - int(found.before)},
    ).scalar()
    return as_utc(got)


def fold(conn: Connection) -> int:
    """PostgreSQL: move the pending deltas into the counters, in a write transaction of the
    caller's (keep it short: one statement). One folder at a time (a second returns at once);
    the counter rows are locked in key order and only by folders, so no deadlock. Returns the
    deltas folded (0 on SQLite, whose triggers keep the counters directly)."""
    if is_sqlite(conn):
        return 0
    if not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _FOLD_LOCK}).scalar():
        return 0
    pending = int(conn.execute(text("SELECT count(*) FROM count_delta")).scalar_one())
    if pending:
        conn.execute(_FOLD)
        conn.execute(text("DELETE FROM queued_hour WHERE n = 0"))
    return pending


def fold_quietly(conn: Connection) -> int:
    """``fold`` as housekeeping inside a transaction that has other work (the prescreen's): in a
    savepoint, so a failed fold (a dropped statement, a timeout) leaves that work standing and
    the deltas pending, for every read adds them up and the next fold takes them. Logged, never
    raised (review 27: a failed fold rolled back a prescreen's emergency raises)."""
    if is_sqlite(conn):
        return 0
    try:
        with conn.begin_nested():
            return fold(conn)
    except SQLAlchemyError as exc:
        log.warning("the queue counters' pending changes were not folded: %s", type(exc).__name__)
        return 0


def recount(conn: Connection) -> QueueCounts:
    """The same figures by a full count of the rows (for tests and a repair check)."""
    out = QueueCounts()
    for r in conn.execute(
        text(
            "SELECT status, practice_ods, request_type, priority, count(*) AS n "
            "FROM consultation GROUP BY status, practice_ods, request_type, priority"
        )
    ):
        out.rows[(r.status, r.practice_ods, r.request_type, int(r.priority))] = int(r.n)
    out.oldest_queued = as_utc(conn.execute(_OLDEST).scalar())
    return out
