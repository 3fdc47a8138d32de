"""What the audit chain covers: a digest of every audited row, written in the same transaction as
the change, so ``audit verify`` can replay the chain against the tables and name any row changed,
deleted or inserted behind the app's back.

Each covered table lists its key and the columns its digest covers. A column left out is one the
app changes without an audit event on purpose: a claim's lease end and the row's ``updated_at``
(moved by every heartbeat), a user's ``last_seen_at``, a password's failed-sign-in counters and a
sign-in's ``last_used_at``. A NULL column is left out of the digest,
so a nullable column added later does not change the digest of older rows.

The digest (``row_digest``) is sha256 over the (column, value) pairs, in column-name order, of the
values as the database driver gives them back (``read``): the same at write time and at verify
time on a hub's own engine.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, inspect

from ehub_tui.store import bulk
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import (
    Consultation,
    HubCredential,
    HubSession,
    HubUser,
    Outcome,
    Practice,
    SopVersion,
    SyncDraft,
    SyncEventRow,
    SyncRejected,
)
from ehub_tui.store.models_awaiting import AwaitingReply
from ehub_tui.store.models_handover import Handover
from ehub_tui.store.models_practice_sizes import COVERAGE as LIST_SIZES
from ehub_tui.store.models_status import ResponseHold
from ehub_tui.store.models_views import DefaultView, SavedView


@dataclass(frozen=True, slots=True)
class Covered:
    """One audited table: its key column, the columns in its digest, and those whose values
    the audit event also keeps in full (for naming what changed; no patient identifiers)."""

    name: str
    table: Table
    key: str
    columns: tuple[str, ...]
    shown: tuple[str, ...]


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _sorted(names: Iterable[str]) -> tuple[str, ...]:
    # by name, so a digest never depends on the order the model happens to list its columns
    return tuple(sorted(names))


_C = _table(Consultation)
_O = _table(Outcome)
_U = _table(HubUser)
_P = _table(Practice)
_S = _table(SopVersion)
_K = _table(HubCredential)
_H = _table(HubSession)
_SE = _table(SyncEventRow)
_SR = _table(SyncRejected)
_SD = _table(SyncDraft)
_SV = _table(SavedView)
_DV = _table(DefaultView)
_HO = _table(Handover)
_AW = _table(AwaitingReply)
_RH = _table(ResponseHold)

TABLES: dict[str, Covered] = {
    "practice_list_size": Covered("practice_list_size", *LIST_SIZES),  # migration 0016
    "consultation": Covered(
        "consultation",
        _C,
        "id",
        # active_at (migration 0010) moves with the open screen's heartbeat, as the lease does
        _sorted(
            c.name for c in _C.columns if c.name not in {"lease_until", "updated_at", "active_at"}
        ),
        # the queue state only: who holds it and where it stands (not the patient's details)
        ("status", "owner", "epoch", "priority", "practice_ods"),
    ),
    "outcome": Covered(
        "outcome",
        _O,
        "id",
        _sorted(c.name for c in _O.columns),
        tuple(c.name for c in _O.columns if c.name not in {"message", "note", "detail"}),
    ),
    "hub_user": Covered(
        "hub_user",
        _U,
        "id",
        _sorted(c.name for c in _U.columns if c.name != "last_seen_at"),
        ("username", "display_name", "role", "active"),
    ),
    "practice": Covered(
        "practice",
        _P,
        "ods_code",
        _sorted(c.name for c in _P.columns),
        tuple(c.name for c in _P.columns),
    ),
    "sop_version": Covered(
        "sop_version",
        _S,
        "id",
        _sorted(c.name for c in _S.columns),
        ("sop_id", "version", "sha256", "approved_by", "published_by"),
    ),
    # Sign-in (migration 0008). Both tables grant authority, so both are covered: a password
    # hash or a session row written behind the hub's back (to sign in as someone, or to revive a
    # revoked token) is found by `audit verify`. Left out: the failed-sign-in counters (written
    # on every failed attempt, each of which has its own audit event, and a success or lock-out
    # changes them without one) and a session's last_used_at (moved by every request, at most
    # every 30 s). Only the digest of a row goes into an event; the "shown" columns never
    # include the password hash or the token digest.
    "hub_credential": Covered(
        "hub_credential",
        _K,
        "user_id",
        _sorted(
            c.name
            for c in _K.columns
            if c.name not in {"failed_count", "last_failed_at", "locked_until"}
        ),
        ("user_id", "must_change", "password_set_at"),
    ),
    "hub_session": Covered(
        "hub_session",
        _H,
        "id",
        _sorted(c.name for c in _H.columns if c.name != "last_used_at"),
        ("id", "user_id", "device_id", "client", "revoked_at", "revoked_by", "revoke_reason"),
    ),
    # Sync (migration 0009): the dedupe ledger, refused events and drafts are all written by
    # audited sync actions. Each decides what a workstation is told (a resend gets the stored
    # answer; a refused outcome is kept whole until resolved), so a row changed or deleted behind
    # the hub's back is found. Shown: the identifiers and the answer, never a payload or draft
    # (they hold what the navigator wrote about a patient).
    "sync_event": Covered(
        "sync_event",
        _SE,
        "event_id",
        _sorted(c.name for c in _SE.columns),
        (
            "event_id",
            "device_id",
            "device_seq",
            "username",
            "kind",
            "item_id",
            "epoch",
            "state",
            "code",
            "outcome_id",
            "late",
        ),
    ),
    "sync_rejected": Covered(
        "sync_rejected",
        _SR,
        "event_id",
        _sorted(c.name for c in _SR.columns),
        ("event_id", "username", "kind", "item_id", "epoch", "code", "resolved_at", "resolved_by"),
    ),
    "sync_draft": Covered(
        "sync_draft",
        _SD,
        "id",
        _sorted(c.name for c in _SD.columns),
        ("id", "item_id", "username", "epoch"),
    ),
    # Handovers (migration 0010): written by the audited reassign, marked seen by an audited
    # handover_seen. Shown: who handed what to whom and when it was seen; never the note or the
    # carried draft (they may say something about the patient).
    "handover": Covered(
        "handover",
        _HO,
        "id",
        _sorted(c.name for c in _HO.columns),
        ("id", "item_id", "epoch", "from_user", "to_user", "by_user", "seen_at"),
    ),
    # Awaiting the patient (migration 0012): every row is written by an audited park, reply
    # link or return. Shown: who parked it, when it comes back and how it stands; never the
    # question or the reply (what was asked of and said by a patient).
    "awaiting_reply": Covered(
        "awaiting_reply",
        _AW,
        "id",
        _sorted(c.name for c in _AW.columns),
        ("id", "item_id", "parked_by", "epoch", "return_at", "state", "returned_at"),
    ),
    # Saved views (migration 0013): written by audited view_save / view_delete / view_default.
    # Shown in full: a view is a filter and a name (never a search, never a patient identifier).
    "saved_view": Covered(
        "saved_view",
        _SV,
        "id",
        _sorted(c.name for c in _SV.columns),
        tuple(c.name for c in _SV.columns),
    ),
    "default_view": Covered(
        "default_view",
        _DV,
        "username",
        _sorted(c.name for c in _DV.columns),
        tuple(c.name for c in _DV.columns),
    ),
    # Held responses (migration 0018, issue 16): written by an audited ingest (held, withdrawn,
    # done). Shown in full: a supplier key, a file name and states (no patient details).
    "response_hold": Covered(
        "response_hold",
        _RH,
        "id",
        _sorted(c.name for c in _RH.columns),
        ("id", "source", "external_id", "state", "response_status", "consultation_id"),
    ),
}


def plain(value: Any) -> Any:
    """A driver value as canonical JSON sees it (PostgreSQL gives times as objects; SQLite gives
    the text it stores, which is used as it is)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


