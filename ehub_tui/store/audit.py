"""The audit chain: every state change appends an event in the same transaction.

``hash = sha256(prev_hash + canonical JSON of the event)``, where the event names its sequence
number, time, actor, action, item and the sha256 of its body. The single ``audit_head`` row holds
the last sequence number and hash; writers lock it (SQLite: BEGIN IMMEDIATE already serialises
writers; PostgreSQL: SELECT … FOR UPDATE) so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from ehub_tui.store import bulk, checkpoints, coverage
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import AuditEvent, AuditHead

GENESIS = "0" * 64
EVENT = AuditEvent.__table__  # type: ignore[attr-defined]
HEAD = AuditHead.__table__  # type: ignore[attr-defined]


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
)


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept."""
    return _CANONICAL.encode(obj)


def digest(text: str) -> str:
    """sha256 hex digest of a string."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stamp(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _chain_hash(
    prev_hash: str,
    seq: int,
    stamp: str,
    actor: str,
    action: str,
    consultation_id: int | None,
    body_digest: str,
) -> str:
    core = {
        "seq": seq,
        "at": stamp,
        "actor": actor,
        "action": action,
        "item": consultation_id,
        "body": body_digest,
    }
    return digest(prev_hash + canonical(core))


def event_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    consultation_id: int | None,
    body_digest: str,
) -> str:
    """The chained hash of one event."""
    return _chain_hash(prev_hash, seq, _stamp(at), actor, action, consultation_id, body_digest)


@dataclass(frozen=True, slots=True)
class Event:
    """An event to append: who did what to which item, with a small body (no patient data).

    ``rows`` names other rows the change wrote, as (table, column, values): their digests go in
    the event (see ``coverage``). The item's own consultation and outcome rows are always
    covered when ``consultation_id`` is set.
    """

    actor: str
    action: str
    consultation_id: int | None = None
    body: dict[str, Any] | None = None
    rows: tuple[tuple[str, str, Sequence[Any]], ...] = ()


# Only completing writes an outcome (and nothing changes or deletes one), so only its event
# covers the item's outcome row: a claim's event is one query, not two. An outcome written or
# deleted any other way is still found by verify (a row no event wrote; a row gone).
OUTCOME_ACTIONS = frozenset({"complete"})


def covers(conn: Connection, ev: Event) -> dict[str, Any]:
    """The rows an event wrote, as body entries: ``covers`` = [[table, key, digest or null]],
    ``shows`` = [[table, key, {column: value}]] for tables whose values are kept in full."""
    # (table, key, state, keep the shown values?): a single item's queue state is kept in
    # full; a batch's (an ingest, a prescreen) only as digests, to keep those events small
    found: list[tuple[str, Any, dict[str, Any] | None, bool]] = []
    if ev.consultation_id is not None:
        for t, k, st in coverage.snapshot(conn, "consultation", "id", [ev.consultation_id]):
            found.append((t, k, st, True))
        if ev.action in OUTCOME_ACTIONS:
            for t, k, st in coverage.snapshot(
                conn, "outcome", "consultation_id", [ev.consultation_id]
            ):
                found.append((t, k, st, True))
    for table, column, values in ev.rows:
        for t, k, st in coverage.snapshot(conn, table, column, values):
            found.append((t, k, st, t != "consultation"))
    if not found:
        return {}
    covered: list[list[Any]] = []
    shows: list[list[Any]] = []
    for table, key, state, keep in found:
        covered.append([table, key, None if state is None else coverage.row_digest(state)])
        spec = coverage.TABLES[table]
        if state is not None and keep:
            shows.append([table, key, {c: state[c] for c in spec.shown if c in state}])
    out: dict[str, Any] = {"covers": covered}
    if shows:
        out["shows"] = shows
    return out


_HEAD_READ = select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)
_HEAD_READ_SQL = "SELECT seq, hash FROM audit_head WHERE id = 1"
_HEAD_LOCK_SQL = _HEAD_READ_SQL + " FOR UPDATE"
_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "consultation_id",
    "body",
    "body_digest",
    "prev_hash",
    "hash",
)


def append(conn: Connection, events: Sequence[Event], at: datetime) -> int:
    """Append events to the chain inside the caller's transaction; returns the last seq."""
    if not events:
        return 0
    sqlite = is_sqlite(conn)
    cur = bulk.driver(conn).cursor()
    # SQLite writers are already serialised by BEGIN IMMEDIATE; PostgreSQL locks the head row.
    cur.execute(_HEAD_READ_SQL if sqlite else _HEAD_LOCK_SQL)
    seq, prev = cur.fetchone()
    seq, prev = int(seq), str(prev)
    stamp = _stamp(at)
    stored_at = bulk.storage_value(at, sqlite)
    rows = []
    for ev in events:
        seq += 1
        body = ev.body or {}
        extra = covers(conn, ev)
        if extra:
            body = {**body, **extra}
        body_text = canonical(body)
        bd = digest(body_text)
        h = _chain_hash(prev, seq, stamp, ev.actor, ev.action, ev.consultation_id, bd)
        rows.append(
            (seq, stored_at, ev.actor, ev.action, ev.consultation_id, body_text, bd, prev, h)
        )
        prev = h
    bulk.insert_many(conn, "audit_event", _COLUMNS, rows)
    p = bulk.param(sqlite)
    cur.execute(f"UPDATE audit_head SET seq = {p}, hash = {p} WHERE id = 1", (seq, prev))
    cur.close()
    signing = _SIGNERS.get(conn.engine)
    if signing is not None:
        checkpoints.maybe_sign(conn, signing[0], seq, prev, at, signing[1])
    return seq


