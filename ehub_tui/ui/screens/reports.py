"""The supervisors' reports: the daily return's figures for today, yesterday or this week, with
simple charts (arrivals by hour, outcome mix, hub share against list share by practice).

The figures come from ``HubService.report`` (the same counting as ``ehub-tui export``), read in a
thread worker. A period that includes today refreshes every 30 s: a one-shot timer is re-armed
after each fetch, so two fetches never overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static, Tab, Tabs

from ehub_tui.export.command import SUMMARY_COLUMNS  # the CLI summary's labels
from ehub_tui.export.report import PERIOD_LABELS, PERIODS
from ehub_tui.ui.format import local, span

if TYPE_CHECKING:
    from ehub_tui.export.report import PracticeLine, Report
    from ehub_tui.ui.app import EhubApp

REFRESH_SECONDS = 30.0
OVERUSE_RATIO = 1.5  # a practice using the hub at this many times its list share is marked

HEADLINE = (
    ("Received", "OC_TOTAL_SUBMISSIONS"),
    ("Processed", "PROCESSED"),
    ("Backlog end", "BACKLOG_END"),
    ("Escalated", "ESCALATIONS"),
    ("Pharmacy First", "PHARMACY_FIRST_REFERRALS"),
    ("Median min to 1st action", "MINUTES_TO_FIRST_ACTION_MEDIAN"),
    ("Within standard", "PCT_COMPLETED_WITHIN_STANDARD"),
    ("Reassigned", "REASSIGNMENTS"),
)
TAB_LABELS = {"today": "1 Today", "yesterday": "2 Yesterday", "week": "3 This week"}
CATEGORY_STYLE = {
    "signpost": "cyan",
    "clinical": "green",
    "admin": "blue",
    "escalate": "red",
    "other": "bright_black",
}
VBLOCKS = " ▁▂▃▄▅▆▇█"  # eighths of a cell, bottom up
HBLOCKS = " ▏▎▍▌▋▊▉"  # eighths of a cell, left to right

INTRO = (
    "The daily return's figures for today (so far), yesterday or this week (Monday to today), "
    "UK time, counted exactly as `ehub-tui export` counts them (docs/returns.md). Received: "
    "requests that arrived in the period; processed: completed in it; backlog: open at the "
    "start and at the end. Minutes to 1st action (first picked up) and to done, and within "
    "standard (completed by the due time), are over the requests completed in the period.\n\n"
    "Hub share % is a practice's part of the hub's requests; list share % its part of the PCN's "
    f"registered patients. ▲ in the share chart marks a practice at {OVERUSE_RATIO:g}× its list "
    "share or more. Figures that include today refresh every 30 s; r refreshes now."
)


def figure(value: Any) -> str:
    """A figure as the CLI summary prints it: "–" for nothing to measure, 1,234 or 12.3."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}"


def hbar(units: float, width: int) -> str:
    """A horizontal bar ``units`` cells long (eighths drawn), padded to ``width``; a non-zero
    value always shows at least a sliver."""
    eighths = max(0, round(units * 8))
    if units > 0 and eighths == 0:
        eighths = 1
    full, part = divmod(min(eighths, width * 8), 8)
    bar = "█" * full + (HBLOCKS[part] if part else "")
    return bar.ljust(width)


def hours_chart(counts: Sequence[int], height: int = 5) -> Text:
    """24 vertical bars (one per UK-local hour), a scale on the left and the hours beneath."""
    peak = max(counts, default=0)
    if peak <= 0:
        return Text("No requests arrived in this period.", style="dim")
    label_w = len(str(peak))
    levels = [0 if n <= 0 else max(1, round(n / peak * height * 8)) for n in counts]
    t = Text()
    for row in range(height - 1, -1, -1):
        top = row == height - 1
        t.append(f"{peak:>{label_w}} ┤" if top else f"{'':>{label_w}} │", style="dim")
        for level in levels:
            fill = min(8, max(0, level - row * 8))
            t.append(VBLOCKS[fill] * 2, style="bold cyan")
            t.append(" ")
        t.append("\n")
    t.append(f"{0:>{label_w}} └" + "─" * 72 + "\n", style="dim")
    t.append(f"{'':>{label_w}}  " + " ".join(f"{h:02d}" for h in range(24)), style="dim")
    return t


