"""The Capacity view (issue 17) with a Pilot: opened from the reports screen by a manager, made in
a worker (progress shown, keys never blocked), made again on r, a bad rota named on screen with
the need still shown, and out of a navigator's reach; plus deterministic snapshots. The services
are the test hub's, wrapped (tests.support.fakes.ServiceProxy) so ``capacity_history`` hands out a
synthetic history (``capacity.synth``, fixed as_of and seed) and the settings may name a rota:
the view still reaches the history only through the service, as in the app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from ehub_tui.domain.capacity import CapacityHistory, CapacityPlan, DayOutlook, HourPlan
from ehub_tui.domain.clock import LONDON
from ehub_tui.service import HubService
from ehub_tui.ui.screens.capacity_view import CapacityScreen, rota_path
from ehub_tui.ui.screens.capacity_words import (
    days_table,
    demand_lines,
    erlang_lines,
    need_lines,
    notes_lines,
)
from ehub_tui.ui.screens.help import HelpScreen
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.reports import ReportsScreen
from ehub_tui.ui.widgets.capacity_heatmap import CapacityHeatmap, cell_text, grid, legend, level
from tests.support.fakes import ServiceProxy
from tests.ui.conftest import Hub, run, screen_text, settle, steady_queue, wait_until

Snap = Callable[..., bool]
BIG = (120, 40)
AS_OF = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # the frozen clock: plans the week of 30 Nov
PLAN_WAIT = 60.0  # seconds a plan may take on a busy two-core machine

# Five navigators for a 4,500-a-month hub: the early mornings and Monday are short (▲), the
# middle of the day has more than it needs (+).
ROTA = """\
name: Test hub w/c 30 Nov
navigators:
  - name: Asha
    mon-fri: "08:00-16:00"
  - name: Ben
    mon-fri: "08:00-16:00"
  - name: Cara
    mon-fri: "10:00-18:30"
  - name: Dev
    mon, tue: "08:00-13:00"
  - name: Eve
    mon-fri: "12:00-18:30"
"""
BAD_ROTA = """\
name: Broken
navigators:
  - name: Asha
    mon-fri: "8 till 4"
"""


def _text(renderable: Any, width: int = 200) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def text_of(screen: CapacityScreen, widget_id: str) -> str:
    return _text(screen.query_one(f"#{widget_id}", Static).content)  # what the Static shows


def synthetic(weeks: int = 8, per_month: int = 4500) -> CapacityHistory:
    from ehub_tui.capacity.synth import generate_history

    return generate_history(as_of=AS_OF, weeks=weeks, per_month=per_month, seed=0)


class SyntheticHistory(ServiceProxy):
    """The user's real service, but its history is a synthetic hub's and its settings may name a
    rota; every call of ``capacity_history`` is counted, and may be held until ``go`` is set."""

    def __init__(self, inner: HubService, rota: Path | None = None, hold: bool = False) -> None:
        super().__init__(inner)
        self.settings = inner.settings.model_copy(update={"capacity_rota_file": rota})
        self.calls: list[int] = []
        self.go = threading.Event()
        if not hold:
            self.go.set()

    def capacity_history(self, weeks: int) -> CapacityHistory:
        self.calls.append(weeks)
        self.inner.capacity_history(weeks)  # the hub's own answer: refused to a navigator
        assert self.go.wait(30), "the test never let the history through"
        return synthetic(weeks)


def manager_hub(make_hub: Callable[..., Hub]) -> Hub:
    hub = make_hub()
    hub.service(None).add_user("mgr1", "manager", "Sam Okoro")
    return hub


async def open_capacity(pilot: Pilot[Any]) -> CapacityScreen:
    """From the manager's first screen (the reports): press c, see the Capacity view."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ReportsScreen), what="the reports")
    await settle(pilot)
    await pilot.press("c")
    await wait_until(pilot, lambda: isinstance(app.screen, CapacityScreen), what="capacity")
    screen = app.screen
    assert isinstance(screen, CapacityScreen)
    return screen


