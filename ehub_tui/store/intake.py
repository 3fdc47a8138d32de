"""Storing ingested consultations and quarantined records (idempotent on source + external id)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ehub_tui.store import audit
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import Consultation, Practice, Quarantine

C = Consultation.__table__  # type: ignore[attr-defined]
P = Practice.__table__  # type: ignore[attr-defined]
Q = Quarantine.__table__  # type: ignore[attr-defined]


def insert_new(
    conn: Connection, rows: Sequence[dict[str, Any]], actor: str, now: datetime
) -> list[tuple[int, int]]:
    """Insert consultations that are not stored yet; returns (row index, new id) for each new one.

    A row whose (source, external_id) is already stored is skipped (the same OC delivered twice is
    stored once). Each new item gets an ``ingest`` audit event in the same transaction.
    """
    if not rows:
        return []
    ins = sqlite_insert(C) if is_sqlite(conn) else pg_insert(C)
    stmt = ins.on_conflict_do_nothing(index_elements=["source", "external_id"]).returning(
        C.c.id, C.c.source, C.c.external_id
    )
    result = conn.execute(stmt, list(rows))
    created = {(r.source, r.external_id): r.id for r in result}
    if not created:
        return []
    out: list[tuple[int, int]] = []
    events = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows):
        key = (row["source"], row["external_id"])
        new_id = created.get(key)
        if new_id is None or key in seen:
            continue
        seen.add(key)
        out.append((i, new_id))
        events.append(
            audit.Event(
                actor,
                "ingest",
                new_id,
                {"source": key[0], "external_id": key[1], "priority": row.get("priority", 0)},
            )
        )
    audit.append(conn, events, now)
    return out


def quarantine(
    conn: Connection, entries: Sequence[dict[str, Any]], actor: str, now: datetime
) -> list[int]:
    """Keep bad records with their file, location and reason; returns their ids."""
    if not entries:
        return []
    rows = [{**e, "created_at": now, "status": "open"} for e in entries]
    ids = [int(r.id) for r in conn.execute(insert(Q).returning(Q.c.id), rows)]
    audit.append(
        conn,
        [
            audit.Event(actor, "quarantine", None, {"quarantine_id": qid, "reason": e["reason"]})
            for qid, e in zip(ids, entries, strict=True)
        ],
        now,
    )
    return ids


def resolve_quarantine(
    conn: Connection, qid: int, status: str, consultation_id: int | None, actor: str, now: datetime
) -> None:
    """Mark a quarantined record released (stored after retry) or discarded."""
    conn.execute(
        update(Q)
        .where(Q.c.id == qid)
        .values(status=status, resolved_at=now, consultation_id=consultation_id)
    )
    audit.append(
        conn,
        [audit.Event(actor, f"quarantine_{status}", consultation_id, {"quarantine_id": qid})],
        now,
    )


def practice_codes(conn: Connection) -> set[str]:
    """ODS codes of the practices the hub knows (active or not)."""
    return {r[0] for r in conn.execute(select(P.c.ods_code))}


def upsert_practices(
    conn: Connection, practices: Sequence[dict[str, Any]], actor: str, now: datetime
) -> int:
    """Add or update practices; returns how many were written."""
    n = 0
    for p in practices:
        ins = sqlite_insert(P) if is_sqlite(conn) else pg_insert(P)
        values = {k: p[k] for k in ("ods_code", "name", "pcn_code", "pcn_name", "list_size")}
        values.setdefault("active", True)
        conn.execute(
            ins.values(**values).on_conflict_do_update(
                index_elements=["ods_code"],
                set_={k: v for k, v in values.items() if k != "ods_code"},
            )
        )
        n += 1
    if n:
        audit.append(
            conn,
            [
                audit.Event(
                    actor, "practices", None, {"ods_codes": [p["ods_code"] for p in practices]}
                )
            ],
            now,
        )
    return n
