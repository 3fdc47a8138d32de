"""Awaiting the patient and an item's history, as the hub service offers them.

``Awaiting`` is the part (park an item, its newest parking, the hub's sweep, the history in
words); ``AwaitingMethods`` is HubService's facade for it (a mixin, so service/hub.py stays
small). The history is read from the audit chain (who did what, at the hub's time) plus the rows
the events name (the question and reply of a parking, the outcome's note and message): the
audit itself never holds what a patient said or was told.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ehub_tui.domain import flags
from ehub_tui.domain.awaiting import HistoryEntry, Parking, ParkState, when
from ehub_tui.domain.destinations import ESCALATION
from ehub_tui.domain.event_words import code_words, flag_words, governing_flag, urgency_words
from ehub_tui.domain.queue import Claim
from ehub_tui.domain.types import PRIORITY_LABELS, Role, Status
from ehub_tui.errors import LostClaim, NotFound, PermissionDenied
from ehub_tui.service.context import HubContext, aware
from ehub_tui.store import audit
from ehub_tui.store import awaiting as store
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.models import Consultation, Outcome, Practice

C = Consultation.__table__  # type: ignore[attr-defined]
O = Outcome.__table__  # type: ignore[attr-defined]  # noqa: E741
P = Practice.__table__  # type: ignore[attr-defined]
log = logging.getLogger(__name__)

# audit actions a history leaves out: a draft saved as the navigator types says nothing new
_QUIET = frozenset({"draft", "denied"})


def _parking(row: Any) -> Parking:
    return Parking(
        id=int(row.id),
        item_id=int(row.item_id),
        parked_by=row.parked_by,
        parked_at=aware(row.parked_at) or row.parked_at,
        question=row.question,
        return_at=aware(row.return_at) or row.return_at,
        due_by=aware(row.due_by) or row.due_by,
        state=ParkState(row.state),
        returned_at=aware(row.returned_at),
        reply_text=row.reply_text,
        reply_received_at=aware(row.reply_received_at),
    )


class Awaiting:
    """Parking items for the patient's reply, and reading an item's history."""

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx

    def park(self, claim: Claim, question: str, return_at: datetime) -> None:
        """Park an item the signed-in user holds until ``return_at`` (hub time) or the
        patient's reply; LostClaim when it is no longer theirs (the refusal audited)."""
        ctx = self._ctx
        ctx.require("work_items")
        try:
            with write_tx(ctx.engine) as conn:
                store.park(
                    conn, claim.item_id, ctx.actor, claim.epoch, question, return_at, ctx.now()
                )
        except LostClaim as exc:
            body = {"epoch": claim.epoch, "held_by": exc.owner, "status": exc.status}
            ctx.record(audit.Event(ctx.actor, "park_refused", claim.item_id, body))
            raise
        # ids only: the question is free text about a patient
        log.info("%s parked item %s awaiting the patient", ctx.actor, claim.item_id)

    def parking(self, item_id: int) -> Parking | None:
        """The item's newest parking (None if it was never parked): what an opened item shows."""
        self._ctx.require("see_patients")
        with read_tx(self._ctx.engine) as conn:
            rows = store.parkings(conn, item_id)
        return _parking(rows[-1]) if rows else None

    def return_due(self) -> list[int]:
        """Bring back parked items whose return time has come by the hub's clock (the hub's
        timer and every claim path call this; a compare-and-set, audited as the system)."""
        with write_tx(self._ctx.engine) as conn:
            back = store.return_due(conn, self._ctx.now())
        if back:
            log.info("%d parked item(s) back in the queue: no reply by their time", len(back))
        return back

    # -- history ---------------------------------------------------------------------------------

    def history(self, item_id: int) -> list[HistoryEntry]:
        """Every event of an item in words, oldest first. Supervisors may read any item's;
        navigators an item they can see (queued or parked, or one they held or worked)."""
        ctx = self._ctx
        ctx.require("work_items")
        E = audit.EVENT
        with read_tx(ctx.engine) as conn:
            item = conn.execute(select(C).where(C.c.id == item_id)).first()
            if item is None:
                raise NotFound(f"consultation {item_id} does not exist")
            events = conn.execute(
                select(E.c.seq, E.c.at, E.c.actor, E.c.action, E.c.body)
                .where(E.c.consultation_id == item_id)
                .order_by(E.c.seq)
            ).all()
            outcome = conn.execute(select(O).where(O.c.consultation_id == item_id)).first()
            parkings = {int(r.id): r for r in store.parkings(conn, item_id)}
            practice = conn.execute(
                select(P.c.name).where(P.c.ods_code == item.practice_ods)
            ).scalar()
        self._may_read(item, events, outcome)
        out = [_received(item, practice or item.practice_ods)]
        if item.screened_at is not None:
            out.append(_screened(item))
        for ev in events:
            if ev.action in _QUIET:
                continue
            entry = _entry(ev, outcome, parkings)
            if entry is not None:
                out.append(entry)
        if item.screened_at is None:  # a reply came: screened again with it at the next
            # prescreen (store.screening); said after the reply (a stable sort)
            replied = [r.reply_received_at for r in parkings.values() if r.reply_received_at]
            if replied:
                out.append(
                    HistoryEntry(
                        at=aware(max(replied)) or max(replied),
                        actor="system",
                        action="screened",
                        words="Red flags: the patient's reply waits to be screened with the "
                        "request.",
                    )
                )
        return sorted(out, key=lambda e: e.at)

    def _may_read(self, item: Any, events: Any, outcome: Any) -> None:
        session = self._ctx.session
        user = session.user
        if user is None or user.role != Role.NAVIGATOR:
            return  # a supervisor (work_items checked) or the system principal
        me = user.username
        if item.status in (Status.QUEUED, Status.AWAITING) or item.owner == me:
            return
        if (outcome is not None and outcome.navigator == me) or any(e.actor == me for e in events):
            return
        session.deny("item_history")
        raise PermissionDenied(
            f"{me} (navigator) may not read the history of consultation {item_id_of(item)}: "
            "a navigator reads the history of items in the queue or that they worked on; "
            "ask a supervisor"
        )


