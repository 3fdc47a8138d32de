"""The review of events the hub refused (issue 14): ``v`` on any screen.

A navigator sees what THIS workstation saved and the hub refused (a completion of an item that
was reassigned, rescued or closed meanwhile), each with the hub's reason and the whole outcome as
it was saved: it is kept, never lost, and a supervisor resolves it. A supervisor (``v`` on the
board) sees every unresolved refusal on the hub and resolves one with ``f`` and a written
resolution (what was done about it: the outcome entered again, the patient called…).

The lists are read in a worker (``rejected_here()`` from the workstation's store;
``sync_rejected()`` from the hub); every value shown is data, shown as written (never markup).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Static

from ehub_tui.errors import StoreError
from ehub_tui.ui.context import EhubScreen, UiContext, short_name
from ehub_tui.ui.format import literal, notify, one_line, visible_text
from ehub_tui.ui.messages import NotSaved, RefusedLoaded, Saved
from ehub_tui.ui.screens.review_actions import applies_kept, apply_kept, resolve_refused
from ehub_tui.ui.screens.review_text import (
    KIND_WORDS,
    outcome_words,
    refused_detail,
    refused_row,
    when,
)

if TYPE_CHECKING:
    from ehub_tui.domain.sync import RejectedEvent


class ReviewScreen(EhubScreen[None]):
    """Refused events: this workstation's (a navigator) or every unresolved one (``everyone``:
    a supervisor, from the board, who may resolve them)."""

    BINDINGS = [
        Binding("f", "resolve", "Resolve", id="resolve"),
        Binding("k", "apply", "Apply kept outcome", id="apply"),
        Binding("escape,v", "back", "Back", id="back"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
    ]

    def __init__(
        self, ctx: UiContext | None = None, *, everyone: bool = False, select: str | None = None
    ) -> None:
        super().__init__(ctx)
        self.everyone = everyone
        self.select = select  # the event to open on (the board's highlighted one), once
        self.events: list[RejectedEvent] = []
        self.loaded = False

    def _title(self, width: int) -> Text:
        """The top bar: the app's title line and what is listed, shorter when it would not fit
        (what is listed first, then who; the date goes)."""
        what = "refused on the hub (unresolved)" if self.everyone else "refused from here"
        full = self.ctx.title_line() + f" · {what}"
        if full.cell_len <= width:
            return visible_text(full, multiline=False)
        u = self.ctx.user
        who = f" · {short_name(u.display_name or u.username)}" if u is not None else ""
        return visible_text(Text(f" ehub-tui · {what}{who}"), multiline=False)

    def on_resize(self, event: Any) -> None:
        self.query_one("#topbar", Static).update(self._title(event.size.width))

    def compose(self) -> ComposeResult:
        yield Static(self._title(200), id="topbar")
        yield self.sync_line()
        yield Static("Reading…", id="review-summary")
        with Horizontal(id="review"):
            yield DataTable(id="refused-list", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="review-detail"):
                yield Static("", id="review-body")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#refused-list", DataTable)
        table.add_columns("Item", "Outcome", "Who", "Saved", "Why")
        table.focus()
        self.ctx.sync_changed.subscribe(self, lambda _: self.load())
        self.load()

    def load(self) -> None:
        """Read the refused events again (in a worker)."""
        self._load_work()

    @work(thread=True, exclusive=True, group="review")
    def _load_work(self) -> None:
        service = self.ctx.service
        try:
            if self.everyone:
                events = list(service.sync_rejected())
            else:
                events = list(service.rejected_here())
        except StoreError as exc:
            self.post_message(RefusedLoaded([], str(exc)))
            return
        self.post_message(RefusedLoaded(events))

    def on_refused_loaded(self, message: RefusedLoaded) -> None:
        self.loaded = True
        summary = self.query_one("#review-summary", Static)
        if message.problem is not None:
            summary.update(literal(f"Not read: {message.problem}"))
            return
        self.events = list(message.events)
        n = len(self.events)
        if n == 0:
            summary.update(
                "Nothing refused: everything saved here reached the hub."
                if not self.everyone
                else "No refused events wait for a supervisor."
            )
        else:
            who = "on the hub" if self.everyone else "from this workstation"
            summary.update(
                literal(
                    f"{n} event{'s' if n != 1 else ''} refused {who}: the outcome is kept; "
                    + (
                        "f resolves the highlighted one."
                        if self.everyone
                        else "a supervisor resolves it on the board."
                    )
                )
            )
        table = self.query_one("#refused-list", DataTable)
        cursor = table.cursor_row
        table.clear()
        for e in self.events:
            table.add_row(*(one_line(c) for c in refused_row(e)), key=e.event_id)
        keys = [e.event_id for e in self.events]
        if self.select in keys:  # opened from the board: on the event highlighted there
            cursor = keys.index(self.select)
            self.select = None
        if self.events:
            table.move_cursor(row=min(cursor, len(self.events) - 1), animate=False)
        self._show_detail()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()  # k is for a refused completion only

    def selected(self) -> RejectedEvent | None:
        """The highlighted refused event."""
        table = self.query_one("#refused-list", DataTable)
        if not self.events or not table.row_count:
            return None
        row = table.cursor_row
        return self.events[row] if 0 <= row < len(self.events) else None

    def _show_detail(self) -> None:
        e = self.selected()
        body = self.query_one("#review-body", Static)
        body.update(refused_detail(e) if e is not None else "")

    # -- resolving (supervisors) -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return self.everyone and self.ctx.may("see_board") and bool(self.events)
        if action == "apply":
            e = self.selected()
            return (
                self.everyone
                and self.ctx.may("see_board")
                and e is not None
                and e.kind == "complete"
                and applies_kept(self.ctx.service)
            )
        return True

    def action_resolve(self) -> None:
        e = self.selected()
        if e is None or not self.everyone:
            return
        resolve_refused(self, e)

    def action_apply(self) -> None:
        e = self.selected()
        if e is None or not self.everyone:
            return
        apply_kept(self, e)

    def on_saved(self, message: Saved) -> None:
        notify(self, message.text, timeout=5)
        self.load()

    def on_not_saved(self, message: NotSaved) -> None:
        notify(self, message.problem, severity="error", timeout=10)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        intro = (
            "Events the hub refused. A completion saved while the hub was away is refused when "
            "the item changed hands meanwhile (a supervisor reassigned it, or its lease ran out "
            "and someone else took it) or was already closed. Nothing is lost: the outcome is "
            "shown here in full, with the hub's reason."
        )
        if self.everyone:
            intro += (
                " As a supervisor you see every unresolved refusal on the hub: read the outcome, "
                "act on it (enter it again, call the patient…) and press f to record what was "
                "done; it then leaves this list (it is kept, with your resolution, in the audit). "
                "k applies a refused completion's kept outcome to its item, with a written "
                "resolution: the hub completes the item with it when the item is waiting in the "
                "queue and nobody holds it (otherwise it says why not, and nothing changes)."
            )
        else:
            intro += (
                " A supervisor sees it on the board and resolves it; tell them if it is urgent."
            )
        self.app.push_screen(
            HelpScreen(self, "Refused events", intro=intro, extra=[("↑ ↓", "move in the list")])
        )


__all__ = [
    "KIND_WORDS",
    "ReviewScreen",
    "applies_kept",
    "apply_kept",
    "outcome_words",
    "refused_detail",
    "refused_row",
    "resolve_refused",
    "when",
]