def busiest_hour(counts: Sequence[int]) -> str:
    """e.g. "busiest 09:00–10:00 (18)"; empty when nothing arrived."""
    peak = max(counts, default=0)
    if peak <= 0:
        return ""
    h = list(counts).index(peak)
    return f"busiest {h:02d}:00–{(h + 1) % 24:02d}:00 ({peak:,})"


def outcomes_chart(mix: Sequence[tuple[str, int]], width: int = 36) -> Text:
    """A horizontal bar per outcome category with its number and share."""
    total = sum(n for _, n in mix)
    if total <= 0:
        return Text("No requests were completed in this period.", style="dim")
    most = max(n for _, n in mix)
    name_w = max(len(c) for c, _ in mix)
    t = Text()
    for i, (category, n) in enumerate(mix):
        if i:
            t.append("\n")
        t.append(f"{category:<{name_w}} ")
        t.append(hbar(n / most * width, width), style=CATEGORY_STYLE.get(category, "magenta"))
        t.append(f" {n:>5,} {100.0 * n / total:5.1f}%")
    return t


def share_chart(practices: Sequence[PracticeLine], width: int = 26) -> Text:
    """Per practice: its share of the hub's requests over its share of the registered patients,
    on one scale, so a practice using the hub well beyond its list size stands out."""
    if not practices:
        return Text("No practices in this hub yet.", style="dim")
    shares = [
        float(v)
        for p in practices
        for v in (p.values.get("HUB_SHARE_PCT"), p.values.get("LIST_SHARE_PCT"))
        if isinstance(v, int | float)
    ]
    scale = max(shares, default=0.0) or 100.0
    name_w = min(20, max(len(p.name) for p in practices))
    code_w = max(len(p.ods_code) for p in practices)
    t = Text()
    for i, p in enumerate(practices):
        hub, lst = p.values.get("HUB_SHARE_PCT"), p.values.get("LIST_SHARE_PCT")
        ratio = p.values.get("EQUITY_RATIO")
        over = isinstance(ratio, int | float) and ratio >= OVERUSE_RATIO
        name = p.name if len(p.name) <= name_w else p.name[: name_w - 1] + "…"
        if i:
            t.append("\n")
        t.append(f"{p.ods_code:<{code_w}} {name:<{name_w}} ", style="bold" if over else "")
        t.append("hub  ", style="dim")
        hub_units = float(hub) / scale * width if isinstance(hub, int | float) else 0.0
        t.append(hbar(hub_units, width), style="bold red" if over else "cyan")
        t.append(f" {figure(hub):>5}%")
        if over:
            t.append(f"  ▲ {ratio:.1f}×", style="bold red")
        t.append("\n")
        t.append(f"{'':<{code_w}} {'':<{name_w}} ")
        t.append("list ", style="dim")
        list_units = float(lst) / scale * width if isinstance(lst, int | float) else 0.0
        t.append(hbar(list_units, width), style="bright_black")
        t.append(f" {figure(lst):>5}%")
    return t


def practice_table(report: Report) -> Table | Text:
    """The CLI summary's table: a row per figure, the whole hub ("All"), then a column per
    practice (the hub comes first here, so a narrow window still shows it)."""
    if not report.practices:
        return Text(
            "No practices in this hub yet: an admin adds them with "
            "`ehub-tui practices import FILE`.",
            style="dim",
        )
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=0)
    t.add_column("", no_wrap=True)
    both = len(report.practices) > 1
    if both:
        t.add_column("All", justify="right", style="bold", no_wrap=True)
    for p in report.practices:
        t.add_column(p.ods_code, justify="right", no_wrap=True)
    for label, key in SUMMARY_COLUMNS:
        cells = [figure(p.values.get(key)) for p in report.practices]
        if both:
            cells.insert(0, figure(report.hub.get(key)) if key in report.hub else "")
        t.add_row(label, *cells)
    return t


