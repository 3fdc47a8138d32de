"""The outbox as the sender sees it: pending rows in device order, the hub's answers recorded
per event, counts for the status line, refused events for review, and what ``sync verify``
compares with the hub."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from ehub_tui.client.local.base import OB, OL, RESULT, H, StoreBase
from ehub_tui.domain.sync import EventResult, RejectedEvent, SyncEvent

# a refusal that means the item is no longer this navigator's (the held row is then "lost")
_GONE = ("fenced", "closed", "not_found")


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One outbox row as ``sync verify`` and ``sync status`` read it."""

    event_id: str
    device_seq: int
    username: str
    kind: str
    item_id: int
    state: str  # pending | acked | rejected
    attempts: int
    result: EventResult | None


def is_refusal(result: EventResult) -> bool:
    """A refusal, first time or resent (a duplicate of a refused event keeps its code)."""
    return result.state == "rejected" or (result.state == "duplicate" and result.code is not None)


class OutboxMixin(StoreBase):
    """The sender's side of the outbox."""

    def pending(self, username: str, limit: int) -> list[SyncEvent]:
        """This user's oldest ``limit`` pending events, in device order."""
        with self._read() as conn:
            rows = conn.execute(
                select(OB)
                .where(OB.c.state == "pending", OB.c.username == username)
                .order_by(OB.c.device_seq)
                .limit(limit)
            ).all()
        return [
            SyncEvent(
                event_id=r.event_id,
                device_id=self._device_id,
                device_seq=int(r.device_seq),
                username=r.username,
                kind=r.kind,
                item_id=int(r.item_id),
                epoch=int(r.epoch),
                client_at=r.client_at,
                offset_seconds=r.offset_seconds,
                rtt_seconds=r.rtt_seconds,
                payload=dict(r.payload),
            )
            for r in rows
        ]

    def note_attempt(self, event_ids: Sequence[str], next_try_at: datetime | None) -> None:
        """Count a failed attempt to send these events (and when the sender tries next)."""
        if not event_ids:
            return
        with self._write() as conn:
            conn.execute(
                update(OB)
                .where(OB.c.event_id.in_(list(event_ids)), OB.c.state == "pending")
                .values(attempts=OB.c.attempts + 1, next_try_at=next_try_at)
            )

    def record_results(self, results: Iterable[EventResult], now: datetime) -> None:
        """Keep the hub's answer to each event (one transaction): accepted or duplicate →
        acked; refused → rejected, with the outcome it carried kept whole."""
        with self._write() as conn:
            for result in results:
                _record(conn, result, now)

    def event_result(self, event_id: str) -> tuple[str, EventResult | None] | None:
        """(state, the hub's answer) of one outbox row; None when there is no such row."""
        with self._read() as conn:
            r = conn.execute(
                select(OB.c.state, OB.c.result).where(OB.c.event_id == event_id)
            ).first()
        if r is None:
            return None
        return r.state, None if r.result is None else RESULT.validate_python(r.result)

    def counts(self, username: str | None = None) -> tuple[int, int]:
        """(pending, refused and not yet resolved) outbox rows, of one user or everyone."""
        query = select(OB.c.state, func.count()).where(OB.c.resolved_at.is_(None))
        if username is not None:
            query = query.where(OB.c.username == username)
        with self._read() as conn:
            by_state = {s: int(n) for s, n in conn.execute(query.group_by(OB.c.state))}
        return int(by_state.get("pending", 0)), int(by_state.get("rejected", 0))

    def rows(self, states: Sequence[str] = ("pending", "acked", "rejected")) -> list[OutboxRow]:
        """Outbox rows in ``states``, in device order."""
        with self._read() as conn:
            found = conn.execute(
                select(OB).where(OB.c.state.in_(states)).order_by(OB.c.device_seq)
            ).all()
        return [
            OutboxRow(
                r.event_id,
                int(r.device_seq),
                r.username,
                r.kind,
                int(r.item_id),
                r.state,
                int(r.attempts),
                None if r.result is None else RESULT.validate_python(r.result),
            )
            for r in found
        ]

    def rejected_here(
        self, username: str | None = None, *, include_resolved: bool = False
    ) -> list[RejectedEvent]:
        """Events of this workstation the hub refused (with the full payload), oldest first."""
        query = select(OB).where(OB.c.state == "rejected").order_by(OB.c.device_seq)
        if username is not None:
            query = query.where(OB.c.username == username)
        if not include_resolved:
            query = query.where(OB.c.resolved_at.is_(None))
        with self._read() as conn:
            found = conn.execute(query).all()
        return [_rejected(r, self._device_id) for r in found]

    def mark_resolved(self, username: str, unresolved: Iterable[str], now: datetime) -> None:
        """This user's refused events the hub no longer lists as unresolved were resolved by a
        supervisor: note it (the row itself is kept)."""
        with self._write() as conn:
            _mark_resolved(conn, username, set(unresolved), now)


def _record(conn: Connection, result: EventResult, now: datetime) -> None:
    row = conn.execute(
        select(OB.c.kind, OB.c.item_id, OB.c.epoch, OB.c.username, OB.c.state).where(
            OB.c.event_id == result.event_id
        )
    ).first()
    if row is None or row.state != "pending":
        return  # answered already (a resend's answer is the same), or purged
    refused = is_refusal(result)
    conn.execute(
        update(OB)
        .where(OB.c.event_id == result.event_id)
        .values(
            state="rejected" if refused else "acked",
            result=result.model_dump(mode="json"),
            acked_at=now,
            attempts=OB.c.attempts + 1,
        )
    )
    if row.kind == "complete":
        conn.execute(
            update(OL)
            .where(OL.c.event_id == result.event_id)
            .values(
                state="rejected" if refused else "accepted",
                hub_outcome_id=result.outcome_id,
                code=result.code,
                reason=result.reason,
                hub_at=result.hub_at,
            )
        )
    if refused and row.kind in ("complete", "release") and result.code in _GONE:
        conn.execute(
            update(H)
            .where(
                H.c.item_id == row.item_id,
                H.c.username == row.username,
                H.c.epoch == row.epoch,
            )
            .values(state="lost", updated=now)
        )


def _mark_resolved(conn: Connection, username: str, unresolved: set[str], now: datetime) -> None:
    open_ids = conn.execute(
        select(OB.c.event_id).where(
            OB.c.state == "rejected", OB.c.username == username, OB.c.resolved_at.is_(None)
        )
    ).scalars()
    done = [e for e in open_ids if e not in unresolved]
    if done:
        conn.execute(update(OB).where(OB.c.event_id.in_(done)).values(resolved_at=now))


def _rejected(r: Any, device_id: str) -> RejectedEvent:
    result = None if r.result is None else RESULT.validate_python(r.result)
    return RejectedEvent(
        event_id=r.event_id,
        device_id=device_id,
        username=r.username,
        kind=r.kind,
        item_id=int(r.item_id),
        epoch=int(r.epoch),
        code=(result.code if result else None) or "rejected",
        reason=(result.reason if result else None) or "the hub refused this event",
        payload=dict(r.payload),
        client_at=r.client_at,
        rejected_at=result.hub_at if result else r.acked_at,
        resolved_at=r.resolved_at,
    )