def item_id_of(item: Any) -> int:
    """The id of a consultation row."""
    return int(item.id)


def _received(item: Any, practice: str) -> HistoryEntry:
    return HistoryEntry(
        at=aware(item.received_at) or item.received_at,
        actor=item.source,
        action="received",
        words=f"Received from {item.source}: {item.request_type} request for {practice}.",
    )


def _screened(item: Any) -> HistoryEntry:
    levels = tuple(f.get("level", "") for f in item.sop_flags or ())
    mark = flags.flag_mark(int(item.priority), levels, str(item.status))
    # the flags in words, never their ids ("rf_ectopic" read as a code in the trial)
    found = ", ".join(f"'{flag_words(str(f.get('id', '?')))}'" for f in item.sop_flags or ())
    words = (
        f"Screened for red flags: {mark.short} {mark.words}; found {found}."
        if found
        else "Screened for red flags: none found."
    )
    return HistoryEntry(
        at=aware(item.screened_at) or item.screened_at,
        actor="system",
        action="screened",
        words=words,
    )


def _reason(body: dict[str, Any]) -> str:
    reason = body.get("reason")
    return f"Reason: {reason}" if reason else ""


def _entry(ev: Any, outcome: Any, parkings: dict[int, Any]) -> HistoryEntry | None:
    body: dict[str, Any] = dict(ev.body or {})
    who, action = ev.actor, ev.action
    detail = ""
    if action == "claim":
        words = f"Claimed by {who}."
    elif action == "release":
        words = f"{who} returned it to the queue."
        detail = _reason(body)
    elif action == "lease_expired":
        words = "Back in the queue: the holder's lease ran out."
    elif action == "reassign":
        words = f"Reassigned by {who} from {body.get('from') or 'nobody'} to {body.get('to')}."
        detail = _reason(body)
    elif action == "force_release":
        words = f"{who} returned it to the queue from {body.get('from') or 'nobody'}."
        detail = _reason(body)
    elif action == "cancel":
        words = f"Cancelled by {who}."
        detail = _reason(body)
    elif action == "set_priority":
        label = PRIORITY_LABELS.get(int(body.get("priority", 0)), "?")
        words = f"{who} set the priority to {label}."
        detail = _reason(body)
    elif action == "park":
        row = parkings.get(int(body.get("parking_id", 0)))
        until = when(row.return_at if row is not None else None)
        late = " (after its due time)" if body.get("past_due") else ""
        words = f"Parked by {who} awaiting the patient's reply, back by {until}{late}."
        detail = f"Question sent: {row.question}" if row is not None else ""
    elif action == "reply_linked":
        row = parkings.get(int(body.get("parking_id", 0)))
        words = (
            "The patient's reply came after the item was back in the queue."
            if body.get("late")
            else "The patient's reply was received: back in the queue."
        )
        detail = f"Reply: {row.reply_text}" if row is not None and row.reply_text else ""
    elif action == "park_returned":
        row = parkings.get(int(body.get("parking_id", 0)))
        words = f"Back in the queue: no reply by {when(row.return_at if row else None)}."
    elif action == "complete":
        words, detail = _completed(who, body, outcome)
    elif action == "complete_refused":
        words = f"{who}'s completion was refused: the item was no longer theirs."
    elif action == "park_refused":
        words = f"{who}'s parking was refused: the item was no longer theirs."
    elif action == "viewed":
        words = f"Opened by {who}."
    elif action == "sync_rejected":
        words = f"A change sent by {who}'s workstation was refused by the hub."
    elif action == "sync_resolved":
        words = f"{who} resolved a refused change."
    else:
        words = f"{action.replace('_', ' ').capitalize()} by {who}."
        detail = _reason(body)
    return HistoryEntry(
        at=aware(ev.at) or ev.at, actor=who, action=action, words=words, detail=detail
    )