async def planned(pilot: Pilot[Any], screen: CapacityScreen, count: int = 1) -> None:
    """Wait for the ``count``-th plan to be shown."""

    def done() -> bool:
        return screen.made >= count and screen.stage is None

    await wait_until(pilot, done, timeout=PLAN_WAIT, what=f"plan {count}")
    await settle(pilot)


# -- the view in the app --------------------------------------------------------------------------


def test_manager_opens_capacity_and_r_makes_it_again(make_hub: Callable[..., Hub]) -> None:
    hub = manager_hub(make_hub)
    proxies: list[SyntheticHistory] = []

    def fake(svc: HubService) -> SyntheticHistory:
        proxies.append(SyntheticHistory(svc, hold=True))
        return proxies[-1]

    app = hub.app("mgr1", fake=fake)
    seen: dict[str, str] = {}

    async def body() -> None:
        async with app.run_test(size=BIG) as pilot:
            proxy = proxies[0]
            reports = app.screen
            assert "c Capacity" in screen_text(app)  # offered in the reports' footer
            screen = await open_capacity(pilot)
            # the history is held: the view says what it is doing, and keys still work
            await wait_until(pilot, lambda: bool(proxy.calls), what="the history asked for")
            await pilot.pause()
            seen["busy"] = screen_text(app)
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            seen["help"] = str(app.screen.query_one(".help-intro", Static).render())
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen, what="back from help")
            assert screen.plan is None
            proxy.go.set()
            await planned(pilot, screen)
            first = screen.plan
            seen["map"] = _text(screen.query_one(CapacityHeatmap).render())
            seen["need"] = text_of(screen, "capacity-need")
            seen["demand"] = text_of(screen, "capacity-demand")
            seen["erlang"] = text_of(screen, "capacity-erlang")
            seen["screen"] = screen_text(app)
            await pilot.press("end")  # the body scrolls to the plan's limits
            await pilot.pause()
            seen["end"] = screen_text(app)
            await pilot.press("r")  # made again: asks the hub again
            await planned(pilot, screen, 2)
            assert proxy.calls == [8, 8]  # capacity_weeks, read twice
            assert screen.plan is not None and screen.plan is not first
            assert screen.plan == first  # the same history and seed: the same plan
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is reports, what="back to the reports")

    run(body())
    assert "Reading the hub's history" in seen["busy"] and "Capacity plan" in seen["busy"]
    for words in ("heat map", "need/rota", "▲", "`ehub-tui capacity --rota FILE --off mon=2`"):
        assert words in seen["help"], words
    assert "Mon 30 Nov" in seen["map"] and "Sun 6 Dec" in seen["map"]
    assert "closed (weekend)" in seen["map"] and "/" not in seen["map"].split("\n\n")[0]
    assert "No rota to compare" in seen["need"]
    assert "Forecast error" in seen["demand"] and "same hour last week" in seen["demand"]
    assert "Week of Mon 30 Nov 2026" in seen["screen"]
    assert "Erlang C" in seen["erlang"] and "need " in seen["erlang"]
    assert "Limits of this plan" not in seen["screen"] and "Limits of this plan" in seen["end"]


