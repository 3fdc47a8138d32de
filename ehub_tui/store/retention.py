"""Retention: blank the patient-identifiable fields of closed items once they are old and their
returns are out, keeping every count, time, outcome and the audit chain.

**Which items.** Completed or cancelled items that closed more than ``retention_days`` ago, not
yet purged, every one of whose UK-local days — from the day it arrived to the day it closed, since
the daily return counts it on each (received, open at midnight, closed) — is covered by an
exported return: an ``export`` audit event with ``what`` = "export" (recorded when
``ehub-tui export`` reads the return from the hub to write it out, before the file is written; a
``--summary`` is recorded as "summary") for all practices or for the item's practice. Every
export of a return is already such an event, so "exported" needs no record of its own. It is
belt and braces: a purge keeps everything a return reads, so a return made after it gives the
same figures (even had that file never been written).

**What is blanked.** The patient's names, NHS number (``""``), date of birth (set to
``PURGED_DOB``: the column is NOT NULL and nothing counts by age; its precision with it), answers
and free text; the outcome's message, note and the parts of its detail that quote the patient
(answers, stated facts, flag evidence, the trace, cautions, flag reasons); a refused sync event's
payload and resolution; a pushed draft; a handover's note and draft; the question and reply of a
parking; a quarantined copy of the record (``raw``) linked to the item. Kept: ids, practice,
supplier and its key, request type, template, sex, priority, status, every time and wait, the
outcome's category, route, destination, codes, SOP and flags, who did what.

**Quarantine.** A record that was never stored (or stored on retry as another row) is kept whole
in ``quarantine.raw`` while the entry is open: a retry needs it. Once resolved (released or
discarded) more than ``retention_days`` ago its ``raw`` is blanked too, in the same run and the
same audit event, with no export needed (a never-stored record is in no return). Its other columns
hold no patient details: the reason names fields, never values (ingest/validate.py), the location
is a line, entry or supplier key, and the file is the supplier's. Open entries are kept. The
quarantine table is not covered by the audit digests (store/coverage.py), so the event counts
them only; ``response_hold`` holds no patient details (a supplier key, a file, states), so
nothing there is blanked.

**The audit.** Events carry no patient identifiers (store/audit.py: only queue state and
digests), so nothing in the chain is redacted. The purge appends one ``retention_purge`` event
naming how many items (never who) and covering every row it changed by its digest, exactly as
any audited write does, so ``audit verify`` replays to the blanked rows. The old digests stay in
earlier events: a sha256 over a whole row (times to the microsecond included) gives nothing back.

**The file.** On SQLite the purge runs with ``secure_delete`` on (the bytes of the old values are
zeroed, not left in free space), merges the word index (migration 0014: its triggers remove the
words; ``optimize`` drops the old segments) and checkpoints the WAL. On PostgreSQL the old row
versions remain in the table files until VACUUM reuses the space (docs/operations.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, text, update

from ehub_tui.domain.clock import LONDON
from ehub_tui.store import audit, coverage
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import Consultation, Quarantine

C = Consultation.__table__  # type: ignore[attr-defined]
Q = Quarantine.__table__  # type: ignore[attr-defined]
PURGED_DOB = date(1900, 1, 1)
CLOSED = ("completed", "cancelled")
RESOLVED = ("released", "discarded")  # a quarantine entry closed (store/intake.RESOLUTIONS)
ACTION = "retention_purge"
EXPORTED = "export"  # the `export` event's "what" of a return written out (cli/export.py)
BATCH = 2000  # items a run purges at most (one audit event, one short write transaction)

# the outcome detail's parts that never quote the patient (routes, SOP ids, rule ids)
_DETAIL_KEPT = ("suggested_route", "pathway_route", "pathway", "proposal", "sops", "matched_rules")

# Other audited tables whose rows hold what a navigator or patient wrote about the item: the
# item column, and each column's blank value (None: NULL).
_CHILDREN: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("sync_rejected", "item_id", {"payload": {}, "resolution": None}),
    ("sync_draft", "item_id", {"draft": {}}),
    ("handover", "item_id", {"note": "", "draft": None}),
    ("awaiting_reply", "item_id", {"question": "", "reply_text": None}),
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A closed item old enough to purge."""

    id: int
    practice_ods: str
    received_at: datetime
    closed_at: datetime


