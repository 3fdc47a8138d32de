"""Red-flag prescreen: the SOP red flags of every new consultation raise its queue priority, so
the queue shows red flags first even when the supplier flagged nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, select, update

from ehub_tui.domain.types import Priority
from ehub_tui.store import audit, awaiting, counters
from ehub_tui.store.models import Consultation

C = Consultation.__table__  # type: ignore[attr-defined]

FIELDS = (
    C.c.id,
    C.c.date_of_birth,
    C.c.sex,
    C.c.practice_ods,
    C.c.request_type,
    C.c.template,
    C.c.free_text,
    C.c.answers,
    C.c.supplier_flags,
    C.c.priority,
    C.c.received_at,
)


def unscreened(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """Open consultations not screened yet, oldest id first."""
    rows = conn.execute(
        select(*FIELDS)
        .where(C.c.screened_at.is_(None), C.c.status.in_(["queued", "claimed"]))
        .order_by(C.c.id)
        .limit(limit)
    ).all()
    items = [dict(r._mapping) for r in rows]
    # a patient's replies to a question the hub sent (awaiting patient) are read with the
    # request: "she is floppy now" in a reply is a red flag like any other
    found = awaiting.replies(conn, [i["id"] for i in items])
    for item in items:
        if item["id"] in found:
            item["free_text"] = awaiting.with_reply_text(item["free_text"], found[item["id"]])
    return items


def _raise(column: Any, want: Any, new: Any) -> Any:
    """``new`` where the batch raises this row's priority (``want`` above it), else as it is."""
    return case((and_(want.is_not(None), want > C.c.priority), new), else_=column)


_WANT = bindparam("b_want", type_=C.c.priority.type)
_NOW = bindparam("b_now", type_=C.c.screened_at.type)
# only rows still unscreened: a second screener never repeats the work; a priority is raised,
# never lowered, and with it the due time and updated_at (SET reads the row as it was)
_BULK = (
    update(C)
    .where(C.c.id == bindparam("b_id"), C.c.screened_at.is_(None))
    .values(
        screened_at=_NOW,
        sop_flags=bindparam("b_flags", type_=C.c.sop_flags.type),
        priority=_raise(C.c.priority, _WANT, _WANT),
        due_by=_raise(C.c.due_by, _WANT, bindparam("b_due", type_=C.c.due_by.type)),
        updated_at=_raise(C.c.updated_at, _WANT, _NOW),
    )
)


def record(
    conn: Connection,
    results: Sequence[tuple[dict[str, Any], list[dict[str, str]]]],
    actor: str,
    now: datetime,
    due_by: Callable[[datetime, int], datetime],
    sops: list[dict[str, str]],
) -> list[int]:
    """Store the flags found, raise priorities (never lower them) and audit the batch.

    Returns the ids whose priority was raised.
    """
    raised: list[list[Any]] = []
    params: list[dict[str, Any]] = []
    for item, flags in results:
        want = int(Priority.from_flags(f["level"] for f in flags))
        up = want > item["priority"]
        if up:
            raised.append([item["id"], want, [f["id"] for f in flags]])
        params.append(
            {
                "b_id": item["id"],
                "b_flags": flags,
                "b_want": want if up else None,
                "b_due": due_by(item["received_at"], want) if up else None,
            }
        )
    if params:
        # one statement for the batch, run with every item's values (executemany): a statement
        # per item cost ~0.2 ms each at a million items (issue 18)
        conn.execute(_BULK, [{"b_now": now, **p} for p in params])
    if results:
        audit.append(
            conn,
            [
                audit.Event(
                    actor,
                    "prescreen",
                    None,
                    {
                        "screened": [item["id"] for item, _ in results],
                        "raised": raised,
                        "sops": sops,
                    },
                    rows=(("consultation", "id", [item["id"] for item, _ in results]),),
                )
            ],
            now,
        )
    if raised:
        # issue 18: PostgreSQL's triggers left a delta pair per raised priority. The prescreen
        # is the last write of each ingest batch (and of `ingest`), so it folds them here, or an
        # ingest with no hub server's rescue rounds would leave them for every read to add up.
        # In this transaction (the caller's): a fold never waits (one folder at a time by a
        # try-lock, counter rows locked only by that folder), so holding the audit head
        # meanwhile cannot deadlock. It folds every pending change (the raises, and any the
        # intake's own fold left to a busy folder), in a savepoint: a failed fold never rolls
        # back the raises themselves (review 27).
        counters.fold_quietly(conn)
    return [r[0] for r in raised]