# A migration runs before later migrations add their columns: it covers rows with the columns
# the database has at its revision (``as_migrated``). A NULL column is left out of a digest, so
# the digest is the same as the full one while the later column is still NULL.
_EXISTING: contextvars.ContextVar[dict[str, set[str]] | None] = contextvars.ContextVar(
    "coverage_existing", default=None
)


def _columns(spec: Covered) -> tuple[str, ...]:
    existing = _EXISTING.get()
    if existing is None:
        return spec.columns
    have = existing.get(spec.name, set())
    return tuple(c for c in spec.columns if c in have)


@contextmanager
def as_migrated(conn: Connection) -> Iterator[None]:
    """Within a migration: cover only the columns the database has now."""
    inspector = inspect(conn)
    existing = {
        name: {c["name"] for c in inspector.get_columns(name)}
        for name in TABLES
        if inspector.has_table(name)
    }
    token = _EXISTING.set(existing)
    try:
        yield
    finally:
        _EXISTING.reset(token)


# A digest is sha256 over each non-NULL covered value in column-name order, each written as its
# column name, a type letter and its length before its text (so no two states write the same
# bytes). JSON values (PostgreSQL hands them over parsed) are written as canonical JSON.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _piece(column: str, value: Any) -> str:
    if isinstance(value, str):
        tag, text = "s", value
    elif isinstance(value, bool):
        tag, text = "b", "1" if value else "0"
    elif isinstance(value, int):
        tag, text = "i", str(value)
    elif isinstance(value, float):
        tag, text = "f", repr(value)
    else:
        tag, text = "j", _CANONICAL.encode(value)
    return f"{column}\x1f{tag}{len(text)}\x1f{text}"


