"""Trial 15d: a held ‼EM item not worked for a few minutes. The board's alert line listed only
emergencies nobody holds, so an emergency taken and left on Mine vanished from it at once and
waited for the 10-minute stale claim. Now a held emergency with no sign of work for 2 minutes
(EMERGENCY_IDLE_MINUTES; docs/supervisor-guide.md) is on the line, and ``s`` acts on it first.
Pilot on a real SQLite hub at the frozen clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Static

from ehub_tui.store.engine import set_hub_clock
from ehub_tui.ui.app import EhubApp, make_app
from ehub_tui.ui.screens.board import BoardScreen
from ehub_tui.ui.screens.board_alerts import EMERGENCY_IDLE_MINUTES
from ehub_tui.ui.screens.dialogs import PickDialog
from tests.ui.conftest import Hub, run, settle, wait_until
from tests.ui.test_supervisor import BOARD_SIZE, open_board
from tests.ui.test_trial15d_message import dialog_text


def alerts(board: BoardScreen) -> str:
    line = board.query_one("#alerts", Static)
    return " ".join(str(line.render()).split()) if line.display else ""


def held_emergency(make_hub: Callable[..., Hub], minutes: int) -> tuple[EhubApp, int]:
    """The headache emergency, claimed by nav1 ``minutes`` ago (hub clock) and not opened, and
    the supervisor's app on that clock (tests/ui/test_board_trial15b.py's parked_hub)."""
    hub = make_hub("headache", "throat")
    item = hub.ids["headache"]
    nav1, sup = hub.service("nav1"), hub.service("sup1")
    served: Any = sup  # the hub's own service, as Hub.app gives it
    for svc in (nav1, sup):
        set_hub_clock(svc.engine, hub.clock)
    nav1.claim(item)
    hub.clock.advance(minutes=minutes)
    app = make_app(served, clock=hub.clock, poll_interval=0.2)
    app.animation_level = "none"
    return app, item


def test_a_held_emergency_not_worked_for_2_minutes_is_alerted_and_s_acts_on_it(
    make_hub: Callable[..., Hub],
) -> None:
    assert EMERGENCY_IDLE_MINUTES == 2
    app, item = held_emergency(make_hub, 3)

    async def body() -> None:
        async with app.run_test(size=BOARD_SIZE) as pilot:
            board = await open_board(pilot)
            text = alerts(board)
            assert (
                "Emergency held, not worked for 2 min (s acts on the first): "
                f"‼EM #{item} held by nav1, not worked for 3 min"
            ) in text, text
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, PickDialog), what="s")
            asked = dialog_text(app)
            assert f"‼EM #{item} held by nav1, not worked for 3 min — what now?" in asked
            await pilot.press("escape")
            await settle(pilot)

    run(body())


def test_a_held_emergency_claimed_a_minute_ago_is_not_yet_alerted(
    make_hub: Callable[..., Hub],
) -> None:
    app, item = held_emergency(make_hub, 1)

    async def body() -> None:
        async with app.run_test(size=BOARD_SIZE) as pilot:
            board = await open_board(pilot)
            assert f"#{item} held by nav1" not in alerts(board)

    run(body())
