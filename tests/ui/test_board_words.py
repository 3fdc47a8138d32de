"""The board at 100 columns says the work in words (issue 15, the tmux trial): an escalation
is named as one, in red; a reassign shows who to whom before the note (the column cuts the
note, never the receiver); access entries (an opened handover, a search, a sign-in) are left
out of the Events list; and the title bar says the role in words."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static

from ehub_tui.domain.destinations import ESCALATION
from ehub_tui.domain.models import Outcome
from ehub_tui.ui.screens.board import BoardScreen
from ehub_tui.ui.screens.board_events import events_text
from tests.ui.conftest import Hub, run, screen_text, settle, steady_queue, wait_until

ESCALATED = Outcome(
    category="escalate",
    route="escalate_rf_ectopic",
    destination="Duty clinician now: call the duty clinician",
    destination_code=ESCALATION,
    urgency="immediate",
)


def test_board_events_in_words_at_100_columns(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("throat", "uti")
    throat, uti = hub.ids["throat"], hub.ids["uti"]
    nav1, nav2, sup1 = hub.service("nav1"), hub.service("nav2"), hub.service("sup1")
    nav2.complete(nav2.claim(throat), ESCALATED)
    nav1.claim(uti)
    sup1.reassign(uti, "nav2", "nav1 is going home to a sick child, please call her back")
    nav2.ack_handover(uti)  # an access entry: left off the board
    app = hub.app("sup1")

    async def body() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await steady_queue(pilot)
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), what="board")
            board = app.screen
            assert isinstance(board, BoardScreen)
            await wait_until(pilot, lambda: board.board is not None, what="the board's read")
            await settle(pilot)
            events = board.query_one("#events", Static).render()
            plain = str(events)
            assert f"nav2 escalated #{throat} to the duty clinician (‼EM red flag" in plain
            assert "handover" not in plain and "opened" not in plain
            assert "complete " not in plain and "reassign" not in plain
            assert board.board is not None
            shown = events_text(board.board.events)
            red = [shown.plain[s.start : s.end] for s in shown.spans if s.style == "bold red"]
            assert len(red) == 1 and "escalated" in red[0]  # the escalation stands out
            text = screen_text(app)
            # who to whom is on screen at 100 columns, not cut off by the note
            assert f"sup1: #{uti} nav1 → nav2" in text
            assert "escalated" in text
            assert "(supervisor)" in text  # the role in words in the title bar

    run(body())


def test_title_bar_says_the_role_in_words() -> None:
    from ehub_tui.domain.event_words import role_words

    assert role_words("sop_author") == "SOP author"
    assert role_words("clinical_approver") == "clinical approver"
    assert role_words("navigator") == "navigator"
    assert role_words("some_new_role") == "some new role"
