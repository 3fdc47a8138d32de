"""The queue screen: what is waiting, best first; claim the next or a chosen item.

On a workstation with an outbox (issue 14) the lists come from its cache while the hub is away:
claiming is refused in plain words (it needs the hub), the items already held can be opened and
finished, and Mine shows how long each lease has left by the hub's clock ("lease ≈ 12 min left").
The help and the keys to the other screens are the screen's base, ``QueueMenu``
(``screens.queue_menu``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Label, Static, Tab, Tabs

from ehub_tui.domain.queue import Claim, QueueFilter, QueueRow
from ehub_tui.errors import StoreError
from ehub_tui.ui.context import UiContext
from ehub_tui.ui.format import literal, notify, visible_text
from ehub_tui.ui.messages import Claimed, ClaimRefused, LeasesKnown, QueueChanged
from ehub_tui.ui.screens.queue_alerts import QueueAlerts
from ehub_tui.ui.screens.queue_find import SEARCH_HINT, TYPES
from ehub_tui.ui.screens.queue_words import NOTHING_FOR_YOU, held_for
from ehub_tui.ui.widgets.queue_table import QueueTable, header_text

if TYPE_CHECKING:
    from ehub_tui.domain.models import Consultation
    from ehub_tui.domain.sync import SyncStatus

VIEW_LABELS = {"queue": "Queue", "mine": "Mine", "done": "Done today"}
__all__ = ["TYPES", "QueueScreen", "lease_words"]  # TYPES: queue_find's (t cycles the types)
LEASE_SECONDS = 15.0  # Mine's "lease ≈ N min left" is worked out again this often


def lease_words(seconds: float) -> str:
    """``lease ≈ 12 min left`` (rounded up: "≈ 1 min" until it has run out)."""
    if seconds <= 0:
        return "lease ended"
    return f"lease ≈ {max(1, math.ceil(seconds / 60))} min left"


EMPTY = {
    "queue": "The queue is empty — nothing waiting. New requests appear here by themselves.",
    "mine": "You hold no items. Press n to take the next one from the queue.",
    "done": "Nothing completed today yet.",
}
# Mine with the hub away: a claim needs the hub, so n is not offered
MINE_OFFLINE = "You hold no items. New items can be claimed when the hub is back."
FULL_FOOTER_WIDTH = 90  # narrower: the footer drops its padding so every key keeps its name


class QueueScreen(QueueAlerts):
    """Queue / Mine / Done today, with filters and search (``QueueFind``), tab counts and the
    emergency alert (``QueueAlerts``)."""

    BINDINGS = [
        Binding("n", "next", "Next item", id="next"),
        Binding("enter", "open", "Claim/open", id="open"),
        Binding("1", "view('queue')", "Queue", show=False),
        Binding("2", "view('mine')", "Mine", show=False),
        Binding("3", "view('done')", "Done", show=False),
        Binding("tab", "next_view", "Next tab", show=False),
        Binding("slash", "search", "Search", id="search", key_display="/"),
        Binding("p", "cycle_practice", "Practice", id="practice", show=False),
        Binding("t", "cycle_type", "Type", id="type", show=False),
        Binding("u", "toggle_urgent", "Urgent only", id="urgent", show=False),
        Binding("d", "toggle_due", "Due < 1h", id="due", show=False),
        Binding("x", "clear_filters", "Clear filters", id="clear", show=False),
        Binding("f", "filters", "Filters", id="filters", show=False),
        Binding("h", "history", "History", id="history", show=False),
        Binding("b", "board", "Board", id="board"),
        Binding("s", "sops", "SOPs", id="sops"),
        Binding("r", "reports", "Reports", id="reports"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, ctx: UiContext | None = None) -> None:
        super().__init__(ctx)
        self.view = "queue"
        self.filters = QueueFilter()
        self._find_init()
        self._practices: list[str] = []
        self._cursor_seen = -1
        self._sync_seen: tuple[bool, int, int] | None = None  # (online, pending, refused) shown
        self._busy = False
        # n or enter pressed before the SOPs were ready: (item id or None, resume), done when
        # they are (the screen says "Loading guidance…" meanwhile; it never blocks)
        self._pending: tuple[int | None, bool] | None = None

    def compose(self) -> ComposeResult:
        yield Static(visible_text(self.ctx.title_line(), multiline=False), id="topbar")
        yield self.sync_line()
        yield Tabs(*[Tab(VIEW_LABELS[v], id=v) for v in VIEW_LABELS], id="views")
        with Horizontal(id="filterbar"):
            yield Label("", id="filters")
            yield Input(placeholder=SEARCH_HINT, id="search")
        yield Static(header_text(200), id="colhead")
        yield QueueTable(self._fetch, self.ctx.now, empty_text=EMPTY["queue"], id="table")
        yield Static("", id="detail")
        yield Footer()

    def on_mount(self) -> None:
        search = self.query_one("#search", Input)
        search.display = False
        search.cursor_blink = False
        self.query_one(QueueTable).focus()
        # the practices are read by the app's worker, never here on the UI thread
        self._practices = sorted(self.ctx.practices or ())
        self.ctx.practices_loaded.subscribe(self, self._practices_loaded)
        self.ctx.guidance_loaded.subscribe(self, lambda _: self._guidance_ready())
        # the hub went away or came back, or what was waiting was sent or refused: the lists
        # may read from another place now (the cache, the hub), so they are read again
        self._sync_seen = self._sync_key(self.ctx.sync)
        self.ctx.sync_changed.subscribe(self, self._sync_changed)
        self._show_filters()
        self.reload()
        self._default_view()  # a supervisor may have set this user's default view
        self.set_interval(self.ctx.poll_interval, self._poll)
        self.set_interval(LEASE_SECONDS, self._leases)

    @staticmethod
    def _sync_key(status: SyncStatus | None) -> tuple[bool, int, int] | None:
        return None if status is None else (status.online, status.pending, status.rejected)

    def _sync_changed(self, status: SyncStatus | None) -> None:
        key = self._sync_key(status)
        if key != self._sync_seen:
            self._sync_seen = key
            self.query_one(QueueTable).empty_text = self._empty_text()  # offline or not
            self.reload()

    def _practices_loaded(self, names: dict[str, str]) -> None:
        self._practices = sorted(names)
        self._show_detail(self.query_one(QueueTable).current_row)

    def on_resize(self, event: Any) -> None:
        # supervisors' and managers' extra keys fit an 80-column footer only without the padding
        self.query_one(Footer).compact = event.size.width < FULL_FOOTER_WIDTH

    # -- data ------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Refetch the visible rows and the tab counts."""
        tables = self.query(QueueTable)
        if not tables:  # a poll that lands while the app shuts down: nothing left to refresh
            return
        tables.first().refresh_data()
        self._counts()
        self._leases()

    def _leases(self) -> None:
        """Mine: the time left on each held item's lease (worked out in a worker)."""
        if self.view != "mine" or not callable(getattr(self.ctx.service, "lease_left", None)):
            return
        self._lease_work()

    @work(thread=True, exclusive=True, group="leases")
    def _lease_work(self) -> None:
        service = self.ctx.service
        try:
            left = {c.item_id: float(service.lease_left(c)) for c in service.held_claims()}
        except Exception:  # a cache or hub failure: Mine shows no lease times meanwhile
            return
        self.post_message(LeasesKnown(left))

    def on_leases_known(self, message: LeasesKnown) -> None:
        tables = self.query(QueueTable)
        if tables and self.view == "mine":
            leases = {i: lease_words(s) for i, s in message.left.items()}
            notices = getattr(self.app, "handover_notices", None)
            if notices is not None:  # a handed-over item says so, in words, until opened
                marks = {i: notices.mark(i) for i in leases}
                leases = {i: f"{marks[i]} · {w}" if marks[i] else w for i, w in leases.items()}
            tables.first().set_notes({**self._matched, **leases})

    def handovers_changed(self) -> None:
        """Something was handed to this user (or opened): Mine and the counts re-read."""
        self.reload()

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self) -> None:
        try:
            cursor = self.ctx.service.change_cursor()
        except Exception:  # a dropped hub connection: try again at the next tick
            return
        if cursor != self._cursor_seen:
            self._cursor_seen = cursor
            self.post_message(QueueChanged())

    def on_queue_changed(self, message: QueueChanged) -> None:
        self.reload()

    # -- tabs, filters, search ------------------------------------------------------------------

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab.id and event.tab.id != self.view:
            self.view = event.tab.id
            table = self.query_one(QueueTable)
            table.empty_text = self._empty_text()
            table.cursor = 0
            table.scroll_to(y=0, animate=False)
            table.set_notes({})  # lease times belong to Mine; read again for it
            self._matched = {}
            self.reload()
            table.focus()

    def action_view(self, view: str) -> None:
        self.query_one(Tabs).active = view

    def action_next_view(self) -> None:
        order = list(VIEW_LABELS)
        self.action_view(order[(order.index(self.view) + 1) % len(order)])

    def _empty_text(self) -> str:
        if self.filters.active:
            return "No items match the filters. Press x to clear them."
        if self.view == "mine" and self.ctx.offline:
            return MINE_OFFLINE
        return EMPTY[self.view]

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        self.search_submitted(event.value)

    def on_key(self, event: Any) -> None:
        search = self.query_one("#search", Input)
        if event.key == "escape" and search.has_focus:
            search.display = False
            self.query_one(QueueTable).focus()
            event.stop()

    # -- the highlighted row --------------------------------------------------------------------

    def on_queue_table_highlighted(self, event: QueueTable.Highlighted) -> None:
        self.call_after_refresh(self.ctx.start_guidance)  # the queue has painted
        self._show_detail(event.row)

    def _show_detail(self, row: QueueRow | None) -> None:
        detail = self.query_one("#detail", Static)
        if self._pending is not None:
            detail.update(literal("Loading guidance… the item opens as soon as it is ready."))
            return
        if row is None:
            detail.update("")
            return
        flags = f" · supplier flags: {', '.join(row.supplier_flags)}" if row.supplier_flags else ""
        # supplier text: shown as written, never read as markup or terminal control
        detail.update(
            literal(
                f"#{row.id} · {self.ctx.practice_name(row.practice_ods)} · "
                f"{row.request_type} · {(row.template or '').replace('_', ' ')}{flags}"
                + (f" · matched {row.matched}" if row.matched else "")
                + (f" · {held_for(row, self.ctx.now())}" if row.holder else "")
            )
        )

    # -- claiming -------------------------------------------------------------------------------

    def action_history(self) -> None:
        """The highlighted item's history, in words (from the hub's audit)."""
        row = self.query_one(QueueTable).current_row
        if row is not None:
            from ehub_tui.ui.screens.history import HistoryScreen

            self.app.push_screen(HistoryScreen(row.id, self.ctx))

    def action_next(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._claim_when_ready(None, False)

    def action_open(self) -> None:
        row = self.query_one(QueueTable).current_row
        if row is None or self._busy:
            return
        if self.view == "done":
            notify(self, f"#{row.id} is completed ({row.route}). h shows its history.", timeout=4)
            return
        if self.view == "queue" and self.say_state(row):  # held, parked, done: in words
            return
        self._busy = True
        # an item of mine found in the Queue tab (a search) opens as from Mine
        self._claim_when_ready(row.id, self.view == "mine" or row.status == "claimed")

    def _claim_when_ready(self, item_id: int | None, resume: bool) -> None:
        """Claim now if the SOP guidance is ready; else say "Loading guidance…" and claim when
        it is (the triage screen needs it: waiting here never freezes the screen)."""
        if self.ctx.guidance_ready:
            self._claim(item_id, resume)
            return
        self._pending = (item_id, resume)
        self._show_detail(None)
        self.ctx.start_guidance()

    def _guidance_ready(self) -> None:
        pending, self._pending = self._pending, None
        self._show_detail(self.query_one(QueueTable).current_row)
        if pending is not None:
            self._claim(*pending)

    @work(thread=True, exclusive=True, group="claim")
    def _claim(self, item_id: int | None, resume: bool = False) -> None:
        service = self.ctx.service
        claim: Claim | None
        try:
            if item_id is None:
                claim = service.claim_next()
                if claim is None:
                    # items still wait: only those this user just returned (left for others)
                    waiting = service.view_counts().get("queue", 0)
                    self.post_message(
                        ClaimRefused(NOTHING_FOR_YOU if waiting else "The queue is empty.")
                    )
                    return
            elif resume:
                # the claims this user holds (from the workstation's cache when the hub is
                # away): an item still held is opened under its own claim and epoch
                claim = next((c for c in service.held_claims() if c.item_id == item_id), None)
                if claim is None:
                    self.post_message(ClaimRefused(f"#{item_id} is no longer yours."))
                    return
            else:
                claim = service.claim(item_id)
            item = service.consultation(claim.item_id)
        except StoreError as exc:
            self.post_message(ClaimRefused(str(exc)))
            return
        self.post_message(Claimed(claim, item))

    def on_claim_refused(self, message: ClaimRefused) -> None:
        self._busy = False
        notify(self, message.problem or "Nothing to claim.", severity="warning", timeout=5)
        self.reload()

    def on_claimed(self, message: Claimed) -> None:
        self._busy = False
        self._open(message.claim, message.item)

    def _open(self, claim: Claim, item: Consultation) -> None:
        from ehub_tui.ui.screens.triage import TriageScreen

        draft = self.ctx.drafts.pop(claim.item_id, None)
        self.app.push_screen(
            TriageScreen(claim, item, draft, ctx=self.ctx), lambda _: self.reload()
        )