def test_bad_rota_is_named_and_the_need_still_shows(
    make_hub: Callable[..., Hub], tmp_path: Path
) -> None:
    hub = manager_hub(make_hub)
    bad = tmp_path / "rota.yaml"
    bad.write_text(BAD_ROTA, encoding="utf-8")
    app = hub.app("mgr1", fake=lambda svc: SyntheticHistory(svc, rota=bad))
    seen: dict[str, str] = {}

    async def body() -> None:
        async with app.run_test(size=BIG) as pilot:
            screen = await open_capacity(pilot)
            await planned(pilot, screen)
            seen["problem"] = text_of(screen, "capacity-rota-error")
            seen["map"] = _text(screen.query_one(CapacityHeatmap).render())
            seen["screen"] = screen_text(app)
            # mended, r takes it
            bad.write_text(ROTA, encoding="utf-8")
            await pilot.press("r")
            await planned(pilot, screen, 2)
            assert not screen.query_one("#capacity-rota-error").display
            assert screen.plan is not None and screen.plan.rota_name == "Test hub w/c 30 Nov"

    run(body())
    problem = " ".join(seen["problem"].split())
    assert "Rota not used" in problem and str(bad) in problem and "line 4" in problem, problem
    assert "The need is shown without a rota" in problem
    assert "Mon 30 Nov" in seen["map"]  # the need, without a rota
    assert "Traceback" not in seen["screen"]


