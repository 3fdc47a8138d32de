"""Published SOP versions (table ``sop_version``, migration 0005).

A row is never updated or deleted: publishing adds one, in the same transaction as its audit
event. The service decides what may be published; this module only reads and writes rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, text

from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import SopVersion

SV = SopVersion.__table__  # type: ignore[attr-defined]


def stamp(conn: Connection) -> tuple[int, int]:
    """(highest row id, number of rows): changes whenever a version is published."""
    row = conn.execute(select(func.coalesce(func.max(SV.c.id), 0), func.count())).one()
    return int(row[0]), int(row[1])


def all_versions(conn: Connection) -> list[dict[str, Any]]:
    """Every published version, in publishing order."""
    return [dict(r._mapping) for r in conn.execute(select(SV).order_by(SV.c.id))]


def versions_of(conn: Connection, sop_id: str) -> list[dict[str, Any]]:
    """The published versions of one SOP, in publishing order."""
    rows = conn.execute(select(SV).where(SV.c.sop_id == sop_id).order_by(SV.c.id))
    return [dict(r._mapping) for r in rows]


def lock(conn: Connection) -> None:
    """Serialise publishers: SQLite's BEGIN IMMEDIATE already does; PostgreSQL locks the audit
    head row (which every audited write locks anyway) before reading what is published."""
    if not is_sqlite(conn):
        conn.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))


def insert(
    conn: Connection,
    *,
    sop_id: str,
    version: str,
    sha256: str,
    file_name: str,
    sop_text: str,
    tests_text: str | None,
    approved_by: str,
    submitted_by: str | None,
    published_by: str,
    published_at: datetime,
) -> int:
    """Add one published version; returns its row id."""
    row = conn.execute(
        SV.insert()
        .values(
            sop_id=sop_id,
            version=version,
            sha256=sha256,
            file_name=file_name,
            sop_text=sop_text,
            tests_text=tests_text,
            approved_by=approved_by,
            submitted_by=submitted_by,
            published_by=published_by,
            published_at=published_at,
        )
        .returning(SV.c.id)
    ).one()
    return int(row[0])
