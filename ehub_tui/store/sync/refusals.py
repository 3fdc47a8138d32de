"""Why the hub refuses a holder-guarded sync event (not found, fenced, closed), in a sentence
for both of its readers: the navigator reviewing their refused events and a supervisor on the
board. Runs inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from ehub_tui.domain.sync import REJECT_CLOSED, REJECT_FENCED, REJECT_NOT_FOUND, SyncEvent
from ehub_tui.domain.types import Status
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.sync.ledger import _HOLDER_ACTIONS, C, E, Refused


def _held(item_id: int, me: str, epoch: int) -> Any:
    return (
        (C.c.id == item_id)
        & (C.c.owner == me)
        & (C.c.epoch == epoch)
        & (C.c.status == Status.CLAIMED)
    )


def _not_held(conn: Connection, item_id: int, me: str, epoch: int) -> Refused:
    """Why a holder-guarded write found nothing: not_found, fenced or closed.

    Fenced whenever the item has moved on from the event's claim (its epoch is another: it was
    reassigned, rescued, released or claimed again since), even if someone has closed it
    meanwhile: the navigator must hear that the claim was taken over, not just that the item is
    done. Closed only when the claim is still the event's and the item is completed or
    cancelled (this claim's work was already recorded).

    The sentence is written for both of its readers, the navigator reviewing their refused
    events and a supervisor on the board: neutral, naming the holder, and never the app's
    lost-claim notice ("You no longer hold ... Your draft is kept"), which speaks to the
    navigator at the moment of the loss (store/lease.py, domain/queue.py keep that one)."""
    row = conn.execute(select(C.c.status, C.c.owner, C.c.epoch).where(C.c.id == item_id)).first()
    if row is None:
        return Refused(REJECT_NOT_FOUND, f"Item {item_id} does not exist on this hub.")
    status, owner = row.status, row.owner
    if status in (Status.COMPLETED, Status.CANCELLED) and row.epoch == epoch:
        return Refused(REJECT_CLOSED, _closed_reason(item_id, me, status, owner))
    return Refused(REJECT_FENCED, _fenced_reason(conn, item_id, me, status, owner))


def _closed_reason(item_id: int, me: str, status: str, owner: str | None) -> str:
    if status == Status.COMPLETED:
        by = f" by {owner}" if owner else ""
        return (
            f"Item {item_id} has already been completed{by} under this claim: its outcome is "
            "recorded, so this was not applied."
        )
    return f"Item {item_id} was cancelled while {me} held it under this claim."


def _fenced_reason(conn: Connection, item_id: int, me: str, status: str, owner: str | None) -> str:
    head = f"Item {item_id} was no longer held by {me} under this claim"
    if status == Status.CLAIMED and owner == me:
        return f"{head}: {me} claimed it again since (a newer claim holds it)."
    if status == Status.CLAIMED:
        return (
            f"{head}: it is now held by {owner} (reassigned by a supervisor, or the lease ran "
            "out and they claimed it)."
        )
    if status == Status.COMPLETED:
        by = f" by {owner}" if owner else ""
        return f"{head}: it has since been completed{by}."
    if status == Status.CANCELLED:
        return f"{head}: it has since been cancelled."
    return f"{head}: it is back in the queue: {_why_queued(conn, item_id)}."


def _why_queued(conn: Connection, item_id: int) -> str:
    """What last returned a queued item to the queue, from its audit trail."""
    last = conn.execute(
        select(E.c.actor, E.c.action)
        .where(E.c.consultation_id == item_id, E.c.action.in_(_HOLDER_ACTIONS))
        .order_by(E.c.seq.desc())
        .limit(1)
    ).first()
    action, actor = (None, None) if last is None else (last.action, last.actor)
    if action == "lease_expired":
        return "the lease ran out (by the hub's clock) before this arrived"
    if action == "force_release":
        return f"a supervisor ({actor}) returned it to the queue before this arrived"
    if action == "release":
        return f"{actor} released it (from another session) before this arrived"
    return "it was released (by a supervisor, or the lease ran out) before this arrived"


def _check_held(conn: Connection, ev: SyncEvent, me: str) -> None:
    """Refuse unless ``me`` holds the item under the event's epoch (the row locked on
    PostgreSQL until commit, so a reassign cannot slip in between)."""
    q = select(C.c.id).where(_held(ev.item_id, me, ev.epoch))
    if not is_sqlite(conn):
        q = q.with_for_update()
    if conn.execute(q).first() is None:
        raise _not_held(conn, ev.item_id, me, ev.epoch)
