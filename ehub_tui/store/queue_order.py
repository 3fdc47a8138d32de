"""Two exceptions to the queue's order of priority then age (trial 15b), in the list and in `n`:

- An item back from awaiting the patient (its return time came, or the patient replied) is FIRST
  within its priority until someone claims it: it has waited once already, so it is not put
  behind items of its priority that waited less (its received time alone would place it
  anywhere). Among such items, the one received first goes first.
- Claim-next never hands an item back to the navigator who just returned it (``r``, with a
  reason): others get it; the returner may still open it on purpose (⏎ on it in the list). "Just"
  means: released by them within ``RETURNED_FOR`` and claimed by nobody since. An item returned
  because the app closed is not skipped (that was not a choice about the item).

Neither needs a column: both are read from rows the hub already keeps (``awaiting_reply``'s
returns; the audit chain's release and claim events, through their indexes), and each set is a
handful of items, so the queue's ordering index still serves every window and claim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from ehub_tui.store.models import UTCDateTime

RETURNED_FOR = timedelta(hours=12)  # a navigator's shift: claim-next skips what they returned
FRONT_FOR = timedelta(days=14)  # a return older than this (never claimed since) loses its place

_DT = UTCDateTime()

_FRONT_SQL = (
    "SELECT c.id FROM awaiting_reply a JOIN consultation c ON c.id = a.item_id "
    "WHERE a.state IN ('replied', 'timed_out') AND a.return_at >= :since "
    "AND a.returned_at IS NOT NULL AND c.status = 'queued' "
    # parking moved the item's epoch on past the parker's claim and coming back moved it again:
    # any claim since would have moved it once more (the epoch, not a clock, says so)
    "AND c.epoch = a.epoch + 2"
)

# the releases by one user since a time that nobody claimed (nor released) after
_RETURNED_SQL = (
    "SELECT a.consultation_id, a.body FROM audit_event a "
    "WHERE a.action = 'release' AND a.at >= :since AND a.actor = :me "
    "AND a.consultation_id IS NOT NULL AND NOT EXISTS ("
    "SELECT 1 FROM audit_event b WHERE b.consultation_id = a.consultation_id "
    "AND b.seq > a.seq AND b.action IN ('claim', 'release'))"
)


def _stamp(conn: Connection, when: datetime) -> Any:
    naive = _DT.process_bind_param(when, None)
    if conn.dialect.name == "sqlite" and naive is not None:
        return naive.isoformat(sep=" ", timespec="microseconds")
    return naive


def front_ids(conn: Connection, now: datetime) -> list[int]:
    """Queued items back from awaiting the patient that nobody has claimed since (any order)."""
    rows = conn.execute(text(_FRONT_SQL), {"since": _stamp(conn, now - FRONT_FOR)}).all()
    return sorted({int(r[0]) for r in rows})


def returned_by(conn: Connection, me: str, now: datetime, except_reason: str = "") -> set[int]:
    """The items ``me`` released within RETURNED_FOR that nobody claimed since (a release whose
    reason is ``except_reason``, the app closing, is not counted)."""
    import json

    rows = conn.execute(
        text(_RETURNED_SQL), {"me": me, "since": _stamp(conn, now - RETURNED_FOR)}
    ).all()
    out: set[int] = set()
    for item_id, body in rows:
        found = json.loads(body) if isinstance(body, str) else (body or {})
        if except_reason and found.get("reason") == except_reason:
            continue
        out.add(int(item_id))
    return out


def merge_fronts(
    fronts: Sequence[Any],
    above: Callable[[int], int],
    fetch: Callable[[int, int], list[Any]],
    offset: int,
    limit: int,
) -> list[Any]:
    """One window of the queue with the ``fronts`` (rows with ``.priority``, in order: priority,
    then received) placed first within their priority.

    ``above(p)``: how many other rows (the list without the fronts) have a priority above p;
    ``fetch(offset, limit)``: a window of that list. The fronts are few, so each group's place
    is one count, and the window asks the ordered list for exactly the rows it shows."""
    placed: dict[int, Any] = {}
    before = 0  # fronts already placed ahead of the next group
    for p in sorted({int(r.priority) for r in fronts}, reverse=True):
        group = [r for r in fronts if int(r.priority) == p]
        start = above(p) + before
        for i, row in enumerate(group):
            placed[start + i] = row
        before += len(group)
    ahead = sum(1 for i in placed if i < offset)
    inside = sum(1 for i in placed if offset <= i < offset + limit)
    others = iter(fetch(offset - ahead, limit - inside) if limit > inside else [])
    out: list[Any] = []
    for i in range(offset, offset + limit):
        row = placed.get(i)
        if row is None:
            row = next(others, None)
        if row is not None:
            out.append(row)
    return out
