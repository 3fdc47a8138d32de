"""The board's Events list: the work in words, newest first (domain/event_words.py); and the rows
of its Practices and Navigators lists.

Access entries (searches, sign-ins, an opened handover) are left out: they stay in the audit,
and once filled the list so the supervisor missed an escalation. An escalation is red.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from ehub_tui.domain.board import Board
from ehub_tui.domain.event_words import event_words, shown_on_board
from ehub_tui.domain.models import AuditEvent
from ehub_tui.ui.format import local, one_line, span
from ehub_tui.ui.screens.board_reassign import ONLINE

Rows = list[tuple[str, tuple[str, ...]]]

EVENT_LINES = 8


def events_static() -> Static:
    """The Events list's widget: one line per event, cut with … at the edge (a wrapped line
    pushed the older events off; who did what to whom comes first, so only the note is cut)."""
    widget = Static("", id="events")
    widget.styles.text_wrap = "nowrap"
    widget.styles.text_overflow = "ellipsis"
    return widget


def events_text(events: Sequence[AuditEvent], limit: int = EVENT_LINES) -> Text:
    """Up to ``limit`` work events, one line each ("10:02:11 nav2 escalated #186 to …"); the
    actors and reasons are the hub's text, so the lines are a ``Text``, never markup."""
    shown = [e for e in events if shown_on_board(e)][:limit]
    if not shown:
        return Text("No events yet.")
    out = Text()
    for i, e in enumerate(shown):
        if i:
            out.append("\n")
        words = event_words(e)
        style = "bold red" if " escalated #" in words else ""
        out.append(one_line(f"{local(e.at).strftime('%H:%M:%S')} {words}"), style)
    return out


def practice_rows(b: Board, now: datetime) -> Rows:
    """(key, cells) per practice: queued, oldest waiting, done today, share of today's work
    against its share of the hub's list size."""
    total_list = sum(p.list_size for p in b.practices) or 1
    total_work = sum(p.received_today for p in b.practices) or 1
    any_work = any(x.received_today for x in b.practices)
    rows: Rows = []
    for p in b.practices:
        work = p.received_today / total_work if any_work else 0.0
        share = f"{work:.0%}/{p.list_size / total_list:.0%}"
        oldest = span(now - p.oldest) if p.oldest else "—"
        rows.append(
            (p.ods_code, (p.ods_code, str(p.queued), oldest, str(p.completed_today), share))
        )
    return rows


def navigator_rows(b: Board, now: datetime, *, away: bool) -> Rows:
    """(key, cells) per navigator: online (● ○; ? with the hub away: not known now), what they
    hold and for how long, done today, median handling time."""
    rows: Rows = []
    for n in b.navigators:
        online = bool(n.last_seen and now - n.last_seen <= ONLINE)
        dot = "?" if away else ("●" if online else "○")
        holding = ", ".join(f"#{i}" for i, _ in n.holding) or "—"
        longest = min((c for _, c in n.holding if c), default=None)
        held_for = f" {span(now - longest)}" if longest else ""
        med = f"{n.median_handling / 60:.1f}m" if n.median_handling is not None else "—"
        rows.append((n.username, (n.username, dot, holding + held_for, str(n.done_today), med)))
    return rows
