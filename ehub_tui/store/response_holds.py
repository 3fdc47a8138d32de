"""Held responses (table ``response_hold``, migration 0018): the supplier keys the hub saw but
did not queue as work, so a later version of the same response is handled as its history says.

- ``waiting``: in-progress (the patient has not finished the form). Not work. The completed
  version, when the supplier sends it, is ingested as any new consultation and the hold is
  ``done``.
- ``stopped``: the patient abandoned the form. Not work; a completed version after it (the
  patient did finish) is still ingested.
- ``withdrawn``: entered in error before the hub ever had it. A later (older, late-delivered)
  version of it is never queued.

Only the key, the file and place it was read from and the FHIR status are kept, never patient
details: a waiting response is not the hub's to keep, and retention need not purge it. Each
write is audited with the rows it wrote (store/coverage.py covers the table). Each function runs
inside the caller's write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ehub_tui.domain.models import NewConsultation
from ehub_tui.store import audit
from ehub_tui.store.models_status import ResponseHold

H = ResponseHold.__table__  # type: ignore[attr-defined]
TABLE = "response_hold"

WAITING = "waiting"
STOPPED = "stopped"
WITHDRAWN = "withdrawn"
DONE = "done"
OPEN_STATES = (WAITING, STOPPED, WITHDRAWN)


def any_open(conn: Connection) -> bool:
    """Is any response held (not done)? One index seek: with none, completed records need no
    look-up of their keys (the common case, kept as fast as before)."""
    return (
        conn.execute(select(H.c.id).where(H.c.state.in_(OPEN_STATES)).limit(1)).first() is not None
    )


def open_holds(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The open holds (waiting, stopped, withdrawn) of these (source, external id) keys."""
    by_source: dict[str, list[str]] = {}
    for src, ext in keys:
        by_source.setdefault(src, []).append(ext)
    found: dict[tuple[str, str], Any] = {}
    for src, exts in by_source.items():
        for start in range(0, len(exts), 500):
            q = select(H).where(
                H.c.source == src,
                H.c.external_id.in_(exts[start : start + 500]),
                H.c.state.in_(OPEN_STATES),
            )
            for r in conn.execute(q):
                found[(r.source, r.external_id)] = r
    return found


def hold_of(conn: Connection, source: str, external_id: str) -> Any:
    """The hold of one key, whatever its state (None when the key was never held)."""
    return conn.execute(
        select(H).where(H.c.source == source, H.c.external_id == external_id)
    ).first()


def hold(
    conn: Connection, item: NewConsultation, state: str, actor: str, now: datetime
) -> str | None:
    """Hold ``item``'s key in ``state`` (waiting, stopped or withdrawn), audited; returns the
    state it was in before (None: new), or the unchanged state when nothing was written.

    A withdrawn key stays withdrawn (the supplier said it never was); anything else takes the
    newest word.
    """
    old = hold_of(conn, item.source, item.external_id)
    origin = item.origin
    where = {
        "source_file": ((origin and origin.source_file) or "(stored directly)")[:1024],
        "location": ((origin and origin.location) or "(no location)")[:200],
    }
    if old is not None and (old.state == state or old.state in (WITHDRAWN, DONE)):
        return str(old.state)  # nothing new to say (a re-delivery)
    if old is None:
        hid = conn.execute(
            insert(H)
            .values(
                source=item.source,
                external_id=item.external_id,
                state=state,
                response_status=item.response_status,
                first_seen_at=now,
                updated_at=now,
                **where,
            )
            .returning(H.c.id)
        ).scalar_one()
    else:
        hid = old.id
        conn.execute(
            update(H)
            .where(H.c.id == hid)
            .values(state=state, response_status=item.response_status, updated_at=now, **where)
        )
    _audit(conn, actor, "response_held", int(hid), item, state, now)
    return None if old is None else str(old.state)


def mark_done(
    conn: Connection,
    done: Sequence[tuple[Any, NewConsultation, int]],
    actor: str,
    now: datetime,
) -> None:
    """The completed versions of held responses were stored: (hold row, item, consultation id)
    each; their holds are ``done``, in one audited event."""
    if not done:
        return
    for row, item, cid in done:
        conn.execute(
            update(H)
            .where(H.c.id == row.id)
            .values(
                state=DONE,
                response_status=item.response_status,
                consultation_id=cid,
                updated_at=now,
            )
        )
    audit.append(
        conn,
        [
            audit.Event(
                actor,
                "response_done",
                None,
                {"items": [[cid, item.source, item.external_id] for _, item, cid in done]},
                rows=((TABLE, "id", [int(row.id) for row, _, _ in done]),),
            )
        ],
        now,
    )


def _audit(
    conn: Connection,
    actor: str,
    action: str,
    hid: int,
    item: NewConsultation,
    state: str,
    now: datetime,
) -> None:
    # the supplier key and the state, as the ingest event names its items (no patient details)
    body = {
        "response": [item.source, item.external_id],
        "state": state,
        "status": item.response_status,
    }
    audit.append(conn, [audit.Event(actor, action, None, body, rows=((TABLE, "id", [hid]),))], now)
