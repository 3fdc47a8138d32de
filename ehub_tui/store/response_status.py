"""A QuestionnaireResponse's status at intake (issue 16): what each status does to the queue.

- ``completed``: stored as a new consultation (store/intake.py: duplicates, conflicting
  duplicates and patients' replies as before).
- ``in-progress``: not work. The key is held ``waiting`` (store/response_holds.py, no patient
  details); the completed version, when it comes, is stored as any new consultation.
- ``stopped``: not work (the patient abandoned the form): held ``stopped``, never queued.
- ``entered-in-error``: the supplier withdraws it. An unworked item (queued, or parked awaiting
  the patient) is cancelled with the reason WITHDRAWN_REASON, audited as a cancel. A worked one
  (claimed or completed) is never changed: it is flagged to the supervisor as a quarantine entry
  of kind ``withdrawn_worked`` (the board lists open ones). One the hub never had is held
  ``withdrawn``, so a late copy of it is never queued.
- ``amended``: replaces an unworked item's patient details, answers and text (audited, and the
  red-flag prescreen runs again on it, so a red flag the amendment adds is never missed; the
  priority is never lowered). A worked (claimed, completed or cancelled) item is never changed:
  the amendment is quarantined as a conflict (kind ``amended_conflict``) naming the item number.
  An amendment of an item the hub never had is stored as a new consultation.

Records are handled in the order delivered (a file may hold a response and then its
withdrawal), completed ones in runs through the bulk insert. Every function runs inside the
caller's write transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, text, update

from ehub_tui.domain import supplier_alerts as alerts
from ehub_tui.domain.awaiting import ParkState
from ehub_tui.domain.models import NewConsultation
from ehub_tui.domain.types import Status
from ehub_tui.store import audit, intake
from ehub_tui.store import response_holds as holds
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import Consultation, Quarantine
from ehub_tui.store.models_awaiting import AwaitingReply

C = Consultation.__table__  # type: ignore[attr-defined]
Q = Quarantine.__table__  # type: ignore[attr-defined]
A = AwaitingReply.__table__  # type: ignore[attr-defined]

WITHDRAWN_REASON = "withdrawn by the supplier: entered in error"
# quarantine.kind of a worked item withdrawn, and of an amendment of a worked item: the board
# lists them (store/supplier_alerts.py)
WITHDRAWN_WORKED, AMENDED_CONFLICT = alerts.WITHDRAWN_WORKED, alerts.AMENDED_CONFLICT

# what IntakeResult.handled says was done with an item (the ingest report counts each)
WAITING, STOPPED, WITHDRAWN, FLAGGED, UNKNOWN, AMENDED = (
    "waiting",
    "stopped",
    "withdrawn",
    "flagged",
    "withdrawn_unknown",
    "amended",
)
UNWORKED = (Status.QUEUED.value, Status.AWAITING.value)
DueBy = intake.DueBy
Stored = tuple[list[tuple[int, int]], list[int], list[tuple[int, str]]]


def store_items(
    conn: Connection,
    items: Sequence[NewConsultation],
    actor: str,
    now: datetime,
    due_by: DueBy,
) -> Stored:
    """Store a batch honouring each item's response status. Returns (item index, new id) of the
    new consultations, the indexes quarantined as conflicts (a conflicting duplicate, or an
    amendment of a worked item) and (item index, what was done) for the others handled here."""
    created: list[tuple[int, int]] = []
    conflicting: list[int] = []
    handled: list[tuple[int, str]] = []
    run: list[int] = []
    if not is_sqlite(conn):  # (SQLite runs one writer at a time)
        lock_keys(conn, items)
    check_holds = holds.any_open(conn)

    def flush() -> None:
        if run:
            made, clash, done = _completed(
                conn, [items[i] for i in run], actor, now, due_by, check_holds
            )
            created.extend((run[j], cid) for j, cid in made)
            conflicting.extend(run[j] for j in clash)
            handled.extend((run[j], word) for j, word in done)
            run.clear()

    for i, item in enumerate(items):
        if item.response_status == "completed":
            run.append(i)
            continue
        flush()  # what came before it in the batch is stored before it is looked up
        stored = _stored(conn, item)
        if item.response_status == "amended" and stored is None:
            run.append(i)  # an amendment of a response the hub never had: new work
            continue
        check_holds = True  # this item may hold its key: later ones of the batch look
        word = _one(conn, item, stored, actor, now, due_by)
        if word == "conflicting":
            conflicting.append(i)
        elif word is not None:
            handled.append((i, word))
    flush()
    return created, conflicting, handled


def key_lock(source: str, external_id: str) -> int:
    """The PostgreSQL advisory lock number of a supplier's response (64 bits of a hash)."""
    digest = hashlib.blake2b(f"{source}\x00{external_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_keys(conn: Connection, items: Sequence[NewConsultation]) -> None:
    """Hold each response's key until the transaction ends. Under READ COMMITTED two ingests of
    one response (say its withdrawal and its completed copy) would each miss the other's
    uncommitted row and hold: the item queued beside a withdrawal never applied. With the keys
    locked (in one order, so two batches never wait on each other in a ring) the second waits,
    then sees what the first did."""
    keys = sorted({key_lock(i.source, i.external_id) for i in items})
    if keys:
        conn.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(k)) FROM "
                "(SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS locked"
            ),
            {"keys": keys},
        )


