"""Awaiting the patient on the hub store: parking an item, linking the patient's reply, and the
hub's sweep that brings parked items back at their return time. Each runs inside the caller's
write transaction and appends its audit event there (the ``awaiting_reply`` row it wrote is
covered by the event, store/coverage.py).

A parking is fenced like every holder's write: only the holder of the claim (owner, epoch,
status claimed) may park, and parking moves the epoch on and releases the lease, so the parker's
open screen can write nothing more. Coming back (a reply or the return time) moves it on again.
Return times are judged by the hub's clock only (engine.hub_now_sql), never a workstation's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ehub_tui.domain.awaiting import REPLY_KEY, ParkState, park_problem
from ehub_tui.domain.models import Consultation, NewConsultation
from ehub_tui.domain.types import Status
from ehub_tui.errors import QueueError
from ehub_tui.store import audit
from ehub_tui.store.engine import hub_now, hub_now_sql
from ehub_tui.store.lease import C, _lost
from ehub_tui.store.models_awaiting import AwaitingReply

A = AwaitingReply.__table__  # type: ignore[attr-defined]
TABLE = "awaiting_reply"


def _rows(parking_id: int) -> tuple[tuple[str, str, Sequence[Any]], ...]:
    return ((TABLE, "id", [parking_id]),)


def park(
    conn: Connection,
    item_id: int,
    me: str,
    epoch: int,
    question: str,
    return_at: datetime,
    now: datetime,
) -> int:
    """Park an item ``me`` holds (``epoch``) until ``return_at`` (checked against the hub's
    clock) with the question sent; returns the parking's id. LostClaim when no longer held."""
    problem = park_problem(question, return_at, hub_now(conn))
    if problem is not None:
        raise QueueError(f"consultation {item_id} cannot be parked: {problem}")
    guard = (
        (C.c.id == item_id)
        & (C.c.owner == me)
        & (C.c.epoch == epoch)
        & (C.c.status == Status.CLAIMED)
    )
    row = conn.execute(
        update(C)
        .where(guard)
        .values(
            status=Status.AWAITING,
            owner=None,
            epoch=C.c.epoch + 1,
            lease_until=None,
            updated_at=now,
        )
        .returning(C.c.epoch, C.c.due_by)
    ).first()
    if row is None:
        raise _lost(conn, item_id, me)
    parking_id = int(
        conn.execute(
            insert(A)
            .values(
                item_id=item_id,
                parked_by=me,
                parked_at=now,
                epoch=epoch,
                question=question.strip(),
                return_at=return_at,
                due_by=row.due_by,
                state=ParkState.AWAITING.value,
            )
            .returning(A.c.id)
        ).scalar_one()
    )
    due_by = row.due_by
    past_due = return_at > (due_by if due_by.tzinfo else due_by.replace(tzinfo=return_at.tzinfo))
    body = {
        "epoch": int(row.epoch),
        "parking_id": parking_id,
        "return_at": return_at.isoformat(),
        "past_due": past_due,
    }
    audit.append(conn, [audit.Event(me, "park", item_id, body, rows=_rows(parking_id))], now)
    return parking_id


def _back(item_id: int, now: datetime) -> Any:
    """An awaiting item back in the queue (nobody holds it; the epoch moves on)."""
    return (
        update(C)
        .where(C.c.id == item_id, C.c.status == Status.AWAITING)
        .values(status=Status.QUEUED, owner=None, epoch=C.c.epoch + 1, updated_at=now)
        .returning(C.c.epoch)
    )


def return_due(conn: Connection, now: datetime, actor: str = "system") -> list[int]:
    """Bring back every parked item whose return time has come by the hub's clock (no reply);
    returns their ids. A compare-and-set on the parking's state: a reply linked meanwhile wins."""
    due = conn.execute(
        select(A.c.id, A.c.item_id)
        .where(A.c.state == ParkState.AWAITING.value, A.c.return_at <= hub_now_sql(conn))
        .order_by(A.c.return_at, A.c.id)
    ).all()
    events: list[audit.Event] = []
    for cand in due:
        done = conn.execute(
            update(A)
            .where(A.c.id == cand.id, A.c.state == ParkState.AWAITING.value)
            .values(state=ParkState.TIMED_OUT.value, returned_at=now)
            .returning(A.c.id)
        ).first()
        if done is None:
            continue
        back = conn.execute(_back(int(cand.item_id), now)).first()
        body: dict[str, Any] = {"parking_id": int(cand.id), "why": "no_reply"}
        if back is not None:
            body["epoch"] = int(back.epoch)
        events.append(
            audit.Event(actor, "park_returned", int(cand.item_id), body, rows=_rows(cand.id))
        )
    if events:
        audit.append(conn, events, now)
    return [int(e.consultation_id or 0) for e in events]


def _reply_text(item: NewConsultation) -> str:
    """What the patient said: their free text, else their other answers as lines."""
    text = (item.free_text or "").strip()
    if text:
        return text
    lines = [f"{k}: {v}" for k, v in sorted(item.answers.items()) if k != REPLY_KEY]
    return "\n".join(lines) or "(the reply held no text)"