# The signer for each engine whose process holds the hub's private key (on the hub machine),
# with what it last knew of the newest checkpoint.
_SIGNERS: weakref.WeakKeyDictionary[Engine, tuple[checkpoints.Signer, checkpoints.Known]] = (
    weakref.WeakKeyDictionary()
)


def attach_signer(engine: Engine, signer: checkpoints.Signer | None) -> None:
    """Sign checkpoints on this engine's appends (None stops signing)."""
    if signer is None:
        _SIGNERS.pop(engine, None)
    else:
        _SIGNERS[engine] = (signer, checkpoints.Known())


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of walking the chain."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
        }


def _rows(conn: Connection, upto: int, batch: int = 5000) -> Iterator[Any]:
    last = 0
    cols = [
        EVENT.c.seq,
        EVENT.c.at,
        EVENT.c.actor,
        EVENT.c.action,
        EVENT.c.consultation_id,
        EVENT.c.body,
        EVENT.c.body_digest,
        EVENT.c.prev_hash,
        EVENT.c.hash,
    ]
    while True:
        chunk = conn.execute(
            select(*cols)
            .where(EVENT.c.seq > last, EVENT.c.seq <= upto)
            .order_by(EVENT.c.seq)
            .limit(batch)
        ).all()
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def verify(conn: Connection) -> VerifyResult:
    """Walk the whole chain; name the first sequence number that does not hold.

    The head is read first and the walk stops there, so events appended by others during the
    walk (PostgreSQL reads each page afresh) never look like tampering.
    """
    head = conn.execute(_HEAD_READ).first()
    if head is None:
        return VerifyResult(False, 0, None, "the audit head row is missing")
    prev = GENESIS
    expected = 1
    checked = 0
    for row in _rows(conn, int(head.seq)):
        if row.seq != expected:
            return VerifyResult(
                False, checked, expected, f"event {expected} is missing (next found is {row.seq})"
            )
        if row.prev_hash != prev:
            return VerifyResult(
                False, checked, row.seq, "its prev_hash does not match the event before it"
            )
        if digest(canonical(row.body)) != row.body_digest:
            return VerifyResult(False, checked, row.seq, "its body was changed")
        h = event_hash(
            prev, row.seq, row.at, row.actor, row.action, row.consultation_id, row.body_digest
        )
        if h != row.hash:
            return VerifyResult(
                False, checked, row.seq, "its hash does not match its contents (edited)"
            )
        prev = row.hash
        expected += 1
        checked += 1
    if head.seq != checked or head.hash != prev:
        return VerifyResult(
            False,
            checked,
            checked + 1,
            f"the chain ends at {checked} but the head says {head.seq}: events were removed",
        )
    return VerifyResult(True, checked)


def count(conn: Connection) -> int:
    """Number of events in the chain."""
    return int(conn.execute(select(func.count()).select_from(EVENT)).scalar_one())