def test_navigator_never_reaches_the_capacity_view(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("throat")
    app = hub.app("nav1")

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await steady_queue(pilot)
            queue = app.screen
            assert isinstance(queue, QueueScreen)
            for key in ("r", "c"):
                await pilot.press(key)
                await settle(pilot)
                assert app.screen is queue, key
            assert not [s for s in app.screen_stack if isinstance(s, CapacityScreen)]
            assert "Capacity" not in screen_text(app)

    run(body())
    from ehub_tui.service import PermissionDenied

    with pytest.raises(PermissionDenied):
        hub.service("nav1").capacity_history(8)


# -- the words and the map, from a plan made by hand -----------------------------------------------


def hand_plan(*, rota: bool = True, name: str = "Riverside", notes: tuple[str, ...] = ()) -> Any:
    """A small plan: weekdays open 08-18, need 2 (3 on Monday 08-10), the rota 2 all day but
    1 on Tuesday 15:00 and 3 on Friday 17:00; Wednesday 2 Dec a closure."""
    week = date(2026, 11, 30)
    hours = []
    for d in range(7):
        day = week + timedelta(days=d)
        for h in range(24):
            start = datetime(day.year, day.month, day.day, h, tzinfo=LONDON).astimezone(UTC)
            shut = d >= 5 or not 8 <= h < 18 or d == 2
            need = 0 if shut else 3 if d == 0 and h < 10 else 2
            on = 1 if (d, h) == (1, 15) else 3 if (d, h) == (4, 17) else 2
            hours.append(
                HourPlan(
                    start=start,
                    day=day,
                    hour=h,
                    open=not shut,
                    arrivals=0.0 if shut else 4.0 + (d == 0) * 6,
                    need=need,
                    erlang=need - 1 if d == 0 and h < 10 else None,
                    rota=(0 if shut else on) if rota else None,
                )
            )
    days = [
        DayOutlook(
            day=week + timedelta(days=d),
            working=d < 5 and d != 2,
            arrivals=40.0,
            completed=38.0,
            backlog_end=2.0,
            breaches=0.4 if d else 1.6,
        )
        for d in range(7)
    ]
    return CapacityPlan(
        as_of=AS_OF,
        week_of=week,
        history_first_monday=date(2026, 10, 12),
        history_weeks=6,
        excluded_days=[],
        closed_days=[date(2026, 12, 2)],
        share=0.95,
        seed=0,
        replications=3,
        forecast_method="seasonal mean of 6 weeks",
        backtest=[],
        arrivals_per_week=200.0,
        by_type={"clinical": 120.0, "[bold]admin[/]": 80.0},
        by_practice={"Y01001": 200.0},
        urgent_share=0.11,
        handling=[],
        hours=hours,
        need_hours=82,
        need_share_met=0.958,
        rota_name=name if rota else None,
        rota_hours=80 if rota else None,
        rota_share_met=0.93 if rota else None,
        under_hours=3 if rota else 0,
        over_hours=1 if rota else 0,
        days=days,
        notes=list(notes),
    )


def test_the_grid_marks_under_and_over_staffed_hours_in_characters() -> None:
    plan = hand_plan()
    days, hours, cells = grid(plan)
    assert hours == list(range(8, 18))
    closed = [d.closed for d in days]
    assert closed[2] == "closed (bank holiday or closure)" and closed.count(None) == 4
    assert closed[5:] == ["closed (weekend)"] * 2
    assert [d.label for d in days][:2] == ["Mon 30 Nov", "Tue 1 Dec"]
    assert cell_text(cells[(date(2026, 11, 30), 8)]) == ("3/2", "▲")
    assert cell_text(cells[(date(2026, 12, 1), 15)]) == ("2/1", "▲")
    assert cell_text(cells[(date(2026, 12, 1), 9)]) == ("2/2", "")
    assert (date(2026, 12, 4), 17) in cells and cell_text(cells[(date(2026, 12, 4), 17)])[1] == "+"
    assert [level(n, 3) for n in (0, 1, 2, 3)] == [0, 2, 3, 4]
    words = _text(legend(plan))
    assert (
        "▲ under-staffed: fewer on the rota than needed" in words and "+ more on the rota" in words
    )
    assert "· closed" in words
    no_rota = hand_plan(rota=False)
    assert cell_text(grid(no_rota)[2][(date(2026, 11, 30), 8)]) == ("3", "")
    assert "▲" not in _text(legend(no_rota))


def test_the_words_show_data_as_written() -> None:
    hostile = "[bold]Evil[/] \x1b[2J rota"
    plan = hand_plan(name=hostile, notes=("History has only 6 weeks [red]x[/].",))
    need = _text(need_lines(plan))
    assert "Rota [bold]Evil[/] ␛[2J rota" in need and "3 open hours under-staffed ▲" in need
    assert "95.8% of requests meet the standard (target 95%)" in need
    assert "[bold]admin[/] 80" in _text(demand_lines(plan))
    assert "Too little history to try the forecast" in _text(demand_lines(plan))
    assert "• History has only 6 weeks [red]x[/]." in _text(notes_lines(plan))
    table = _text(days_table(plan)).splitlines()
    assert table[0].split() == [
        "Day",
        "Arrivals",
        "Completed",
        "Waiting",
        "at",
        "close",
        "Breaches",
    ]
    assert table[1].split() == ["Mon", "30", "Nov", "40", "38", "2", "1.6"]
    assert table[3].split()[:4] == ["Wed", "2", "Dec", "closed"]
    erlang = _text(erlang_lines(plan))
    assert "Mon 30 Nov 08:00" in erlang and "need  3   Erlang C  2   rota  2 ▲" in erlang


def test_a_relative_rota_name_is_in_the_settings_folder(tmp_path: Path) -> None:
    from ehub_tui.settings import default_config_path

    assert rota_path(Path("rota.yaml")) == default_config_path().parent / "rota.yaml"
    assert rota_path(tmp_path / "r.yaml") == tmp_path / "r.yaml"


# -- snapshot -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "theme"),
    [(BIG, "textual-dark"), ((80, 24), "textual-light")],
    ids=["120x40-dark", "80x24-light"],
)
def test_capacity_snapshot(
    make_hub: Callable[..., Hub],
    tmp_path: Path,
    snap_compare: Snap,
    size: tuple[int, int],
    theme: str,
) -> None:
    hub = manager_hub(make_hub)
    rota = tmp_path / "rota.yaml"
    rota.write_text(ROTA, encoding="utf-8")
    app = hub.app("mgr1", fake=lambda svc: SyntheticHistory(svc, rota=rota))
    app.theme = theme  # the shades are the theme's: they must read in light and dark alike

    async def before(pilot: Pilot[Any]) -> None:
        screen = await open_capacity(pilot)
        await planned(pilot, screen)
        text = screen_text(app)
        assert "▲" in text and "+" in text and "Week of Mon 30 Nov 2026" in text
        assert "Fri 4 Dec" in text and "? Help" in text  # the map and the footer fit

    assert snap_compare(app, terminal_size=size, run_before=before)