def _completed(who: str, body: dict[str, Any], outcome: Any) -> tuple[str, str]:
    if outcome is None:
        what = code_words(str(body.get("route") or body.get("category") or "an outcome"))
        return f"Completed by {who} ({what}).", ""
    flag = governing_flag(outcome.route)
    because = f" for the red flag '{flag_words(flag)}'" if flag else ""
    if outcome.category == "escalate" or outcome.destination_code == ESCALATION:
        words = f"Escalated by {who} to the duty clinician, now{because}"
    elif flag and outcome.urgency == "same_day":
        words = f"Completed by {who}: sent to a same-day clinician{because}"
    else:
        # the urgency in words, never its code ("same_day" → "today")
        where = outcome.destination or code_words(outcome.route)
        when_ = f", {urgency_words(outcome.urgency)}" if outcome.urgency else ""
        words = f"Completed by {who}: {where}{when_}{because}"
    parts = []
    if outcome.override_reason:
        parts.append(f"Override: {outcome.override_reason}")
    if outcome.note:
        parts.append(f"Note: {outcome.note}")
    if outcome.message:
        parts.append(f"Message sent: {outcome.message}")
    return words + ".", "\n".join(parts)


class AwaitingMethods:
    """Awaiting the patient and item history, as HubService offers them."""

    awaiting: Awaiting

    def park(self, claim: Claim, question: str, return_at: datetime) -> None:
        """Park an item we hold awaiting the patient's reply until ``return_at`` (hub time)."""
        self.awaiting.park(claim, question, return_at)

    def parking(self, item_id: int) -> Parking | None:
        """The item's newest parking: the question sent and the reply (None: never parked)."""
        return self.awaiting.parking(item_id)

    def return_due(self) -> list[int]:
        """Bring back parked items whose return time has come (by the hub's clock)."""
        return self.awaiting.return_due()

    def item_history(self, item_id: int) -> list[HistoryEntry]:
        """Every event of an item in words, at the hub's time (role-checked)."""
        return self.awaiting.history(item_id)
