"""The supervisors' and managers' reports: the daily return's figures for today, yesterday, this
week or last week, with simple charts (arrivals by hour, outcome mix, hub share against list
share by practice).

The figures come from ``HubService.report`` (the same counting as ``ehub-tui export``), read in a
thread worker by the screens' one ``Poller``. A period that includes today refreshes every 30 s: a
one-shot timer is re-armed after each fetch, so two fetches never overlap.

Text from the hub (practice names, error messages) is only ever put on screen as ``rich.text.Text``
made visible (``ui.format.literal``), never inside a markup string, so a name like
``Castle [/b] Hill`` shows as written and ``\x1b[2J`` in it as ``␛[2J``.
A manager (no queue work) gets this screen as the app's first screen (``home``): there q quits
the app (esc asks first) rather than going back to a queue they may not see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static, Tab, Tabs

from ehub_tui.errors import PermissionDenied
from ehub_tui.export.report import PERIOD_LABELS, PERIODS, figure
from ehub_tui.ui.context import EhubScreen, UiContext
from ehub_tui.ui.format import literal, local, visible_text
from ehub_tui.ui.poller import Poller
from ehub_tui.ui.screens.report_view import (
    NO_PRACTICES,
    OVERUSE_MIN_REQUESTS,
    OVERUSE_RATIO,
    Parts,
    busiest_hour,
    hbar,
    headline,
    hours_chart,
    outcomes_chart,
    practice_table,
    share_chart,
)
from ehub_tui.ui.widgets.report_body import ReportBody

if TYPE_CHECKING:
    from collections.abc import Hashable

    from textual.timer import Timer

    from ehub_tui.export.report import Report

# the charts and tables are built in report_view; these names are importable from here too
__all__ = [
    "ReportsScreen",
    "figure",
    "hbar",
    "headline",
    "hours_chart",
    "outcomes_chart",
    "practice_table",
    "share_chart",
]

REFRESH_SECONDS = 30.0
TAB_LABELS = {
    "today": "1 Today",
    "yesterday": "2 Yesterday",
    "week": "3 This week",
    "last_week": "4 Last week",
}
LIVE_PERIODS = ("today", "week")  # include today: their figures still move
INTRO = (
    "The daily return's figures for today (so far), yesterday, this week (Monday to today) or "
    "last week (Monday to Sunday before this week: on a Monday this week is just today), "
    "UK time, counted exactly as `ehub-tui export` counts them (docs/returns.md). Received: "
    "requests that arrived in the period; processed: completed in it; backlog: open at the "
    "start and at the end. Minutes to 1st action (first picked up) and to done, and within "
    "standard (completed by the due time), are over the requests completed in the period.\n\n"
    "Hub share % is a practice's part of the hub's requests; list share % its part of the PCN's "
    f"registered patients. ▲ in the share chart marks a practice at {OVERUSE_RATIO:g}× its list "
    f"share or more, once it sent at least {OVERUSE_MIN_REQUESTS} requests in the period (a "
    "few requests prove nothing). Figures that include today refresh every 30 s; r refreshes "
    "now. c opens the Capacity view: how many navigators each hour of the coming week needs."
)

HOME_NOTE = (
    "\n\nYou are signed in as a manager: managers do no queue work, so the reports are your "
    "first screen and the patient queue is not shown. q quits the app; esc asks first."
)


class ReportsScreen(EhubScreen[None]):
    """Today, yesterday, this week or last week: headline, per-practice table and three charts.

    ``home``: the app's first screen (a manager's), which q quits (esc asks first) rather than
    leaves."""

    BINDINGS = [
        # the period keys are named on the tabs; the footer keeps room for the rest at 80 wide
        Binding("1", "period('today')", "Today", id="today", show=False),
        Binding("2", "period('yesterday')", "Yesterday", id="yesterday", show=False),
        Binding("3", "period('week')", "This week", id="week", show=False),
        Binding("4", "period('last_week')", "Last week", id="last_week", show=False),
        Binding("tab", "next_period(1)", "Next period", show=False),
        Binding("shift+tab", "next_period(-1)", "Previous period", show=False),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("c", "capacity", "Capacity", id="capacity"),  # issue 17: ui/screens/capacity_view
        # by check_action: back to the queue, or (home) q quits the app as on every home screen
        # and esc asks first (a manager's esc must not end the app by surprise)
        Binding("escape,q", "back", "Back", id="back"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("escape", "ask_quit", "Quit?", id="ask_quit", show=False),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
    ]

    def __init__(
        self,
        period: str = "today",
        refresh_seconds: float = REFRESH_SECONDS,
        *,
        home: bool = False,
        ctx: UiContext | None = None,
    ) -> None:
        super().__init__(ctx)
        self.period = period
        self.refresh_seconds = refresh_seconds
        self.home = home
        self.report: Report | None = None
        self.error: str | None = None
        self.poller: Poller[Report] = Poller(
            self,
            self._load,
            shown=self._loaded,
            failed=self._failed,
            key=lambda: self.period,  # a result for another period is fetched again
            group="reports",
        )

    @property
    def _timer(self) -> Timer | None:
        """The refresh armed for later (None: not refreshed by itself)."""
        return self.poller.timer

    @property
    def paused(self) -> bool:
        """Help (or another screen) covers the figures: a refresh due meanwhile waits."""
        return self.poller.paused

    def compose(self) -> ComposeResult:
        yield Static(
            visible_text(self.ctx.title_line() + " · reports", multiline=False), id="topbar"
        )
        yield self.sync_line()
        yield Tabs(*[Tab(TAB_LABELS[p], id=p) for p in PERIODS], id="periods", active=self.period)
        yield Static("", id="report-status")
        yield Static("", id="report-error")
        yield Static("Counting…", id="report-headline")
        with ReportBody(id="report-body"):
            yield Static("", id="table-title", classes="report-title")
            yield DataTable(
                id="report-table",
                fixed_columns=1,  # the labels stay while the practices scroll sideways
                show_cursor=False,
                cursor_type="none",
                cell_padding=0,
            )
            yield Static("", id="report-names")
            yield Static("", id="hours-title", classes="report-title")
            yield Static("", id="report-hours")
            yield Static("", id="outcomes-title", classes="report-title")
            yield Static("", id="report-outcomes")
            yield Static("", id="share-title", classes="report-title")
            yield Static("", id="report-share")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Tabs).can_focus = False  # 1-4 and tab switch; the arrows scroll
        table = self.query_one("#report-table", DataTable)
        table.can_focus = False  # the body keeps the focus: ← → reach the table through it
        table.display = False
        self.query_one("#report-error", Static).display = False
        self.query_one("#report-body").focus()
        self._show_status()
        self._fetch()

    # -- fetching -------------------------------------------------------------------------------

    def on_screen_suspend(self) -> None:
        self.poller.pause()  # help (or another screen) is open

    def on_screen_resume(self) -> None:
        self.poller.resume()  # fetches if the refresh fell due meanwhile

    def _live(self) -> bool:
        """Does the period include today (so its figures still move)?"""
        return self.period in LIVE_PERIODS

    def _fetch(self) -> None:
        self.poller.request()

    def _load(self, period: Hashable) -> Report:
        """The period's figures, read in the poller's worker."""
        report: Report = self.ctx.service.report(str(period))
        return report

    def _loaded(self, report: Report) -> float | None:
        self.report = report
        self.error = None
        self.query_one("#report-error", Static).display = False
        with self.app.batch_update():
            self._show_status()
            self._show(report)
        return self._next()

    def _failed(self, exc: Exception) -> float | None:
        # refused, or the hub did not answer: say so on the screen
        text = str(exc).strip().splitlines()
        message = text[0] if text else type(exc).__name__
        period = self.period
        self.error = message
        error = self.query_one("#report-error", Static)
        # the message is the hub's text: a Text, so "[/x]" in it is shown, not parsed
        error.update(literal(f"Figures not updated: {message.rstrip('.')}. Press r to try again."))
        error.display = True
        if self.report is not None and self.report.period != period:
            self.report = None  # another period's figures: not shown under this one's name
        if self.report is None:
            self._clear()
        self._show_status()
        # a refusal is audited each time: do not ask again by ourselves
        return None if isinstance(exc, PermissionDenied) else self._next()

    def _next(self) -> float | None:
        """Seconds to the next refresh: only a period that includes today moves."""
        return self.refresh_seconds if self._live() else None

    # -- showing --------------------------------------------------------------------------------

    def _show_status(self) -> None:
        r = self.report
        parts: list[Text] = []
        if r is None or r.period != self.period:
            parts.append(Text(PERIOD_LABELS[self.period], style="bold"))
            parts.append(Text("counting…" if self.error is None else "no figures", style="dim"))
        else:
            parts.append(Text(r.label, style="bold"))
            so_far = "so far, " if self._live() else ""
            parts.append(Text(f"{so_far}as of {local(r.as_of):%H:%M}"))
            if self._live():
                parts.append(Text(f"refreshes every {self.refresh_seconds:g} s", style="dim"))
        self.query_one("#report-status", Static).update(Parts(parts))

    def _clear(self) -> None:
        """No figures for this period: blank the headline, the table and the charts."""
        self.query_one("#report-headline", Static).update(
            Text(f"No figures for {PERIOD_LABELS[self.period].lower()}.", style="dim")
        )
        for widget in self.query_one("#report-body").query(Static):
            widget.update("")
        table = self.query_one("#report-table", DataTable)
        table.clear(columns=True)
        table.display = False

    def _show(self, r: Report) -> None:
        self.query_one("#report-headline", Static).update(headline(r))
        self.query_one("#table-title", Static).update(
            Text("Per practice (the same figures as ehub-tui export --summary)")
        )
        table = self.query_one("#report-table", DataTable)
        scroll_x = table.scroll_x  # a refresh keeps the table where it was scrolled to
        table.clear(columns=True)
        table.display = bool(r.practices)
        if r.practices:
            header, rows = practice_table(r)
            # the figures' columns all as wide as the widest: ← → then move whole columns
            wide = max(cell.cell_len for line in (header, *rows) for cell in line[1:])
            for i, label in enumerate(header):
                table.add_column(label, key=str(i), width=wide if i else None)
            table.add_rows(rows)
            self.call_after_refresh(self._fit_table, scroll_x)
        # the names are the hub's data: Text, never markup
        names = " · ".join(f"{p.ods_code} {p.name}" for p in r.practices)
        self.query_one("#report-names", Static).update(literal(names or NO_PRACTICES, "dim"))
        received = sum(r.arrivals_by_hour)
        busiest = busiest_hour(r.arrivals_by_hour)
        days = (r.last - r.first).days + 1
        over = f", {days} days added together" if days > 1 else ""
        self.query_one("#hours-title", Static).update(
            Text(
                f"Arrivals by hour (UK time{over}): {received:,} received"
                + (f", {busiest}" if busiest else "")
            )
        )
        self.query_one("#report-hours", Static).update(hours_chart(r.arrivals_by_hour))
        self.query_one("#outcomes-title", Static).update(Text("Outcome mix (completed requests)"))
        self.query_one("#report-outcomes", Static).update(outcomes_chart(r.outcome_mix))
        self.query_one("#share-title", Static).update(
            Text(
                "Share by practice: hub share (its part of the hub's requests) "
                "vs list share (its part of the registered patients)"
            )
        )
        self.query_one("#report-share", Static).update(share_chart(r.practices))

    def on_resize(self, event: Any) -> None:
        self.call_after_refresh(self._fit_table)

    def _fit_table(self, scroll_x: float = -1) -> None:
        """Make the per-practice table show whole columns only: as wide as its labels and as
        many figures' columns as the window has room for (the rest scroll into view with → , a
        column at a time), so no figure is ever shown cut in two. ``scroll_x``: where to
        scroll it back to after a refresh."""
        table = self.query_one("#report-table", DataTable)
        columns = table.ordered_columns
        if not table.display or len(columns) < 2:
            return
        room = self.query_one("#report-body").scrollable_content_region.width
        labels = columns[0].get_render_width(table)
        wide = columns[1].get_render_width(table)
        shown = max(1, (room - labels) // wide)
        table.styles.width = labels + min(shown, len(columns) - 1) * wide
        if scroll_x >= 0:  # once the new width is laid out
            table.call_after_refresh(table.scroll_to, x=scroll_x // wide * wide, animate=False)

    # -- actions --------------------------------------------------------------------------------

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab.id and event.tab.id != self.period:
            self.period = event.tab.id
            self._show_status()
            self._fetch()

    def action_period(self, period: str) -> None:
        self.query_one(Tabs).active = period

    def action_next_period(self, step: int) -> None:
        order = list(PERIODS)
        current = self.query_one(Tabs).active  # ahead of self.period while a switch is on its way
        here = order.index(current) if current in order else order.index(self.period)
        self.action_period(order[(here + step) % len(order)])

    def action_refresh(self) -> None:
        self._fetch()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return not self.home  # the first screen: nothing underneath to go back to
        if action in ("quit", "ask_quit"):
            return self.home
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_capacity(self) -> None:
        from ehub_tui.ui.screens.capacity_view import CapacityScreen

        self.app.push_screen(CapacityScreen(ctx=self.ctx))

    def action_quit(self) -> None:
        self.app.exit()  # as the queue's q does

    def action_ask_quit(self) -> None:
        """esc on the home screen: ask before quitting (enter quits, esc stays)."""
        from ehub_tui.ui.screens.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.exit()

        self.app.push_screen(
            ConfirmDialog("Quit ehub-tui?", "Quit the app? (q quits at once next time.)"),
            answered,
        )

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Reports",
                intro=INTRO + (HOME_NOTE if self.home else ""),
                extra=[
                    ("↑ ↓ pgup pgdn home end", "scroll the figures and charts"),
                    ("← →", "scroll the per-practice table sideways (the labels stay)"),
                ],
            )
        )
