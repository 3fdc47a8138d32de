"""What the navigator does, recorded on the workstation: each in ONE local transaction with its
outbox row (a completion writes the outcome, the event and the held item's state together, so a
crash leaves all or nothing), plus the users who signed in here and the items they hold."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, select, update
from sqlalchemy.dialects.sqlite import insert

from ehub_tui.client.local.base import DR, OB, OL, H, NewEvent, StoreBase, U, mark_claimed
from ehub_tui.client.local.models import UtcText
from ehub_tui.domain.models import Consultation, Outcome, UserInfo
from ehub_tui.domain.queue import Claim
from ehub_tui.errors import StoreError

# The completion's statements (record_completion); columns as models.py declares them.
_NEXT_SEQ = "UPDATE device SET next_seq = next_seq + 1 WHERE id = ? RETURNING next_seq - 1"
_OUTBOX_INSERT = (
    "INSERT INTO outbox (event_id, device_seq, username, kind, item_id, epoch, payload, "
    "client_at, offset_seconds, rtt_seconds, state, attempts, created) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)"
)
_OUTCOME_INSERT = (
    "INSERT INTO outcome_local (event_id, item_id, username, epoch, outcome, completed_at, "
    "handling_seconds, active_seconds, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')"
)
_HELD_CLOSE = (
    "UPDATE held SET state = ?, updated = ? WHERE item_id = ? AND username = ? AND epoch = ?"
)
_DRAFT_DROP = "DELETE FROM draft WHERE item_id = ? AND username = ?"


def _utc_text(at: datetime) -> str | None:
    """A time as the local tables store it (models.UtcText)."""
    return UtcText().process_bind_param(at, None)


@dataclass(frozen=True, slots=True)
class CachedUser:
    """A user as they were when they last signed in here (for an offline sign-in)."""

    user: UserInfo
    permissions: frozenset[str]
    verifier: str | None
    pull_cursor: int


@dataclass(frozen=True, slots=True)
class HeldItem:
    """An item held here: its claim, its consultation (None until fetched) and its state."""

    claim: Claim
    consultation: Consultation | None
    state: str  # held | completed | released | lost


class RecordsMixin(StoreBase):
    """Users, held items, drafts, and the events a navigator makes."""

    # -- users -----------------------------------------------------------------------------------

    def save_user(
        self, user: UserInfo, permissions: Iterable[str], verifier: str | None, now: datetime
    ) -> None:
        """Keep a user who signed in here (``verifier`` None keeps the one already kept)."""
        values: dict[str, Any] = {
            "role": user.role,
            "display_name": user.display_name,
            "active": user.active,
            "permissions": sorted(permissions),
            "updated": now,
        }
        if verifier is not None:
            values["verifier"] = verifier
        with self._write() as conn:
            conn.execute(
                insert(U)
                .values(username=user.username, pull_cursor=0, **values)
                .on_conflict_do_update(index_elements=["username"], set_=values)
            )

    def user(self, username: str) -> CachedUser | None:
        """A user kept here, or None."""
        with self._read() as conn:
            r = conn.execute(select(U).where(U.c.username == username)).first()
        if r is None:
            return None
        info = UserInfo(r.username, r.role, r.display_name, bool(r.active))
        return CachedUser(info, frozenset(r.permissions or ()), r.verifier, int(r.pull_cursor))

    def forget_verifier(self, username: str) -> None:
        """Drop a user's offline sign-in (the hub refused their password)."""
        with self._write() as conn:
            conn.execute(update(U).where(U.c.username == username).values(verifier=None))

    # -- held items ------------------------------------------------------------------------------

    def record_held(self, claim: Claim, consultation: Consultation | None, now: datetime) -> None:
        """Keep an item just claimed (or renewed) with its consultation (None keeps the one
        already kept for the same claim)."""
        with self._write() as conn:
            _upsert_held(conn, claim, consultation, now, renewed=None)
            # the cached queue shows it claimed at once, not only after the next pull
            mark_claimed(conn, claim.item_id, claim.owner)

    def record_leases(self, claims: Sequence[Claim], hub_now: datetime, now: datetime) -> None:
        """Keep the lease ends a heartbeat returned."""
        with self._write() as conn:
            for claim in claims:
                _upsert_held(conn, claim, None, now, renewed=hub_now)

    def held(self, username: str, states: Sequence[str] = ("held",)) -> list[HeldItem]:
        """This user's held items in ``states``, by item id."""
        with self._read() as conn:
            rows = conn.execute(
                select(H)
                .where(H.c.username == username, H.c.state.in_(states))
                .order_by(H.c.item_id)
            ).all()
        return [_held(r) for r in rows]

    def held_item(self, item_id: int) -> HeldItem | None:
        """The held row of one item (whoever holds it), or None."""
        with self._read() as conn:
            r = conn.execute(select(H).where(H.c.item_id == item_id)).first()
        return None if r is None else _held(r)

    # -- events ------------------------------------------------------------------------------------

    def record_completion(
        self,
        event: NewEvent,
        outcome: Outcome,
        active_seconds: float,
        now: datetime,
    ) -> str:
        """Complete an item here: the outcome (pending), its outbox row and the held item's
        state, in one transaction; the item's draft goes with it. Returns the event id."""
        # The navigator waits on this commit before "saved", so it is written with the driver's
        # own statements (SQL text, the values bound as the tables' types store them): the same
        # rows through SQLAlchemy Core cost ~1.5 ms a completion in statement building alone,
        # five times the commit (benchmarks/sync.py outbox_complete).
        event_id = str(uuid.uuid4())
        stamp = _utc_text(now)
        try:
            with self._write() as conn:
                raw = conn.connection.driver_connection
                assert raw is not None
                (seq,) = raw.execute(_NEXT_SEQ, (self._device_id,)).fetchone()
                raw.execute(
                    _OUTBOX_INSERT,
                    (
                        event_id,
                        seq,
                        event.username,
                        event.kind,
                        event.item_id,
                        event.epoch,
                        json.dumps(event.payload),
                        _utc_text(event.client_at),
                        event.offset_seconds,
                        event.rtt_seconds,
                        stamp,
                    ),
                )
                raw.execute(
                    _OUTCOME_INSERT,
                    (
                        event_id,
                        event.item_id,
                        event.username,
                        event.epoch,
                        outcome.model_dump_json(),
                        _utc_text(event.client_at),
                        outcome.handling_seconds,
                        active_seconds,
                    ),
                )
                raw.execute(
                    _HELD_CLOSE, ("completed", stamp, event.item_id, event.username, event.epoch)
                )
                raw.execute(_DRAFT_DROP, (event.item_id, event.username))
        except sqlite3.Error as exc:  # rolled back as it left the transaction: nothing half-saved
            raise StoreError(
                f"{self.path}: the completion could not be saved on this workstation ({exc})."
            ) from None
        return event_id

    def record_releases(self, events: Sequence[NewEvent], now: datetime) -> list[str]:
        """Return items to the queue here (outbox rows, held state), in one transaction."""
        with self._write() as conn:
            ids = [self._enqueue(conn, event, now) for event in events]
            for event in events:
                _close_held(conn, event, "released", now)
        return ids

    def save_draft(
        self,
        username: str,
        item_id: int,
        epoch: int,
        draft: dict[str, Any],
        now: datetime,
        send: NewEvent | None = None,
    ) -> str | None:
        """Keep what the navigator typed; with ``send``, also its outbox row (same
        transaction). Returns the event id when one was written."""
        with self._write() as conn:
            values = {"epoch": epoch, "draft": draft, "updated": now}
            conn.execute(
                insert(DR)
                .values(item_id=item_id, username=username, **values)
                .on_conflict_do_update(index_elements=["item_id", "username"], set_=values)
            )
            return None if send is None else self._enqueue(conn, send, now)

    def drafts(self, username: str) -> dict[int, dict[str, Any]]:
        """This user's saved drafts by item id."""
        with self._read() as conn:
            rows = conn.execute(select(DR.c.item_id, DR.c.draft).where(DR.c.username == username))
            return {int(r.item_id): dict(r.draft) for r in rows}

    def record_viewed(self, event: NewEvent, now: datetime) -> str | None:
        """A ``viewed`` event, once per claim (None: this claim's is already written)."""
        with self._write() as conn:
            seen = conn.execute(
                select(OB.c.event_id).where(
                    OB.c.kind == "viewed",
                    OB.c.item_id == event.item_id,
                    OB.c.epoch == event.epoch,
                    OB.c.username == event.username,
                )
            ).first()
            return None if seen is not None else self._enqueue(conn, event, now)

    def outcomes(self, username: str | None = None) -> list[dict[str, Any]]:
        """Outcomes recorded here (newest first), with their state and the hub's answer."""
        query = select(OL).order_by(OL.c.completed_at.desc())
        if username is not None:
            query = query.where(OL.c.username == username)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _held(r: Any) -> HeldItem:
    claim = Claim(int(r.item_id), int(r.epoch), r.lease_until, r.username)
    cons = None if r.consultation is None else Consultation.model_validate(r.consultation)
    return HeldItem(claim, cons, r.state)