def natural_width(console: Console, renderable: Any) -> int:
    """The cells a renderable takes when nothing squeezes it."""
    return Measurement.get(console, console.options.update_width(10_000), renderable).maximum


class Parts:
    """Figures joined by " · ", a line broken only between two of them (never inside one)."""

    def __init__(self, parts: list[Text]) -> None:
        self.parts = parts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        sep = Text(" · ", style="dim")
        line = Text()
        for part in self.parts:
            if line and line.cell_len + sep.cell_len + part.cell_len > options.max_width:
                yield line
                line = Text()
            if line:
                line.append_text(sep)
            line.append_text(part)
        if line:
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((p.cell_len for p in self.parts), default=0)
        return Measurement(widest, options.max_width)


def headline(report: Report) -> Parts:
    """The period's main figures."""
    hub = report.hub
    parts = []
    for label, key in HEADLINE:
        value = hub.get(key)
        t = Text(f"{label} ")
        text = figure(value)
        if key.startswith("PCT_") and value is not None:
            text += "%"
        t.append(text, style="bold red" if key == "ESCALATIONS" and value else "bold")
        if key.startswith("MINUTES_") and isinstance(value, int | float) and value >= 60:
            t.append(f" ({span_minutes(float(value))})", style="dim")
        parts.append(t)
    return Parts(parts)


def span_minutes(minutes: float) -> str:
    """Minutes in larger units: ``1d 16h``, ``3h 05m``."""
    from datetime import timedelta

    return span(timedelta(minutes=minutes))


