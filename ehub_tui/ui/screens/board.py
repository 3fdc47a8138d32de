"""The supervisor board: the whole hub live, and the actions that move work as it happens.

It refreshes through the screens' one ``Poller`` (a timer re-armed after each fetch, never two
fetches at once, paused while a dialog is open) and updates table rows by key inside a batch
update, so nothing flickers.

Events the hub refused from workstations (issue 14: a completion saved offline for an item that
changed hands meanwhile) are listed under the open items with their count in the headline; ``f``
resolves the highlighted one with a written resolution, ``v`` reads them in full. What the keys
do is the screen's base, ``BoardActions`` (``screens.board_actions``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Label, Sparkline, Static

from ehub_tui.domain.flags import EMERGENCY, flag_mark
from ehub_tui.errors import HubUnreachable
from ehub_tui.ui.context import UiContext, short_name
from ehub_tui.ui.format import (
    due_cell,
    literal,
    local,
    notify,
    one_line,
    span,
    template_words,
    visible_text,
)
from ehub_tui.ui.poller import Poller
from ehub_tui.ui.screens.board_actions import BoardActions, RowTable
from ehub_tui.ui.screens.board_alerts import (
    NewEmergencies,
    alerts_text,
    emergency_words,
    headline_text,
)
from ehub_tui.ui.screens.board_events import (
    events_static,
    events_text,
    navigator_rows,
    practice_rows,
)
from ehub_tui.ui.screens.board_layout import BOARD_CSS, fit
from ehub_tui.ui.widgets.sync_table import sync_table

if TYPE_CHECKING:
    from collections.abc import Hashable

    from ehub_tui.domain.board import Board
    from ehub_tui.domain.sync import RejectedEvent

BoardData = tuple["Board", "list[RejectedEvent] | None"]

FULL_FOOTER_WIDTH = 90


class BoardScreen(BoardActions):
    """Headline numbers, open items, practices, navigators, events, arrivals and completions.

    Under STACK_WIDTH columns (class ``-stacked``) the open items take the whole width, the
    navigators and practices sit side by side under them, then the events; the hourly charts
    are left out (they need the width to read)."""

    DEFAULT_CSS = BOARD_CSS

    BINDINGS = [
        # esc and ? first: the footer cuts from the right, and at 80 columns they must stay
        Binding("escape,b", "back", "Back", id="back"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        Binding("a", "reassign", "Reassign", id="reassign"),
        Binding("r", "release", "Release", id="release"),
        Binding("u", "priority(1)", "Urgent", id="urgent"),
        Binding("e", "priority(2)", "Emergency", id="emergency"),
        Binding("0", "priority(0)", "Normal", id="normal"),
        Binding("c", "cancel_item", "Cancel item", id="cancel"),
        Binding("h", "history", "History", id="history"),
        # the headline names it ("Awaiting reply 2 (…; w lists)"): the footer is full at 80
        Binding("w", "parked", "Awaiting reply", id="parked", show=False),
        # the alerts line names it (the footer is full at 80 columns)
        Binding("s", "stale", "Act on the stale claim", id="stale", show=False),
        # not in the footer (full at 80 columns): the refused panel's title names f, k and v
        Binding("f", "resolve", "Resolve refused", id="resolve", show=False),
        Binding("k", "apply_kept", "Apply a refused completion's kept outcome", show=False),
        Binding("v", "refused", "Refused events in full", id="refused", show=False),
    ]

    def __init__(self, interval: float = 1.0, *, ctx: UiContext | None = None) -> None:
        super().__init__(ctx)
        self.interval = interval
        self.board: Board | None = None
        self.refused: list[RejectedEvent] = []  # unresolved refused events (all workstations)
        self._offline_said = False  # "Board not updated: the hub is not answering" toasted
        self.unreachable = False  # the last read failed: the hub is not answering
        self.read_at: datetime | None = None  # when the board shown was read
        self.emergencies = NewEmergencies()  # each new ‼EM item is said once
        self.poller: Poller[BoardData] = Poller(
            self,
            self._load,
            shown=self._shown,
            failed=self._failed,
            group="board",
            refresh_on_resume=True,
        )

    @property
    def paused(self) -> bool:
        """A dialog (or another screen) covers the board: it is not refreshed meanwhile."""
        return self.poller.paused

    def compose(self) -> ComposeResult:
        yield Static(self._title(200), id="topbar")
        yield self.sync_line()
        yield Static("", id="headline")
        with Horizontal(id="board"):
            with Vertical(id="board-left"):
                yield Label(
                    "Open items — held first, then waiting (a r u e 0 c act on one)",
                    classes="board-title",
                )
                yield Static("", id="alerts")
                yield RowTable(id="items", cursor_type="row", zebra_stripes=True)
                yield Label("", id="refused-title", classes="board-title")
                yield RowTable(id="refused", cursor_type="row")
                yield Static("", id="refused-why")
            with Vertical(id="board-right"):
                with Vertical(id="board-lists"):  # side by side when stacked
                    with Vertical(classes="board-box"):
                        yield Label("Practices", classes="board-title")
                        yield DataTable(id="practices", cursor_type="none")
                    with Vertical(classes="board-box"):
                        yield Label("Navigators", classes="board-title")
                        yield DataTable(id="navigators", cursor_type="none")
                with Vertical(id="charts", classes="board-box"):
                    yield Label("Today by hour: arrivals / completions", classes="board-title")
                    yield Sparkline([0] * 24, id="arrivals")
                    yield Sparkline([0] * 24, id="completions")
                yield Label("Events", classes="board-title")
                yield events_static()
        yield Footer()

    def _title(self, width: int) -> Text:
        """The top bar: the app's title line and the screen's name, shorter when it would not
        fit (the name first, then who; the date goes)."""
        full = self.ctx.title_line() + " · supervisor board"
        if full.cell_len <= width:
            return visible_text(full, multiline=False)
        u = self.ctx.user
        who = f" · {short_name(u.display_name or u.username)}" if u is not None else ""
        return visible_text(Text(f" ehub-tui · supervisor board{who}"), multiline=False)

    def on_resize(self, event: Any) -> None:
        # as the queue's: an 80-column footer keeps more of its keys without the padding
        self.query_one(Footer).compact = event.size.width < FULL_FOOTER_WIDTH
        self.query_one("#topbar", Static).update(self._title(event.size.width))
        fit(self, event.size.width, event.size.height)

    def on_mount(self) -> None:
        items = self.query_one("#items", DataTable)
        items.add_columns("Flag", "Due", "#", "Status", "Held by / for", "Practice", "Request")
        self.query_one("#practices", DataTable).add_columns(
            "Practice", "Queued", "Oldest", "Done", "Share/list"
        )
        self.query_one("#navigators", DataTable).add_columns(
            "Navigator", "Online", "Holding", "Done", "Median"
        )
        self.query_one("#refused", DataTable).add_columns("#", "Outcome", "Who", "Why")
        self._show_refused([])
        # the hub went away or came back: the headline and the presence dots say so
        self.ctx.sync_changed.subscribe(self, lambda _: self._away_changed())
        items.focus()
        self.poller.request()

    # -- refreshing ------------------------------------------------------------------------------

    def on_screen_suspend(self) -> None:
        self.poller.pause()  # a dialog (or another screen) is open

    def on_screen_resume(self) -> None:
        self.poller.resume()

    def _load(self, _key: Hashable) -> BoardData:
        """The board and the unresolved refused events, read in the poller's worker."""
        service = self.ctx.service
        board: Board = service.board()
        rejected = getattr(service, "sync_rejected", None)
        refused = list(rejected()) if callable(rejected) else None
        return board, refused

    def _failed(self, exc: Exception) -> float:
        # the hub is unreachable: said once (and on the status line of a workstation that
        # syncs), never a toast every few seconds; tried again a little later
        if not isinstance(exc, HubUnreachable):
            notify(self, f"Board not updated: {exc}", severity="warning", timeout=4)
            return max(self.interval, 5.0)
        if not self.unreachable:
            self.unreachable = True
            self._away_changed()
        if not self._offline_said:
            self._offline_said = True
            notify(
                self,
                f"Board not updated: {exc} It is shown as last read until the hub answers.",
                severity="warning",
                timeout=6,
            )
        return max(self.interval, 5.0)

    def _shown(self, data: BoardData) -> float:
        board, refused = data
        self._offline_said = False
        self.unreachable = False
        self.read_at = self.ctx.now()
        self._show(board)
        self._tell_new_emergencies(board)
        if refused is not None:
            self._show_refused(refused)
        return self.interval  # re-armed after each fetch

    def _show(self, board: Board) -> None:
        """Show a board (timed by benchmarks/board.py: the screen update alone)."""
        self.board = board
        now = self.ctx.now()
        with self.app.batch_update():
            self._headline(board)
            self._items(board, now)
            self._practices(board)
            self._navigators(board, now)
            self.query_one("#arrivals", Sparkline).data = board.arrivals_by_hour
            self.query_one("#completions", Sparkline).data = board.completions_by_hour
            self._events(board)
            self._alerts(board, now)

    def _alerts(self, b: Board, now: datetime) -> None:
        """The alerts line over the open items: emergencies nobody holds, then claims nobody
        works (hidden when there are none, or when nothing shown is live)."""
        line = self.query_one("#alerts", Static)
        text = None if self.hub_away else alerts_text(b, now)
        line.display = text is not None
        if text is not None:
            line.update(text)

    def _tell_new_emergencies(self, b: Board) -> None:
        """A toast, once per item, when a refresh first sees a new ‼EM item (trial 15b: one
        arrived and nobody was told): the item and its practice in words, not colour alone."""
        now = self.ctx.now()
        for item in self.emergencies.new(b.items)[:3]:
            notify(self, f"New emergency: {emergency_words(b, item, now)}.", severity="error")

    def _away_changed(self) -> None:
        """The hub went away or came back: the headline and the navigators say so."""
        if self.board is not None:
            with self.app.batch_update():
                self._headline(self.board)
                self._navigators(self.board, self.ctx.now())
        self.refresh_bindings()

    def _headline(self, b: Board) -> None:
        if self.hub_away:  # nothing here is live: said first, with when it was read
            read = local(self.read_at).strftime("%H:%M") if self.read_at else "—"
            self.query_one("#headline", Static).update(
                Text(
                    f"offline — last read {read} (the hub is not answering; "
                    "what is shown is as it was then)",
                    f"bold {self._tone('warning')}",
                )
            )
            return
        t = headline_text(b, len(self.refused), self._tone)
        self.query_one("#headline", Static).update(t)

    def _tone(self, name: str) -> str:
        """The theme's colour called ``name`` (error, warning, success): a light theme gets
        its own, not a fixed red on white."""
        return str(getattr(self.app.current_theme, name, None) or "")

    def _items(self, b: Board, now: datetime) -> None:
        rows = []
        idle = {a.item_id: a.idle for a in b.alerts}
        for it in b.items:
            mark = flag_mark(it.priority, it.sop_flags, it.status)  # as every screen
            flag = mark.short
            # "now" for an emergency, "soon 45m", "-2h": words, not colour alone
            due, _ = due_cell(it.due_by, now, emergency=mark.level == EMERGENCY)
            if it.status == "claimed":
                held = f"{it.owner} {span(now - it.claimed_at) if it.claimed_at else ''}"
                # stale by the hub's clock (the one leases are judged by), not this screen's
                if it.lease_until and it.lease_until < (b.hub_now or now):
                    held += " (stale)"
                elif it.id in idle:  # held, but nobody works it (the alerts line)
                    held += f" (idle {span(idle[it.id])})"
            else:
                held = f"waiting {span(now - it.received_at)}"
            rows.append(
                (
                    str(it.id),
                    (
                        flag,
                        due,
                        str(it.id),
                        it.status,
                        held,
                        it.practice_ods,
                        template_words(it.template),
                    ),
                )
            )
        sync_table(self.query_one("#items", DataTable), rows)

    def _practices(self, b: Board) -> None:
        sync_table(self.query_one("#practices", DataTable), practice_rows(b, self.ctx.now()))

    def _navigators(self, b: Board, now: datetime) -> None:
        rows = navigator_rows(b, now, away=self.hub_away)
        sync_table(self.query_one("#navigators", DataTable), rows)

    def _events(self, b: Board) -> None:
        self.query_one("#events", Static).update(events_text(b.events))

    def _show_refused(self, refused: list[RejectedEvent]) -> None:
        """The refused events' panel (hidden when there are none) and the headline's count."""
        from ehub_tui.ui.screens.review_text import outcome_words

        changed = len(refused) != len(self.refused)
        self.refused = refused
        title = self.query_one("#refused-title", Label)
        table = self.query_one("#refused", DataTable)
        n = len(refused)
        title.update(f"Not applied ({n}) — f resolve, k apply, v read")
        title.display = table.display = bool(refused)
        self.query_one("#refused-why", Static).display = bool(refused)
        rows = [
            (e.event_id, (f"#{e.item_id}", outcome_words(e), e.username, one_line(e.reason)))
            for e in refused
        ]
        sync_table(table, rows)
        self._show_why()
        if changed:
            if self.board is not None:
                self._headline(self.board)
            self.refresh_bindings()

    def _show_why(self) -> None:
        """The highlighted refused event's reason in full, under the panel (the table's
        column is cut on a narrow screen; the reason is the point)."""
        from ehub_tui.ui.screens.review_text import outcome_words

        e = self.highlighted_refused()
        text = (
            f"#{e.item_id} {outcome_words(e)} by {e.username} — why: {one_line(e.reason)}"
            if e is not None
            else ""
        )
        self.query_one("#refused-why", Static).update(literal(text))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "refused":
            self._show_why()

    def action_parked(self) -> None:
        """The items parked awaiting the patient's reply, as the board last read them."""
        if self.board is None or self.read_at is None:
            notify(self, "The board has not been read yet.", severity="warning")
            return
        from ehub_tui.ui.screens.board_parked import ParkedScreen

        self.app.push_screen(ParkedScreen(self.board, self.read_at, self.ctx))

    def action_history(self) -> None:
        """The highlighted item's history, in words (from the hub's audit)."""
        item = self._selected()
        if item is not None:
            from ehub_tui.ui.screens.history import HistoryScreen

            self.app.push_screen(HistoryScreen(item.id, self.ctx))

    def action_back(self) -> None:
        self.dismiss(None)
