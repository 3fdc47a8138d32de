"""The supervisors' reports screen (issue 6) with a Pilot, on a real SQLite hub.

The hub is a worked week (tests/support/history.py ``work_week``): the fixture OCs arrive day by
day from Monday 16 to Sunday 22 November 2026 and are claimed, completed, released, reassigned
and cancelled under the frozen clock, which it leaves at Sunday 22 November 21:30 UTC (= UK time
in November). So "today" is Sunday 22 November, "yesterday" Saturday 21, "this week" 16-22 and
"last week" 9-15 (empty); moved on to Monday 23, "last week" is the worked week.
The screen must show what ``HubService.report`` (the daily return's counting) gives.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from ehub_tui.export.report import SUMMARY_COLUMNS, PracticeLine
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService, PermissionDenied, StoreError
from ehub_tui.ui.screens.dialogs import ConfirmDialog
from ehub_tui.ui.screens.help import HelpScreen
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.reports import (
    ReportsScreen,
    figure,
    hbar,
    hours_chart,
    outcomes_chart,
    share_chart,
)
from tests.support.fakes import ServiceProxy
from tests.support.history import FIXTURES, work_week
from tests.ui.conftest import CASES, SIZE, Hub, run, screen_text, settle, steady_queue, wait_until

Snap = Callable[..., bool]
NARROW = (80, 24)


def worked_hub(make_hub: Callable[..., Hub]) -> Hub:
    """A hub after a worked week; the clock stands at Sunday 22 Nov 2026 21:30 UTC."""
    hub = make_hub()
    work_week(hub.service(None), hub.service, hub.clock)
    assert hub.clock() == datetime(2026, 11, 22, 21, 30, tzinfo=UTC)
    return hub


async def open_reports(pilot: Pilot[Any], key: str = "r") -> ReportsScreen:
    """From the queue: press r and wait for the first figures."""
    await steady_queue(pilot)
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ReportsScreen), what="reports")
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    await wait_until(pilot, lambda: screen.report is not None, what="the first figures")
    await settle(pilot)
    return screen


async def choose(pilot: Pilot[Any], screen: ReportsScreen, key: str, period: str) -> None:
    """Press a period key and wait for that period's figures."""
    await pilot.press(key)
    await wait_until(
        pilot,
        lambda: screen.report is not None and screen.report.period == period,
        what=f"the {period} figures",
    )
    await settle(pilot)


def table_of(screen: ReportsScreen) -> list[list[str]]:
    """The per-practice table's header and rows, cell by cell (spaces stripped)."""
    table = screen.query_one("#report-table", DataTable)
    header = [col.label.plain.strip() for col in table.ordered_columns]
    rows = [[str(cell).strip() for cell in table.get_row_at(i)] for i in range(table.row_count)]
    return [header, *rows] if header else []


