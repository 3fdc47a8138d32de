"""Keeping the queue window's place by key across a change of the hub (issue 18 part 4).

The keys the window remembered (store/keyset.py) belong to one state of the hub; each change
moves the audit head and used to drop them, so a refresh while scrolled deep (the change poll
refetches the rows on screen) was read with OFFSET: its cost grew with the depth. Most changes
are a few items moving in or out of the queue without changing their sort columns (a claim,
a release, a lease running out, a completion, a parking), and the audit chain says which: the
events between the two heads. So, for those, the remembered keys are moved to the new state
(store/keyset.carried): each row's new place is its old one plus the changed items now before
it minus those before it then, exact, and the refresh seeks from the top row's key.

Anything else between the two heads (an ingest, a prescreen, a change of priority, a gap in the
chain, a head that is not the one seen before: a restored backup) or a size that does not add up
gives None: the caller starts afresh, as before.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text

from ehub_tui.domain import event_words
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.store import keyset
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.views import _bind, _order, _where

CARRY_EVENTS = 64  # more changes than this between two reads: start afresh
# what each action leaves the item's status as it was before (its sort columns unchanged)
_BEFORE = {
    "claim": "queued",
    "release": "claimed",
    "force_release": "claimed",
    "lease_expired": "claimed",
    "complete": "claimed",
    "park": "claimed",
}
_QUEUED = "c.status = 'queued'"


def carry(
    conn: Connection,
    f: QueueFilter,
    me: str,
    since: datetime,
    old: tuple[int, str, int, keyset.Marks],
    head: tuple[int, str],
    total: int,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> keyset.Marks | None:
    """The queue's marks ``old`` = (head seq, head hash, size, marks) moved to this state of
    the hub (``head``, ``total``), read in the caller's snapshot; None when they cannot be."""
    seq0, hash0, total0, marks = old
    if f.search or not 0 < seq0 < head[0] or head[0] - seq0 > CARRY_EVENTS:
        return None
    same = conn.execute(text("SELECT hash FROM audit_event WHERE seq = :s"), {"s": seq0})
    if same.scalar_one_or_none() != hash0:  # not the chain seen before (a restore)
        return None
    events = conn.execute(
        text(
            "SELECT action, consultation_id FROM audit_event WHERE seq > :a AND seq <= :b "
            "ORDER BY seq"
        ),
        {"a": seq0, "b": head[0]},
    ).all()
    if len(events) != head[0] - seq0:
        return None
    prior: dict[int, str] = {}
    for action, item in events:
        if action in event_words.ACCESS_ACTIONS:
            continue
        if action not in _BEFORE or item is None:
            return None
        prior.setdefault(int(item), _BEFORE[action])
    order = _order("queue", f)
    was: list[keyset.Key] = []
    is_: list[keyset.Key] = []
    fronts = set(marks.fronts or ())
    for item, status, key in _changed(conn, f, me, since, sorted(prior), order, today, now):
        if item in fronts:
            continue
        if prior[item] == "queued":
            was.append(key)
        if status == "queued":
            is_.append(key)
    if total - total0 != len(is_) - len(was) or any(v is None for k in was + is_ for v in k):
        return None  # something moved that the events do not say: start afresh
    return keyset.carried(marks, order, was, is_)


def _changed(
    conn: Connection,
    f: QueueFilter,
    me: str,
    since: datetime,
    ids: list[int],
    order: keyset.Order,
    today: date | None,
    now: datetime | None,
) -> list[tuple[int, str, keyset.Key]]:
    """The given items the queue's filters (all but the status) let through: id, status now
    and sort key (read raw, as the marks were)."""
    if not ids:
        return []
    sqlite = is_sqlite(conn)
    params: dict[str, Any] = {"me": me, "since": since, "ids": ids}
    where = _where("queue", f, params, sqlite, today, now)
    if not where.startswith(_QUEUED):
        raise ValueError("the queue's filter no longer starts with its status")
    rest = where[len(_QUEUED) :].removeprefix(" AND ") or "1 = 1"
    sql = (
        f"SELECT c.id, c.status{keyset.key_columns(order)} FROM consultation c "
        f"WHERE ({rest}) AND c.id IN :ids"
    )
    rows = conn.execute(
        text(sql).bindparams(bindparam("ids", expanding=True)), _bind(params, sqlite)
    )
    return [(int(r.id), str(r.status), keyset.key_of(r, order)) for r in rows]