def _upsert_held(
    conn: Connection,
    claim: Claim,
    consultation: Consultation | None,
    now: datetime,
    renewed: datetime | None,
) -> None:
    """Insert or refresh a held row. A row of the same claim the navigator has closed here
    (completed or released, waiting to be sent) keeps its state: the hub has not heard yet."""
    old = conn.execute(select(H).where(H.c.item_id == claim.item_id)).first()
    same_claim = old is not None and (old.username, old.epoch) == (claim.owner, claim.epoch)
    closed = same_claim and old is not None and old.state in ("completed", "released")
    state = old.state if closed and old is not None else "held"
    cons = consultation.model_dump(mode="json") if consultation is not None else None
    if cons is None and same_claim and old is not None:
        cons = old.consultation
    values: dict[str, Any] = {
        "username": claim.owner,
        "epoch": claim.epoch,
        "lease_until": claim.lease_until,
        "consultation": cons,
        "state": state,
        "updated": now,
    }
    if renewed is not None:
        values["last_heartbeat"] = renewed
    conn.execute(
        insert(H)
        .values(item_id=claim.item_id, **values)
        .on_conflict_do_update(index_elements=["item_id"], set_=values)
    )


def _close_held(conn: Connection, event: NewEvent, state: str, now: datetime) -> None:
    """Mark the held row of this claim closed here, and drop the item's draft."""
    conn.execute(
        update(H)
        .where(
            and_(H.c.item_id == event.item_id, H.c.username == event.username),
            H.c.epoch == event.epoch,
        )
        .values(state=state, updated=now)
    )
    conn.execute(delete(DR).where(DR.c.item_id == event.item_id, DR.c.username == event.username))
