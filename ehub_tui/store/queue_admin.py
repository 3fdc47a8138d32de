"""A supervisor's actions on an item, whoever holds it: reassign, force-release, cancel and set
the priority. Each runs inside the caller's write transaction and appends its audit event there;
a change of holder bumps the epoch, so the old holder's writes are refused. A reassign also writes
the receiver's handover (store/handover.py: the note, and the previous holder's last draft when
the supervisor sends it along), covered by the same audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from ehub_tui.domain.event_words import flag_words
from ehub_tui.domain.queue import Claim
from ehub_tui.domain.types import Priority, Status
from ehub_tui.errors import NotAvailable
from ehub_tui.store import audit, handover
from ehub_tui.store.lease import C, _back_to_queue, _describe, _first_claim, lease_end


def reassign(
    conn: Connection,
    item_id: int,
    to_user: str,
    actor: str,
    reason: str,
    lease: timedelta,
    now: datetime,
    carry_draft: bool = False,
) -> Claim:
    """Give an open item to another person (bumps the epoch; the old holder is fenced off).
    ``reason`` is the handover note the receiver is shown; ``carry_draft``: the previous
    holder's last draft on the hub goes with it (their triage opens with it)."""
    cur = _describe(conn, item_id, lock=True)
    if cur.status not in (Status.QUEUED, Status.CLAIMED):
        raise NotAvailable(f"consultation {item_id} is {cur.status} and cannot be reassigned")
    row = conn.execute(
        update(C)
        .where(
            C.c.id == item_id,
            C.c.epoch == cur.epoch,
            C.c.status.in_([Status.QUEUED, Status.CLAIMED]),
        )
        .values(
            status=Status.CLAIMED,
            owner=to_user,
            epoch=C.c.epoch + 1,
            lease_until=lease_end(conn, lease),
            claimed_at=now,
            first_claimed_at=_first_claim(now),
            updated_at=now,
        )
        .returning(C.c.epoch, C.c.lease_until)
    ).first()
    if row is None:
        raise NotAvailable(f"consultation {item_id} changed while reassigning; try again")
    _, carried = handover.record(
        conn,
        item_id=item_id,
        epoch=row.epoch,
        from_user=cur.owner,
        to_user=to_user,
        by=actor,
        note=reason,
        carry_draft=carry_draft,
        now=now,
    )
    body: dict[str, Any] = {"from": cur.owner, "to": to_user, "epoch": row.epoch, "reason": reason}
    if carry_draft:  # asked for; whether there was a draft to send
        body["draft_carried"] = carried
    audit.append(
        conn,
        # the handover rows: the new one and any earlier unseen one made moot
        [audit.Event(actor, "reassign", item_id, body, rows=(("handover", "item_id", [item_id]),))],
        now,
    )
    return Claim(item_id, row.epoch, row.lease_until, to_user)


def force_release(conn: Connection, item_id: int, actor: str, reason: str, now: datetime) -> None:
    """A supervisor returns a claimed item to the queue, whoever holds it (bumps the epoch)."""
    cur = _describe(conn, item_id, lock=True)
    row = conn.execute(
        update(C)
        .where(C.c.id == item_id, C.c.status == Status.CLAIMED)
        .values(**_back_to_queue(now))
        .returning(C.c.epoch)
    ).first()
    if row is None:
        raise NotAvailable(f"consultation {item_id} is {cur.status}, not claimed")
    audit.append(
        conn,
        [
            audit.Event(
                actor,
                "force_release",
                item_id,
                {"from": cur.owner, "epoch": row.epoch, "reason": reason},
            )
        ],
        now,
    )


def cancel(conn: Connection, item_id: int, actor: str, reason: str, now: datetime) -> None:
    """Close an item without an outcome (e.g. a duplicate); bumps the epoch."""
    cur = _describe(conn, item_id, lock=True)
    row = conn.execute(
        update(C)
        .where(C.c.id == item_id, C.c.status.in_([Status.QUEUED, Status.CLAIMED]))
        .values(
            status=Status.CANCELLED,
            owner=None,
            epoch=C.c.epoch + 1,
            lease_until=None,
            cancelled_at=now,
            updated_at=now,
        )
        .returning(C.c.epoch)
    ).first()
    if row is None:
        raise NotAvailable(f"consultation {item_id} is {cur.status} and cannot be cancelled")
    audit.append(
        conn,
        [
            audit.Event(
                actor, "cancel", item_id, {"from": cur.owner, "epoch": row.epoch, "reason": reason}
            )
        ],
        now,
    )


def set_priority(
    conn: Connection,
    item_id: int,
    priority: int,
    actor: str,
    reason: str,
    now: datetime,
    due_by: Callable[[datetime, int], datetime],
) -> None:
    """Change an open item's priority (0 normal, 1 urgent, 2 emergency); its due time follows.

    Never below what the red flags the SOPs found on it demand (refused, in words): a lowered
    emergency would sink in the queue and be skipped by "next" while every screen says
    emergency. Only a navigator, at triage, may set such a flag aside (dismissed with a reason)."""
    cur = _describe(conn, item_id, lock=True)
    found = conn.execute(select(C.c.received_at, C.c.sop_flags).where(C.c.id == item_id)).one()
    received = found.received_at
    if cur.status in (Status.QUEUED, Status.CLAIMED):
        _refuse_below_flags(item_id, priority, found.sop_flags)
    row = conn.execute(
        update(C)
        .where(C.c.id == item_id, C.c.status.in_([Status.QUEUED, Status.CLAIMED]))
        .values(priority=priority, due_by=due_by(received, priority), updated_at=now)
        .returning(C.c.id)
    ).first()
    if row is None:
        raise NotAvailable(f"consultation {item_id} is {cur.status}; its priority cannot change")
    audit.append(
        conn,
        [audit.Event(actor, "set_priority", item_id, {"priority": priority, "reason": reason})],
        now,
    )


def _refuse_below_flags(item_id: int, priority: int, sop_flags: Any) -> None:
    """Refuse a priority below what the item's screened red flags ask for, naming them."""
    flags = [f for f in sop_flags or () if isinstance(f, dict)]
    demand = Priority.from_flags(str(f.get("level", "")) for f in flags)
    if priority >= demand:
        return
    level = demand.label
    names = ", ".join(
        f"'{flag_words(str(f.get('id', '?')))}'" for f in flags if f.get("level") == level
    )
    stays = "an emergency" if demand == Priority.EMERGENCY else "urgent"
    raise NotAvailable(
        f"#{item_id}'s request has {'an' if level == 'emergency' else 'a'} {level} red flag the "
        f"SOPs found ({names}): it stays {stays} until a navigator dismisses the flag at triage."
    )
