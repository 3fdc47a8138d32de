"""Storing ingested consultations and quarantined records (idempotent on source + external id).

The same (source, external id) delivered again with the same content is a duplicate and is not
stored twice. Delivered again with a different patient or request it is a *conflicting
duplicate*: it is quarantined beside the stored consultation (its id and which fields differ in
the reason, the new record's own text as the raw text), never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ehub_tui.domain.fields import OC_FIELDS
from ehub_tui.domain.models import NewConsultation
from ehub_tui.domain.types import Status
from ehub_tui.errors import AlreadyResolved as AlreadyResolved  # (leaf errors; re-exported)
from ehub_tui.store import audit, awaiting, bulk
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import Consultation, Practice, Quarantine

C = Consultation.__table__  # type: ignore[attr-defined]
P = Practice.__table__  # type: ignore[attr-defined]
Q = Quarantine.__table__  # type: ignore[attr-defined]


class ConflictingDuplicate(Exception):
    """A consultation with the row's (source, external id) is stored with different content."""

    def __init__(self, consultation_id: int, differences: Sequence[str]) -> None:
        super().__init__(conflict_reason(consultation_id, differences))
        self.consultation_id = consultation_id
        self.differences = list(differences)


# The OC's own fields, then what the hub adds when it stores one.
CONSULTATION_COLUMNS = (
    *OC_FIELDS,
    "priority",
    "dob_precision",  # issue 16 (0015): NULL for a full date, else "month" or "year"
    "status",
    "epoch",
    "due_by",
    "ingested_at",
    "updated_at",
)


DueBy = Callable[[datetime, int], datetime]


def consultation_row(item: NewConsultation, now: datetime, due_by: DueBy) -> dict[str, Any]:
    """The columns of a new consultation as the hub stores it: queued, due by the response
    standard, ingested now."""
    row = item.columns()
    # a supplier clock or time zone ahead of ours: never received later than it arrived here
    # (so never due later than it should be, nor counted before it came)
    if row["received_at"] > now:
        row["received_at"] = now
    row["status"] = Status.QUEUED.value
    row["dob_precision"] = None if item.dob_precision == "day" else item.dob_precision
    row["epoch"] = 0
    row["ingested_at"] = now
    row["updated_at"] = now
    row["due_by"] = due_by(row["received_at"], item.priority)
    return row


def insert_new(
    conn: Connection,
    items: Sequence[NewConsultation],
    actor: str,
    now: datetime,
    due_by: DueBy,
) -> tuple[list[tuple[int, int]], list[int]]:
    """Insert consultations that are not stored yet. Returns (item index, new id) for each new
    one, and the indexes of the items quarantined as conflicting duplicates.

    An item whose (source, external_id) is already stored is skipped (the same OC delivered twice
    is stored once; delivered with a different patient or request it is quarantined, or refused
    with ConflictingDuplicate when the item says ``refuse_conflict``). The batch gets one
    ``ingest`` audit event, listing the new items, in the same transaction.
    """
    if not items:
        return [], []
    # issue 15: a patient's reply to a parked item brings that item back (store/awaiting.py)
    # and is not stored as a new consultation; the others keep their indexes in what we return
    replies = awaiting.link_replies(conn, items, actor, now)
    if replies:
        keep = [i for i in range(len(items)) if i not in replies]
        made, clash = insert_new(conn, [items[i] for i in keep], actor, now, due_by)
        return [(keep[j], cid) for j, cid in made], [keep[j] for j in clash]
    rows = [consultation_row(item, now, due_by) for item in items]
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
    out: list[tuple[int, int]] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows):
        key = (row["source"], row["external_id"])
        new_id = created.get(key)
        if new_id is None or key in seen:
            continue
        seen.add(key)
        out.append((i, new_id))
    conflicting: list[int] = []
    if len(out) < len(rows):  # duplicates: the same content, or a conflict to quarantine
        conflicting = _quarantine_conflicts(conn, items, rows, {i for i, _ in out}, actor, now)
    if not out:
        return [], conflicting
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
                rows=(("consultation", "id", [cid for _, cid in out]),),
            )
        ],
        now,
    )
    return out, conflicting


# What makes two deliveries of one (source, external id) the same consultation: the patient and
# the request. Compared after the normalisation validation already does, plus whitespace runs
# (and letter case in names), so a re-send that only re-wraps text is a plain duplicate. The
# received time is not compared: a supplier may stamp a re-send anew, and the stored time stands.
def _text_key(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _name_key(value: Any) -> str:
    return _text_key(value).casefold()


def _date_key(value: Any) -> str:
    return str(value)[:10] if value is not None else ""


def _answers_key(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).strip(): _answers_key(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_answers_key(v) for v in value]
    if isinstance(value, str):
        return _text_key(value)
    return value


def _flags_key(value: Any) -> frozenset[str]:
    return frozenset(str(f).strip().lower() for f in value or () if str(f).strip())


COMPARED: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("nhs_number", "NHS number", _text_key),
    ("given_name", "given name", _name_key),
    ("family_name", "family name", _name_key),
    ("date_of_birth", "date of birth", _date_key),
    ("sex", "sex", _text_key),
    ("practice_ods", "practice", lambda v: _text_key(v).upper()),
    ("request_type", "request type", _text_key),
    ("template", "template", _text_key),
    ("answers", "answers", _answers_key),
    ("free_text", "free text", _text_key),
    ("supplier_flags", "supplier flags", _flags_key),
)


