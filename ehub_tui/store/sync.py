"""The hub's side of sync in SQL: applying one pushed event (the dedupe ledger, the fencing
guard, the audit event), and reading what a workstation pulls. Everything runs inside the
caller's transaction (service/sync.py decides the transactions).

A pushed event is answered once and the answer kept (``sync_event``): a resend is answered from
the ledger, never applied again. An event the hub refuses is kept whole in ``sync_rejected``
(never deleted) with its own audit event; the events behind it are applied as usual. Every row
these functions write is covered by the audit event written with it (store/coverage.py).

Holder-guarded writes are the queue's: ``owner = me AND epoch = my epoch AND status = 'claimed'``
(store/queue.py). Completion is written here rather than through ``queue.complete`` so that its
audit event names the sync event it came from and the outcome keeps the workstation's clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, insert, select, text, update

from ehub_tui.domain import destinations
from ehub_tui.domain.models import Consultation as ConsultationModel
from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import QueueRow, describe_loss
from ehub_tui.domain.sync import (
    REJECT_CLOSED,
    REJECT_FENCED,
    REJECT_INVALID,
    REJECT_NOT_FOUND,
    REJECT_NOT_PERMITTED,
    REJECT_WRONG_USER,
    SUSPECT_OFFSET_SECONDS,
    EventResult,
    HeldItem,
    RejectedEvent,
    SyncEvent,
)
from ehub_tui.domain.types import Status
from ehub_tui.errors import NotFound
from ehub_tui.store import audit, queue, views
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.lease import _back_to_queue, _lost, whole_seconds
from ehub_tui.store.models import Consultation, SyncDraft, SyncEventRow, SyncRejected
from ehub_tui.store.models import Outcome as OutcomeRow

C = Consultation.__table__  # type: ignore[attr-defined]
O = OutcomeRow.__table__  # type: ignore[attr-defined]  # noqa: E741
SE = SyncEventRow.__table__  # type: ignore[attr-defined]
SR = SyncRejected.__table__  # type: ignore[attr-defined]
SD = SyncDraft.__table__  # type: ignore[attr-defined]
E = audit.EVENT

RESET_AFTER = 5000  # a cursor further behind than this many changes gets the whole open queue
RESET_CAP = 5000  # open items in a reset pull at most (priority order)
OPEN = (Status.QUEUED.value, Status.CLAIMED.value)

# Audit actions that hand an item to someone or take it away (each moves the epoch on): the
# late-completion rule looks only at these, so a note such as a viewed event or a priority
# change in between does not count as someone else acting on the item.
_HOLDER_ACTIONS = frozenset(
    {"claim", "release", "reassign", "force_release", "cancel", "lease_expired", "complete"}
)


class Refused(Exception):
    """An event the hub will not apply: a REJECT_* code and a sentence for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Pusher:
    """Who is pushing and what the hub lets them do: the signed-in user, whether their role may
    work items now (``work_items``), whether the hub accepts a late completion (the setting
    ``sync_accept_late_completion``), and the device the push came from."""

    username: str
    role: str
    may_work: bool
    accept_late: bool
    device: str | None = None


# -- the ledger ---------------------------------------------------------------------------------


def ledger_row(conn: Connection, event_id: str) -> Any:
    """The stored answer for an event, or None when the hub has never answered it."""
    return conn.execute(select(SE).where(SE.c.event_id == event_id)).first()


