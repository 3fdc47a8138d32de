"""The hub's history as capacity planning reads it (issue 17): every arrival and every handling
time inside a range, without who sent them.

Two queries, one per kind, each walking one index over the range (a year of a busy hub is some
54,000 rows of each): arrivals are consultations by ``received_at`` whatever became of them
(demand is demand: a cancelled duplicate still arrived), handling samples are outcomes by
``completed_at`` with the seconds the item was on a navigator's screen. Only times, types,
practice codes, priorities and route categories are read: no patient column is selected.

Read as driver SQL, as the daily return is (``store.returns``): SQLAlchemy's per-row type
processing would cost more than the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection

from ehub_tui.domain.capacity import HistoryArrival, HistoryHandling
from ehub_tui.store import bulk
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import UTCDateTime

_DT = UTCDateTime()


def _rows(conn: Connection, sql: str, params: tuple[object, ...]) -> Sequence[Any]:
    # the driver's own SQL and values: no per-row type processing (times come back as stored)
    return conn.exec_driver_sql(sql, params).all()


def _hint(conn: Connection, index: str) -> str:
    # SQLite without statistics may prefer another index (or a scan) to save a sort; the range
    # index reads only the window's rows, in the order wanted
    return f" INDEXED BY {index}" if is_sqlite(conn) else ""


def arrivals(conn: Connection, start: datetime, end: datetime) -> list[HistoryArrival]:
    """Every consultation received in [``start``, ``end``), any status, oldest first."""
    sqlite = is_sqlite(conn)
    p = bulk.param(sqlite)
    sql = (
        "SELECT received_at, request_type, practice_ods, priority "
        f"FROM consultation{_hint(conn, 'ix_consultation_received_practice')} "
        f"WHERE received_at >= {p} AND received_at < {p} ORDER BY received_at, id"
    )
    params = (bulk.storage_value(start, sqlite), bulk.storage_value(end, sqlite))
    return [
        HistoryArrival(
            at=cast(datetime, _DT.process_result_value(at, None)),  # NOT NULL
            request_type=str(kind),
            practice_ods=str(practice),
            priority=int(priority),
        )
        for at, kind, practice, priority in _rows(conn, sql, params)
    ]


def handling(conn: Connection, start: datetime, end: datetime) -> list[HistoryHandling]:
    """Active seconds of every outcome completed in [``start``, ``end``) that recorded any, with
    its item's type and priority and its route category, in order of completion.

    The active time is the workstation's ``active_seconds`` (sent with a synced completion), else
    the outcome's own ``handling_seconds`` (the same on-screen count, kept by an app completing on
    the hub directly); outcomes with neither are left out rather than counted as instant work.
    """
    sqlite = is_sqlite(conn)
    p = bulk.param(sqlite)
    sql = (
        "SELECT c.request_type, o.category, c.priority, "
        "COALESCE(o.active_seconds, o.handling_seconds) "
        f"FROM outcome o{_hint(conn, 'ix_outcome_completed')} "
        "JOIN consultation c ON c.id = o.consultation_id "
        f"WHERE o.completed_at >= {p} AND o.completed_at < {p} "
        "AND COALESCE(o.active_seconds, o.handling_seconds) > 0 "
        "ORDER BY o.completed_at, o.id"
    )
    params = (bulk.storage_value(start, sqlite), bulk.storage_value(end, sqlite))
    return [
        HistoryHandling(
            request_type=str(kind),
            category=str(category),
            priority=int(priority),
            seconds=float(seconds),
        )
        for kind, category, priority, seconds in _rows(conn, sql, params)
    ]
