"""The hub's sync ledger and refusals: the tables, who is pushing, the stored answers, refused
events kept (a refused draft or first view resolved at once by the hub) and resolved. Why a
holder-guarded write found nothing is refusals.py. Everything runs inside the caller's
transaction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select, update

from ehub_tui.domain import destinations
from ehub_tui.domain.models import Outcome
from ehub_tui.domain.sync import (
    REJECT_CLOSED,
    REJECT_FENCED,
    REJECT_INVALID,
    REJECT_NOT_FOUND,
    REJECT_WRONG_USER,
    EventResult,
    SyncEvent,
)
from ehub_tui.domain.types import Status
from ehub_tui.store import audit
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
    an audit event ``sync_rejected`` covering both.

    A refused draft or first view is a note of work in progress, not an outcome: there is
    nothing for a supervisor to do, so it is kept already resolved by the hub (``system``, with
    a sentence saying why), and the same audit event records the resolution (its body and the
    row it covers), rather than a second event for every refused note."""
    note = ev.kind in _NOTES
    resolved = (
        {"resolved_at": now, "resolved_by": SYSTEM, "resolution": _nothing_to_do(ev.kind, code)}
        if note
        else {}
    )
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
            **resolved,
        )
    )
    result = _ledger(conn, ev, now, state="rejected", code=code, reason=reason)
    item = ev.item_id if _exists(conn, ev.item_id) else None
    body: dict[str, Any] = {
        "event_id": ev.event_id,
        "kind": ev.kind,
        "epoch": ev.epoch,
        "code": code,
        "device": ev.device_id,
    }
    if item is None:
        body["item"] = ev.item_id
    if note:
        body["resolved_by"] = SYSTEM
        body["resolution"] = resolved["resolution"]
    rows = _covers(ev, ("sync_rejected", "event_id", [ev.event_id]))
    audit.append(conn, [audit.Event(who.username, "sync_rejected", item, body, rows)], now)
    return result


SYSTEM = "system"  # who resolves a refused note (a draft, a first view) at once
_NOTES = {"draft": "a draft", "viewed": "a first view"}


def _nothing_to_do(kind: str, code: str) -> str:
    """The resolution the hub writes for a refused draft or first view."""
    what = _NOTES[kind]
    if code in (REJECT_FENCED, REJECT_CLOSED):
        return f"nothing to do: {what} for an item no longer held by its author"
    if code == REJECT_NOT_FOUND:
        return f"nothing to do: {what} for an item not on this hub"
    return f"nothing to do: {what} is a note of work in progress, not an outcome"


def mark_resolved(
    conn: Connection,
    event_id: str,
    kind: str,
    code: str | None,
    item_id: int,
    by: str,
    resolution: str,
    now: datetime,
    **more: Any,
) -> None:
    """Write a refused event's resolution and its audit event ``sync_resolved`` (by ``by``;
    ``more`` joins the event's body)."""
    conn.execute(
        update(SR)
        .where(SR.c.event_id == event_id)
        .values(resolved_at=now, resolved_by=by, resolution=resolution)
    )
    item = item_id if _exists(conn, item_id) else None
    body: dict[str, Any] = {"event_id": event_id, "code": code, "kind": kind, **more}
    if item is None:
        body["item"] = item_id
    rows = (("sync_rejected", "event_id", [event_id]),)
    audit.append(conn, [audit.Event(by, "sync_resolved", item, body, rows)], now)


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
