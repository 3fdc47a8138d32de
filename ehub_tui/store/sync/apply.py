"""Applying one pushed event inside the caller's transaction: from the ledger when seen before;
else refused (kept whole, audited) or applied by its kind (audited), and the answer stored.

Completion is written here rather than through ``queue.complete`` so that its audit event names
the sync event it came from and the outcome keeps the workstation's clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select, update

from ehub_tui.domain.models import Outcome
from ehub_tui.domain.sync import (
    REJECT_NOT_PERMITTED,
    SUSPECT_OFFSET_SECONDS,
    EventResult,
    SyncEvent,
)
from ehub_tui.domain.types import Status
from ehub_tui.errors import NotAvailable, NotFound, RecordRejected
from ehub_tui.store import audit
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.lease import _back_to_queue, whole_seconds
from ehub_tui.store.sync.ledger import (  # split from one module
    _HOLDER_ACTIONS,
    SD,
    SE,
    C,
    E,
    O,
    Pusher,
    Refused,
    _aware,
    _covers,
    _ledger,
    _validate,
    ledger_row,
    refuse_unstored,
    reject,
    result_of,
    wrong_user,
)
from ehub_tui.store.sync.refusals import _check_held, _held, _not_held

# -- applying one event -------------------------------------------------------------------------


def apply_event(conn: Connection, ev: SyncEvent, who: Pusher, now: datetime) -> EventResult:
    """Answer one pushed event inside the caller's transaction: from the ledger when seen
    before; else refused (kept, audited) or applied (audited), and the answer stored."""
    if ev.username != who.username:
        return refuse_unstored(conn, ev, who, now, wrong_user(ev, who))
    seen = ledger_row(conn, ev.event_id)
    if seen is not None:
        if seen.username != who.username:  # another user's event id: tell nothing about it
            return refuse_unstored(conn, ev, who, now, wrong_user(ev, who))
        return result_of(seen, resend=True)
    try:
        parsed = _validate(ev)
        if not who.may_work:
            raise Refused(
                REJECT_NOT_PERMITTED,
                f"{who.username} ({who.role}) may not work items now, so this "
                f"{ev.kind} was not applied",
            )
        applied: EventResult = _APPLY[ev.kind](conn, ev, parsed, who, now)
        return applied
    except Refused as refused:
        return reject(conn, ev, who, now, refused.code, refused.reason)


def _complete(
    conn: Connection, ev: SyncEvent, outcome: Outcome, who: Pusher, now: datetime
) -> EventResult:
    me = who.username
    closing = {
        "status": Status.COMPLETED,
        "completed_at": now,
        "lease_until": None,
        "updated_at": now,
    }
    back = (C.c.received_at, C.c.claimed_at, C.c.first_claimed_at)
    row = conn.execute(
        update(C).where(_held(ev.item_id, me, ev.epoch)).values(**closing).returning(*back)
    ).first()
    epoch, late = ev.epoch, False
    if row is None and who.accept_late and _only_own_lease_expired(conn, ev, me):
        # the rescued epoch: nobody has claimed the item since the lease ran out
        row = conn.execute(
            update(C)
            .where(
                C.c.id == ev.item_id,
                C.c.status == Status.QUEUED,
                C.c.owner.is_(None),
                C.c.epoch == ev.epoch + 1,
            )
            .values(owner=me, **closing)
            .returning(*back)
        ).first()
        epoch, late = ev.epoch + 1, row is not None
    if row is None:
        raise _not_held(conn, ev.item_id, me, ev.epoch)
    values = _outcome_values(
        outcome,
        ev.item_id,
        me,
        epoch,
        row,
        now,
        client_at=ev.client_at,
        offset=ev.offset_seconds,
        active=ev.payload.get("active_seconds"),
        event_id=ev.event_id,
        late=late,
    )
    outcome_id = int(conn.execute(insert(O).values(**values).returning(O.c.id)).scalar_one())
    result = _ledger(conn, ev, now, state="accepted", outcome_id=outcome_id, late=late)
    body: dict[str, Any] = {
        "epoch": epoch,
        "outcome_id": outcome_id,
        "category": outcome.category,
        "route": outcome.route,
        "event_id": ev.event_id,
        "device": ev.device_id,
    }
    if late:
        body["late"] = True
    audit.append(conn, [audit.Event(me, "complete", ev.item_id, body, _covers(ev))], now)
    return result


def _outcome_values(
    outcome: Outcome,
    item_id: int,
    navigator: str,
    epoch: int,
    row: Any,
    now: datetime,
    *,
    client_at: datetime,
    offset: float | None,
    active: Any,
    event_id: str,
    late: bool,
) -> dict[str, Any]:
    """The outcome row for a completion from a sync event (``row``: the item's received_at,
    claimed_at and first_claimed_at as they were when it was closed)."""
    values = outcome.record()
    first_action = row.first_claimed_at or row.claimed_at
    values.update(
        consultation_id=item_id,
        navigator=navigator,
        epoch=epoch,
        received_at=row.received_at,
        claimed_at=row.claimed_at,
        completed_at=now,  # the hub's time: returns and waits use it
        completion_seconds=whole_seconds(now) - whole_seconds(row.received_at),
        first_action_seconds=(
            None
            if first_action is None
            else whole_seconds(first_action) - whole_seconds(row.received_at)
        ),
        client_completed_at=_aware(client_at) + timedelta(seconds=offset or 0.0),
        clock_offset_seconds=offset,
        clock_suspect=None if offset is None else abs(offset) > SUSPECT_OFFSET_SECONDS,
        late=late,
        event_id=event_id,
        active_seconds=None if active is None else float(active),
    )
    return values


def apply_kept(conn: Connection, refused: Any, by: str, now: datetime) -> int:
    """Complete an item with a refused completion's kept outcome, for a supervisor (``by``)
    resolving it; returns the outcome id. ``refused`` is the locked ``sync_rejected`` row.

    Only while the item is queued and unclaimed: nobody's work is overwritten. The outcome is
    its navigator's (the one who made it), marked late, with their workstation's clock; the
    audit event ``complete`` is the supervisor's and names the refused event it came from.
    NotAvailable (nothing written) when the item is held, completed or cancelled; RecordRejected
    when the event is not a completion or its kept outcome is not valid."""
    item_id, event_id = int(refused.item_id), str(refused.event_id)
    if refused.kind != "complete":
        raise RecordRejected(
            f"refused event {event_id} is a {refused.kind}, not a completion: there is no "
            "outcome to apply (resolve it with a note instead)"
        )
    try:
        outcome = Outcome.model_validate((refused.payload or {}).get("outcome"))
    except ValidationError:
        raise RecordRejected(
            f"the outcome kept with refused event {event_id} is not valid, so it cannot be "
            "applied (resolve it with a note instead)"
        ) from None
    q = select(C.c.status, C.c.owner, C.c.epoch).where(C.c.id == item_id)
    if not is_sqlite(conn):
        q = q.with_for_update()  # a claim cannot slip in before the update below
    item = conn.execute(q).first()
    if item is None:
        raise NotFound(f"Item {item_id} does not exist on this hub: there is nothing to complete.")
    if item.status != Status.QUEUED or item.owner is not None:
        raise NotAvailable(_not_free(item_id, item.status, item.owner))
    row = conn.execute(
        update(C)
        .where(
            C.c.id == item_id,
            C.c.status == Status.QUEUED,
            C.c.owner.is_(None),
            C.c.epoch == item.epoch,
        )
        .values(
            status=Status.COMPLETED,
            owner=refused.username,
            completed_at=now,
            lease_until=None,
            updated_at=now,
        )
        .returning(C.c.received_at, C.c.claimed_at, C.c.first_claimed_at)
    ).first()
    if row is None:  # pragma: no cover - the row is locked (PostgreSQL) or the writer is alone
        raise NotAvailable(f"Item {item_id} changed while its outcome was being applied.")
    sent = conn.execute(select(SE.c.offset_seconds).where(SE.c.event_id == event_id)).first()
    values = _outcome_values(
        outcome,
        item_id,
        refused.username,
        int(item.epoch),
        row,
        now,
        client_at=refused.client_at,
        offset=None if sent is None else sent.offset_seconds,
        active=(refused.payload or {}).get("active_seconds"),
        event_id=event_id,
        late=True,
    )
    outcome_id = int(conn.execute(insert(O).values(**values).returning(O.c.id)).scalar_one())
    body: dict[str, Any] = {
        "epoch": int(item.epoch),
        "outcome_id": outcome_id,
        "category": outcome.category,
        "route": outcome.route,
        "navigator": refused.username,
        "late": True,
        "applied_by": by,
        "from_event": event_id,
        "event_id": event_id,
        "device": refused.device_id,
    }
    audit.append(conn, [audit.Event(by, "complete", item_id, body)], now)
    return outcome_id


def _not_free(item_id: int, status: str, owner: str | None) -> str:
    """Why a kept outcome cannot be applied to an item now."""
    if status == Status.CLAIMED:
        return (
            f"Item {item_id} is held by {owner} now, so the kept outcome was not applied: "
            "it can be applied once the item is back in the queue and unclaimed."
        )
    if status == Status.COMPLETED:
        by = f" by {owner}" if owner else ""
        return (
            f"Item {item_id} has already been completed{by}, so the kept outcome was not applied."
        )
    return f"Item {item_id} was cancelled, so the kept outcome was not applied."


def _only_own_lease_expired(conn: Connection, ev: SyncEvent, me: str) -> bool:
    """True when the only hand-over since ``me``'s claim at the event's epoch is the system's
    return of that claim to the queue when its lease ran out (and nobody claimed it since)."""
    rows = conn.execute(
        select(E.c.actor, E.c.action, E.c.body)
        .where(E.c.consultation_id == ev.item_id, E.c.action.in_(_HOLDER_ACTIONS))
        .order_by(E.c.seq.desc())
        .limit(2)
    ).all()
    if len(rows) < 2:
        return False
    last, before = rows
    expired = (
        last.action == "lease_expired"
        and last.actor == "system"
        and (last.body or {}).get("epoch") == ev.epoch + 1
    )
    body = before.body or {}
    mine = body.get("epoch") == ev.epoch and (
        (before.action == "claim" and before.actor == me)
        or (before.action == "reassign" and body.get("to") == me)
    )
    return expired and mine


def _release(
    conn: Connection, ev: SyncEvent, reason: str, who: Pusher, now: datetime
) -> EventResult:
    me = who.username
    row = conn.execute(
        update(C)
        .where(_held(ev.item_id, me, ev.epoch))
        .values(**_back_to_queue(now))
        .returning(C.c.epoch)
    ).first()
    if row is None:
        raise _not_held(conn, ev.item_id, me, ev.epoch)
    result = _ledger(conn, ev, now, state="accepted")
    body = {"epoch": int(row.epoch), "reason": reason, "event_id": ev.event_id}
    audit.append(conn, [audit.Event(me, "release", ev.item_id, body, _covers(ev))], now)
    return result


def _draft(
    conn: Connection, ev: SyncEvent, draft: dict[str, Any], who: Pusher, now: datetime
) -> EventResult:
    me = who.username
    _check_held(conn, ev, me)
    found = conn.execute(
        select(SD.c.id).where(SD.c.item_id == ev.item_id, SD.c.username == me)
    ).first()
    values = {"epoch": ev.epoch, "draft": draft, "updated_at": now}
    if found is None:
        draft_id = conn.execute(
            insert(SD).values(item_id=ev.item_id, username=me, **values).returning(SD.c.id)
        ).scalar_one()
    else:
        draft_id = found.id
        conn.execute(update(SD).where(SD.c.id == draft_id).values(**values))
    result = _ledger(conn, ev, now, state="accepted")
    body = {"epoch": ev.epoch, "event_id": ev.event_id}
    rows = _covers(ev, ("sync_draft", "id", [int(draft_id)]))
    audit.append(conn, [audit.Event(me, "draft", ev.item_id, body, rows)], now)
    return result


def _viewed(conn: Connection, ev: SyncEvent, _: Any, who: Pusher, now: datetime) -> EventResult:
    me = who.username
    _check_held(conn, ev, me)
    result = _ledger(conn, ev, now, state="accepted")
    body = {
        "epoch": ev.epoch,
        "event_id": ev.event_id,
        "viewed_at": _aware(ev.client_at).isoformat(),
    }
    audit.append(conn, [audit.Event(me, "viewed", ev.item_id, body, _covers(ev))], now)
    return result


_APPLY: dict[str, Any] = {
    "complete": _complete,
    "release": _release,
    "draft": _draft,
    "viewed": _viewed,
}
