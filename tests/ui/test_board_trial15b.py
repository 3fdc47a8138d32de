"""The supervisor board after trial 15b, on a SQLite hub at the frozen clock (tests/conftest.py):

- readable at 80x24 and 100x30 (snapshots; the text is read too): the open items whole, the
  headline's last figures, the events on screen, no title overwritten;
- "Due < 1 h" counts the emergency; the items parked for a patient's reply are counted and
  ``w`` lists them (``h`` on one reads its history);
- a new emergency is said in words once (a toast naming the item and its practice, and the
  alerts line), never for what was there when the board opened;
- a reassign offers the holder's draft only when the hub holds it for this claim, saying how
  long ago it was saved; otherwise the note dialog says there is none.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from ehub_tui.store.engine import set_hub_clock
from ehub_tui.ui.app import EhubApp, make_app
from ehub_tui.ui.screens.board import BoardScreen
from ehub_tui.ui.screens.board_parked import ParkedScreen
from ehub_tui.ui.screens.dialogs import ConfirmDialog, PickDialog, ReasonDialog
from ehub_tui.ui.screens.history import HistoryScreen
from tests.hub.syncing import event
from tests.ui.conftest import CASES, Hub, run, screen_text, settle, wait_until
from tests.ui.test_supervisor import build_hub, busy_hub, open_board, select_item

__all__ = ["build_hub"]  # the fixture, used here by name

Snap = Callable[..., bool]
QUESTION = "Could you be pregnant? Please reply YES or NO, and say if you have a fever too."


def parked_hub(build_hub: Callable[..., Hub], url: str) -> tuple[Hub, EhubApp, int]:
    """busy_hub (tests/ui/test_supervisor.py) with one more item, parked by nav2 for 45 minutes
    by the hub's clock (the test's), and the supervisor's app on that clock."""
    hub = busy_hub(build_hub, url)
    (created,), _ = hub.service(None).store_intake([CASES["uti_generic"]()])
    nav2, sup = hub.service("nav2"), hub.service("sup1")
    for svc in (nav2, sup):
        set_hub_clock(svc.engine, hub.clock)
    nav2.park(nav2.claim(created[1]), QUESTION, hub.clock() + timedelta(minutes=45))
    app = make_app(sup, clock=hub.clock, poll_interval=0.2)
    app.animation_level = "none"
    return hub, app, created[1]


def _readable(text: str) -> None:
    """What trial 15b could not read at 80x24 and 100x30."""
    assert "Median wait 27m" in text  # the headline wraps, its last figures kept
    assert "Due < 1 h 1" in text  # the emergency is due now
    assert "Awaiting reply 1 (1 back < 1 h; w lists)" in text
    assert "Open items — held first, then waiting (a r u e 0 c act on one)" in text
    assert "‼EM   now     1  queued   waiting 27m     Z99001    headache" in text  # whole
    assert "Emergency, due now: ‼EM #1 (Z99001 Harbour Street Surgery) waiting 27m" in text
    assert "Navigators" in text and "nav1       ●       #3 4m" in text
    assert "Events" in text and "10:07:00 nav2 parked #5 awaiting the patient's reply" in text


def test_board_at_80x24(sqlite_url: str, build_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    _, app, _ = parked_hub(build_hub, sqlite_url)

    async def before(pilot: Pilot[Any]) -> None:
        await open_board(pilot)
        _readable(screen_text(app))

    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_board_at_100x30(
    sqlite_url: str, build_hub: Callable[..., Hub], snap_compare: Snap
) -> None:
    _, app, _ = parked_hub(build_hub, sqlite_url)

    async def before(pilot: Pilot[Any]) -> None:
        await open_board(pilot)
        text = screen_text(app)
        _readable(text)
        assert "Practice  Queued  Oldest  Done  Share/list" in text  # whole at 100 columns

    assert snap_compare(app, terminal_size=(100, 30), run_before=before)


def _toasts(app: EhubApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def _to_the_draft_question(pilot: Pilot[Any], board: BoardScreen, item: int) -> None:
    """a on the item nav1 holds, nav2, yes: then the board asks the hub about the draft."""
    app = pilot.app
    await select_item(pilot, board, item)
    await pilot.press("a")
    await pilot.pause()
    picker = app.screen
    assert isinstance(picker, PickDialog)
    picker.query_one(OptionList).highlighted = [o for o, _ in picker.options].index("nav2")
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmDialog)
    await pilot.press("y")
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, (PickDialog, ReasonDialog)),
        5,
        "the draft question or the note",
    )


def test_parked_list_a_new_emergency_and_the_holders_draft(
    sqlite_url: str, build_hub: Callable[..., Hub]
) -> None:
    """One app for three checks (each hub takes seconds to build)."""
    hub, app, parked = parked_hub(build_hub, sqlite_url)
    uti = hub.ids["uti"]
    nav1 = hub.service("nav1")
    (claim,) = nav1.held_claims()

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            board = await open_board(pilot)
            # what was there at opening is on the alerts line, not toasted
            assert not [t for t in _toasts(app) if "emergency" in t.lower()]

            # w: the parked items (no patient names), h: the highlighted one's history
            await pilot.press("w")
            await wait_until(pilot, lambda: isinstance(app.screen, ParkedScreen), what="w")
            text = screen_text(app)
            assert "1 parked awaiting the patient's reply, 1 back within the hour" in text
            assert f"?     {parked}  Z99001    nav2       10:52 (in 45m)" in text
            assert "Could you be pregnant? Please reply YES or NO,…" in text
            await pilot.press("h")
            await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="h")
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is board, what="back to the board")

            # a new emergency arrives: said once, in words, with its practice
            fresh = CASES["headache"]().model_copy(update={"external_id": "EC-UI-EM-2"})
            system = hub.service(None)
            (created,), _ = system.store_intake([fresh])
            new = created[1]
            system.prescreen()
            said = f"New emergency: ‼EM #{new} (Z99001 Harbour Street Surgery) waiting"
            await wait_until(
                pilot, lambda: any(said in t for t in _toasts(app)), 5, "the emergency's toast"
            )
            line = str(board.query_one("#alerts", Static).render())
            assert f"‼EM #{new} (Z99001 Harbour Street Surgery)" in line
            for _ in range(2):  # two more refreshes
                shown = board.board
                await wait_until(pilot, lambda s=shown: board.board is not s, 5, "a refresh")
            assert sum(said in t for t in _toasts(app)) == 1  # once per item

            # no draft from nav1 has reached the hub: said, and straight to the note
            await _to_the_draft_question(pilot, board, uti)
            note = app.screen
            assert isinstance(note, ReasonDialog), note
            assert note.title_text.startswith(
                f"No saved draft from nav1 has reached the hub for #{uti}, so none goes. "
                f"Handover note for nav2 on #{uti}"
            )
            await pilot.press("escape")
            await settle(pilot)

            # nav1's workstation sends the draft; 40 s later the supervisor is offered it
            assert nav1.sync_push([event("draft", claim)]).results[0].state == "accepted"
            hub.clock.advance(seconds=40)
            await _to_the_draft_question(pilot, board, uti)
            offer = app.screen
            assert isinstance(offer, PickDialog), offer
            assert offer.title_text == f"Send nav1's draft of #{uti} too?"
            assert offer.options[0] == (
                "carry",
                "Yes — send nav1's draft (saved 40 s ago): nav2's triage opens with it",
            )
            await pilot.press("escape")

    run(body())
