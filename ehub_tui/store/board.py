"""What the supervisor board shows, read in one short read transaction (the values are
domain.board's; importable from here too)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import Connection, Text, cast, func, or_, select, text

from ehub_tui.domain.awaiting import ParkState
from ehub_tui.domain.board import (
    QUESTION_CHARS,
    Board,
    HolderDraft,
    NavigatorLine,
    OpenItem,
    ParkedItem,
    PracticeLine,
)
from ehub_tui.domain.handover import carried_draft
from ehub_tui.store import counters
from ehub_tui.store.engine import hub_now, is_sqlite
from ehub_tui.store.models import (
    Consultation,
    HubUser,
    Outcome,
    Practice,
    SyncDraft,
    UTCDateTime,
)
from ehub_tui.store.models_awaiting import AwaitingReply
from ehub_tui.store.supplier_alerts import open_alerts as open_supplier_alerts

C = Consultation.__table__  # type: ignore[attr-defined]
O = Outcome.__table__  # type: ignore[attr-defined]  # noqa: E741
U = HubUser.__table__  # type: ignore[attr-defined]
P = Practice.__table__  # type: ignore[attr-defined]
A = AwaitingReply.__table__  # type: ignore[attr-defined]
SD = SyncDraft.__table__  # type: ignore[attr-defined]
__all__ = ["Aggregates", "Board", "NavigatorLine", "OpenItem", "ParkedItem", "PracticeLine"]
PARKED_LIMIT = 50  # parked items the board lists (by return time); the count is all of them

_DT = UTCDateTime()


_dt = counters.as_utc
_bind = counters.bind_time


@dataclass
class Aggregates:
    """The board's figures whose cost grows with the size of the hub (counts over every open
    item, today's arrivals). The service recomputes them at most every few seconds; everything
    else on the board is read on every refresh."""

    waiting: dict[str, tuple[int, Any]] = field(default_factory=dict)
    queued: int = 0
    breaching: int = 0
    due_within_hour: int = 0
    median_wait: timedelta | None = None
    arrivals_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    received_by_practice: dict[str, int] = field(default_factory=dict)


def read_aggregates(
    conn: Connection, now: datetime, since: datetime, local_hour: Any
) -> Aggregates:
    """Counts over the whole hub (see Aggregates): from the counters (store/counters.py) and
    indexed reads whose cost is bounded by the open items' practices, the items due in the
    future and one hour's arrivals, not by the hub's history."""
    a = Aggregates()
    counts = counters.queue_counts(conn)
    # waiting per practice: counted; the oldest is an index seek on (status, practice_ods,
    # received_at) per practice
    by_practice = counts.queued_by_practice()
    for r in conn.execute(
        text(
            "SELECT p.ods_code, "
            "(SELECT min(c.received_at) FROM consultation c WHERE c.status = 'queued' "
            " AND c.practice_ods = p.ods_code) AS oldest "
            "FROM practice p"
        )
    ):
        a.waiting[r.ods_code] = (by_practice.get(r.ods_code, 0), r.oldest)
    a.queued = sum(n for n, _ in a.waiting.values())
    open_ = C.c.status.in_(["queued", "claimed"])
    a.breaching = counters.breaching(conn, counts, now)
    # due within the hour, and every emergency not yet breaching: its due time follows core
    # hours (a Saturday's reads Monday) yet it is due now, as the queue's d says (store/views.py:
    # priority 2, or an emergency red flag the SOPs found; a supervisor's "normal" hides neither)
    # (a range over the items due from now on: bounded by what is not yet due)
    emergency = or_(C.c.priority >= 2, cast(C.c.sop_flags, Text).like('%"emergency"%'))
    a.due_within_hour = conn.execute(
        select(func.count())
        .select_from(C)
        .where(
            open_,
            C.c.due_by >= now,
            or_(C.c.due_by < now + timedelta(hours=1), emergency),
        )
    ).scalar_one()
    mid = counters.median_received(conn, a.queued)
    if mid is not None:
        a.median_wait = now - mid
    # arrivals today, counted by UTC hour and practice in the database (London's offset from
    # UTC is a whole hour, so each UTC hour maps to one local hour)
    hour = (
        "substr(received_at, 1, 13)"
        if is_sqlite(conn)
        else "to_char(date_trunc('hour', received_at), 'YYYY-MM-DD HH24')"
    )
    for r in conn.execute(
        text(
            f"SELECT {hour} AS h, practice_ods, count(*) AS n FROM consultation "
            "WHERE received_at >= :since GROUP BY h, practice_ods"
        ),
        {"since": _bind(conn, since)},
    ):
        at = datetime.fromisoformat(str(r.h).replace("T", " ") + ":00").replace(tzinfo=UTC)
        a.arrivals_by_hour[local_hour(at)] += int(r.n)
        a.received_by_practice[r.practice_ods] = a.received_by_practice.get(
            r.practice_ods, 0
        ) + int(r.n)
    return a


def read_board(
    conn: Connection,
    now: datetime,
    since: datetime,
    local_hour: Any,
    items_limit: int = 200,
    aggregates: Aggregates | None = None,
) -> Board:
    """Read the board. ``since`` is the start of today (UTC); ``local_hour(dt)`` gives 0-23.
    ``aggregates`` (from read_aggregates) may be a few seconds old; read afresh when None."""
    agg = aggregates or read_aggregates(conn, now, since, local_hour)
    b = Board()
    b.queued = agg.queued
    b.breaching = agg.breaching
    b.due_within_hour = agg.due_within_hour
    b.median_wait = agg.median_wait
    b.arrivals_by_hour = list(agg.arrivals_by_hour)
    waiting = agg.waiting
    received_by_practice = agg.received_by_practice
    b.in_progress = conn.execute(
        select(func.count()).select_from(C).where(C.c.status == "claimed")
    ).scalar_one()

    # today's completions (bounded by one day's work)
    done = conn.execute(
        select(O.c.navigator, O.c.completed_at, O.c.handling_seconds, C.c.practice_ods)
        .join(C, C.c.id == O.c.consultation_id)
        .where(O.c.completed_at >= since)
    ).all()
    b.completed_today = len(done)
    per_nav: dict[str, list[float]] = {}
    done_by_practice: dict[str, int] = {}
    for nav, at, secs, ods in done:
        per_nav.setdefault(nav, []).append(float(secs or 0))
        done_by_practice[ods] = done_by_practice.get(ods, 0) + 1
        b.completions_by_hour[local_hour(at)] += 1

    for p in conn.execute(select(P).order_by(P.c.ods_code)):
        n, oldest = waiting.get(p.ods_code, (0, None))
        b.practices.append(
            PracticeLine(
                p.ods_code,
                p.name,
                p.list_size,
                n,
                _dt(oldest),
                done_by_practice.get(p.ods_code, 0),
                received_by_practice.get(p.ods_code, 0),
            )
        )

    holding: dict[str, list[tuple[int, datetime | None]]] = {}
    for r in conn.execute(select(C.c.id, C.c.owner, C.c.claimed_at).where(C.c.status == "claimed")):
        holding.setdefault(r.owner, []).append((r.id, r.claimed_at))
    for u in conn.execute(
        select(U)
        .where(U.c.active.is_(True), U.c.role.in_(["navigator", "supervisor"]))
        .order_by(U.c.username)
    ):
        times = per_nav.get(u.username, [])
        b.navigators.append(
            NavigatorLine(
                u.username,
                u.display_name,
                u.role,
                u.last_seen_at,
                tuple(holding.get(u.username, [])),
                len(times),
                median(times) if times else None,
            )
        )

    _parked(conn, b, hub_now(conn))
    # issue 16: supplier changes of worked items, for the alerts line
    b.supplier_alerts = open_supplier_alerts(conn)

    # open items: everything held, then the most urgent waiting ones
    cols = (
        C.c.id,
        C.c.priority,
        C.c.status,
        C.c.owner,
        C.c.received_at,
        C.c.due_by,
        C.c.claimed_at,
        C.c.lease_until,
        C.c.practice_ods,
        C.c.template,
        C.c.request_type,
        C.c.sop_flags,
        C.c.screened_at,
        C.c.active_at,
    )
    held = conn.execute(
        select(*cols).where(C.c.status == "claimed").order_by(C.c.claimed_at).limit(items_limit)
    ).all()
    hint = "consultation INDEXED BY ix_consultation_queue" if is_sqlite(conn) else "consultation"
    waiting_rows = conn.execute(
        text(
            "SELECT id, priority, status, owner, received_at, due_by, claimed_at, lease_until, "
            "practice_ods, template, request_type, sop_flags, screened_at, active_at "
            f"FROM {hint} WHERE status = 'queued' "
            "ORDER BY priority DESC, received_at, id LIMIT :n"
        ),
        {"n": max(items_limit - len(held), 0)},
    ).all()
    for r in [*held, *waiting_rows]:
        received, due = _dt(r.received_at), _dt(r.due_by)
        assert received is not None and due is not None
        b.items.append(
            OpenItem(
                int(r.id),
                int(r.priority),
                r.status,
                r.owner,
                received,
                due,
                _dt(r.claimed_at),
                _dt(r.lease_until),
                r.practice_ods,
                r.template,
                r.request_type,
                _levels(r.sop_flags, r.screened_at),
                _dt(r.active_at),
            )
        )
    return b


def _parked(conn: Connection, b: Board, now: datetime) -> None:
    """Items parked awaiting the patient's reply: how many, how many come back within the hour
    by the hub's clock ``now`` (the one the sweep returns them by), both index seeks on the
    parkings' (state, return_at), and the first PARKED_LIMIT by return time with what the list
    shows (one query, however many)."""
    awaiting = A.c.state == ParkState.AWAITING.value
    b.awaiting = conn.execute(select(func.count()).select_from(A).where(awaiting)).scalar_one()
    if not b.awaiting:
        return
    b.awaiting_back_within_hour = conn.execute(
        select(func.count())
        .select_from(A)
        .where(awaiting, A.c.return_at < now + timedelta(hours=1))
    ).scalar_one()
    rows = conn.execute(
        select(
            A.c.item_id,
            A.c.parked_by,
            A.c.parked_at,
            func.substr(A.c.question, 1, QUESTION_CHARS).label("question"),
            A.c.return_at,
            C.c.practice_ods,
            C.c.priority,
            C.c.sop_flags,
            C.c.screened_at,
            C.c.template,
            C.c.request_type,
        )
        .join(C, C.c.id == A.c.item_id)
        .where(awaiting)
        .order_by(A.c.return_at, A.c.id)
        .limit(PARKED_LIMIT)
    ).all()
    for r in rows:
        parked_at, return_at = _dt(r.parked_at), _dt(r.return_at)
        assert parked_at is not None and return_at is not None
        b.parked.append(
            ParkedItem(
                int(r.item_id),
                r.practice_ods,
                r.parked_by,
                parked_at,
                str(r.question),
                return_at,
                int(r.priority),
                _levels(r.sop_flags, r.screened_at),
                r.template,
                r.request_type,
            )
        )


def _levels(found: Any, screened_at: Any) -> tuple[str, ...] | None:
    """The red flag levels the prescreen found (None: not screened yet), as the queue reads
    them (store/views.py), for domain.flags.flag_mark."""
    if screened_at is None:
        return None
    if isinstance(found, str):
        found = json.loads(found)
    return tuple(str(f.get("level", "")) for f in found or [] if isinstance(f, dict))


def holder_draft(conn: Connection, item_id: int, now: datetime) -> HolderDraft:
    """Does the hub hold a draft from the item's holder for their current claim (the same epoch:
    one left from an earlier claim is not this work), with something a receiver would get
    (handover.carried_draft)? Two key look-ups, asked once before a reassign offers to send it."""
    row = conn.execute(select(C.c.owner, C.c.epoch, C.c.status).where(C.c.id == item_id)).first()
    if row is None or row.status != "claimed" or not row.owner:
        return HolderDraft(item_id, None, None, now)
    got = conn.execute(
        select(SD.c.draft, SD.c.updated_at).where(
            SD.c.item_id == item_id, SD.c.username == row.owner, SD.c.epoch == row.epoch
        )
    ).first()
    if got is None:
        return HolderDraft(item_id, row.owner, None, now)
    draft = json.loads(got.draft) if isinstance(got.draft, str) else got.draft
    saved = _dt(got.updated_at) if carried_draft(draft) else None
    return HolderDraft(item_id, row.owner, saved, now)