def text_of(screen: ReportsScreen, widget_id: str, width: int = 200) -> str:
    """What a Static of the screen shows, rendered at ``width`` cells."""
    widget = screen.query_one(f"#{widget_id}", Static)
    console = Console(width=width, record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


def headline_of(report: Any) -> tuple[str, str]:
    """The headline the screen should show for a report (the CLI's figure format)."""
    h = report.hub
    pct = h["PCT_COMPLETED_WITHIN_STANDARD"]
    return (
        f"Received {figure(h['OC_TOTAL_SUBMISSIONS'])} · Processed {figure(h['PROCESSED'])} · "
        f"Backlog end {figure(h['BACKLOG_END'])} · Escalated {figure(h['ESCALATIONS'])} · "
        f"Pharmacy First {figure(h['PHARMACY_FIRST_REFERRALS'])} · "
        f"Median min to 1st action {figure(h['MINUTES_TO_FIRST_ACTION_MEDIAN'])}",
        f"Within standard {figure(pct)}{'%' if pct is not None else ''} · "
        f"Reassigned {figure(h['REASSIGNMENTS'])}",
    )


# -- a supervisor reads the figures --------------------------------------------------------------


def test_supervisor_opens_reports_and_sees_the_returns_figures(
    make_hub: Callable[..., Hub],
) -> None:
    hub = worked_hub(make_hub)
    expected = hub.service(None).report("today")
    app = hub.app("sup1")
    seen: dict[str, str] = {}
    table: list[list[str]] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            queue = app.screen
            assert isinstance(queue, QueueScreen)
            assert queue.check_action("reports", ()) is True
            await steady_queue(pilot)
            assert "Reports" in screen_text(app)  # offered in the footer
            screen = await open_reports(pilot)
            assert screen.report is not None and screen.report.period == "today"
            seen["status"] = text_of(screen, "report-status")
            seen["headline"] = text_of(screen, "report-headline")
            table.extend(table_of(screen))
            seen["names"] = text_of(screen, "report-names")
            seen["hours"] = text_of(screen, "report-hours")
            seen["hours-title"] = text_of(screen, "hours-title")
            seen["outcomes"] = text_of(screen, "report-outcomes")
            seen["share"] = text_of(screen, "report-share")
            seen["screen"] = screen_text(app)
            await pilot.press("escape")  # back to the queue
            await wait_until(pilot, lambda: app.screen is queue, what="the queue")

    run(body())
    h = expected.hub
    assert h["OC_TOTAL_SUBMISSIONS"] and h["PROCESSED"]  # a worked day, not an empty one
    assert "Today (Sun 22 Nov)" in seen["status"]
    assert "so far, as of 21:30" in seen["status"] and "every 30 s" in seen["status"]
    for line in headline_of(expected):
        assert line in seen["headline"]
    # the table: a row per CLI summary figure, the hub first, then every practice
    assert table[0] == ["", "All", *[p.ods_code for p in expected.practices]]
    rows = {row[0]: row[1:] for row in table[1:]}
    assert list(rows) == [label for label, _ in SUMMARY_COLUMNS]
    assert rows["Received"] == [
        figure(h["OC_TOTAL_SUBMISSIONS"]),
        *[figure(p.values["OC_TOTAL_SUBMISSIONS"]) for p in expected.practices],
    ]
    assert rows["Median min to 1st action"] == [
        figure(h["MINUTES_TO_FIRST_ACTION_MEDIAN"]),
        *[figure(p.values["MINUTES_TO_FIRST_ACTION_MEDIAN"]) for p in expected.practices],
    ]
    # hub share against list share, per practice (the hub's own column is empty, as in the CLI)
    assert rows["Hub share %"] == [
        "",
        *[figure(p.values["HUB_SHARE_PCT"]) for p in expected.practices],
    ]
    assert rows["List share %"] == [
        "",
        *[figure(p.values["LIST_SHARE_PCT"]) for p in expected.practices],
    ]
    assert "Z99001 Harbour Street Surgery" in seen["names"]
    # the charts
    assert f"{sum(expected.arrivals_by_hour)} received" in seen["hours-title"]
    assert "00 01 02" in seen["hours"] and "22 23" in seen["hours"]
    total = sum(n for _, n in expected.outcome_mix)
    for category, n in expected.outcome_mix:
        bar = rf"{category} +[█▉▊▋▌▍▎▏ ]+ +{n} +{100 * n / total:.1f}%"
        assert re.search(bar, seen["outcomes"])
    for p in expected.practices:
        share = figure(p.values["HUB_SHARE_PCT"])
        assert re.search(rf"{p.ods_code} .* hub  .* {share}%", seen["share"])
    assert "list " in seen["share"]


def test_periods_change_the_label_and_the_figures(make_hub: Callable[..., Hub]) -> None:
    hub = worked_hub(make_hub)
    system = hub.service(None)
    want = {p: system.report(p) for p in ("today", "yesterday", "week", "last_week")}
    app = hub.app("sup1")
    seen: list[tuple[str, str, str, dict[str, Any]]] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_reports(pilot)

            def note() -> None:
                assert screen.report is not None
                seen.append(
                    (
                        screen.report.period,
                        text_of(screen, "report-status"),
                        text_of(screen, "report-headline"),
                        screen.report.hub,
                    )
                )

            note()
            for key, period in (
                ("2", "yesterday"),
                ("3", "week"),
                ("4", "last_week"),
                ("1", "today"),
            ):
                await choose(pilot, screen, key, period)
                note()
            # tab cycles forward, shift+tab back; quick presses are not lost
            await pilot.press("tab", "tab")
            await wait_until(
                pilot,
                lambda: screen.report is not None and screen.report.period == "week",
                what="two tabs: this week",
            )
            await pilot.press("shift+tab")
            await wait_until(
                pilot,
                lambda: screen.report is not None and screen.report.period == "yesterday",
                what="shift+tab: yesterday",
            )
            await settle(pilot)
            note()
            # the cycle wraps: last week, then today again
            await pilot.press("tab", "tab")
            await wait_until(
                pilot,
                lambda: screen.report is not None and screen.report.period == "last_week",
                what="two more tabs: last week",
            )
            await pilot.press("tab")
            await wait_until(
                pilot,
                lambda: screen.report is not None and screen.report.period == "today",
                what="tab past the last: today",
            )
            await settle(pilot)

    run(body())
    labels = {
        "today": "Today (Sun 22 Nov)",
        "yesterday": "Yesterday (Sat 21 Nov)",
        "week": "This week (Mon 16 Nov – Sun 22 Nov)",
        "last_week": "Last week (Mon 9 Nov – Sun 15 Nov)",
    }
    assert [s[0] for s in seen] == [
        "today",
        "yesterday",
        "week",
        "last_week",
        "today",
        "yesterday",
    ]
    for period, status, headline, figures in seen:
        assert labels[period] in status
        assert figures == want[period].hub
        for line in headline_of(want[period]):
            assert line in headline
        # only periods that include today say "so far" and refresh by themselves
        assert ("so far" in status) == (period in ("today", "week"))
        assert ("refreshes every 30 s" in status) == (period in ("today", "week"))
    week = want["week"].hub["OC_TOTAL_SUBMISSIONS"]
    today = want["today"].hub["OC_TOTAL_SUBMISSIONS"]
    yesterday = want["yesterday"].hub["OC_TOTAL_SUBMISSIONS"]
    assert isinstance(week, int) and isinstance(today, int) and isinstance(yesterday, int)
    assert week > today + yesterday > 0  # the figures really differ by period
    assert seen[0][2] != seen[1][2] != seen[2][2]
    assert want["last_week"].hub["OC_TOTAL_SUBMISSIONS"] == 0  # 9-15 Nov: before the fixtures


def test_last_week_on_monday_is_the_worked_week(make_hub: Callable[..., Hub]) -> None:
    """On a Monday this week is just today: last week (4) has the week the manager reviews."""
    hub = worked_hub(make_hub)
    sunday_week = hub.service(None).report("week")
    hub.clock.advance(hours=10)  # Monday 23 November, 07:30 UTC
    app = hub.app("sup1")
    seen: list[str] = []
    figures: list[Any] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_reports(pilot)
            await choose(pilot, screen, "3", "week")
            seen.append(text_of(screen, "report-status"))
            await choose(pilot, screen, "4", "last_week")
            seen.append(text_of(screen, "report-status"))
            seen.append(text_of(screen, "report-headline"))
            seen.append(text_of(screen, "hours-title"))
            figures.append(screen.report)
            assert screen._timer is None  # over: not refreshed by itself

    run(body())
    assert "This week (Mon 23 Nov)" in seen[0]
    assert "Last week (Mon 16 Nov – Sun 22 Nov) · as of 07:30" in seen[1]
    assert "so far" not in seen[1] and "refreshes" not in seen[1]
    last = figures[0]
    assert last.hub == sunday_week.hub  # nothing happened since Sunday night
    assert [p.values for p in last.practices] == [p.values for p in sunday_week.practices]
    for line in headline_of(sunday_week):
        assert line in seen[2]
    assert "7 days added together" in seen[3]


def test_navigator_has_no_reports(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("throat")
    app = hub.app("nav1")
    help_text: list[str] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            queue = app.screen
            assert isinstance(queue, QueueScreen)
            assert queue.check_action("reports", ()) is False
            assert "Reports" not in screen_text(app)  # not in the footer
            await pilot.press("r")
            await settle(pilot)
            assert app.screen is queue
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            help_text.append(screen_text(app))

    run(body())
    assert "Reports" not in help_text[0] and "reports" not in help_text[0]
    system = hub.service(None)
    assert not [e for e in system.audit_log() if e.action == "denied"]  # nothing asked
    with pytest.raises(PermissionDenied, match=r"nav1 \(navigator\) may not see reports"):
        hub.service("nav1").report("today")
    denied = [e for e in system.audit_log() if e.action == "denied"]
    assert [(e.actor, e.body) for e in denied] == [("nav1", {"permission": "see_reports"})]


def test_supervisor_help_names_the_reports(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub()
    app = hub.app("sup1")
    texts: list[str] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            texts.append(str(app.screen.query_one("#help-keys", Static).render()))
            texts.append(screen_text(app))
            await pilot.press("escape")
            screen = await open_reports(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            assert app.screen.title_text == "Reports"
            texts.append(str(app.screen.query_one("#help-keys", Static).render()))
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("q")  # q goes back too
            await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue")

    run(body())
    assert "Reports" in texts[0]
    assert "r opens the reports" in texts[1] and "last week" in texts[1]
    for words in (
        "Today",
        "Yesterday",
        "This week",
        "Last week",
        "Next period",
        "Refresh",
        "Back",
        "scroll",
    ):
        assert words in texts[2]
    assert "Quit" not in texts[2] and "manager" not in texts[2]  # esc goes back to the queue


# -- a manager starts on the reports -------------------------------------------------------------


def test_manager_starts_on_reports_and_never_sees_the_queue(
    make_hub: Callable[..., Hub], monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = worked_hub(make_hub)
    hub.service(None).add_user("mgr1", "manager", "Sam Okoro")
    queues: list[QueueScreen] = []
    real_init = QueueScreen.__init__

    def note_queue(self: QueueScreen) -> None:
        queues.append(self)
        real_init(self)

    monkeypatch.setattr(QueueScreen, "__init__", note_queue)
    seen: dict[str, str] = {}

    for key in ("escape", "q"):  # q quits the app; esc asks first (issue 15 trial)
        asked: list[str] = []

        class NotingPages(ServiceProxy):
            def queue_page(self, *args: Any, _asked: list[str] = asked) -> Any:
                _asked.append("queue_page")
                return self.inner.queue_page(*args)

        app = hub.app("mgr1", fake=NotingPages)

        async def body(app: Any = app, key: str = key) -> None:
            async with app.run_test(size=SIZE) as pilot:
                await wait_until(
                    pilot, lambda: isinstance(app.screen, ReportsScreen), what="the reports"
                )
                screen = app.screen
                assert isinstance(screen, ReportsScreen) and screen.home
                await wait_until(pilot, lambda: screen.report is not None, what="the figures")
                await settle(pilot)
                seen["screen"] = screen_text(app)
                seen["status"] = text_of(screen, "report-status")
                await pilot.press("question_mark")
                await pilot.pause()
                assert isinstance(app.screen, HelpScreen)
                seen["help"] = str(app.screen.query_one(".help-intro", Static).render())
                seen["keys"] = str(app.screen.query_one("#help-keys", Static).render())
                await pilot.press("escape")  # closes the help, nothing more
                await pilot.pause()
                assert app.screen is screen and app.return_code is None
                if key == "escape":  # asks before quitting; esc on the question stays
                    await pilot.press("escape")
                    await wait_until(
                        pilot, lambda: isinstance(app.screen, ConfirmDialog), what="asked"
                    )
                    seen["asked"] = screen_text(app)
                    await pilot.press("escape")
                    await wait_until(pilot, lambda: app.screen is screen, what="stayed")
                    assert app.return_code is None
                    await pilot.press("escape")
                    await wait_until(
                        pilot, lambda: isinstance(app.screen, ConfirmDialog), what="asked again"
                    )
                    await pilot.press("enter")
                else:
                    await pilot.press(key)  # quits at once: nothing underneath to go back to
                await wait_until(pilot, lambda: app.return_code == 0, what=f"{key} quits")
                assert not [s for s in app.screen_stack if isinstance(s, QueueScreen)]
                assert not app._guidance_started  # triages nothing: no SOPs loaded, no notices

        run(body())
        assert asked == []  # the queue's rows were never read

    assert queues == []  # no queue screen was ever made
    assert "Sam Okoro (manager)" in seen["screen"]  # the header still says who is signed in
    assert "Today (Sun 22 Nov)" in seen["status"]
    assert "q Quit" in seen["screen"] and "esc Back" not in seen["screen"]
    assert "Quit ehub-tui?" in seen["asked"]
    assert "Queue" not in seen["screen"] and "Claim" not in seen["screen"]
    assert "q quits the app; esc asks first" in seen["help"]
    assert "Quit" in seen["keys"] and "Back" not in seen["keys"]


def test_supervisor_still_starts_on_the_queue_and_esc_goes_back(
    make_hub: Callable[..., Hub],
) -> None:
    hub = worked_hub(make_hub)
    app = hub.app("sup1")
    seen: list[str] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue")
            queue = app.screen
            screen = await open_reports(pilot)
            assert not screen.home
            seen.append(screen_text(app))
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is queue, what="back to the queue")
            assert app.return_code is None  # still running
            await open_reports(pilot)
            await pilot.press("q")
            await wait_until(pilot, lambda: app.screen is queue, what="q: back to the queue")
            assert app.return_code is None

    run(body())
    assert "esc Back" in seen[0] and "Quit" not in seen[0]


# -- text from the hub is never markup -----------------------------------------------------------

MARKUP_NAME = "[red]Castle [/b]Hill"  # 20 characters: the share chart shows it whole


def test_markup_in_names_and_errors_is_shown_as_written(make_hub: Callable[..., Hub]) -> None:
    hub = worked_hub(make_hub)
    system = hub.service(None)
    renamed = [
        p | {"name": MARKUP_NAME}
        for p in load_practices(FIXTURES / "practices.yaml")
        if p["ods_code"] == "Z99002"
    ]
    assert system.import_practices(renamed) == 1  # as `ehub-tui practices import` does
    system.add_user("sup2", "supervisor", "Dr [/b]Who [red]")
    app = hub.app("sup2", fake=QuickReports)
    counting = app.service
    assert isinstance(counting, CountingReports)
    seen: dict[str, str] = {}

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            seen["queue"] = screen_text(app)
            screen = await open_reports(pilot)
            await choose(pilot, screen, "3", "week")
            seen["top"] = screen_text(app)
            seen["names"] = text_of(screen, "report-names")
            seen["share"] = text_of(screen, "report-share")
            body_ = screen.query_one("#report-body")
            body_.scroll_to_widget(screen.query_one("#report-share"), animate=False, top=True)
            await pilot.pause()
            seen["chart"] = screen_text(app)
            counting.fail = StoreError("the hub said [/x] and [bold]no[/bold]")
            await pilot.press("r")
            error = screen.query_one("#report-error", Static)
            await wait_until(pilot, lambda: error.display, what="the error line")
            await settle(pilot)
            seen["error"] = screen_text(app)
            assert isinstance(app.screen, ReportsScreen)  # no crash

    run(body())
    assert "Dr [/b]Who [red] (supervisor)" in seen["queue"]  # the header: the display name
    assert "Dr [/b]Who [red] (supervisor)" in seen["top"]
    assert f"Z99002 {MARKUP_NAME} · " in seen["names"]  # the legend under the table
    assert re.search(rf"Z99002 {re.escape(MARKUP_NAME)} hub ", seen["share"])
    assert f"Z99002 {MARKUP_NAME} hub" in seen["chart"]  # and on the screen itself
    assert "Figures not updated: the hub said [/x] and [bold]no[/bold]. Press r" in seen["error"]


# -- refreshing and errors ----------------------------------------------------------------------


class CountingReports(ServiceProxy):
    """The service with a counted ``report``: counts calls and the most running at once; each
    takes ``delay`` seconds; ``fail`` makes the next calls raise it."""

    delay = 0.05

    def __init__(self, service: HubService) -> None:
        super().__init__(service)
        self.calls: list[str] = []
        self.running = 0
        self.most = 0
        self.fail: Exception | None = None
        self._lock = threading.Lock()

    def report(self, period: str) -> Any:
        with self._lock:
            self.calls.append(period)
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.delay)
            if self.fail is not None:
                raise self.fail
            return self.inner.report(period)
        finally:
            with self._lock:
                self.running -= 1


class QuickReports(CountingReports):
    """CountingReports without the delay."""

    delay = 0.0


def test_today_refreshes_by_itself_without_overlapping(make_hub: Callable[..., Hub]) -> None:
    hub = worked_hub(make_hub)
    app = hub.app("sup1", fake=CountingReports)
    counting = app.service
    assert isinstance(counting, CountingReports)
    system = hub.service(None)
    late = CASES["throat"]().model_copy(
        update={"received_at": datetime(2026, 11, 22, 21, 10, tzinfo=UTC)}
    )
    before = system.report("today").hub["OC_TOTAL_SUBMISSIONS"]
    assert isinstance(before, int)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = ReportsScreen(refresh_seconds=0.2)
            await app.push_screen(screen)
            await wait_until(pilot, lambda: screen.report is not None, what="the figures")
            # a request arrives: today's figures pick it up by themselves
            system.store_intake([late])
            await wait_until(
                pilot,
                lambda: (
                    screen.report is not None
                    and screen.report.hub["OC_TOTAL_SUBMISSIONS"] == before + 1
                ),
                what="the refreshed figures",
            )
            await settle(pilot)
            assert f"Received {before + 1} " in text_of(screen, "report-headline")
            # r and period keys pressed while a fetch runs queue one more fetch, never a second
            # one at the same time
            await pilot.press("r", "r", "r", "2")
            await wait_until(
                pilot,
                lambda: screen.report is not None and screen.report.period == "yesterday",
                what="yesterday",
            )
            await settle(pilot)
            # yesterday is over: it is not fetched again by itself
            calls = len(counting.calls)
            await pilot.pause(0.6)
            await settle(pilot)
            assert len(counting.calls) == calls
            assert screen._timer is None

    run(body())
    assert counting.most == 1
    assert counting.calls.count("today") >= 3  # the first fetch and at least two ticks
    assert counting.calls[-1] == "yesterday"


def test_errors_are_shown_on_the_screen(make_hub: Callable[..., Hub]) -> None:
    hub = worked_hub(make_hub)
    app = hub.app("sup1", fake=QuickReports)
    counting = app.service
    assert isinstance(counting, CountingReports)
    seen: list[str] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_reports(pilot)
            error = screen.query_one("#report-error", Static)
            assert not error.display
            counting.fail = StoreError("the hub did not answer (connection refused)")
            await pilot.press("3")
            await wait_until(pilot, lambda: error.display, what="the error line")
            await settle(pilot)
            seen.append(screen_text(app))
            # today's figures are not left on screen under this week's name
            assert screen.period == "week" and screen.report is None
            assert "This week" in text_of(screen, "report-status")
            assert "no figures" in text_of(screen, "report-status")
            assert "No figures for this week." in text_of(screen, "report-headline")
            assert table_of(screen) == []
            assert not screen.query_one("#report-table", DataTable).display
            # it works again: r fetches, the error goes
            counting.fail = None
            await pilot.press("r")
            await wait_until(
                pilot,
                lambda: screen.report is not None and screen.report.period == "week",
                what="this week after r",
            )
            await settle(pilot)
            assert not error.display
            week = screen.report
            # a refresh of the same period that fails keeps its figures on screen
            counting.fail = StoreError("the hub did not answer")
            await pilot.press("r")
            await wait_until(pilot, lambda: error.display, what="the error line again")
            await settle(pilot)
            assert screen.report is week
            assert "This week (Mon 16 Nov – Sun 22 Nov)" in text_of(screen, "report-status")
            assert week is not None
            received = figure(week.hub["OC_TOTAL_SUBMISSIONS"])
            assert f"Received {received} " in text_of(screen, "report-headline")
            # a refusal (say the user's role was changed meanwhile) is not asked again by itself
            counting.fail = PermissionDenied("sup1 (navigator) may not see reports: only …")
            await pilot.press("1")
            await wait_until(pilot, lambda: error.display, what="the refusal")
            await settle(pilot)
            seen.append(text_of(screen, "report-error"))
            assert screen.report is None and "No figures for today." in text_of(
                screen, "report-headline"
            )
            calls = len(counting.calls)
            assert screen._timer is None
            await pilot.pause(0.3)
            assert len(counting.calls) == calls
            assert isinstance(app.screen, ReportsScreen)  # no crash, no traceback

    run(body())
    assert "Figures not updated: the hub did not answer (connection refused)" in seen[0]
    assert "Press r to try again" in seen[0]
    assert "may not see reports" in seen[1]


def test_narrow_window_scrolls_and_keeps_the_hub_column(make_hub: Callable[..., Hub]) -> None:
    hub = worked_hub(make_hub)
    app = hub.app("sup1")
    seen: list[str] = []

    async def body() -> None:
        async with app.run_test(size=NARROW) as pilot:
            screen = await open_reports(pilot)
            await choose(pilot, screen, "3", "week")
            body_ = screen.query_one("#report-body")
            table = screen.query_one("#report-table", DataTable)
            assert body_.has_focus  # the arrows scroll at once
            # the table is fitted to the window a frame after it is filled: wait for its labels
            # and for it to be wider than the window (by the widget, not by the screen's text:
            # the practice legend under it names Z99007 too, and may be on screen)
            await wait_until(
                pilot,
                lambda: "\nReceived " in screen_text(app) and table.max_scroll_x > 0,
                10,
                "the table fitted to 80 columns",
            )
            seen.append(screen_text(app))
            assert body_.max_scroll_y > 0 and table.max_scroll_x > 0  # down, and the table across
            # → scrolls the table sideways; its label column stays put
            await pilot.press("right", "right")
            await pilot.pause()
            assert table.scroll_x > 0
            # a busy machine paints the scrolled table a frame or two later: wait for its
            # labels and its last column, then take the screen the refresh must keep
            await wait_until(
                pilot,
                lambda: all(w in screen_text(app) for w in ("\nReceived ", "Z99007")),
                10,
                "the table scrolled across, labels kept",
            )
            seen.append(screen_text(app))
            # a refresh leaves it where it was
            scrolled = table.scroll_x
            await pilot.press("r")
            await settle(pilot)
            # the refreshed figures repaint a frame or two later on a busy machine
            await wait_until(
                pilot, lambda: screen_text(app) == seen[-1], 30, "the same screen after r"
            )
            assert table.scroll_x == scrolled
            await pilot.press("end")
            await pilot.pause()
            assert body_.scroll_y == body_.max_scroll_y
            seen.append(screen_text(app))
            await pilot.press("home", "left", "left")
            await pilot.pause()
            assert table.scroll_x == 0

    run(body())
    assert "This week (Mon 16 Nov – Sun 22 Nov)" in seen[0]
    assert re.search(r"All *Z99001", seen[0])  # the hub's column first, on screen at 80 wide
    assert "Z99007" not in seen[0]  # too wide for 80 columns...
    after = seen[1]
    assert "Z99007" in after and not re.search(r"\bAll\b", after)  # ... scrolled across
    for label, _ in SUMMARY_COLUMNS[:8]:  # the labels on screen stayed
        assert re.search(rf"^ ?{re.escape(label)} ", after, re.M), label
    # scrolled a column at a time: the first one shown is whole, apart from its label
    assert re.search(r"^ ?Median min to 1st action +[\d,]+\.\d ", after, re.M)
    # the share chart fits: a practice over its list share keeps its mark on its own line
    marked = [line for line in seen[2].splitlines() if "▲" in line]
    assert marked and all("hub" in line for line in marked)


# -- the charts on their own ---------------------------------------------------------------------


def test_chart_helpers() -> None:
    assert figure(None) == "–" and figure(1234) == "1,234" and figure(5.25) == "5.2"
    assert hbar(0, 4) == "    " and hbar(0.01, 4) == "▏   " and hbar(2.5, 4) == "██▌ "
    assert hbar(9, 4) == "████"  # never past its width

    hours = [0] * 24
    hours[9], hours[10] = 8, 4
    lines = hours_chart(hours, height=2).plain.splitlines()
    assert lines[0].startswith("8 ┤") and lines[-1].startswith("   00 01")
    col = 3 + 9 * 3  # hour 9's bar
    assert lines[0][col : col + 2] == "██" and lines[1][col : col + 2] == "██"
    assert lines[0][col + 3 : col + 5] == "  " and lines[1][col + 3 : col + 5] == "██"
    assert "No requests arrived" in hours_chart([0] * 24).plain

    mix = outcomes_chart([("signpost", 3), ("clinical", 1), ("admin", 0)], width=8).plain
    assert mix.splitlines() == [
        "signpost ████████     3  75.0%",
        "clinical ██▋          1  25.0%",
        "admin                 0   0.0%",
    ]
    assert "No requests were completed" in outcomes_chart([("signpost", 0)]).plain

    fair = PracticeLine("Z1", "Fair", {"HUB_SHARE_PCT": 50.0, "LIST_SHARE_PCT": 50.0})
    heavy = PracticeLine(
        "Z2",
        "Heavy user with a long name",
        {
            "HUB_SHARE_PCT": 40.0,
            "LIST_SHARE_PCT": 20.0,
            "EQUITY_RATIO": 2.0,
            "OC_TOTAL_SUBMISSIONS": 10,
        },
    )
    quiet = PracticeLine(
        "Z3", "Quiet", {"HUB_SHARE_PCT": 10.0, "LIST_SHARE_PCT": 30.0, "EQUITY_RATIO": 0.33}
    )
    lines = share_chart([fair, heavy, quiet], width=10).plain.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("Z1 Fair") and lines[0].endswith("██████████  50.0%")
    assert "Heavy user with a l…" in lines[2] and lines[2].endswith("▲ 2.0×")
    assert "████████  " in lines[2] and "████        20.0%" in lines[3]
    assert "▲" not in lines[4] and "▲" not in lines[0]
    empty = PracticeLine("Z4", "None yet", {"HUB_SHARE_PCT": None, "LIST_SHARE_PCT": 12.5})
    assert "–%" in share_chart([empty]).plain
    # a high ratio over a handful of requests accuses no one: marked from 10 requests up
    for sent in (3, 9, None):
        tiny = PracticeLine(
            "Z5",
            "Tiny",
            {
                "HUB_SHARE_PCT": 60.0,
                "LIST_SHARE_PCT": 30.0,
                "EQUITY_RATIO": 2.0,
                "OC_TOTAL_SUBMISSIONS": sent,
            },
        )
        chart = share_chart([tiny], width=10)
        assert "▲" not in chart.plain, sent
        assert not [s for s in chart.spans if "red" in str(s.style)], sent


# -- snapshots ----------------------------------------------------------------------------------


def test_reports_snapshot(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = worked_hub(make_hub)
    app = hub.app("sup1")

    async def before(pilot: Pilot[Any]) -> None:
        screen = await open_reports(pilot)
        await choose(pilot, screen, "3", "week")
        text = screen_text(app)
        assert "This week (Mon 16 Nov – Sun 22 Nov)" in text and "as of 21:30" in text
        assert "Median min to 1st action" in text

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_reports_charts_snapshot(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = worked_hub(make_hub)
    app = hub.app("sup1")

    async def before(pilot: Pilot[Any]) -> None:
        screen = await open_reports(pilot)
        await choose(pilot, screen, "3", "week")
        body = screen.query_one("#report-body")
        body.scroll_to_widget(screen.query_one("#hours-title"), animate=False, top=True)
        await pilot.pause()
        await settle(pilot)
        text = screen_text(app)
        assert "Arrivals by hour" in text and "Outcome mix" in text

    assert snap_compare(app, terminal_size=SIZE, run_before=before)
