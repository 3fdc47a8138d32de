"""The board's Events list: the work in words, newest first (domain/event_words.py).

Access entries (searches, sign-ins, an opened handover) are left out: they stay in the audit,
and once filled the list so the supervisor missed an escalation. An escalation is red.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from ehub_tui.domain.event_words import event_words, shown_on_board
from ehub_tui.domain.models import AuditEvent
from ehub_tui.ui.format import local, one_line

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
