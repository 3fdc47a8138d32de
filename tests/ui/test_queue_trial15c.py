"""The queue after trial 15b, on a real hub: the items others hold are listed after what waits
with who (by name) and for how long, ⏎ on one says who holds it since when and that a supervisor
can reassign it, the Queue tab counts what waits, emergencies and what is in hand, a new
emergency is announced in words on any tab; the filters screen saves a view with ⏎ in its name
box, the queue's filter line names the view applied, and a hostile practice name is shown as
written. The sentences themselves: tests/ui/test_queue_words.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Tab

from ehub_tui.ui.screens.filters import FiltersScreen
from ehub_tui.ui.widgets.queue_table import QueueTable
from tests.ui.conftest import (
    CASES,
    SIZE,
    Hub,
    run,
    screen_text,
    settle,
    steady_queue,
    type_text,
    wait_until,
)


def _notes(app: Any) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


def test_held_items_named_the_counts_and_a_new_emergency_announced(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("throat", "uti", "fit_note")
    hub.service("nav2").claim(hub.ids["uti"])
    app = hub.app("nav1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            table = app.screen.query_one(QueueTable)
            tab = app.screen.query_one("#queue", Tab)
            await wait_until(pilot, lambda: table.loaded and table.total == 3)
            await wait_until(pilot, lambda: str(tab.label) == "Queue (2 · 1 in hand)")
            last = table.render_line(2).text
            assert "held by Tom Fletcher · 0m" in last  # the last row: who, for how long
            await pilot.press("2")  # on Mine, an emergency arrives
            system = hub.service(None)
            system.store_intake([CASES["headache"]()])
            system.prescreen()
            await wait_until(pilot, lambda: "‼ Emergency #4 arrived — n takes it" in _notes(app))
            await wait_until(pilot, lambda: "‼1 EM" in str(tab.label))
            assert _notes(app).count("Emergency #4") == 1
            await pilot.press("1")
            await wait_until(pilot, lambda: table.total == 4 and table.row_at(3) is not None)
            await pilot.press("end", "enter")
            await wait_until(pilot, lambda: "is held by Tom Fletcher since" in _notes(app))
            said = _notes(app)
            assert f"#{hub.ids['uti']} is held by Tom Fletcher since" in said
            assert "a supervisor can reassign it. h shows its history." in said
            await settle(pilot)
            assert app.screen.query_one(QueueTable) is table  # nothing was opened
            await pilot.pause(0.3)  # more polls: the emergency is announced once
            assert _notes(app).count("Emergency #4") == 1

    run(body())


def test_enter_saves_a_view_the_line_names_it_and_a_hostile_name_is_literal(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("throat")
    hostile = "[bold red]X[/] \x1b[31mRed"
    practice = {"ods_code": "Z99009", "name": hostile, "pcn_code": "", "pcn_name": ""}
    hub.service(None).import_practices([practice | {"list_size": 1}])
    app = hub.app("sup1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("f")
            await wait_until(pilot, lambda: isinstance(app.screen, FiltersScreen))
            await settle(pilot)
            await pilot.press("end")  # the practices list shows its last (the hostile one)
            await wait_until(pilot, lambda: "Z99009" in screen_text(app))
            text = screen_text(app)
            assert "Z99009 [bold red]X[/] ␛[31mRed" in text, text  # as written, escape visible
            app.screen.query_one("#types").focus()
            await pilot.press("space")  # tick the first request type
            app.screen.query_one("#name").focus()
            await type_text(pilot, "Morning admin")
            await pilot.press("enter")  # enter in the name box saves the view
            await wait_until(pilot, lambda: "Saved the view “Morning admin”" in _notes(app))
            app.screen.query_one("#views").focus()
            await wait_until(pilot, lambda: "Morning admin —" in screen_text(app))
            await pilot.press("home", "enter")  # apply it
            await wait_until(pilot, lambda: not isinstance(app.screen, FiltersScreen))
            await wait_until(pilot, lambda: "View “Morning admin”: " in screen_text(app))

    run(body())