def _completed(
    conn: Connection,
    items: list[NewConsultation],
    actor: str,
    now: datetime,
    due_by: DueBy,
    check_holds: bool,
) -> Stored:
    """A run of completed (or first-seen amended) items: a key withdrawn earlier is not stored;
    the others go through the bulk insert, and the holds of those stored are done."""
    held = holds.open_holds(conn, {(i.source, i.external_id) for i in items}) if check_holds else {}
    skip = {
        j
        for j, i in enumerate(items)
        if (k := held.get((i.source, i.external_id))) and k.state == holds.WITHDRAWN
    }
    keep = [j for j in range(len(items)) if j not in skip]
    made, clash = intake.insert_new(conn, [items[j] for j in keep], actor, now, due_by)
    created = [(keep[j], cid) for j, cid in made]
    done = [
        (held[key], items[j], cid)
        for j, cid in created
        if (key := (items[j].source, items[j].external_id)) in held
    ]
    holds.mark_done(conn, done, actor, now)
    return created, [keep[j] for j in clash], [(j, UNKNOWN) for j in sorted(skip)]


_ROW = (
    C.c.id,
    C.c.status,
    C.c.owner,
    C.c.epoch,
    C.c.priority,
    C.c.received_at,
    *(C.c[c] for c, _, _ in intake.COMPARED),
)


def _stored(conn: Connection, item: NewConsultation) -> Any:
    """The stored consultation of the item's key (locked on PostgreSQL: no claim slips in
    between reading its status and acting on it), or None."""
    q = select(*_ROW).where(C.c.source == item.source, C.c.external_id == item.external_id)
    if not is_sqlite(conn):
        q = q.with_for_update()  # SQLite writers are already serialised by BEGIN IMMEDIATE
    return conn.execute(q).first()


def _one(
    conn: Connection,
    item: NewConsultation,
    stored: Any,
    actor: str,
    now: datetime,
    due_by: DueBy,
) -> str | None:
    """Handle one item whose status is not completed; returns what was done (None: a plain
    duplicate, nothing written; "conflicting": quarantined as a conflict)."""
    status = item.response_status
    if status in ("in-progress", "stopped"):
        if stored is not None:
            return None  # the hub has the response: the stored one stands
        state = holds.WAITING if status == "in-progress" else holds.STOPPED
        before = holds.hold(conn, item, state, actor, now)
        if before in (holds.WITHDRAWN,):
            return UNKNOWN
        return WAITING if state == holds.WAITING else STOPPED
    if status == "entered-in-error":
        if stored is None:
            before = holds.hold(conn, item, holds.WITHDRAWN, actor, now)
            return None if before == holds.WITHDRAWN else UNKNOWN
        if stored.status in UNWORKED and _withdraw(conn, stored, item, actor, now):
            return WITHDRAWN
        if stored.status == Status.CANCELLED.value:
            return None  # closed already (withdrawn before, or cancelled by a supervisor)
        return FLAGGED if _flag(conn, stored, item, actor, now) else None
    # amended, of a stored item
    differ = intake.differences(stored, item.columns())
    if not differ:
        return None
    if stored.status in UNWORKED and _amend(conn, stored, item, differ, actor, now, due_by):
        return AMENDED
    if item.refuse_conflict:
        raise intake.ConflictingDuplicate(int(stored.id), differ)
    _conflict(conn, stored, item, differ, actor, now)
    return "conflicting"


def _withdraw(
    conn: Connection, stored: Any, item: NewConsultation, actor: str, now: datetime
) -> bool:
    """Cancel an unworked item the supplier withdrew (a compare-and-set on its status); an
    item parked awaiting the patient has its parking closed, so the sweep never brings a
    cancelled item back. Audited as a cancel (the history and workstations know that word)."""
    cid = int(stored.id)
    row = conn.execute(
        update(C)
        .where(C.c.id == cid, C.c.status.in_(UNWORKED))
        .values(
            status=Status.CANCELLED,
            owner=None,
            epoch=C.c.epoch + 1,
            lease_until=None,
            cancelled_at=now,
            updated_at=now,
        )
        .returning(C.c.epoch)
    ).first()
    if row is None:
        return False
    # the open parking ends here; "timed_out" is the closed state the awaiting code knows (no
    # reply will bring it back: the reply linker skips cancelled items)
    closed = [
        int(r.id)
        for r in conn.execute(
            update(A)
            .where(A.c.item_id == cid, A.c.state == ParkState.AWAITING.value)
            .values(state=ParkState.TIMED_OUT.value, returned_at=now)
            .returning(A.c.id)
        )
    ]
    body: dict[str, Any] = {
        "from": None,
        "epoch": int(row.epoch),
        "reason": WITHDRAWN_REASON,
        "response": [item.source, item.external_id],
    }
    rows = (("awaiting_reply", "id", closed),) if closed else ()
    audit.append(conn, [audit.Event(actor, "cancel", cid, body, rows=rows)], now)
    return True


