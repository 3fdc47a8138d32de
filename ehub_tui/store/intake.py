"""Storing ingested consultations and quarantined records (idempotent on source + external id)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ehub_tui.domain.fields import OC_FIELDS
from ehub_tui.store import audit, bulk
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import Consultation, Practice, Quarantine

C = Consultation.__table__  # type: ignore[attr-defined]
P = Practice.__table__  # type: ignore[attr-defined]
Q = Quarantine.__table__  # type: ignore[attr-defined]


# The OC's own fields, then what the hub adds when it stores one.
CONSULTATION_COLUMNS = (
    *OC_FIELDS,
    "priority",
    "status",
    "epoch",
    "due_by",
    "ingested_at",
    "updated_at",
)


def insert_new(
    conn: Connection, rows: Sequence[dict[str, Any]], actor: str, now: datetime
) -> list[tuple[int, int]]:
    """Insert consultations that are not stored yet; returns (row index, new id) for each new one.

    A row whose (source, external_id) is already stored is skipped (the same OC delivered twice is
    stored once). The batch gets one ``ingest`` audit event, listing the new items, in the same
    transaction.
    """
    if not rows:
        return []
    sqlite = is_sqlite(conn)
    returned = bulk.insert_returning(
        conn,
        "consultation",
        CONSULTATION_COLUMNS,
        bulk.storage_rows(rows, CONSULTATION_COLUMNS, sqlite),
        conflict=("source", "external_id"),
        returning=("id", "source", "external_id"),
    )
    created = {(src, ext): int(cid) for cid, src, ext in returned}
    if not created:
        return []
    out: list[tuple[int, int]] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows):
        key = (row["source"], row["external_id"])
        new_id = created.get(key)
        if new_id is None or key in seen:
            continue
        seen.add(key)
        out.append((i, new_id))
    # One event for the batch, naming every new item and its supplier key (no patient data).
    audit.append(
        conn,
        [
            audit.Event(
                actor,
                "ingest",
                None,
                {
                    "count": len(out),
                    "items": [[cid, rows[i]["source"], rows[i]["external_id"]] for i, cid in out],
                },
            )
        ],
        now,
    )
    return out


def storable_text(value: str) -> str:
    """Text any engine can store: NUL and unpaired surrogates replaced by U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def quarantine(
    conn: Connection, entries: Sequence[dict[str, Any]], actor: str, now: datetime
) -> list[int]:
    """Keep bad records with their file, location and reason; returns their ids.

    The audit event names the quarantine entry, file and location only: reasons can quote
    values (an NHS number, a date of birth) and the audit chain can never be edited.
    """
    if not entries:
        return []
    rows = [
        {
            **{k: storable_text(v) if isinstance(v, str) else v for k, v in e.items()},
            "created_at": now,
            "status": "open",
        }
        for e in entries
    ]
    # The same bad record delivered again is not quarantined twice while still open.
    files = sorted({r["source_file"] for r in rows})
    already = {
        (r.source_file, r.location, r.raw)
        for r in conn.execute(
            select(Q.c.source_file, Q.c.location, Q.c.raw).where(
                Q.c.status == "open", Q.c.source_file.in_(files)
            )
        )
    }
    rows = [r for r in rows if (r["source_file"], r["location"], r["raw"]) not in already]
    if not rows:
        return []
    result = conn.execute(insert(Q).returning(Q.c.id, sort_by_parameter_order=True), rows)
    ids = [int(r.id) for r in result]
    audit.append(
        conn,
        [
            audit.Event(
                actor,
                "quarantine",
                None,
                {"quarantine_id": qid, "file": r["source_file"], "location": r["location"]},
            )
            for qid, r in zip(ids, rows, strict=True)
        ],
        now,
    )
    return ids


class AlreadyResolved(Exception):
    """The quarantined record was released or discarded already."""


RESOLUTIONS = ("released", "discarded")


def resolve_quarantine(
    conn: Connection, qid: int, status: str, consultation_id: int | None, actor: str, now: datetime
) -> None:
    """Mark an open quarantined record released (stored on retry) or discarded."""
    if status not in RESOLUTIONS:
        raise ValueError(f"a quarantined record is released or discarded, not {status!r}")
    row = conn.execute(
        update(Q)
        .where(Q.c.id == qid, Q.c.status == "open")
        .values(status=status, resolved_at=now, consultation_id=consultation_id)
        .returning(Q.c.id)
    ).first()
    if row is None:
        raise AlreadyResolved(qid)
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
