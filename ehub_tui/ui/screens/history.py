"""An item's history (issue 15): ``h`` on the queue, triage or the board.

Every event of the item from the hub's audit, in words, at the hub's times (UK time): received,
screened (the flag mark of domain/flags), claimed by whom, reassigned from whom to whom with the
note, parked with the question sent and the patient's reply, completed with its destination in
words, the note and the message sent. Read in a worker (``service.item_history``, role-checked
by the hub); a refusal or the hub away is said in words. Every value is data, shown as written.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from ehub_tui.domain.awaiting import HistoryEntry
from ehub_tui.errors import StoreError
from ehub_tui.ui.context import EhubScreen, UiContext
from ehub_tui.ui.format import literal, local, visible


class HistoryLoaded(Message):
    """The history read by the worker (or why it could not be)."""

    def __init__(self, entries: Sequence[HistoryEntry], problem: str | None = None) -> None:
        super().__init__()
        self.entries = list(entries)
        self.problem = problem


def history_text(entries: Sequence[HistoryEntry]) -> Text:
    """The history as lines: ``Mon 23 Nov 10:00  nav1  Claimed by nav1.`` and each detail
    indented below its line."""
    out = Text()
    for i, e in enumerate(entries):
        if i:
            out.append("\n")
        out.append(local(e.at).strftime("%a %d %b %H:%M"), style="bold")
        out.append("  ")
        out.append(visible(e.words, multiline=False))
        for line in e.detail.splitlines() if e.detail else ():
            out.append("\n      ")
            out.append(visible(line, multiline=False), style="italic")
    return out


class HistoryScreen(EhubScreen[None]):
    """One item's history (escape or h goes back)."""

    BINDINGS = [
        Binding("escape,h", "back", "Back", id="back"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
    ]

    def __init__(self, item_id: int, ctx: UiContext | None = None) -> None:
        super().__init__(ctx)
        self.item_id = item_id
        self.entries: list[HistoryEntry] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(
            self.ctx.title_line() + f" · history of #{self.item_id}", id="topbar", markup=False
        )
        yield self.sync_line()
        yield Static("Reading the history from the hub…", id="history-summary")
        with VerticalScroll(id="history"):
            yield Static("", id="history-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#history", VerticalScroll).focus()
        self._load_work()

    @work(thread=True, exclusive=True, group="history")
    def _load_work(self) -> None:
        try:
            entries = self.ctx.service.item_history(self.item_id)
        except StoreError as exc:  # refused (role), not found, or the hub away: in words
            self.post_message(HistoryLoaded([], str(exc)))
            return
        self.post_message(HistoryLoaded(entries))

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        self.loaded = True
        summary = self.query_one("#history-summary", Static)
        if message.problem is not None:
            summary.update(literal(f"Not read: {message.problem}"))
            return
        self.entries = message.entries
        n = len(self.entries)
        summary.update(
            f"{n} event{'s' if n != 1 else ''}, oldest first, at the hub's time (UK) · "
            "escape goes back"
        )
        self.query_one("#history-body", Static).update(history_text(self.entries))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        from ehub_tui.ui.format import notify

        notify(
            self,
            "Every event of this item from the hub's audit, oldest first: who claimed it, "
            "handovers with their notes, parking with the question and the reply, and the "
            "outcome with its note and message. ↑↓ scroll · escape back.",
            timeout=8,
        )
