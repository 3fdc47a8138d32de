"""Trial 15d: the supervisor's handover note stays on the triage screen. Once the toast faded
only ``h`` had it; a returned item shows "↩ Returned by …" above the request, and a handed-over
one now shows "↪ Handed over by sup1 … : <note>" the same way — the note as written (never
markup), after the handover is acknowledged and when the item is opened again. Pilot on a real
SQLite hub."""

from __future__ import annotations

from collections.abc import Callable

from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.triage import TriageScreen
from ehub_tui.ui.screens.triage_park import ReturnedPanel
from tests.ui.conftest import SIZE, Hub, run, screen_text, settle, steady_queue, wait_until

NOTE = "call after 2 [bold]not markup[/]"


def panel_text(app: object) -> str:
    screen = app.screen  # type: ignore[attr-defined]
    panel = screen.query_one(ReturnedPanel)
    return str(panel.render()) if panel.display else ""


def test_the_handover_note_shows_above_the_request_and_stays(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("fit_note")
    item = hub.ids["fit_note"]
    hub.service("sup1").reassign(item, "nav1", NOTE)
    app = hub.app("nav1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("2")  # Mine
            await settle(pilot)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="open")
            await wait_until(pilot, lambda: "↪ Handed over by sup1" in panel_text(app), 5)
            assert f"Handed over by sup1 at 10:00: {NOTE}" in panel_text(app)
            assert NOTE in screen_text(app)  # literally, brackets and all
            # the handover is acknowledged (the toast's news is over): the note stays
            notices = app.handover_notices  # type: ignore[attr-defined]
            await wait_until(pilot, lambda: item not in notices.current, 5, "the ack")
            await settle(pilot)
            assert NOTE in panel_text(app)
            # left and opened again: read from the item's history
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue")
            await settle(pilot)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="again")
            await wait_until(pilot, lambda: NOTE in panel_text(app), 5, "the note again")

    run(body())


def test_no_handover_line_once_the_item_moved_on(make_hub: Callable[..., Hub]) -> None:
    """Handed to nav2, returned to the queue by nav2 and claimed by nav1: not nav1's handover."""
    hub = make_hub("fit_note")
    item = hub.ids["fit_note"]
    claim = hub.service("sup1").reassign(item, "nav2", NOTE)
    hub.service("nav2").release(claim, "not mine after all")
    app = hub.app("nav1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="open")
            await wait_until(pilot, lambda: "↩ Returned by nav2" in panel_text(app), 5)
            assert "Handed over" not in panel_text(app)

    run(body())
