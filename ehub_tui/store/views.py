"""Read-only views of the queue for the apps: windowed pages and counts, fast at 100,000 items.

The values (QueueFilter, QueueRow, VIEWS) are domain.queue's; importable from here too."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from ehub_tui.domain.queue import VIEWS, QueueFilter, QueueRow
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import UTCDateTime

__all__ = ["VIEWS", "QueueFilter", "QueueRow", "count_rows", "list_rows"]

_DT = UTCDateTime()


_COLUMNS = (
    "c.id, c.priority, c.status, c.owner, c.received_at, c.due_by, c.practice_ods, "
    "c.request_type, c.template, c.given_name, c.family_name, c.date_of_birth, c.sex, "
    "substr(c.free_text, 1, 120) AS free_text, c.supplier_flags, c.completed_at, c.sop_flags, "
    "c.screened_at"
)


def _where(view: str, f: QueueFilter, params: dict[str, Any]) -> str:
    parts: list[str] = []
    if view == "queue":
        parts.append("c.status = 'queued'")  # a literal: the partial index applies
    elif view == "mine":
        parts.append("c.status = 'claimed' AND c.owner = :me")
    else:
        parts.append("c.status = 'completed' AND o.navigator = :me AND o.completed_at >= :since")
    if f.practice:
        parts.append("c.practice_ods = :practice")
        params["practice"] = f.practice
    if f.request_type:
        parts.append("c.request_type = :rtype")
        params["rtype"] = f.request_type
    if f.min_priority:
        parts.append("c.priority >= :minp")
        params["minp"] = f.min_priority
    if f.due_before is not None:
        parts.append("c.due_by <= :due_before")
        params["due_before"] = f.due_before
    if f.search:
        parts.append(
            "(lower(c.free_text) LIKE :q OR lower(coalesce(c.template, '')) LIKE :q "
            "OR lower(c.external_id) LIKE :q OR lower(c.practice_ods) LIKE :q)"
        )
        params["q"] = f"%{f.search.lower().strip()}%"
    return " AND ".join(parts)


def _from(view: str, sqlite: bool) -> str:
    if view == "done":
        return "consultation c JOIN outcome o ON o.consultation_id = c.id"
    if view == "queue" and sqlite:
        # SQLite's planner may otherwise sort every queued row for each page
        return "consultation c INDEXED BY ix_consultation_queue"
    return "consultation c"


_ORDER = {
    "queue": "c.priority DESC, c.received_at, c.id",
    "mine": "c.claimed_at, c.id",
    "done": "o.completed_at DESC, c.id DESC",
}


def _bind(params: dict[str, Any], sqlite: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, datetime):
            naive = _DT.process_bind_param(v, None)
            out[k] = (
                naive.isoformat(sep=" ", timespec="microseconds") if sqlite and naive else naive
            )
        else:
            out[k] = v
    return out


def count_rows(conn: Connection, view: str, me: str, f: QueueFilter, since: datetime) -> int:
    """How many rows a view holds."""
    params: dict[str, Any] = {"me": me, "since": since}
    sql = f"SELECT count(*) FROM {_from(view, is_sqlite(conn))} WHERE {_where(view, f, params)}"
    return int(conn.execute(text(sql), _bind(params, is_sqlite(conn))).scalar_one())


def list_rows(
    conn: Connection,
    view: str,
    me: str,
    f: QueueFilter,
    since: datetime,
    offset: int,
    limit: int,
) -> list[QueueRow]:
    """One window of a view, in its order."""
    sqlite = is_sqlite(conn)
    params: dict[str, Any] = {"me": me, "since": since, "lim": limit, "off": offset}
    route = ", o.route" if view == "done" else ", NULL AS route"
    sql = (
        f"SELECT {_COLUMNS}{route} FROM {_from(view, sqlite)} WHERE {_where(view, f, params)} "
        f"ORDER BY {_ORDER[view]} LIMIT :lim OFFSET :off"
    )
    rows = conn.execute(text(sql), _bind(params, sqlite)).all()
    return [_row(r, sqlite) for r in rows]


def _as_dt(v: Any) -> Any:
    if v is None or isinstance(v, datetime):
        return _DT.process_result_value(v, None)
    return _DT.process_result_value(datetime.fromisoformat(v), None)


def _row(r: Any, sqlite: bool) -> QueueRow:
    flags = r.supplier_flags
    if isinstance(flags, str):
        flags = json.loads(flags)
    found = r.sop_flags
    if isinstance(found, str):
        found = json.loads(found)
    levels = None if r.screened_at is None else tuple(f.get("level", "") for f in found or [])
    dob = r.date_of_birth
    if isinstance(dob, str):
        dob = date.fromisoformat(dob)
    given, family = (r.given_name or "").strip(), (r.family_name or "").strip()
    initials = ((given[:1] + family[:1]) or "?").upper()
    text_ = " ".join((r.free_text or "").split())
    return QueueRow(
        id=int(r.id),
        priority=int(r.priority),
        status=r.status,
        owner=r.owner,
        received_at=_as_dt(r.received_at),
        due_by=_as_dt(r.due_by),
        practice_ods=r.practice_ods,
        request_type=r.request_type,
        template=r.template,
        initials=initials,
        date_of_birth=dob,
        sex=r.sex,
        summary=text_,
        supplier_flags=tuple(flags or ()),
        completed_at=_as_dt(r.completed_at),
        route=r.route,
        sop_flags=levels,
    )
