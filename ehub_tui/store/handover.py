"""Handovers and claim activity in the hub store (migration 0010).

``record`` is called by a reassign inside its write transaction (store/queue_admin.py), so the
handover and the reassign's audit event commit together; ``mark_seen`` by the receiver's
``ack_handover`` with its own audit event. ``touch`` notes the open screen's heartbeat (not
audited: like the lease it renews, outside the row's digest). ``stale_claims`` is the board's
alert list, judged by the hub's clock.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ehub_tui.domain.handover import Handover, StaleClaim, carried_draft, order_alerts
from ehub_tui.domain.types import Status
from ehub_tui.store.models import Consultation, SyncDraft, UTCDateTime
from ehub_tui.store.models_handover import Handover as HandoverRow

C = Consultation.__table__  # type: ignore[attr-defined]
H = HandoverRow.__table__  # type: ignore[attr-defined]
SD = SyncDraft.__table__  # type: ignore[attr-defined]

_DT = UTCDateTime()


def _dt(v: Any) -> datetime | None:
    if v is None:
        return None
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    return _DT.process_result_value(v, None)


def _json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, str) else v


def last_draft(conn: Connection, item_id: int, username: str) -> dict[str, Any] | None:
    """The last draft ``username``'s workstation sent the hub for an item (sync_draft), as it
    travels to a receiver (carried_draft: without their timings); None when there is none."""
    got = conn.execute(
        select(SD.c.draft).where(SD.c.item_id == item_id, SD.c.username == username)
    ).scalar()
    return carried_draft(_json(got))


def record(
    conn: Connection,
    *,
    item_id: int,
    epoch: int,
    from_user: str | None,
    to_user: str,
    by: str,
    note: str,
    carry_draft: bool,
    now: datetime,
) -> tuple[int, bool]:
    """Write the handover of a reassign (inside its transaction); returns (handover id, whether
    a draft was carried). Earlier unseen handovers of the item are moot (the item moved on):
    they are marked seen at ``now`` so a receiver who lost it is not told of it again."""
    draft = last_draft(conn, item_id, from_user) if carry_draft and from_user else None
    conn.execute(update(H).where(H.c.item_id == item_id, H.c.seen_at.is_(None)).values(seen_at=now))
    new_id = conn.execute(
        insert(H)
        .values(
            item_id=item_id,
            epoch=epoch,
            from_user=from_user,
            to_user=to_user,
            by_user=by,
            note=note,
            draft=draft,
            created_at=now,
            seen_at=None,
        )
        .returning(H.c.id)
    ).scalar_one()
    return int(new_id), draft is not None


def item_handovers(conn: Connection, item_id: int) -> list[int]:
    """Ids of every handover of an item (what a reassign's audit event covers)."""
    return [int(i) for i in conn.execute(select(H.c.id).where(H.c.item_id == item_id)).scalars()]


def _handover(r: Any) -> Handover:
    at = _dt(r.created_at)
    assert at is not None
    return Handover(
        item_id=int(r.item_id),
        epoch=int(r.epoch),
        from_user=r.from_user,
        to_user=r.to_user,
        by=r.by_user,
        note=r.note,
        at=at,
        draft=_json(r.draft),
        seen_at=_dt(r.seen_at),
    )


def unseen(conn: Connection, to_user: str) -> list[Handover]:
    """``to_user``'s handovers not yet seen, of items they still hold at the handover's epoch
    (one reassigned on again, released or closed since is no news), oldest first."""
    rows = conn.execute(
        select(H)
        .join(C, C.c.id == H.c.item_id)
        .where(
            H.c.to_user == to_user,
            H.c.seen_at.is_(None),
            C.c.owner == to_user,
            C.c.epoch == H.c.epoch,
            C.c.status == Status.CLAIMED,
        )
        .order_by(H.c.id)
    ).all()
    return [_handover(r) for r in rows]


def mark_seen(conn: Connection, item_id: int, to_user: str, now: datetime) -> list[int]:
    """Mark ``to_user``'s unseen handovers of an item seen; returns their ids (none: nothing to
    do, so nothing is audited)."""
    rows = conn.execute(
        update(H)
        .where(H.c.item_id == item_id, H.c.to_user == to_user, H.c.seen_at.is_(None))
        .values(seen_at=now)
        .returning(H.c.id)
    ).all()
    return sorted(int(r.id) for r in rows)


def touch(conn: Connection, item_id: int, owner: str, epoch: int, now: datetime) -> None:
    """The item's open screen is working on it: note the time (``active_at``, stamped by the hub
    service's clock as ``claimed_at`` is, so the two compare). Only the holder's current claim
    counts; not audited (outside the row's digest, as the lease)."""
    conn.execute(
        update(C)
        .where(
            C.c.id == item_id,
            C.c.owner == owner,
            C.c.epoch == epoch,
            C.c.status == Status.CLAIMED,
        )
        .values(active_at=now)
    )


def stale_claims(
    conn: Connection, now: datetime, after: timedelta, limit: int = 50
) -> list[StaleClaim]:
    """Claims with no activity (the claim or reassign, or the open screen's heartbeat) for
    ``after`` by the hub service's time ``now`` (the clock that stamps ``claimed_at`` and
    ``active_at``; never a workstation's): red-flagged first, then the longest idle.

    Claims are few (a handful per navigator): every one older than ``after`` is read and the
    later of its two activity times compared here, on both engines alike."""
    cutoff = now - after
    rows = conn.execute(
        select(
            C.c.id,
            C.c.owner,
            C.c.priority,
            C.c.sop_flags,
            C.c.screened_at,
            C.c.claimed_at,
            C.c.active_at,
        ).where(C.c.status == Status.CLAIMED, C.c.claimed_at < cutoff)
    ).all()
    found: list[StaleClaim] = []
    for r in rows:
        claimed = _dt(r.claimed_at)
        if claimed is None:
            continue
        active = _dt(r.active_at)
        last = max(claimed, active) if active is not None else claimed
        if last >= cutoff:
            continue
        flags = _json(r.sop_flags)
        levels = (
            None
            if r.screened_at is None
            else tuple(str(f.get("level", "")) for f in flags or [] if isinstance(f, dict))
        )
        found.append(
            StaleClaim(
                item_id=int(r.id),
                owner=r.owner,
                priority=int(r.priority),
                sop_flags=levels,
                claimed_at=claimed,
                last_active=last,
                idle=now - last,
            )
        )
    return order_alerts(found)[:limit]
