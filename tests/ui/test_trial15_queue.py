"""Issue 15, after the tmux trial: the queue's filters show their saved views, ticked boxes and
the chosen sort read differently without colour, the queue's rows take the theme's colours, an
emergency is due "now", and the palette lists the screen's keys the footer hides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ehub_tui.ui.palette import palette_commands
from ehub_tui.ui.screens.filters import FiltersScreen
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.triage import TriageScreen
from ehub_tui.ui.widgets.queue_table import QueueTable
from tests.ui.conftest import (
    SIZE,
    Hub,
    run,
    screen_text,
    settle,
    steady_queue,
    type_text,
    wait_until,
)


def _shown(app: Any) -> str:
    """The top screen's cells as text, spaces kept (an SVG screenshot drops a lone space)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


@pytest.mark.parametrize("size", [(100, 30), (120, 50)])
def test_saved_views_are_on_screen(make_hub: Callable[..., Hub], size: tuple[int, int]) -> None:
    """No views: the list says so; a view saved on the screen is listed by name, on screen."""
    hub = make_hub("throat", "uti")
    app = hub.app("sup1")

    async def body() -> None:
        async with app.run_test(size=size) as pilot:
            await steady_queue(pilot)
            assert isinstance(app.screen, QueueScreen)
            await pilot.press("f")
            await wait_until(pilot, lambda: isinstance(app.screen, FiltersScreen))
            await settle(pilot)
            await wait_until(pilot, lambda: "No saved views yet." in screen_text(app))
            app.screen.query_one("#name").focus()
            await type_text(pilot, "Morning admin")
            app.screen.query_one("#save").focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: "Morning admin" in screen_text(app), timeout=5)
            await wait_until(pilot, lambda: "No saved views yet." not in screen_text(app))

    run(body())


def test_ticks_and_the_sort_read_without_colour(make_hub: Callable[..., Hub]) -> None:
    """An unticked box is empty, a ticked one holds X; only the chosen sort shows ●."""
    hub = make_hub("throat")
    app = hub.app("nav1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("f")
            await wait_until(pilot, lambda: isinstance(app.screen, FiltersScreen))
            await settle(pilot)
            text = _shown(app)
            assert "▐ ▌ Z99001" in text and "▐X▌" not in text  # nothing ticked yet
            assert text.count("▐●▌") == 1  # the chosen sort alone
            assert "▐●▌ emergency and urgent first" in text
            await pilot.press("space")  # ticks the first practice
            await wait_until(pilot, lambda: "▐X▌ Z99001" in _shown(app))
            assert "▐ ▌ Z99002" in _shown(app)
            app.screen.query_one("#sort").focus()
            await pilot.press("down", "enter")  # choose "due soonest first"
            await wait_until(pilot, lambda: "▐●▌ due soonest first" in _shown(app))
            text = _shown(app)
            assert text.count("▐●▌") == 1 and "▐ ▌ emergency and urgent first" in text

    run(body())


def test_queue_rows_take_the_theme_colours_and_an_emergency_is_due_now(
    make_hub: Callable[..., Hub],
) -> None:
    """In textual-light every cell of a row has the theme's text and background (none left to
    the terminal's defaults); the emergency's due cell says "now"."""
    hub = make_hub("headache", "throat")  # the headache's red flag makes it an emergency
    app = hub.app("nav1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            app.theme = "textual-light"
            await steady_queue(pilot)
            table = app.screen.query_one(QueueTable)
            await wait_until(pilot, lambda: table.loaded and table.total == 2)
            table.blur()  # the cursor row has its own colours; here every row is plain
            await settle(pilot)
            plain = table.rich_style
            assert plain.color is not None and plain.bgcolor is not None
            assert plain.bgcolor.get_truecolor().red > 200  # a light background
            current = table.get_component_rich_style("queue-table--current").bgcolor
            for y, bg in ((0, current), (1, plain.bgcolor), (2, plain.bgcolor)):
                # the first row is the current one (its own background), then a plain row and
                # the blank line below them; every cell, the flag and due cells too, keeps the
                # row's background
                for seg in table.render_line(y):
                    assert seg.style is not None and seg.style.bgcolor == bg, (y, seg)
                    assert seg.style.color is not None, (y, seg)
            flag_style = next(iter(table.render_line(0))).style
            error = table.get_component_rich_style("queue-table--emergency").color
            assert flag_style is not None and flag_style.color == error != plain.color
            first = table.render_line(0).text
            assert first.startswith("‼EM") and first[5:14].strip() == "now"
            assert "now" in _shown(app)

    run(body())


def _titles(app: Any) -> list[str]:
    return [c.title for c in palette_commands(app, app.screen)]


def test_the_palette_lists_the_keys_the_footer_hides(make_hub: Callable[..., Hub]) -> None:
    """The queue offers f and h; triage at the route offers w, h, u and t; at a red flag only
    h (an item is never parked, nor its urgency set, before its flag is dealt with)."""
    hub = make_hub("throat", "headache")

    async def body(user: str) -> None:
        flag_first = user == "nav1"
        app = hub.app(user)
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            titles = _titles(app)
            assert {"Filters", "History"} <= set(titles), titles
            assert not {"Urgent only", "Type", "Practice"} & set(titles), titles  # footer's rule
            await pilot.press("n")  # the emergency first (headache), then the sore throat
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="n")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TriageScreen)
            titles = _titles(app)
            if flag_first:
                assert screen.session.step == "flag"
                assert "History" in titles
                assert not {"Await patient", "Urgency", "Contact"} & set(titles), titles
            else:
                assert screen.session.step == "route"
                assert {"Await patient", "History", "Urgency", "Contact"} <= set(titles), titles

    run(body("nav1"))  # takes the headache: an emergency red flag
    run(body("nav2"))  # the headache is nav1's: n takes the sore throat, at its route
