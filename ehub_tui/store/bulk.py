"""Driver-level bulk writes for the hot paths (ingest, the audit chain).

SQLAlchemy's per-row type processing costs more than the write itself when tens of thousands of
rows go in at once, so these few statements hand the DB driver values already in storage form:
on SQLite the text forms SQLAlchemy itself stores (so ORM/Core reads see the same values), on
PostgreSQL naive UTC datetimes and JSON text cast to json. Everything else uses SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from ehub_tui.store.engine import is_sqlite

JSON_COLUMNS = frozenset({"answers", "supplier_flags", "body", "detail"})
_MAX_PARAMS = 30_000  # under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once: json.dumps
# with options builds a new encoder on every call


def to_json(value: Any) -> str:
    """The JSON text stored for a JSON column."""
    return _ENCODER.encode(value)


def storage_value(value: Any, sqlite: bool) -> Any:
    """One Python value in the form the driver should store."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds") if sqlite else value
    if isinstance(value, date):
        return value.isoformat() if sqlite else value
    if isinstance(value, dict | list | tuple):
        return to_json(value)
    return value


def driver(conn: Connection) -> Any:
    """The DB driver's own connection inside the caller's SQLAlchemy transaction.

    For the few statements on the claim and audit hot paths, where SQLAlchemy's per-statement
    overhead (tens of microseconds) is held inside the write lock by every writer.
    """
    return conn.connection.driver_connection


def param(sqlite: bool) -> str:
    """The driver's placeholder: ``?`` for sqlite3, ``%s`` for psycopg."""
    return "?" if sqlite else "%s"


def _placeholders(columns: Sequence[str], sqlite: bool) -> str:
    if sqlite:
        return "(" + ",".join("?" for _ in columns) + ")"
    return "(" + ",".join("%s::json" if c in JSON_COLUMNS else "%s" for c in columns) + ")"


def insert_many(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT rows (already in storage form) with the driver's executemany."""
    if not rows:
        return
    sqlite = is_sqlite(conn)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {_placeholders(columns, sqlite)}"
    cur = driver(conn).cursor()
    try:
        if len(rows) == 1:  # one row: a plain execute (executemany has set-up costs of its own)
            cur.execute(sql, tuple(rows[0]))
        else:
            cur.executemany(sql, list(rows))
    finally:
        cur.close()


def insert_returning(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    conflict: Sequence[str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Multi-row INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING …; rows already stored
    are skipped and not returned."""
    sqlite = is_sqlite(conn)
    one = _placeholders(columns, sqlite)
    per_chunk = max(1, _MAX_PARAMS // len(columns))
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), per_chunk):
        chunk = rows[start : start + per_chunk]
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ",".join([one] * len(chunk))
            + f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
            + f" RETURNING {', '.join(returning)}"
        )
        params = tuple(v for row in chunk for v in row)
        out.extend(tuple(r) for r in conn.exec_driver_sql(sql, params))
    return out


DATETIME_COLUMNS = frozenset(
    {
        "received_at",
        "due_by",
        "ingested_at",
        "updated_at",
        "lease_until",
        "claimed_at",
        "first_claimed_at",
        "cancelled_at",
        "completed_at",
        "created_at",
        "resolved_at",
        "at",
    }
)
DATE_COLUMNS = frozenset({"date_of_birth"})


def _json_or_none(value: Any) -> Any:
    if value is None:
        return None
    if not value:
        return "[]" if isinstance(value, list | tuple) else "{}"
    return to_json(value)


def _converter(column: str, sqlite: bool) -> Any:
    if column in JSON_COLUMNS:
        return _json_or_none
    if column in DATETIME_COLUMNS:
        last: list[Any] = [None, None]  # rows of one batch share ingested_at/updated_at

        def dt(value: Any) -> Any:
            if value is None:
                return None
            if value is not last[0]:
                last[0], last[1] = value, storage_value(value, sqlite)
            return last[1]

        return dt
    if column in DATE_COLUMNS and sqlite:
        return lambda value: None if value is None else value.isoformat()
    return None


def storage_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], sqlite: bool
) -> list[tuple[Any, ...]]:
    """Dict rows → tuples in storage form, in column order (one converter per column)."""
    convs = [(c, _converter(c, sqlite)) for c in columns]
    return [tuple(f(r.get(c)) if f else r.get(c) for c, f in convs) for r in rows]