def row_digest(state: dict[str, Any]) -> str:
    """The digest an audit event records for a row's state (built in column-name order)."""
    text = "".join([_piece(c, v) for c, v in state.items()])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _state(columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    return {c: plain(v) for c, v in zip(columns, row, strict=True) if v is not None}


def _select(spec: Covered, columns: Sequence[str]) -> str:
    # identifiers come from the table definitions, never from data
    return "SELECT " + ", ".join(f'"{c}"' for c in columns) + f' FROM "{spec.name}"'


def _run(conn: Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    cur = bulk.driver(conn).cursor()
    try:
        cur.execute(sql, tuple(params))
        return list(cur.fetchall())
    finally:
        cur.close()


def read(conn: Connection, spec: Covered, column: str, values: Sequence[Any]) -> list[Any]:
    """Covered columns (driver values, in ``spec.columns`` order) of the rows whose ``column``
    is one of ``values``.

    Read through the driver, not SQLAlchemy's typed columns: the same bytes the verifier will
    read later, at a fifth of the cost on the ingest path. So a digest is per engine (SQLite
    digests its stored text), which is all a hub needs: it is verified on its own engine.
    """
    p = bulk.param(is_sqlite(conn))
    marks = ", ".join([p] * len(values))
    return _run(conn, f'{_select(spec, _columns(spec))} WHERE "{column}" IN ({marks})', values)


def row_state(spec: Covered, row: Sequence[Any]) -> dict[str, Any]:
    """The covered, non-NULL values of one row read by ``read`` or ``scan``."""
    return _state(_columns(spec), row)


def _chunks(keys: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for i in range(0, len(keys), size):
        yield keys[i : i + size]


def snapshot(
    conn: Connection, table: str, column: str, values: Iterable[Any]
) -> list[tuple[str, Any, dict[str, Any] | None]]:
    """(table, key, state) for the rows of ``table`` whose ``column`` is one of ``values``.

    A key asked for by the table's own key column that is no longer there is returned with state
    None: the event records that the row was deleted.
    """
    spec = TABLES[table]
    columns = _columns(spec)
    at = columns.index(spec.key)
    wanted = list(dict.fromkeys(values))
    found: list[tuple[str, Any, dict[str, Any] | None]] = []
    seen: set[Any] = set()
    for part in _chunks(wanted):
        for row in read(conn, spec, column, part):
            key = row[at]
            seen.add(key)
            found.append((table, key, _state(columns, row)))
    if column == spec.key:
        found += [(table, k, None) for k in wanted if k not in seen]
    return found


def scan(
    conn: Connection, spec: Covered, batch: int = 5000
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Every row of a covered table as (key, state), in key order, a batch at a time."""
    columns = _columns(spec)
    if spec.key not in columns:
        return  # within a migration: a table a later revision creates (as_migrated)
    if _EXISTING.get() is None:
        if not inspect(conn).has_table(spec.name):
            # a hub at an older revision (verified before upgrading) has no table a later
            # migration creates; rows its events covered are still reported missing
            return
        # nor the columns a later migration adds (NULL until then, so outside the digest):
        # never name them (PostgreSQL refuses an unknown column; SQLite reads "name" as text)
        have = {c["name"] for c in inspect(conn).get_columns(spec.name)}
        columns = tuple(c for c in columns if c in have)
    at = columns.index(spec.key)
    p = bulk.param(is_sqlite(conn))
    last: Any = None
    while True:
        where = f' WHERE "{spec.key}" > {p}' if last is not None else ""
        sql = f'{_select(spec, columns)}{where} ORDER BY "{spec.key}" LIMIT {int(batch)}'
        rows = _run(conn, sql, [last] if last is not None else [])
        if not rows:
            return
        for row in rows:
            yield row[at], _state(columns, row)
        last = rows[-1][at]