def _entry(item: NewConsultation, cid: int, reason: str, kind: str) -> dict[str, Any]:
    origin = item.origin
    return {
        "source_file": (origin and origin.source_file) or "(stored directly)",
        "location": (origin and origin.location)
        or f"record {item.source} {item.external_id}"[:200],
        "reason": reason,
        "raw": (origin and origin.raw) or intake.row_json(item.columns()),
        "fmt": (origin and origin.fmt) or "row",
        "source": str(item.source)[:255],
        "external_id": str(item.external_id)[:255],
        "consultation_id": cid,
        "kind": kind,
    }


def _state_words(stored: Any) -> str:
    if stored.status == Status.CLAIMED.value:
        return f"claimed by {stored.owner}" if stored.owner else "claimed"
    return str(stored.status)


def _flag(conn: Connection, stored: Any, item: NewConsultation, actor: str, now: datetime) -> bool:
    """Flag a worked item the supplier withdrew, once: a quarantine entry for the supervisor
    (nothing about the item changes). False when it was flagged before."""
    cid = int(stored.id)
    seen = conn.execute(
        select(Q.c.id).where(Q.c.consultation_id == cid, Q.c.kind == WITHDRAWN_WORKED).limit(1)
    ).first()
    if seen is not None:
        return False
    reason = (
        f"withdrawn by the supplier (entered in error) after work began: consultation {cid} is "
        f"{_state_words(stored)}. Nothing was changed: check what was done with consultation "
        f"{cid} and whether the practice or the patient must be told, then discard this entry "
        "saying what was done"
    )
    qids = intake.quarantine(conn, [_entry(item, cid, reason, WITHDRAWN_WORKED)], actor, now)
    _on_item(conn, "withdrawal_flagged", cid, qids, "withdrew", item, actor, now)
    return True


def _conflict(
    conn: Connection,
    stored: Any,
    item: NewConsultation,
    differ: list[str],
    actor: str,
    now: datetime,
) -> None:
    """Quarantine an amendment of a worked item beside it (ids and field names, never values)."""
    cid = int(stored.id)
    fields = ", ".join(differ[:-1]) + (" and " if len(differ) > 1 else "") + differ[-1]
    reason = (
        f"amended by the supplier after work began: consultation {cid} is "
        f"{_state_words(stored)}, and the amendment changes its {fields}. It was not applied: "
        f"compare it with consultation {cid} and tell whoever must know"
    )
    qids = intake.quarantine(conn, [_entry(item, cid, reason, AMENDED_CONFLICT)], actor, now)
    _on_item(conn, "amendment_held", cid, qids, "amended", item, actor, now)


def _on_item(
    conn: Connection,
    action: str,
    cid: int,
    qids: list[int],
    did: str,
    item: NewConsultation,
    actor: str,
    now: datetime,
) -> None:
    """Say on the item's own history that the supplier changed it after work began (the item
    itself is not changed): whoever opens it sees the quarantine entry to look at."""
    if not qids:
        return  # the same entry is open already: said then
    body = {
        "quarantine_id": qids[0],
        "response": [item.source, item.external_id],
        "reason": f"the supplier {did} this response after work began; see quarantine {qids[0]}",
    }
    audit.append(conn, [audit.Event(actor, action, cid, body)], now)


# the columns an amendment replaces: the patient and the request (never the received time:
# the patient asked then, and the due time follows it), with how much of the date of birth the
# supplier gave (a 1970-09 amended to a whole date is no longer shown as ≈ nor sent as partial)
_AMENDED = tuple(c for c, _, _ in intake.COMPARED)


def _amend(
    conn: Connection,
    stored: Any,
    item: NewConsultation,
    differ: list[str],
    actor: str,
    now: datetime,
    due_by: DueBy,
) -> bool:
    """Replace an unworked item's details with the amendment's (a compare-and-set on its
    status), audited; screened again (screened_at cleared) so a red flag it adds is found. The
    priority is the higher of the stored and the amendment's own."""
    cid = int(stored.id)
    new = item.columns()
    values: dict[str, Any] = {c: new[c] for c in _AMENDED}
    # stored as intake stores it: NULL for a whole date (the audit digest of old rows unchanged)
    values["dob_precision"] = None if item.dob_precision == "day" else item.dob_precision
    values.update(screened_at=None, updated_at=now)
    priority = max(int(stored.priority), int(item.priority))
    if priority != int(stored.priority):
        values.update(priority=priority, due_by=due_by(stored.received_at, priority))
    row = conn.execute(
        update(C).where(C.c.id == cid, C.c.status.in_(UNWORKED)).values(**values).returning(C.c.id)
    ).first()
    if row is None:
        return False
    body = {
        "response": [item.source, item.external_id],
        "changed": differ,  # field names, never values
        "reason": "amended by the supplier: " + ", ".join(differ),
    }
    audit.append(conn, [audit.Event(actor, "supplier_amendment", cid, body)], now)
    return True
