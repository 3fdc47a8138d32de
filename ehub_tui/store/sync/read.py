"""What a workstation pulls and a supervisor lists, read inside the caller's transaction: the
stored answers, the change cursor (the audit head), the open items changed since a cursor, the
held items with their drafts, and the refused events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, text

from ehub_tui.domain.models import Consultation as ConsultationModel
from ehub_tui.domain.queue import QueueRow
from ehub_tui.domain.sync import (
    EventResult,
    HeldItem,
    RejectedEvent,
)
from ehub_tui.errors import NotFound
from ehub_tui.store import audit, awaiting, queue, views
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.sync.apply import apply_kept
from ehub_tui.store.sync.ledger import (  # split from one module
    RESET_CAP,
    SD,
    SE,
    SR,
    C,
    E,
    mark_resolved,
    result_of,
)

# -- reading ------------------------------------------------------------------------------------


def results(conn: Connection, username: str, event_ids: Sequence[str]) -> list[EventResult]:
    """The stored answers of ``username``'s events among ``event_ids`` (in the order asked;
    ids the hub never answered, or another user's, are left out)."""
    wanted = list(dict.fromkeys(event_ids))
    found: dict[str, EventResult] = {}
    for i in range(0, len(wanted), 500):
        part = wanted[i : i + 500]
        for row in conn.execute(
            select(SE).where(SE.c.event_id.in_(part), SE.c.username == username)
        ):
            found[row.event_id] = result_of(row, resend=False)
    return [found[e] for e in wanted if e in found]


def head(conn: Connection) -> int:
    """The change cursor: the audit chain's head (every write transaction moves it, under the
    head's lock, so its numbers follow commit order)."""
    return int(conn.execute(select(audit.HEAD.c.seq).where(audit.HEAD.c.id == 1)).scalar_one())


def changed_items(conn: Connection, after: int, upto: int) -> set[int]:
    """Ids of the items an audit event in (after, upto] names: its own item, or the
    consultation rows a batch event (an intake, a prescreen) covers."""
    ids: set[int] = set()
    window = (E.c.seq > after) & (E.c.seq <= upto)
    for (cid,) in conn.execute(
        select(E.c.consultation_id).where(window, E.c.consultation_id.is_not(None)).distinct()
    ):
        ids.add(int(cid))
    for (body,) in conn.execute(select(E.c.body).where(window, E.c.consultation_id.is_(None))):
        for entry in (body or {}).get("covers") or ():
            if isinstance(entry, list) and len(entry) == 3 and entry[0] == "consultation":
                ids.add(int(entry[1]))
    return ids


_ROW_SQL = f"SELECT {views._COLUMNS}, NULL AS route FROM consultation c WHERE "
_OPEN = "c.status IN ('queued', 'claimed')"


def open_rows(conn: Connection, ids: Iterable[int] | None = None) -> list[QueueRow]:
    """Queue rows of the open items (queued or claimed): every one (priority order, at most
    RESET_CAP) or those among ``ids``."""
    sqlite = is_sqlite(conn)
    if ids is None:
        sql = f"{_ROW_SQL}{_OPEN} ORDER BY c.priority DESC, c.received_at, c.id LIMIT :cap"
        rows = conn.execute(text(sql), {"cap": RESET_CAP}).all()
        return [views._row(r, sqlite) for r in rows]
    wanted = sorted(set(ids))
    out: list[QueueRow] = []
    stmt = text(f"{_ROW_SQL}{_OPEN} AND c.id IN :ids ORDER BY c.id").bindparams(
        bindparam("ids", expanding=True)
    )
    for i in range(0, len(wanted), 500):
        out += [views._row(r, sqlite) for r in conn.execute(stmt, {"ids": wanted[i : i + 500]})]
    return out


def held_items(conn: Connection, me: str) -> list[HeldItem]:
    """Every item ``me`` holds, with its consultation and the last draft the hub has from them."""
    claims = queue.held(conn, me)
    if not claims:
        return []
    ids = [c.item_id for c in claims]
    # a patient's reply is read with the request (triage's red flags see it too)
    consultations = {
        c.id: c
        for c in awaiting.with_replies(
            conn,
            [ConsultationModel.from_row(r) for r in conn.execute(select(C).where(C.c.id.in_(ids)))],
        )
    }
    drafts = {
        r.item_id: r.draft
        for r in conn.execute(
            select(SD.c.item_id, SD.c.draft, SD.c.epoch).where(
                SD.c.username == me, SD.c.item_id.in_(ids)
            )
        )
    }
    return [
        HeldItem(claim=c, consultation=consultations[c.item_id], draft=drafts.get(c.item_id))
        for c in claims
    ]


def _rejected(row: Any) -> RejectedEvent:
    return RejectedEvent(
        event_id=row.event_id,
        device_id=row.device_id,
        username=row.username,
        kind=row.kind,
        item_id=row.item_id,
        epoch=row.epoch,
        code=row.code,
        reason=row.reason,
        payload=row.payload or {},
        client_at=row.client_at,
        rejected_at=row.rejected_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        resolution=row.resolution,
    )


def rejected(
    conn: Connection, username: str | None, include_resolved: bool = False
) -> list[RejectedEvent]:
    """Refused events, oldest first: ``username``'s, or everyone's with None; unresolved only
    unless ``include_resolved``."""
    q = select(SR)
    if username is not None:
        q = q.where(SR.c.username == username)
    if not include_resolved:
        q = q.where(SR.c.resolved_at.is_(None))
    return [_rejected(r) for r in conn.execute(q.order_by(SR.c.rejected_at, SR.c.event_id))]


def resolve(
    conn: Connection,
    event_id: str,
    by: str,
    resolution: str,
    now: datetime,
    *,
    apply: bool = False,
) -> RejectedEvent | None:
    """Mark a refused event resolved (audited ``sync_resolved``); None when it was resolved
    already; NotFound when there is no such refused event.

    With ``apply``: first complete the item with the refused completion's kept outcome
    (``apply_kept``: NotAvailable, and nothing written, when the item is not queued and
    unclaimed), and say so in the resolution."""
    q = select(SR).where(SR.c.event_id == event_id)
    if not is_sqlite(conn):
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(f"refused event {event_id} is not on this hub")
    if row.resolved_at is not None:
        return None
    if apply:
        outcome_id = apply_kept(conn, row, by, now)
        resolution = f"applied: {resolution}"
        more: dict[str, Any] = {"applied": True, "outcome_id": outcome_id}
    else:
        more = {}
    mark_resolved(conn, event_id, row.kind, row.code, row.item_id, by, resolution, now, **more)
    found = conn.execute(select(SR).where(SR.c.event_id == event_id)).first()
    return _rejected(found)


def rejected_one(conn: Connection, event_id: str) -> RejectedEvent | None:
    """One refused event, or None."""
    row = conn.execute(select(SR).where(SR.c.event_id == event_id)).first()
    return None if row is None else _rejected(row)
