"""The parts queue statements are built from: when a lease ends and which claims have expired (by
the hub's clock only), an item looked up or returned to the queue (the epoch moves on), and the
:class:`LostClaim` a stale holder is told.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Interval, func, literal, select

from ehub_tui.domain.queue import describe_loss
from ehub_tui.domain.types import Status
from ehub_tui.errors import LostClaim, NotFound
from ehub_tui.store.engine import hub_clock, hub_now_sql, is_sqlite
from ehub_tui.store.models import Consultation, Outcome, UTCDateTime

C = Consultation.__table__  # type: ignore[attr-defined]
O = Outcome.__table__  # type: ignore[attr-defined]  # noqa: E741


def whole_seconds(dt: datetime) -> int:
    """Seconds since the epoch, cut to the whole second (waits are differences of these)."""
    return math.floor(dt.timestamp())


def _first_claim(now: datetime) -> Any:
    """``first_claimed_at`` keeps when the item was first picked up (time to first action)."""
    return func.coalesce(C.c.first_claimed_at, literal(now, UTCDateTime()))


def lease_end(conn: Connection, lease: timedelta) -> Any:
    """When a lease taken or renewed now ends, by the hub's clock (a value or SQL expression)."""
    if is_sqlite(conn):
        return literal(hub_clock(conn)() + lease, UTCDateTime())
    return hub_now_sql(conn) + literal(lease, Interval())


def _expired(conn: Connection) -> Any:
    """A claim whose lease has run out by the hub's clock."""
    return (C.c.status == Status.CLAIMED) & (C.c.lease_until < hub_now_sql(conn))


def _describe(conn: Connection, item_id: int, lock: bool = False) -> Any:
    q = select(C.c.id, C.c.status, C.c.owner, C.c.epoch).where(C.c.id == item_id)
    if lock and not is_sqlite(conn):
        q = q.with_for_update()  # SQLite writers are already serialised by BEGIN IMMEDIATE
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(f"consultation {item_id} does not exist")
    return row


def _back_to_queue(now: datetime) -> dict[str, Any]:
    """An item returned to the queue (release, force-release, rescue): nobody holds it, and the
    epoch moves on so the old holder's writes are refused."""
    return {
        "status": Status.QUEUED,
        "owner": None,
        "epoch": C.c.epoch + 1,
        "lease_until": None,
        "updated_at": now,
    }


def _lost(conn: Connection, item_id: int, me: str) -> LostClaim:
    row = _describe(conn, item_id)
    if row.status == Status.CLAIMED and row.owner == me:
        message = (
            f"You no longer hold consultation {item_id}: it was claimed again since (a newer "
            "claim holds it). Your draft is kept."
        )
    else:
        message = describe_loss(item_id, row.status, row.owner)
    return LostClaim(item_id, message, owner=row.owner, status=row.status, epoch=row.epoch)