def result_of(row: Any, *, resend: bool) -> EventResult:
    """The answer a ledger row holds. A resend of an accepted event is ``duplicate`` (same
    outcome and hub time); a resend of a refused one is refused again with the same code,
    sentence and time, so a workstation that lost the first reply still learns of the refusal."""
    state = row.state
    if resend and state == "accepted":
        state = "duplicate"
    return EventResult(
        event_id=row.event_id,
        state=state,
        code=row.code,
        reason=row.reason,
        outcome_id=row.outcome_id,
        late=bool(row.late),
        hub_at=row.received_at,
    )


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _ledger(
    conn: Connection,
    ev: SyncEvent,
    now: datetime,
    *,
    state: str,
    code: str | None = None,
    reason: str | None = None,
    outcome_id: int | None = None,
    late: bool = False,
) -> EventResult:
    """Write the ledger row for an answered event; return the answer."""
    conn.execute(
        insert(SE).values(
            event_id=ev.event_id,
            device_id=ev.device_id,
            device_seq=ev.device_seq,
            username=ev.username,
            kind=ev.kind,
            item_id=ev.item_id,
            epoch=ev.epoch,
            client_at=_aware(ev.client_at),
            offset_seconds=ev.offset_seconds,
            rtt_seconds=ev.rtt_seconds,
            received_at=now,
            state=state,
            code=code,
            reason=reason,
            outcome_id=outcome_id,
            late=late,
        )
    )
    return EventResult(
        event_id=ev.event_id,
        state="accepted" if state == "accepted" else "rejected",
        code=code,
        reason=reason,
        outcome_id=outcome_id,
        late=late,
        hub_at=now,
    )


def _covers(ev: SyncEvent, *more: tuple[str, str, Sequence[Any]]) -> tuple[Any, ...]:
    return (("sync_event", "event_id", [ev.event_id]), *more)


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


def wrong_user(ev: SyncEvent, who: Pusher) -> Refused:
    return Refused(
        REJECT_WRONG_USER,
        f"this event was made by {ev.username}, not by {who.username} who sent it: "
        "only the user who made an event may send it",
    )


def refuse_unstored(
    conn: Connection, ev: SyncEvent, who: Pusher, now: datetime, refused: Refused
) -> EventResult:
    """Refuse an event that is not the pusher's to send (audited, not kept: its id belongs to
    someone else's outbox, whose own push must still be answered)."""
    body = {
        "event_id": ev.event_id,
        "kind": ev.kind,
        "item": ev.item_id,
        "code": refused.code,
        "made_by": ev.username,
        "device": who.device or ev.device_id,
    }
    audit.append(conn, [audit.Event(who.username, "sync_rejected", None, body)], now)
    return EventResult(
        event_id=ev.event_id,
        state="rejected",
        code=refused.code,
        reason=refused.reason,
        hub_at=now,
    )


def reject(
    conn: Connection, ev: SyncEvent, who: Pusher, now: datetime, code: str, reason: str
) -> EventResult:
    """Refuse an event: its ledger row, its ``sync_rejected`` row (the payload kept whole) and
    an audit event ``sync_rejected`` covering both."""
    conn.execute(
        insert(SR).values(
            event_id=ev.event_id,
            device_id=ev.device_id,
            username=ev.username,
            kind=ev.kind,
            item_id=ev.item_id,
            epoch=ev.epoch,
            code=code,
            reason=reason,
            payload=ev.payload,
            client_at=_aware(ev.client_at),
            rejected_at=now,
        )
    )
    result = _ledger(conn, ev, now, state="rejected", code=code, reason=reason)
    item = ev.item_id if _exists(conn, ev.item_id) else None
    body = {
        "event_id": ev.event_id,
        "kind": ev.kind,
        "epoch": ev.epoch,
        "code": code,
        "device": ev.device_id,
    }
    if item is None:
        body["item"] = ev.item_id
    rows = _covers(ev, ("sync_rejected", "event_id", [ev.event_id]))
    audit.append(conn, [audit.Event(who.username, "sync_rejected", item, body, rows)], now)
    return result


def _exists(conn: Connection, item_id: int) -> bool:
    return conn.execute(select(C.c.id).where(C.c.id == item_id)).first() is not None


