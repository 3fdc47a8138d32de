"""Trial 15d (safety): a published SOP that cannot be loaded is said on screen.

The hub's published admin SOP is changed behind the hub's back (its checksum no longer
matches). The navigator's queue and triage screens show "Guidance incomplete — the admin SOP
could not be loaded; its routes are not offered. Tell your SOP author."; the fit-note request
(only the admin SOP routes it) gets no suggestion from the remaining SOPs' catch-all: enter
alone does not complete it, and the screen says to check it and choose the route with o. The
supervisor's board lists the SOP on its alerts line. Pilot on a real SQLite hub; the apps load
the SOPs from the hub's store as they do in use (no library handed in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from textual.widgets import Static

from ehub_tui.service import HubService
from ehub_tui.store.engine import write_tx
from ehub_tui.ui.app import EhubApp, make_app
from ehub_tui.ui.screens.board import BoardScreen
from tests.ui.conftest import SIZE, Hub, run, settle, steady_queue, wait_until
from tests.ui.test_navigator_flows import guidance, open_next
from tests.ui.test_supervisor import BOARD_SIZE, open_board

WARNING = (
    "Guidance incomplete — the admin SOP could not be loaded; its routes are not offered. "
    "Tell your SOP author."
)
LOAD_SECONDS = 30.0  # the app loads the SOPs in a worker; a busy 2-core machine is slow


def tampered_app(make_hub: Callable[..., Hub], user: str) -> tuple[EhubApp, Hub]:
    """An app for ``user`` on a hub holding the fit-note request, whose published admin SOP's
    text no longer matches its checksum."""
    hub = make_hub("fit_note")
    system = HubService.open(hub.settings(), None, clock=hub.clock)
    try:
        system.published_sops()  # seeded from the shipped SOPs
        with write_tx(system.engine) as conn:
            conn.execute(
                text(
                    "UPDATE sop_version SET sop_text = sop_text || '\n# changed' WHERE sop_id = :s"
                ),
                {"s": "admin"},
            )
    finally:
        system.close()
    service = HubService.open(hub.settings(), user, clock=hub.clock)
    hub._made.append(service)  # closed with the hub
    served: Any = service  # the hub's own service, as Hub.app gives it
    app = make_app(served, clock=hub.clock, monotonic=hub.clock.ticking, poll_interval=0.2)
    app.animation_level = "none"
    return app, hub


def line(app: EhubApp) -> str:
    """The guidance warning line of the screen on top ("" while hidden)."""
    found = app.screen.query("#guidance-line")
    if not found:
        return ""
    widget = found.first(Static)
    return " ".join(str(widget.render()).split()) if widget.display else ""


def test_the_navigator_is_told_and_a_catch_all_suggestion_needs_the_override(
    make_hub: Callable[..., Hub],
) -> None:
    app, hub = tampered_app(make_hub, "nav1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await wait_until(
                pilot, lambda: line(app) == WARNING, LOAD_SECONDS, what="the queue's warning"
            )
            triage = await open_next(pilot)
            assert line(app) == WARNING  # the triage screen says it too
            shown = " ".join(guidance(app).split())
            assert "Check this: guidance incomplete — only a catch-all rule matched" in shown
            assert "GP routine" in shown and "choose the route with o" in shown
            assert triage.session.chosen_route() is None  # nothing for enter to accept
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is triage  # not completed
            item = hub.service("sup1").consultation(hub.ids["fit_note"])
            assert item.status == "claimed"

    run(body())


def test_the_supervisor_board_lists_the_sop_that_cannot_be_used(
    make_hub: Callable[..., Hub],
) -> None:
    app, _hub = tampered_app(make_hub, "sup1")

    def alerts(board: Any) -> str:
        widget = board.query_one("#alerts", Static)
        return " ".join(str(widget.render()).split()) if widget.display else ""

    async def body() -> None:
        async with app.run_test(size=BOARD_SIZE) as pilot:
            board = await open_board(pilot)
            assert isinstance(board, BoardScreen)
            await wait_until(
                pilot,
                lambda: "SOP guidance incomplete" in alerts(board),
                LOAD_SECONDS,
                what="the board's SOP alert",
            )
            said = alerts(board)
            assert "the admin SOP 1.1.0 cannot be used" in said, said
            assert "not offered to navigators" in said
            assert line(app) == WARNING  # and the supervisor's own warning line

    run(body())
