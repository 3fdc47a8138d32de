"""Queue operations on the hub store. Each runs inside the caller's write transaction and appends
its audit event there too. Claims never stay open while a person works: a claim is a lease
(``lease_until``) plus a fencing token (``epoch``); every write by the holder is guarded by
``owner = me AND epoch = my epoch AND status = 'claimed'``; every claim, and release, reassign,
force-release, cancel and lease-expiry rescue, bump the epoch, so a stale holder can never
overwrite newer work.

Leases are judged by the hub's clock only (engine.hub_now_sql: PostgreSQL's
``clock_timestamp()``, a SQLite hub's own clock), never by the ``now`` a workstation passes in:
that ``now`` only stamps the record (claimed_at, updated_at, the audit event's time). So a
workstation whose clock is hours fast cannot take anyone's live claim, and one that is slow does
not give itself leases that are born expired.

The statements' parts are in :mod:`~ehub_tui.store.lease`; a supervisor's actions (reassign,
force-release, cancel, set priority) in :mod:`~ehub_tui.store.queue_admin`, importable from here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from ehub_tui.domain.queue import Claim, describe_loss
from ehub_tui.domain.types import Status
from ehub_tui.errors import LostClaim, NotAvailable, NotFound, QueueError, StoreError
from ehub_tui.store import audit, bulk, queue_order
from ehub_tui.store.engine import hub_clock, is_sqlite
from ehub_tui.store.lease import (
    C,
    O,
    _back_to_queue,
    _describe,
    _expired,
    _first_claim,
    _lost,
    lease_end,
    whole_seconds,
)
from ehub_tui.store.queue_admin import cancel as cancel  # (re-exported)
from ehub_tui.store.queue_admin import force_release as force_release  # (re-exported)
from ehub_tui.store.queue_admin import reassign as reassign  # (re-exported)
from ehub_tui.store.queue_admin import set_priority as set_priority  # (re-exported)

__all__ = [  # the errors and Claim are importable from here as before
    "Claim",
    "LostClaim",
    "NotAvailable",
    "NotFound",
    "QueueError",
    "StoreError",
    "describe_loss",
]


# The claim is the hub's hottest statement, so it is hand-written SQL run on the driver's own
# connection. SQLite's planner may prefer ix_consultation_status and sort every queued row
# (40 ms a claim at 100k items): INDEXED BY makes it walk the partial queue index in order.
_CLAIM_SQL = {
    "sqlite": (
        "UPDATE consultation SET status='claimed', owner=?, epoch=epoch+1, lease_until=?, "
        "claimed_at=?, first_claimed_at=COALESCE(first_claimed_at, ?), updated_at=? "
        "WHERE id = (SELECT id FROM consultation INDEXED BY ix_consultation_queue "
        "WHERE status='queued' ORDER BY priority DESC, received_at, id LIMIT 1) "
        "AND status='queued' RETURNING id, epoch, lease_until"
    ),
    "postgresql": (
        "WITH next AS (SELECT id FROM consultation WHERE status='queued' "
        "ORDER BY priority DESC, received_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "UPDATE consultation c SET status='claimed', owner=%s, epoch=c.epoch+1, "
        "lease_until=(clock_timestamp() AT TIME ZONE 'UTC') + %s, "
        "claimed_at=%s, first_claimed_at=COALESCE(c.first_claimed_at, %s), updated_at=%s "
        "FROM next WHERE c.id = next.id RETURNING c.id, c.epoch, c.lease_until"
    ),
}


def claim_next(
    conn: Connection, me: str, lease: timedelta, now: datetime, except_reason: str = ""
) -> Claim | None:
    """Claim the best queued item (priority, then oldest); None when the queue is empty.

    An item back from awaiting the patient comes first within its priority, and an item ``me``
    just returned is left for others (store/queue_order.py; a release with ``except_reason``,
    the app closing, does not count). The lease ends ``lease`` after the hub's time now;
    ``now`` only stamps the record."""
    skip = queue_order.returned_by(conn, me, now, except_reason)
    fronts = [i for i in queue_order.front_ids(conn, now) if i not in skip]
    if fronts:
        got = _claim_front(conn, fronts, skip, me, lease, now)
        if got is not None:
            return got
    sqlite = is_sqlite(conn)
    # SQLite: the hub's clock, read here; PostgreSQL: the server's clock, inside the statement
    until: Any = bulk.storage_value(hub_clock(conn)() + lease, True) if sqlite else lease
    sql = _CLAIM_SQL["sqlite" if sqlite else "postgresql"]
    if skip:  # (ids from the hub's own rows: never typed by anyone)
        sql = sql.replace(
            "WHERE status='queued' ORDER BY",
            f"WHERE status='queued' AND id NOT IN ({', '.join(str(i) for i in sorted(skip))}) "
            "ORDER BY",
        )
    cur = bulk.driver(conn).cursor()
    try:
        stamp = bulk.storage_value(now, sqlite)
        cur.execute(sql, (me, until, stamp, stamp, stamp))
        row = cur.fetchone()
    finally:
        cur.close()
    if row is None:
        return None
    item_id, epoch = int(row[0]), int(row[1])
    audit.append(conn, [audit.Event(me, "claim", item_id, {"epoch": epoch})], now)
    return Claim(item_id, epoch, _stored_time(row[2]), me)


def _claim_front(
    conn: Connection, fronts: list[int], skip: set[int], me: str, lease: timedelta, now: datetime
) -> Claim | None:
    """Claim the best item back from awaiting the patient when no other waiting item outranks
    it (a higher priority); None to claim as usual."""
    best = conn.execute(
        select(C.c.id, C.c.priority)
        .where(C.c.id.in_(fronts), C.c.status == Status.QUEUED)
        .order_by(C.c.priority.desc(), C.c.received_at, C.c.id)
    ).all()
    if not best:
        return None
    top = conn.execute(
        select(func.max(C.c.priority)).where(C.c.status == Status.QUEUED, C.c.id.not_in(skip))
    ).scalar_one_or_none()
    for cand in best:
        if top is not None and cand.priority < top:
            return None  # a waiting item of a higher priority goes first
        row = _claim_row(conn, int(cand.id), me, lease, now)
        if row is not None:  # (else someone claimed it meanwhile: the next one)
            audit.append(conn, [audit.Event(me, "claim", row.id, {"epoch": row.epoch})], now)
            return Claim(row.id, row.epoch, row.lease_until, me)
    return None


def _claim_row(conn: Connection, item_id: int, me: str, lease: timedelta, now: datetime) -> Any:
    """Claim one queued item (no audit event); its (id, epoch, lease_until), None when it is
    not waiting."""
    stmt = (
        update(C)
        .where(C.c.id == item_id, C.c.status == Status.QUEUED)
        .values(
            status=Status.CLAIMED,
            owner=me,
            epoch=C.c.epoch + 1,
            lease_until=lease_end(conn, lease),
            claimed_at=now,
            first_claimed_at=_first_claim(now),
            updated_at=now,
        )
        .returning(C.c.id, C.c.epoch, C.c.lease_until)
    )
    return conn.execute(stmt).first()


def _stored_time(value: Any) -> datetime:
    """A time column read through the bare driver (naive UTC; text on SQLite) as aware UTC."""
    stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def claim_item(conn: Connection, item_id: int, me: str, lease: timedelta, now: datetime) -> Claim:
    """Claim a given item; NotAvailable if someone else holds it or it is closed.

    A claim on it whose lease has run out (by the hub's clock) is returned to the queue first,
    in the same transaction, so an item whose holder crashed can be opened by id."""
    rescue_expired(conn, now, item_id=item_id)
    row = _claim_row(conn, item_id, me, lease, now)
    if row is None:
        cur = _describe(conn, item_id)
        if cur.status == Status.CLAIMED:
            who = "you already" if cur.owner == me else cur.owner
            raise NotAvailable(f"consultation {item_id} is held by {who}")
        state = {"awaiting": "awaiting the patient's reply"}.get(cur.status, cur.status)
        raise NotAvailable(f"consultation {item_id} is {state}, not waiting in the queue")
    audit.append(conn, [audit.Event(me, "claim", row.id, {"epoch": row.epoch})], now)
    return Claim(row.id, row.epoch, row.lease_until, me)


def _guard(item_id: int, me: str, epoch: int) -> Any:
    return (
        (C.c.id == item_id)
        & (C.c.owner == me)
        & (C.c.epoch == epoch)
        & (C.c.status == Status.CLAIMED)
    )


def heartbeat(
    conn: Connection, item_id: int, me: str, epoch: int, lease: timedelta, now: datetime
) -> datetime:
    """Renew the holder's lease (to ``lease`` after the hub's time now); LostClaim if the holder
    no longer holds it. Not audited."""
    row = conn.execute(
        update(C)
        .where(_guard(item_id, me, epoch))
        .values(lease_until=lease_end(conn, lease))
        .returning(C.c.lease_until)
    ).first()
    if row is None:
        raise _lost(conn, item_id, me)
    lease_until: datetime = row.lease_until
    return lease_until


def heartbeat_held(conn: Connection, me: str, lease: timedelta) -> list[Claim]:
    """Renew the lease of every item ``me`` holds (an open app keeps all its user's items
    alive, not only the one on screen). Not audited; only claims still held are touched."""
    rows = conn.execute(
        update(C)
        .where(C.c.owner == me, C.c.status == Status.CLAIMED)
        .values(lease_until=lease_end(conn, lease))
        .returning(C.c.id, C.c.epoch, C.c.lease_until)
    ).all()
    return sorted((Claim(r.id, r.epoch, r.lease_until, me) for r in rows), key=lambda c: c.item_id)


def held(conn: Connection, me: str) -> list[Claim]:
    """Every item ``me`` holds now, with its epoch and lease end."""
    rows = conn.execute(
        select(C.c.id, C.c.epoch, C.c.lease_until)
        .where(C.c.owner == me, C.c.status == Status.CLAIMED)
        .order_by(C.c.id)
    ).all()
    return [Claim(r.id, r.epoch, r.lease_until, me) for r in rows]


def release(
    conn: Connection, item_id: int, me: str, epoch: int, reason: str, now: datetime
) -> None:
    """The holder returns an item to the queue (with a reason); bumps the epoch."""
    row = conn.execute(
        update(C)
        .where(_guard(item_id, me, epoch))
        .values(**_back_to_queue(now))
        .returning(C.c.epoch)
    ).first()
    if row is None:
        raise _lost(conn, item_id, me)
    audit.append(
        conn, [audit.Event(me, "release", item_id, {"epoch": row.epoch, "reason": reason})], now
    )


def complete(
    conn: Connection,
    item_id: int,
    me: str,
    epoch: int,
    outcome: dict[str, Any],
    now: datetime,
) -> int:
    """Record the outcome and close the item, guarded by owner + epoch; returns the outcome id."""
    row = conn.execute(
        update(C)
        .where(_guard(item_id, me, epoch))
        .values(status=Status.COMPLETED, completed_at=now, lease_until=None, updated_at=now)
        .returning(C.c.received_at, C.c.claimed_at, C.c.first_claimed_at)
    ).first()
    if row is None:
        raise _lost(conn, item_id, me)
    values = dict(outcome)
    first_action = row.first_claimed_at or row.claimed_at
    values.update(
        consultation_id=item_id,
        navigator=me,
        epoch=epoch,
        received_at=row.received_at,
        claimed_at=row.claimed_at,
        completed_at=now,
        completion_seconds=whole_seconds(now) - whole_seconds(row.received_at),
        first_action_seconds=(
            None
            if first_action is None
            else whole_seconds(first_action) - whole_seconds(row.received_at)
        ),
    )
    values.setdefault("detail", {})
    values.setdefault("destination", "")
    values.setdefault("urgency", "")
    outcome_id = conn.execute(insert(O).values(**values).returning(O.c.id)).scalar_one()
    audit.append(
        conn,
        [
            audit.Event(
                me,
                "complete",
                item_id,
                {
                    "epoch": epoch,
                    "outcome_id": outcome_id,
                    "category": values.get("category"),
                    "route": values.get("route"),
                },
            )
        ],
        now,
    )
    return int(outcome_id)


def rescue_expired(
    conn: Connection, now: datetime, actor: str = "system", item_id: int | None = None
) -> list[int]:
    """Return every claim whose lease has run out by the hub's clock to the queue (never
    completes it); with ``item_id``, only that item. ``now`` only stamps the record.

    Each return is a compare-and-set on the epoch read with it: a holder's heartbeat, completion
    or release, or another client's rescue, that lands in between wins, and this one changes
    nothing (the guard also asks again that the lease has run out, by the hub's clock).
    """
    found = select(C.c.id, C.c.epoch).where(_expired(conn))
    if item_id is not None:
        found = found.where(C.c.id == item_id)
    rescued: list[tuple[int, int]] = []
    for cand in conn.execute(found.order_by(C.c.id)).all():
        row = conn.execute(
            update(C)
            .where(C.c.id == cand.id, C.c.epoch == cand.epoch, _expired(conn))
            .values(**_back_to_queue(now))
            .returning(C.c.epoch)
        ).first()
        if row is not None:
            rescued.append((int(cand.id), int(row.epoch)))
    if rescued:
        audit.append(
            conn,
            [audit.Event(actor, "lease_expired", i, {"epoch": e}) for i, e in rescued],
            now,
        )
    return [i for i, _ in rescued]
