"""Items parked awaiting the patient's reply, listed for the supervisor (``w`` on the board).

Trial 15b: a parked item left the board altogether, so the supervisor could not see what waited
on patients. This list is the board's last read (the board reads the parked items with
everything else, soonest back first): the item, its flag mark (domain/flags.py), practice, who
parked it, the question in short and when it comes back. No patient names, as on the board.
``h`` reads the highlighted item's history; esc goes back to the board.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from ehub_tui.domain.board import Board, ParkedItem
from ehub_tui.domain.flags import flag_mark
from ehub_tui.ui.context import EhubScreen, UiContext
from ehub_tui.ui.format import literal, local, notify, one_line, span
from ehub_tui.ui.screens.board_actions import RowTable

QUESTION_SHOWN = 48  # the question's first characters in its column


def back_words(return_at: datetime, now: datetime) -> str:
    """When a parked item comes back: "14:05 (in 25m)" today, "Mon 07 Dec 10:00 (in 1d 14h)"
    later, "14:05 (due back now)" once its time has come (the hub's sweep brings it back)."""
    when, today = local(return_at), local(now)
    at = when.strftime("%H:%M") if when.date() == today.date() else when.strftime("%a %d %b %H:%M")
    if return_at <= now:
        return f"{at} (due back now)"
    return f"{at} (in {span(return_at - now)})"


def short_question(question: str, width: int = QUESTION_SHOWN) -> str:
    """The question on one line, cut with … (the history has it whole)."""
    line = one_line(question)
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


class ParkedScreen(EhubScreen[None]):
    """The board's parked items (as last read), soonest back first."""

    BINDINGS = [
        Binding("escape,w", "back", "Back", id="back"),
        Binding("h", "history", "History", id="history"),
    ]

    def __init__(self, board: Board, read_at: datetime, ctx: UiContext | None = None) -> None:
        super().__init__(ctx)
        self.board = board
        self.read_at = read_at

    def compose(self) -> ComposeResult:
        yield Static(Text(" ehub-tui · supervisor board · awaiting the patient's reply"))
        yield Static(self._summary(), id="parked-summary")
        yield RowTable(id="parked", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def _summary(self) -> Text:
        b = self.board
        read = local(self.read_at).strftime("%H:%M:%S")
        if not b.awaiting:
            return Text(f"Nothing is parked awaiting a patient's reply (as read at {read}).")
        listed = len(b.parked)
        more = f"; the {listed} soonest back are listed" if listed < b.awaiting else ""
        return Text(
            f"{b.awaiting} parked awaiting the patient's reply, {b.awaiting_back_within_hour} "
            f"back within the hour (as read at {read}{more}). Each comes back to the queue at "
            "its time, or at once when the patient replies. h: the item's history."
        )

    def on_mount(self) -> None:
        table = self.query_one("#parked", DataTable)
        table.add_columns("Flag", "#", "Practice", "Parked by", "Back", "Question")
        for p in self.board.parked:
            table.add_row(*self._cells(p), key=str(p.id))
        table.focus()

    def _cells(self, p: ParkedItem) -> tuple[str | Text, ...]:
        mark = flag_mark(p.priority, p.sop_flags, "awaiting").short
        return (  # hub text as written: never markup
            mark,
            str(p.id),
            literal(p.practice_ods),
            literal(p.parked_by),
            back_words(p.return_at, self.read_at),
            literal(short_question(p.question)),
        )

    def selected(self) -> ParkedItem | None:
        """The highlighted parked item."""
        table = self.query_one("#parked", DataTable)
        if not table.row_count:
            return None
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        return next((p for p in self.board.parked if str(p.id) == key), None)

    def action_history(self) -> None:
        """The highlighted item's history, in words (from the hub's audit)."""
        item = self.selected()
        if item is None:
            notify(self, "Nothing parked to read.", severity="warning")
            return
        from ehub_tui.ui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(item.id, self.ctx))

    def action_back(self) -> None:
        self.dismiss(None)