def link_replies(
    conn: Connection, items: Sequence[NewConsultation], actor: str, now: datetime
) -> set[int]:
    """Take the records among ``items`` that are the patient's reply to a parked item (see
    domain/awaiting.py: same source, ``answers["in_reply_to"]`` is its external id, same NHS
    number); returns their indexes, which are not stored as new consultations.

    A reply to an item still awaiting brings it back to the queue at once, "reply received". A
    reply to an item that already came back (no reply by its time) but is still open is kept
    with it, late. A reply delivered again is a duplicate (taken, nothing written). Any other
    record naming ``in_reply_to`` (its item completed or cancelled, never parked, another
    patient) is stored as an ordinary new consultation.
    """
    taken: set[int] = set()
    events: list[audit.Event] = []
    for i, item in enumerate(items):
        original = item.answers.get(REPLY_KEY) if isinstance(item.answers, dict) else None
        if not isinstance(original, str) or not original.strip():
            continue
        known = conn.execute(
            select(A.c.id).where(
                A.c.reply_source == item.source, A.c.reply_external_id == item.external_id
            )
        ).first()
        if known is not None:
            taken.add(i)  # this reply was linked before: a re-delivery
            continue
        target = conn.execute(
            select(C.c.id, C.c.status).where(
                C.c.source == item.source,
                C.c.external_id == original.strip(),
                C.c.nhs_number == item.nhs_number,
            )
        ).first()
        if target is None or target.status in (Status.COMPLETED, Status.CANCELLED):
            continue
        parking = conn.execute(
            select(A.c.id, A.c.state, A.c.reply_external_id)
            .where(A.c.item_id == target.id)
            .order_by(A.c.id.desc())
            .limit(1)
        ).first()
        if parking is None or parking.reply_external_id is not None:
            continue
        awaiting = parking.state == ParkState.AWAITING.value
        values: dict[str, Any] = {
            "reply_source": item.source,
            "reply_external_id": item.external_id,
            "reply_text": _reply_text(item),
            "reply_received_at": now,
        }
        if awaiting:
            values.update(state=ParkState.REPLIED.value, returned_at=now)
        conn.execute(update(A).where(A.c.id == parking.id).values(**values))
        # the reply is the patient's words too: screened again for red flags with it (the
        # prescreen reads the replies beside the request; a flag found raises the item)
        conn.execute(update(C).where(C.c.id == target.id).values(screened_at=None))
        body: dict[str, Any] = {
            "parking_id": int(parking.id),
            "reply": [item.source, item.external_id],
            "late": not awaiting,
        }
        if awaiting:
            back = conn.execute(_back(int(target.id), now)).first()
            if back is not None:
                body["epoch"] = int(back.epoch)
        events.append(
            audit.Event(actor, "reply_linked", int(target.id), body, rows=_rows(parking.id))
        )
        taken.add(i)
    if events:
        audit.append(conn, events, now)
    return taken


def parkings(conn: Connection, item_id: int) -> list[Any]:
    """Every parking of an item, oldest first (rows of ``awaiting_reply``)."""
    return list(conn.execute(select(A).where(A.c.item_id == item_id).order_by(A.c.id)).all())


def day_counts(
    conn: Connection, local_day: Any, start: object, end: object
) -> list[tuple[str, str, str, int]]:
    """(UK day, practice, metric, n) for the daily return, between two stored instants:
    PARKED_AWAITING_PATIENT by the day parked, PATIENT_REPLIED and NO_REPLY_BY_RETURN_TIME by
    the day the item came back (a late reply, after a timed return, is not counted again).
    ``local_day`` is store/returns.py's UK-day SQL for a column. Figures only."""
    from sqlalchemy import text as sql_text

    out: list[tuple[str, str, str, int]] = []
    for column, where, metric in (
        ("a.parked_at", "", "PARKED_AWAITING_PATIENT"),
        ("a.returned_at", "AND a.state = 'replied' ", "PATIENT_REPLIED"),
        ("a.returned_at", "AND a.state = 'timed_out' ", "NO_REPLY_BY_RETURN_TIME"),
    ):
        rows = conn.execute(
            sql_text(
                f"SELECT {local_day(column)}, c.practice_ods, COUNT(*) FROM awaiting_reply a "
                "JOIN consultation c ON c.id = a.item_id "
                f"WHERE {column} >= :start AND {column} < :end {where}GROUP BY 1, 2"
            ),
            {"start": start, "end": end},
        ).all()
        out += [(str(d), str(pr), metric, int(n)) for d, pr, n in rows]
    return out


# How a patient's reply is added to what the SOPs read: after the request, marked as a reply.
REPLY_MARK = "Reply to the hub's question:"


def replies(conn: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    """The reply texts linked to each of ``ids`` (oldest first)."""
    if not ids:
        return {}
    out: dict[int, list[str]] = {}
    for item_id, text in conn.execute(
        select(A.c.item_id, A.c.reply_text)
        .where(A.c.item_id.in_(list(ids)), A.c.reply_text.is_not(None))
        .order_by(A.c.id)
    ):
        out.setdefault(int(item_id), []).append(str(text))
    return out


def with_reply_text(free_text: str | None, texts: Sequence[str]) -> str:
    """The request's own words followed by each reply, marked: what red-flag screening and
    triage's SOP decision read, so a red flag in a reply is dealt with as in the request."""
    out = free_text or ""
    for text in texts:
        out = f"{out}\n\n{REPLY_MARK} {text}".strip()
    return out


def with_replies(conn: Connection, items: Sequence[Consultation]) -> list[Consultation]:
    """Consultation models with their linked replies in ``free_text`` (a copy each; the
    stored request is never changed)."""
    found = replies(conn, [int(i.id) for i in items])
    return [
        i.model_copy(update={"free_text": with_reply_text(i.free_text, found[int(i.id)])})
        if int(i.id) in found
        else i
        for i in items
    ]