def _local_day(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    at: datetime = value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def candidates(conn: Connection, before: datetime, limit: int) -> list[Candidate]:
    """Closed, unpurged items that closed before ``before``, oldest first."""
    when = func.coalesce(C.c.completed_at, C.c.cancelled_at)
    rows = conn.execute(
        select(C.c.id, C.c.practice_ods, C.c.received_at, when.label("closed_at"))
        .where(C.c.status.in_(CLOSED), C.c.purged_at.is_(None), when.is_not(None), when < before)
        .order_by(when, C.c.id)
        .limit(limit)
    ).all()
    return [
        Candidate(int(r.id), str(r.practice_ods), _aware(r.received_at), _aware(r.closed_at))
        for r in rows
    ]


def exported_days(conn: Connection) -> tuple[set[date], dict[str, set[date]]]:
    """The UK-local days some export of a return covered: for all practices, and per practice."""
    every: set[date] = set()
    per: dict[str, set[date]] = {}
    E = audit.EVENT
    for (body,) in conn.execute(select(E.c.body).where(E.c.action == "export")):
        if isinstance(body, str):
            body = json.loads(body)
        if not isinstance(body, dict) or body.get("what", EXPORTED) != EXPORTED:
            continue  # a summary printed or a preview is not a return sent anywhere
        try:
            first = date.fromisoformat(str(body["from"]))
            last = date.fromisoformat(str(body["to"]))
        except (KeyError, ValueError):
            continue
        days = {first + timedelta(days=i) for i in range((last - first).days + 1)}
        practice = body.get("practice")
        if practice:
            per.setdefault(str(practice), set()).update(days)
        else:
            every.update(days)
    return every, per


def is_exported(item: Candidate, every: set[date], per: dict[str, set[date]]) -> bool:
    """Is every day the item figures in (arrival to close) covered by an exported return?"""
    mine = per.get(item.practice_ods, set())
    day, last = _local_day(item.received_at), _local_day(item.closed_at)
    while day <= last:
        if day not in every and day not in mine:
            return False
        day += timedelta(days=1)
    return True


def resolved_quarantine(conn: Connection, before: datetime, limit: int) -> list[int]:
    """Quarantine entries resolved (released or discarded) before ``before`` that still keep a
    copy of the record, oldest first. Open entries are never taken: a retry needs the record."""
    rows = conn.execute(
        select(Q.c.id)
        .where(
            Q.c.status.in_(RESOLVED),
            Q.c.resolved_at.is_not(None),
            Q.c.resolved_at < before,
            Q.c.raw != "",
        )
        .order_by(Q.c.resolved_at, Q.c.id)
        .limit(limit)
    ).all()
    return [int(r.id) for r in rows]


@dataclass(frozen=True, slots=True)
class Plan:
    """What a purge run would do: the items ready, those waiting for an export, the resolved
    quarantine entries whose copy of the record goes, and whether more old items or entries remain
    beyond this run's batch."""

    ready: list[int]
    waiting_for_export: int
    more: bool
    quarantine: list[int]


def plan(conn: Connection, before: datetime, limit: int = BATCH) -> Plan:
    """The items and quarantine entries a purge run takes now (read only)."""
    found = candidates(conn, before, limit + 1)
    entries = resolved_quarantine(conn, before, limit + 1)
    more = len(found) > limit or len(entries) > limit
    found = found[:limit]
    every, per = exported_days(conn)
    ready = [c.id for c in found if is_exported(c, every, per)]
    return Plan(ready, len(found) - len(ready), more, entries[:limit])


def _detail(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    if not isinstance(value, dict):
        return {}
    kept = {k: value[k] for k in _DETAIL_KEPT if k in value}
    flags = value.get("red_flags")
    if isinstance(flags, list):  # which flags and how they were handled; not the reasons
        kept["red_flags"] = [
            {k: f[k] for k in ("id", "level", "handled") if k in f}
            for f in flags
            if isinstance(f, dict)
        ]
    return kept


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def purge(
    conn: Connection,
    ids: Sequence[int],
    actor: str,
    now: datetime,
    days: int,
    quarantine: Sequence[int] = (),
) -> int:
    """Blank the items ``ids`` and the copies of the record kept by the resolved quarantine
    entries ``quarantine`` (inside the caller's write transaction) and append the one audit event
    covering every row changed. Returns how many items were purged."""
    if not ids and not quarantine:
        return 0
    sqlite = is_sqlite(conn)
    if sqlite:
        # zero the old values' bytes rather than leave them in the pages' free space
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    ids = list(ids)
    # how much of the date of birth was known (migration 0015) goes with it
    extra: dict[str, Any] = {"dob_precision": None} if "dob_precision" in C.c else {}
    for part in _chunks(ids):
        conn.execute(
            update(C)
            .where(C.c.id.in_(part))
            .values(
                given_name="",
                family_name="",
                nhs_number="",
                date_of_birth=PURGED_DOB,
                answers={},
                free_text="",
                purged_at=now,
                **extra,
            )
        )
        out = coverage.TABLES["outcome"].table
        rows = conn.execute(
            select(out.c.id, out.c.detail).where(out.c.consultation_id.in_(part))
        ).all()
        if rows:
            conn.execute(
                update(out)
                .where(out.c.id == bindparam("oid"))
                .values(message=None, note=None, detail=bindparam("d")),
                [{"oid": r.id, "d": _detail(r.detail)} for r in rows],
            )
        for child, key, blanks in _CHILDREN:
            t = coverage.TABLES[child].table
            values = {k: v for k, v in blanks.items() if k in t.c}
            conn.execute(update(t).where(t.c[key].in_(part)).values(**values))
        conn.execute(
            text("UPDATE quarantine SET raw = '' WHERE consultation_id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": list(part)},
        )
    for part in _chunks(list(quarantine)):
        # resolved long ago, of a record never stored (or stored again as another row): the
        # entry's reason, file and location stay (they quote no value), its copy of the record goes
        conn.execute(update(Q).where(Q.c.id.in_(part), Q.c.status.in_(RESOLVED)).values(raw=""))
    changed: list[tuple[str, str, list[int]]] = []
    if ids:
        changed += [("consultation", "id", ids), ("outcome", "consultation_id", ids)]
        changed += [(child, key, ids) for child, key, _ in _CHILDREN]
    covered: list[list[Any]] = []
    for name, column, keys in changed:
        for tname, k, state in coverage.snapshot(conn, name, column, keys):
            covered.append([tname, k, None if state is None else coverage.row_digest(state)])
    # the digests go in the body as any audited write's do (store/audit.covers), without the
    # rows' shown values: a count of items, never who they were
    # (quarantine is not an audited table: its entries are counted, no digest to keep)
    body = {
        "items": len(ids),
        "quarantine": len(quarantine),
        "retention_days": days,
        "covers": covered,
    }
    audit.append(conn, [audit.Event(actor, ACTION, None, body)], now)
    if sqlite and ids:
        # the word index: the update trigger removed the words; merge away the old segments
        conn.exec_driver_sql(
            "INSERT INTO consultation_words(consultation_words) VALUES ('optimize')"
        )
    if sqlite:
        conn.exec_driver_sql("PRAGMA secure_delete = OFF")  # (a pooled connection)
    return len(ids)


def after_purge(engine: Engine) -> None:
    """SQLite, after the purge's commit: write the WAL back into the file and empty it (it still
    holds the pages as they were before the purge). Best effort: a reader still open keeps
    some frames until the next checkpoint."""
    if not is_sqlite(engine):
        return
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        # straight to the driver, outside any transaction (the begin hook would open one)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
