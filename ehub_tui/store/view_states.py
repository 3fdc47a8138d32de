"""What the queue says of a listed row that is not waiting (held, parked, completed, cancelled):
who and since when. Split from store/views.py (its window reads call it)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text

from ehub_tui.domain.queue import QueueRow
from ehub_tui.store.models import UTCDateTime

_DT = UTCDateTime()


def state_words(conn: Connection, rows: list[QueueRow]) -> list[QueueRow]:
    """Rows not waiting, with what the queue says of them: a held one's holder (their name)
    and since when it is held; a parked one's parking time and return time; a completed
    one's destination; a cancelled one's time."""
    ids = {s: [r.id for r in rows if r.status == s] for s in ("claimed", "awaiting", "completed")}
    ids["cancelled"] = [r.id for r in rows if r.status == "cancelled"]
    if not any(ids.values()):
        return rows
    extra: dict[int, dict[str, Any]] = {}

    def read(sql: str, key: str) -> list[Any]:
        stmt = text(sql).bindparams(bindparam("ids", expanding=True))
        return list(conn.execute(stmt, {"ids": ids[key]})) if ids[key] else []

    for r in read(
        "SELECT c.id, c.claimed_at, u.display_name, c.owner FROM consultation c "
        "LEFT JOIN hub_user u ON u.username = c.owner WHERE c.id IN :ids",
        "claimed",
    ):
        name = (r.display_name or "").strip() or r.owner
        extra[int(r.id)] = {"holder": name, "since": as_dt(r.claimed_at)}
    for r in read(
        "SELECT item_id, parked_at, return_at FROM awaiting_reply WHERE item_id IN :ids "
        "ORDER BY id",
        "awaiting",
    ):  # the newest parking of each is its current one (read last)
        extra[int(r.item_id)] = {"since": as_dt(r.parked_at), "until": as_dt(r.return_at)}
    for r in read(
        "SELECT consultation_id, coalesce(nullif(destination, ''), route) AS route, "
        "completed_at FROM outcome WHERE consultation_id IN :ids",
        "completed",
    ):
        extra[int(r.consultation_id)] = {"route": r.route, "since": as_dt(r.completed_at)}
    for r in read("SELECT id, cancelled_at FROM consultation WHERE id IN :ids", "cancelled"):
        extra[int(r.id)] = {"since": as_dt(r.cancelled_at)}
    return [dataclasses.replace(r, **extra[r.id]) if r.id in extra else r for r in rows]


def as_dt(v: Any) -> Any:
    """A stored time as read (SQLite: text), aware UTC."""
    if v is None or isinstance(v, datetime):
        return _DT.process_result_value(v, None)
    return _DT.process_result_value(datetime.fromisoformat(v), None)
