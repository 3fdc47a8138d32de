"""The queue's pages with the search and view filters of issue 15, the audit of searches by a
patient identifier, and saved views (HubService's ``ViewMethods``).

Searches by a patient identifier are audited, as record systems audit a look-up: an item number
or NHS number always, and words when they found a patient by name. The event
(``queue_search``) keeps who searched, when, in which list, the kind of search
(``item_number`` / ``nhs_number`` / ``name``), how many items it found and the ids of those it
showed (at most ``AUDIT_ITEMS``) — never what was typed. The item ids name whom the navigator
looked at for anyone allowed to read the hub, without putting an NHS number or a name into the
audit chain, which every verify and export reads; a search that found nobody revealed nobody.

The same search is read again by every refresh of the list (the change poll, scrolling): one
event per (user, list, search, items shown) within ``AUDIT_REPEAT``, so a search left on screen
does not flood the chain, and each new set of patients shown is recorded.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from ehub_tui.domain import search as S
from ehub_tui.domain import views as V
from ehub_tui.domain.queue import VIEWS, QueueFilter, QueueRow
from ehub_tui.domain.types import Role
from ehub_tui.errors import PermissionDenied, StoreError
from ehub_tui.store import audit, keyset_carry, saved_views, views
from ehub_tui.store.engine import read_tx, write_tx

if TYPE_CHECKING:
    from ehub_tui.service.context import HubContext

log = logging.getLogger(__name__)

AUDIT_ITEMS = 50
AUDIT_REPEAT = timedelta(minutes=10)
KINDS = {S.ITEM: "item_number", S.NHS: "nhs_number"}
# who may save, delete and set default views: those who run the team's day
MANAGE_VIEWS = frozenset({Role.SUPERVISOR})

_seen: dict[tuple[int, str, str, str, tuple[int, ...]], datetime] = {}
_seen_lock = threading.Lock()


def page(
    ctx: HubContext, view: str, filters: QueueFilter, offset: int, limit: int
) -> tuple[list[QueueRow], int]:
    """One window of a view with every filter applied (the hub's clock places the age bands and
    the waiting time), and its size; a search by a patient identifier is audited."""
    if view not in VIEWS:
        raise StoreError(f"unknown view {view!r}")
    since, today, now = ctx.start_of_today(), ctx.today(), ctx.now()
    # one snapshot: the audit head keys the remembered size and sort keys, which must be read
    # at that same moment, never from a newer state cached under an older head
    with read_tx(ctx.engine, snapshot=True) as conn:
        got = conn.execute(_HEAD).first()
        head = (int(got[0]), str(got[1])) if got is not None else None
        key = _count_key(ctx, view, filters, since, today, now, head)
        kept = _counted.get(key) if key is not None else None
        if kept is None:
            total = views.count_rows(conn, view, ctx.actor, filters, since, today=today, now=now)
            kept = (total, _carried(conn, ctx, view, filters, since, today, now, head, total))
            if key is not None and head is not None:
                _remember(key, kept, head)
        total, marks = kept
        rows = (
            views.list_rows(
                conn,
                view,
                ctx.actor,
                filters,
                since,
                offset,
                limit,
                today=today,
                now=now,
                total=total,
                marks=marks,
            )
            if offset < total
            else []
        )
        found = S.parse(filters.search)
        if view == "queue" and (found is None or not found.identifier):
            # the items others hold follow what waits, saying who and since when (an item or
            # NHS number already finds an item in any state)
            held = views.held_rows(conn, ctx.actor, filters, today=today, now=now)
            start = max(offset - total, 0)
            rows = rows + held[start : start + limit - len(rows)]
            total += len(held)
    audit_search(ctx, view, filters, rows, total)
    return rows, total


# A view's size and the sort keys of rows already read (keyset paging, store/keyset.py), kept
# until the hub changes. Every change to an item is an audited write that moves the audit
# chain's head, so (view, who, filter, day, head) names one answer: scrolling the queue at a
# million items reads one window by seeking from its neighbour, not the whole hub, per page;
# the count is read once per filter and per change of the hub. The head's hash, not only its
# sequence number: an older backup restored under a running hub server may reach the same
# number with other contents (and its chain's hash differs).
_HEAD = text("SELECT seq, hash FROM audit_head WHERE id = 1")
COUNTS_KEPT = 64
_counted: dict[tuple[object, ...], tuple[int, views.Marks]] = {}
_latest: dict[tuple[object, ...], tuple[int, str, int, views.Marks]] = {}
_counted_lock = threading.Lock()


def _count_key(
    ctx: HubContext,
    view: str,
    filters: QueueFilter,
    since: datetime,
    today: date,
    now: datetime,
    head: tuple[int, str] | None,
) -> tuple[object, ...] | None:
    if head is None:
        return None
    # waited over N hours moves with the clock: the minute is part of the answer; the age bands
    # move at the hub's midnight (``since`` is that midnight too, but the bands read ``today``)
    minute = now.replace(second=0, microsecond=0) if filters.waited_over_hours else None
    return (id(ctx.engine), view, ctx.actor, filters, since, today, minute, *head)


def _remember(
    key: tuple[object, ...], kept: tuple[int, views.Marks], head: tuple[int, str]
) -> None:
    with _counted_lock:
        if len(_counted) >= COUNTS_KEPT:
            _counted.pop(next(iter(_counted)))
        _counted[key] = kept
        # the newest state of this list (the key without the head): the next change's start
        latest = _latest.get(key[:-2])
        if latest is None or latest[0] < head[0]:
            if len(_latest) >= COUNTS_KEPT:
                _latest.pop(next(iter(_latest)))
            _latest[key[:-2]] = (*head, *kept)


def _carried(
    conn: Connection,
    ctx: HubContext,
    view: str,
    filters: QueueFilter,
    since: datetime,
    today: date,
    now: datetime,
    head: tuple[int, str] | None,
    total: int,
) -> views.Marks:
    """The queue's remembered keys of the last state read, moved to this one when the changes
    between allow it (store/keyset_carry.py: a refresh while scrolled deep keeps its place by
    key, not OFFSET); else none."""
    key = _count_key(ctx, view, filters, since, today, now, head)
    old = _latest.get(key[:-2]) if key is not None and view == "queue" else None
    if old is None or head is None:
        return views.Marks()
    got = keyset_carry.carry(
        conn, filters, ctx.actor, since, old, head, total, today=today, now=now
    )
    return got if got is not None else views.Marks()


def audit_search(
    ctx: HubContext, view: str, filters: QueueFilter, rows: list[QueueRow], total: int
) -> bool:
    """Record a search by a patient identifier (see the module docstring); True when an event
    was written."""
    found = S.parse(filters.search)
    if found is None:
        return False
    if found.kind == S.TEXT:
        ids = views.searched_names(rows)
        if not ids:
            return False  # words that found no one by name: not an identifier search
        kind = "name"
    else:
        ids = [r.id for r in rows]
        kind = KINDS[found.kind]
    shown = tuple(ids[:AUDIT_ITEMS])
    typed = hashlib.sha256(" ".join((filters.search or "").split()).lower().encode()).hexdigest()
    key = (id(ctx.engine), ctx.actor, view, typed, shown)
    now = ctx.now()
    with _seen_lock:
        last = _seen.get(key)
        if last is not None and now - last < AUDIT_REPEAT:
            return False
        _seen[key] = now
        for k in [k for k, at in _seen.items() if now - at >= AUDIT_REPEAT]:
            del _seen[k]
    body = {"kind": kind, "view": view, "found": total, "items": list(shown)}
    with write_tx(ctx.engine) as conn:
        audit.append(conn, [audit.Event(ctx.actor, "queue_search", body=body)], now)
    log.info("%s searched the %s list by %s: %d found", ctx.actor, view, kind, total)
    return True


def _require_manage(ctx: HubContext, what: str) -> None:
    user = ctx.session.user
    if user is None or user.role in MANAGE_VIEWS:  # (None: the system principal)
        return
    ctx.session.deny("manage_views")
    raise PermissionDenied(f"{user.username} ({user.role}) may not {what}: only a supervisor may")


class ViewMethods:
    """Saved views, as HubService offers them."""

    _ctx: HubContext

    def saved_views(self) -> list[V.SavedView]:
        """Every saved view by name; the caller's default (if any) is marked ``is_default``."""
        ctx = self._ctx
        with read_tx(ctx.engine) as conn:
            return saved_views.list_views(conn, ctx.actor)

    def save_view(self, name: str, filters: QueueFilter) -> V.SavedView:
        """Create or replace a saved view (supervisors). Keeps no search and no absolute time."""
        ctx = self._ctx
        _require_manage(ctx, "save a view")
        try:
            clean, _ = V.check_name(name), V.kept(filters)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        with write_tx(ctx.engine) as conn:
            return saved_views.save_view(conn, clean, filters, ctx.actor, ctx.now())

    def delete_view(self, name: str) -> None:
        """Delete a saved view (supervisors); it stops being anyone's default."""
        ctx = self._ctx
        _require_manage(ctx, "delete a view")
        with write_tx(ctx.engine) as conn:
            saved_views.delete_view(conn, name, ctx.actor, ctx.now())

    def set_default_view(self, username: str, name: str | None) -> None:
        """Make ``name`` the view ``username``'s queue opens with; None clears it
        (supervisors)."""
        ctx = self._ctx
        _require_manage(ctx, "set a user's default view")
        from ehub_tui.service.session import read_user

        if read_user(ctx.engine, username) is None:
            raise StoreError(f"there is no hub user called {username!r}")
        with write_tx(ctx.engine) as conn:
            saved_views.set_default(conn, username, name, ctx.actor, ctx.now())