class ReportsScreen(Screen[None]):
    """Today, yesterday or this week: headline, per-practice table and three charts."""

    BINDINGS = [
        Binding("1", "period('today')", "Today", id="today"),
        Binding("2", "period('yesterday')", "Yesterday", id="yesterday"),
        Binding("3", "period('week')", "This week", id="week"),
        Binding("tab", "next_period(1)", "Next period", show=False),
        Binding("shift+tab", "next_period(-1)", "Previous period", show=False),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("escape,q", "back", "Back", id="back"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
    ]

    def __init__(self, period: str = "today", refresh_seconds: float = REFRESH_SECONDS) -> None:
        super().__init__()
        self.period = period
        self.refresh_seconds = refresh_seconds
        self.report: Report | None = None
        self.error: str | None = None
        self.paused = False
        self._fetching = False
        self._again = False  # asked for while a fetch was running: fetch again after it
        self._missed = False  # the refresh fell due while another screen was on top
        self._timer: Timer | None = None

    @property
    def ehub(self) -> EhubApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(self.ehub.title_line() + " · reports", id="topbar")
        yield Tabs(*[Tab(TAB_LABELS[p], id=p) for p in PERIODS], id="periods", active=self.period)
        yield Static("", id="report-status")
        yield Static("", id="report-error")
        yield Static("Counting…", id="report-headline")
        with ScrollableContainer(id="report-body"):
            yield Static("", id="table-title", classes="report-title")
            yield Static("", id="report-table")
            yield Static("", id="report-names")
            yield Static("", id="hours-title", classes="report-title")
            yield Static("", id="report-hours")
            yield Static("", id="outcomes-title", classes="report-title")
            yield Static("", id="report-outcomes")
            yield Static("", id="share-title", classes="report-title")
            yield Static("", id="report-share")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Tabs).can_focus = False  # 1 2 3 and tab switch; the arrows scroll
        self.query_one("#report-error", Static).display = False
        self.query_one("#report-body").focus()
        self._show_status()
        self._fetch()

    # -- fetching -------------------------------------------------------------------------------

    def on_screen_suspend(self) -> None:
        self.paused = True  # help (or another screen) is open

    def on_screen_resume(self) -> None:
        self.paused = False
        if self._missed:  # the refresh fell due meanwhile
            self._missed = False
            self._fetch()

    def _live(self) -> bool:
        """Does the period include today (so its figures still move)?"""
        return self.period != "yesterday"

    def _fetch(self) -> None:
        self._missed = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._fetching:
            self._again = True
            return
        self._fetching = True
        self._load(self.period)

    def _tick(self) -> None:
        self._timer = None
        if self.paused:
            self._missed = True
        else:
            self._fetch()

    @work(thread=True, group="reports")
    def _load(self, period: str) -> None:
        from ehub_tui.service import PermissionDenied

        try:
            report = self.ehub.service.report(period)
        except Exception as exc:  # refused, or the hub did not answer: say so on the screen
            text = str(exc).strip().splitlines()
            message = text[0] if text else type(exc).__name__
            # a refusal is audited each time: do not ask again by ourselves
            retry = not isinstance(exc, PermissionDenied)
            self.app.call_from_thread(self._failed, period, message, retry)
            return
        self.app.call_from_thread(self._loaded, report)

    def _settle(self, period: str) -> bool:
        """After a fetch: True when its result is still wanted (else the next fetch started)."""
        self._fetching = False
        if not self.is_attached:
            return False
        if self._again or period != self.period:
            self._again = False
            self._fetch()
            return False
        return True

    def _loaded(self, report: Report) -> None:
        if not self._settle(report.period):
            return
        self.report = report
        self.error = None
        self.query_one("#report-error", Static).display = False
        with self.app.batch_update():
            self._show_status()
            self._show(report)
        self._arm()

    def _failed(self, period: str, message: str, retry: bool) -> None:
        if not self._settle(period):
            return
        self.error = message
        error = self.query_one("#report-error", Static)
        error.update(f"Figures not updated: {message.rstrip('.')}. Press r to try again.")
        error.display = True
        if self.report is not None and self.report.period != period:
            self.report = None  # another period's figures: not shown under this one's name
        if self.report is None:
            self._clear()
        self._show_status()
        if retry:
            self._arm()

    def _arm(self) -> None:
        if self._live():
            self._timer = self.set_timer(self.refresh_seconds, self._tick)

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

    def _show(self, r: Report) -> None:
        self.query_one("#report-headline", Static).update(headline(r))
        self.query_one("#table-title", Static).update(
            "Per practice (the same figures as ehub-tui export --summary)"
        )
        table = practice_table(r)
        widget = self.query_one("#report-table", Static)
        # as wide as the table needs (a wider table scrolls sideways); a message wraps instead
        widget.styles.width = (
            natural_width(self.app.console, table) if isinstance(table, Table) else None
        )
        widget.update(table)
        self.query_one("#report-names", Static).update(
            Text(" · ".join(f"{p.ods_code} {p.name}" for p in r.practices), style="dim")
        )
        received = sum(r.arrivals_by_hour)
        busiest = busiest_hour(r.arrivals_by_hour)
        days = (r.last - r.first).days + 1
        over = f", {days} days added together" if days > 1 else ""
        self.query_one("#hours-title", Static).update(
            f"Arrivals by hour (UK time{over}): {received:,} received"
            + (f", {busiest}" if busiest else "")
        )
        self.query_one("#report-hours", Static).update(hours_chart(r.arrivals_by_hour))
        self.query_one("#outcomes-title", Static).update("Outcome mix (completed requests)")
        self.query_one("#report-outcomes", Static).update(outcomes_chart(r.outcome_mix))
        self.query_one("#share-title", Static).update(
            "Share by practice: hub share (its part of the hub's requests) "
            "vs list share (its part of the registered patients)"
        )
        self.query_one("#report-share", Static).update(share_chart(r.practices))

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

    def action_back(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Reports",
                intro=INTRO,
                extra=[
                    ("↑ ↓ pgup pgdn home end", "scroll the figures and charts"),
                    ("← →", "scroll sideways (a narrow window)"),
                ],
            )
        )