def differences(stored: Any, row: dict[str, Any]) -> list[str]:
    """The fields (as words, e.g. "NHS number") in which ``row`` differs from ``stored``."""
    return [
        label
        for column, label, key in COMPARED
        if key(getattr(stored, column)) != key(row.get(column))
    ]


def conflict_reason(consultation_id: int, differences: Sequence[str]) -> str:
    """The quarantine reason for a conflicting duplicate: ids and field names, never values."""
    fields = ", ".join(differences[:-1]) + (" and " if len(differences) > 1 else "")
    fields += differences[-1] if differences else "content"
    return (
        f"conflicting duplicate: consultation {consultation_id} was stored from the same "
        f"supplier and id, but with a different {fields}. This record is kept here, not stored; "
        f"compare it with consultation {consultation_id}"
    )


def _stored(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The stored consultations with these (source, external id) keys, by key."""
    by_source: dict[str, list[str]] = {}
    for src, ext in keys:
        by_source.setdefault(src, []).append(ext)
    cols = [C.c.id, C.c.source, C.c.external_id, *(C.c[c] for c, _, _ in COMPARED)]
    found: dict[tuple[str, str], Any] = {}
    for src, exts in by_source.items():
        for start in range(0, len(exts), 500):
            chunk = exts[start : start + 500]
            q = select(*cols).where(C.c.source == src, C.c.external_id.in_(chunk))
            for r in conn.execute(q):
                found[(r.source, r.external_id)] = r
    return found


def _quarantine_conflicts(
    conn: Connection,
    items: Sequence[NewConsultation],
    rows: Sequence[dict[str, Any]],
    new: set[int],
    actor: str,
    now: datetime,
) -> list[int]:
    """Quarantine the items not stored (``new`` are the stored ones' indexes) whose stored
    namesake differs in patient or request; returns their indexes."""
    dups = [i for i in range(len(rows)) if i not in new]
    stored = _stored(conn, {(rows[i]["source"], rows[i]["external_id"]) for i in dups})
    entries: list[dict[str, Any]] = []
    conflicting: list[int] = []
    for i in dups:
        row = rows[i]
        old = stored.get((row["source"], row["external_id"]))
        if old is None:  # pragma: no cover - a skipped row's key is always stored
            continue
        differ = differences(old, row)
        if not differ:
            continue  # a plain duplicate
        cid = int(old.id)
        if items[i].refuse_conflict:
            raise ConflictingDuplicate(cid, differ)
        conflicting.append(i)
        origin = items[i].origin
        entries.append(
            {
                "source_file": (origin and origin.source_file) or "(stored directly)",
                "location": (origin and origin.location)
                or f"record {row['source']} {row['external_id']}"[:200],
                "reason": conflict_reason(cid, differ),
                "raw": (origin and origin.raw) or row_json(row),
                "fmt": (origin and origin.fmt) or "row",
                "source": str(row["source"])[:255],
                "external_id": str(row["external_id"])[:255],
                "consultation_id": cid,
            }
        )
    quarantine(conn, entries, actor, now)
    return conflicting


def row_json(row: dict[str, Any]) -> str:
    """A consultation's columns as the JSON text a quarantine entry keeps (fmt "row")."""
    return json.dumps(row, default=str, ensure_ascii=False)


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

    An entry may name a ``consultation_id``: the stored consultation a conflicting duplicate
    conflicts with. The audit event names the quarantine entry, file and location only (and the
    consultation a conflict is with): reasons are free text and the audit chain can never be
    edited.
    """
    if not entries:
        return []
    rows = [
        {
            **{k: storable_text(v) if isinstance(v, str) else v for k, v in e.items()},
            "consultation_id": e.get("consultation_id"),
            "created_at": now,
            "status": "open",
        }
        for e in entries
    ]
    # The same bad record delivered again is not quarantined twice while still open.
    files = sorted({str(r["source_file"]) for r in rows})
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
                {"quarantine_id": qid, "file": r["source_file"], "location": r["location"]}
                | ({"conflicts_with": r["consultation_id"]} if r["consultation_id"] else {}),
            )
            for qid, r in zip(ids, rows, strict=True)
        ],
        now,
    )
    return ids


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
                    actor,
                    "practices",
                    None,
                    {"ods_codes": [p["ods_code"] for p in practices]},
                    rows=(("practice", "ods_code", [p["ods_code"] for p in practices]),),
                )
            ],
            now,
        )
    return n
