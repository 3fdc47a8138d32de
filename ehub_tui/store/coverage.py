"""What the audit chain covers: a digest of every audited row, written in the same transaction as
the change, so ``audit verify`` can replay the chain against the tables and name any row changed,
deleted or inserted behind the app's back.

Each covered table lists its key and the columns its digest covers. A column left out is one the
app changes without an audit event on purpose: a claim's lease end and the row's ``updated_at``
(moved by every heartbeat) and a user's ``last_seen_at``. A NULL column is left out of the digest,
so a nullable column added later does not change the digest of older rows.

The digest is sha256 over canonical JSON of the values as the database gives them back (read
through the typed tables), so SQLite and PostgreSQL give the same digest for the same row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Table, select

from ehub_tui.store.models import Consultation, HubUser, Outcome, Practice, SopVersion


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
    return model.__table__


_C = _table(Consultation)
_O = _table(Outcome)
_U = _table(HubUser)
_P = _table(Practice)
_S = _table(SopVersion)

TABLES: dict[str, Covered] = {
    "consultation": Covered(
        "consultation",
        _C,
        "id",
        tuple(c.name for c in _C.columns if c.name not in {"lease_until", "updated_at"}),
        # the queue state only: who holds it and where it stands (not the patient's details)
        ("status", "owner", "epoch", "priority", "practice_ods"),
    ),
    "outcome": Covered(
        "outcome",
        _O,
        "id",
        tuple(c.name for c in _O.columns),
        tuple(c.name for c in _O.columns if c.name not in {"message", "note", "detail"}),
    ),
    "hub_user": Covered(
        "hub_user",
        _U,
        "id",
        tuple(c.name for c in _U.columns if c.name != "last_seen_at"),
        ("username", "display_name", "role", "active"),
    ),
    "practice": Covered(
        "practice",
        _P,
        "ods_code",
        tuple(c.name for c in _P.columns),
        tuple(c.name for c in _P.columns),
    ),
    "sop_version": Covered(
        "sop_version",
        _S,
        "id",
        tuple(c.name for c in _S.columns),
        ("sop_id", "version", "sha256", "approved_by", "published_by"),
    ),
}


def plain(value: Any) -> Any:
    """A column value as canonical JSON sees it: times in UTC to the microsecond."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_state(spec: Covered, row: Any) -> dict[str, Any]:
    """The covered, non-NULL values of one row."""
    m = row._mapping
    return {c: plain(m[c]) for c in spec.columns if m[c] is not None}


def _chunks(keys: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for i in range(0, len(keys), size):
        yield keys[i : i + size]


def read(conn: Connection, spec: Covered, where: Any) -> list[Any]:
    """Covered columns of the rows matching ``where``."""
    cols = [spec.table.c[c] for c in spec.columns]
    return list(conn.execute(select(*cols).where(where)).all())


def snapshot(
    conn: Connection, table: str, column: str, values: Iterable[Any]
) -> list[tuple[str, Any, dict[str, Any] | None]]:
    """(table, key, state) for the rows of ``table`` whose ``column`` is one of ``values``.

    A key asked for by the table's own key column that is no longer there is returned with state
    None: the event records that the row was deleted.
    """
    spec = TABLES[table]
    wanted = list(dict.fromkeys(values))
    found: list[tuple[str, Any, dict[str, Any] | None]] = []
    seen: set[Any] = set()
    for part in _chunks(wanted):
        for row in read(conn, spec, spec.table.c[column].in_(part)):
            key = row._mapping[spec.key]
            seen.add(key)
            found.append((table, key, row_state(spec, row)))
    if column == spec.key:
        found += [(table, k, None) for k in wanted if k not in seen]
    return found


def scan(
    conn: Connection, spec: Covered, batch: int = 5000
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Every row of a covered table as (key, state), in key order, a batch at a time."""
    cols = [spec.table.c[c] for c in spec.columns]
    key_col = spec.table.c[spec.key]
    last: Any = None
    while True:
        q = select(*cols).order_by(key_col).limit(batch)
        if last is not None:
            q = q.where(key_col > last)
        rows = conn.execute(q).all()
        if not rows:
            return
        for row in rows:
            yield row._mapping[spec.key], row_state(spec, row)
        last = rows[-1]._mapping[spec.key]