def _problems(exc: ValidationError) -> str:
    # where and what, never the value sent (it may be a patient's details)
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "outcome"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def _validate(ev: SyncEvent) -> Any:
    """What the event's kind needs from its payload (Refused ``invalid`` otherwise)."""
    p = ev.payload
    if ev.kind == "complete":
        raw = p.get("outcome")
        if not isinstance(raw, dict):
            raise Refused(REJECT_INVALID, "this completion carries no outcome")
        try:
            outcome = Outcome.model_validate(raw)
        except ValidationError as exc:
            raise Refused(
                REJECT_INVALID, f"this completion's outcome is not valid ({_problems(exc)})"
            ) from None
        code = outcome.destination_code
        if code is not None and not destinations.is_code(code):
            raise Refused(
                REJECT_INVALID,
                f"an outcome's destination_code must be one of the vocabulary (got {code!r})",
            )
        active = p.get("active_seconds")
        if active is not None and (
            isinstance(active, bool)
            or not isinstance(active, int | float)
            or not math.isfinite(active)
            or active < 0
        ):
            raise Refused(REJECT_INVALID, "active_seconds must be a number of seconds (0 or more)")
        return outcome
    if ev.kind == "release":
        reason = p.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise Refused(REJECT_INVALID, "a return to the queue needs a reason")
        if len(reason) > 2000:
            raise Refused(REJECT_INVALID, "a reason is at most 2000 characters")
        return reason
    if ev.kind == "draft":
        draft = p.get("draft")
        if not isinstance(draft, dict):
            raise Refused(REJECT_INVALID, "this draft event carries no draft")
        return draft
    return None  # viewed: nothing needed


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
    cancelled (this claim's work was already recorded)."""
    try:
        lost = _lost(conn, item_id, me)
    except NotFound:
        return Refused(REJECT_NOT_FOUND, f"consultation {item_id} does not exist on this hub")
    now_epoch = conn.execute(select(C.c.epoch).where(C.c.id == item_id)).scalar()
    closed = lost.status in (Status.COMPLETED, Status.CANCELLED)
    if closed and now_epoch == epoch:
        return Refused(REJECT_CLOSED, describe_loss(item_id, lost.status, lost.owner))
    return Refused(REJECT_FENCED, str(lost))


def _check_held(conn: Connection, ev: SyncEvent, me: str) -> None:
    """Refuse unless ``me`` holds the item under the event's epoch (the row locked on
    PostgreSQL until commit, so a reassign cannot slip in between)."""
    q = select(C.c.id).where(_held(ev.item_id, me, ev.epoch))
    if not is_sqlite(conn):
        q = q.with_for_update()
    if conn.execute(q).first() is None:
        raise _not_held(conn, ev.item_id, me, ev.epoch)


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
    values = outcome.record()
    offset = ev.offset_seconds
    first_action = row.first_claimed_at or row.claimed_at
    active = ev.payload.get("active_seconds")
    values.update(
        consultation_id=ev.item_id,
        navigator=me,
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
        client_completed_at=_aware(ev.client_at) + timedelta(seconds=offset or 0.0),
        clock_offset_seconds=offset,
        clock_suspect=None if offset is None else abs(offset) > SUSPECT_OFFSET_SECONDS,
        late=late,
        event_id=ev.event_id,
        active_seconds=None if active is None else float(active),
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
    consultations = {
        r.id: ConsultationModel.from_row(r) for r in conn.execute(select(C).where(C.c.id.in_(ids)))
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
    conn: Connection, event_id: str, by: str, resolution: str, now: datetime
) -> RejectedEvent | None:
    """Mark a refused event resolved (audited ``sync_resolved``); None when it was resolved
    already; NotFound when there is no such refused event."""
    q = select(SR).where(SR.c.event_id == event_id)
    if not is_sqlite(conn):
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(f"refused event {event_id} is not on this hub")
    if row.resolved_at is not None:
        return None
    conn.execute(
        update(SR)
        .where(SR.c.event_id == event_id)
        .values(resolved_at=now, resolved_by=by, resolution=resolution)
    )
    item = row.item_id if _exists(conn, row.item_id) else None
    body: dict[str, Any] = {"event_id": event_id, "code": row.code, "kind": row.kind}
    if item is None:
        body["item"] = row.item_id
    rows = (("sync_rejected", "event_id", [event_id]),)
    audit.append(conn, [audit.Event(by, "sync_resolved", item, body, rows)], now)
    found = conn.execute(select(SR).where(SR.c.event_id == event_id)).first()
    return _rejected(found)


def rejected_one(conn: Connection, event_id: str) -> RejectedEvent | None:
    """One refused event, or None."""
    row = conn.execute(select(SR).where(SR.c.event_id == event_id)).first()
    return None if row is None else _rejected(row)
