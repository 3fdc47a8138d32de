"""Read-only views of the queue for the apps: windowed pages and counts, fast at 100,000 items.

The values (QueueFilter, QueueRow, VIEWS) are domain.queue's; importable from here too. The search
and the view filters of issue 15 are built by store/search.py; a searched window's rows say what
they matched (``QueueRow.matched``). Done today's rows carry the outcome's destination in words.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text

from ehub_tui.domain import search as S
from ehub_tui.domain.queue import VIEWS, QueueFilter, QueueRow
from ehub_tui.store import keyset, queue_order, view_counts
from ehub_tui.store import search as store_search
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import UTCDateTime
from ehub_tui.store.view_states import as_dt, state_words

__all__ = [
    "VIEWS",
    "Marks",
    "QueueFilter",
    "QueueRow",
    "count_rows",
    "list_rows",
    "state_words",
]

Marks = keyset.Marks

_DT = UTCDateTime()


_COLUMNS = (
    "c.id, c.priority, c.status, c.owner, c.received_at, c.due_by, c.practice_ods, "
    "c.request_type, c.template, c.given_name, c.family_name, c.date_of_birth, c.sex, "
    "substr(c.free_text, 1, 120) AS free_text, c.supplier_flags, c.completed_at, c.sop_flags, "
    "c.screened_at, c.claimed_at, c.dob_precision"
)


def _where(
    view: str,
    f: QueueFilter,
    params: dict[str, Any],
    sqlite: bool,
    today: date | None = None,
    now: datetime | None = None,
    practices: dict[str, str] | None = None,
) -> str:
    parts: list[str] = []
    found = S.parse(f.search)
    if view == "queue" and found is not None and found.identifier:
        # an item or NHS number finds the item whatever its state (held, parked, done,
        # cancelled): each is one indexed look-up, and the row says its state
        pass
    elif view == "queue":
        parts.append("c.status = 'queued'")  # a literal: the partial index applies
    elif view == "mine":
        parts.append("c.status = 'claimed' AND c.owner = :me")
    elif view == "held":  # the queue's items in someone else's hands (see held_rows)
        parts.append("c.status = 'claimed' AND c.owner <> :me")
    else:
        parts.append("c.status = 'completed' AND o.navigator = :me AND o.completed_at >= :since")
    # practices and types (single and multi-select), age bands, waited over N hours
    parts.extend(store_search.filter_clauses(f, params, today, now))
    if f.min_priority:
        parts.append("c.priority >= :minp")
        params["minp"] = f.min_priority
    if f.due_before is not None:
        # "due soon" (d) includes every emergency (domain.flags: priority 2, or an emergency red
        # flag the SOPs found): its due time follows core hours, so a Saturday's would be days
        # away, yet it is to be dealt with now
        parts.append(
            "(c.due_by <= :due_before OR c.priority >= 2"
            " OR CAST(c.sop_flags AS TEXT) LIKE :emergency_flag)"
        )
        params["due_before"] = f.due_before
        # (the stored JSON's spacing differs by writer; a flag's id is never the bare word)
        params["emergency_flag"] = '%"emergency"%'
    if found is not None:
        parts.append(store_search.search_clause(found, params, sqlite, practices))
    return " AND ".join(parts)


def _from(view: str, sqlite: bool, f: QueueFilter, *, counting: bool = False) -> str:
    if view == "done":
        return "consultation c JOIN outcome o ON o.consultation_id = c.id"
    found = S.parse(f.search)
    if counting and f.age_bands and view == "queue" and found is None:
        # an age band's size is a range of the birth-date index (migration 0021): SQLite's
        # planner, without statistics, would take the status index and read every queued row.
        # Not with a search: an item or NHS number looks in every state, outside this partial
        # index, and SQLite refuses a forced index it cannot use ("no query solution")
        return "consultation c INDEXED BY ix_consultation_queue_dob" if sqlite else "consultation c"
    if (
        view == "queue"
        and sqlite
        and f.sort in _SORT_INDEX
        and (found is None or found.kind == S.TEXT)
    ):
        # SQLite's planner may otherwise sort every queued row for each page (an item or NHS
        # number is looked up by its own index instead; another order by its status index);
        # one request type in the queue's order has an index of its own (migration 0021)
        one_type = len(f.all_types()) == 1 and not f.all_practices() and found is None
        index = _TYPE_INDEX if f.sort == S.DEFAULT_SORT and one_type else _SORT_INDEX[f.sort]
        return f"consultation c INDEXED BY {index}"
    return "consultation c"


# the partial indexes whose columns are a queue order exactly (migrations 0001 and 0020), and
# one type's queue in the default order (0021: request_type, then that order)
_SORT_INDEX = {S.DEFAULT_SORT: "ix_consultation_queue", "due": "ix_consultation_queue_due"}
_TYPE_INDEX = "ix_consultation_queue_type"


_PRIORITY: keyset.Order = (("c.priority", True), ("c.received_at", False), ("c.id", False))
_ORDER: dict[str, keyset.Order] = {
    "queue": _PRIORITY,
    "mine": (("c.claimed_at", False), ("c.id", False)),
    "done": (("o.completed_at", True), ("c.id", True)),
}
# the order a navigator chose (queue and mine; done today stays newest first); the id last, so
# every row has one place and a page can be read by seeking from its neighbour's key
_SORTED: dict[str, keyset.Order] = {
    "priority": _PRIORITY,
    "due": (("c.due_by", False), ("c.priority", True), ("c.id", False)),
    "received": (("c.received_at", False), ("c.id", False)),
}


def _order(view: str, f: QueueFilter) -> keyset.Order:
    if view == "done" or (f.sort == S.DEFAULT_SORT and view == "mine"):
        return _ORDER[view]
    return _SORTED.get(f.sort, _ORDER[view])


def _bind(params: dict[str, Any], sqlite: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, date) and not isinstance(v, datetime):
            out[k] = v.isoformat() if sqlite else v
        elif isinstance(v, datetime):
            naive = _DT.process_bind_param(v, None)
            out[k] = (
                naive.isoformat(sep=" ", timespec="microseconds") if sqlite and naive else naive
            )
        else:
            out[k] = v
    return out


def count_rows(
    conn: Connection,
    view: str,
    me: str,
    f: QueueFilter,
    since: datetime,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> int:
    """How many rows a view holds. ``today`` and ``now`` (the hub's) place the age bands and
    the waiting time; without them those filters are not applied."""
    sqlite = is_sqlite(conn)
    kept = view_counts.from_counters(conn, view, f)
    if kept is None:  # due soon, or waited over N hours: what they leave out is bounded
        kept = view_counts.by_complement(conn, view, f, now, lambda p: _bind(p, sqlite))
    if kept is not None:
        return kept
    found = S.parse(f.search)
    practices = store_search.text_practices(conn, found, sqlite)
    if practices is not None and found is not None and view == "queue":
        # a plain search of the whole queue: counted from the word index when that is cheaper
        # than reading every queued row (store/search.py queued_count)
        plain = not dataclasses.replace(f, search=None).active
        counted = store_search.queued_count(conn, found, practices) if plain else None
        if counted is not None:
            return counted
    params: dict[str, Any] = {"me": me, "since": since}
    where = _where(view, f, params, sqlite, today, now, practices)
    sql = f"SELECT count(*) FROM {_from(view, sqlite, f, counting=True)} WHERE {where}"
    return int(conn.execute(text(sql), _bind(params, sqlite)).scalar_one())


def list_rows(
    conn: Connection,
    view: str,
    me: str,
    f: QueueFilter,
    since: datetime,
    offset: int,
    limit: int,
    *,
    today: date | None = None,
    now: datetime | None = None,
    total: int | None = None,
    marks: keyset.Marks | None = None,
) -> list[QueueRow]:
    """One window of a view, in its order (see ``count_rows`` for ``today`` and ``now``).

    With ``total`` (the view's ``count_rows`` in this state of the hub) and ``marks`` (kept by
    the caller for that same state), a window is read by keyset (store/keyset.py): its cost does
    not grow with its position. A searched view is read with OFFSET (its result is small)."""
    sqlite = is_sqlite(conn)
    params: dict[str, Any] = {"me": me, "since": since, "lim": limit, "off": offset}
    # Done today: where it went in words (the route id only when no destination was recorded)
    route = (
        ", coalesce(nullif(o.destination, ''), o.route) AS route"
        if view == "done"
        else ", NULL AS route"
    )
    found = S.parse(f.search)
    full = ", c.free_text AS full_text" if found is not None and found.kind == S.TEXT else ""
    practices = store_search.text_practices(conn, found, sqlite)
    where = _where(view, f, params, sqlite, today, now, practices)
    keys = _order(view, f)
    select = f"SELECT {_COLUMNS}{route}{full}{keyset.key_columns(keys)} FROM "
    head = f"{select}{_from(view, sqlite, f)} WHERE {where}"
    order = keyset.order_sql(keys)
    keyed = marks if total is not None and found is None else None

    def run(sql: str, extra: dict[str, Any]) -> Any:
        stmt = text(sql)
        if ":fronts" in sql:
            stmt = stmt.bindparams(bindparam("fronts", expanding=True))
        return conn.execute(stmt, _bind(params | extra, sqlite))

    def window(extra: str, off: int, lim: int, size: int) -> list[Any]:
        if keyed is not None:
            return keyset.fetch(
                lambda sql, p: list(run(f"{head}{extra}{sql}", p)),
                keys,
                off,
                lim,
                size,
                keyed,
                generation,
            )
        sql = f"{head}{extra} ORDER BY {order} LIMIT :lim OFFSET :off"
        return list(run(sql, {"off": off, "lim": lim}))

    fronts = (
        queue_order.front_ids(conn, now or datetime.now(UTC))
        if view == "queue" and f.sort == S.DEFAULT_SORT and (found is None or not found.identifier)
        else []
    )
    generation = keyed.check_fronts(tuple(fronts)) if keyed is not None else None
    rows: list[Any]
    if fronts:
        # items back from awaiting the patient come first within their priority (queue_order);
        # they are looked up by id (not through the ordering index), the rest through it
        params["fronts"] = fronts
        others = " AND c.id NOT IN :fronts"
        ahead = list(
            run(f"{select}consultation c WHERE {where} AND c.id IN :fronts ORDER BY {order}", {})
        )

        def above(p: int) -> int:
            kept = keyed.count(("above", p), generation) if keyed is not None else None
            if kept is not None:
                return kept
            sql = (
                f"SELECT count(*) FROM {_from(view, sqlite, f)} WHERE {where}{others} "
                "AND c.priority > :above"
            )
            n = int(run(sql, {"above": p}).scalar_one())
            if keyed is not None:
                keyed.keep_count(("above", p), n, generation)
            return n

        rest = (total or 0) - len(ahead)
        rows = queue_order.merge_fronts(
            ahead, above, lambda o, n: window(others, o, n, rest), offset, limit
        )
    else:
        rows = window("", offset, limit, total or 0)
    out = [_row(r, sqlite) for r in rows]
    if found is not None and out:
        out = _with_matched(conn, found, rows, out, practices)
    if found is not None and found.identifier:
        out = state_words(conn, out)  # found beyond the queue: who has it, since when
    return out


def held_rows(
    conn: Connection,
    me: str,
    f: QueueFilter,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """The items someone other than ``me`` holds that the filter lets through, longest held
    first, each saying who holds it (their name) and since when: the queue lists them after
    what waits, so a navigator sees who is working what (issue 15 part 6). A few rows (one
    claim or so per navigator on duty), read through the status index."""
    sqlite = is_sqlite(conn)
    params: dict[str, Any] = {"me": me, "since": now or datetime.now(UTC)}
    found = S.parse(f.search)
    practices = store_search.text_practices(conn, found, sqlite)
    where = _where("held", f, params, sqlite, today, now, practices)
    sql = (
        f"SELECT {_COLUMNS}, NULL AS route FROM consultation c WHERE {where} "
        "ORDER BY c.claimed_at, c.id"
    )
    raw = conn.execute(text(sql), _bind(params, sqlite)).all()
    out = [_row(r, sqlite) for r in raw]
    if found is not None and out:
        out = _with_matched(conn, found, raw, out, practices)
    return state_words(conn, out)


def searched_names(rows: list[QueueRow]) -> list[int]:
    """The ids of a window's rows found by the patient's name (for the search's audit)."""
    return [r.id for r in rows if r.matched and r.matched.startswith("name: ")]


def _with_matched(
    conn: Connection,
    found: S.Search,
    raw: Sequence[Any],
    rows: list[QueueRow],
    practices: dict[str, str] | None = None,
) -> list[QueueRow]:
    """The rows, each saying what the search matched (in words)."""
    names = practices
    if names is None:  # (PostgreSQL: read here, for the words; an identifier needs none)
        names = store_search.practice_names(conn) if found.kind == S.TEXT else {}
    out = []
    for r, row in zip(raw, rows, strict=True):
        words, _by_name = store_search.matched_words(
            found,
            r.given_name or "",
            r.family_name or "",
            r.practice_ods,
            names.get(r.practice_ods, ""),
            r.template,
            getattr(r, "full_text", None) or "",
        )
        if words and row.status != "queued":  # found beyond the queue: say where it is
            words = f"{words} · {_STATE_WORDS.get(row.status, row.status)}"
        out.append(dataclasses.replace(row, matched=words))
    return out


_STATE_WORDS = {
    "claimed": "held",
    "awaiting": "awaiting the patient's reply",
    "completed": "completed",
    "cancelled": "cancelled",
}


def _row(r: Any, sqlite: bool) -> QueueRow:
    flags = r.supplier_flags
    if isinstance(flags, str):
        flags = json.loads(flags)
    found = r.sop_flags
    if isinstance(found, str):
        found = json.loads(found)
    levels = None if r.screened_at is None else tuple(f.get("level", "") for f in found or [])
    dob = r.date_of_birth
    if isinstance(dob, str):
        dob = date.fromisoformat(dob)
    given, family = (r.given_name or "").strip(), (r.family_name or "").strip()
    initials = ((given[:1] + family[:1]) or "?").upper()
    text_ = " ".join((r.free_text or "").split())
    return QueueRow(
        id=int(r.id),
        priority=int(r.priority),
        status=r.status,
        owner=r.owner,
        received_at=as_dt(r.received_at),
        due_by=as_dt(r.due_by),
        practice_ods=r.practice_ods,
        request_type=r.request_type,
        template=r.template,
        initials=initials,
        date_of_birth=dob,
        sex=r.sex,
        summary=text_,
        supplier_flags=tuple(flags or ()),
        completed_at=as_dt(r.completed_at),
        route=r.route,
        sop_flags=levels,
        dob_precision=getattr(r, "dob_precision", None),
    )
