"""A dialog closes once (trial 15c): two ⏎ read together (one terminal read, as tmux sends them)
reached the reason dialog before its pop completed, and the second dismissal popped the screen
under it — an emergency's triage screen — losing the red-flag dismissal just typed. Now the
dismissal is kept, the triage screen stays, and the second ⏎ goes no further than the guard."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input

from ehub_tui.ui.screens.dialogs import ReasonDialog
from ehub_tui.ui.screens.triage import TriageScreen
from tests.ui.conftest import SIZE, Hub, run, settle, steady_queue, wait_until


def test_two_enters_read_together_in_a_red_flag_dialog_keep_the_triage_screen(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("headache")
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            shown = app.screen
            assert isinstance(shown, TriageScreen)
            triage: TriageScreen = shown
            assert triage.open_flags
            flag = triage.open_flags[0]
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog), what="reason")
            dialog = app.screen
            box = dialog.query_one(Input)
            box.value = "seen in A&E an hour ago"
            # both ⏎ handled before the first one's pop has finished
            box.post_message(Input.Submitted(box, box.value))
            box.post_message(Input.Submitted(box, box.value))
            await settle(pilot)
            assert app.screen == triage, "the triage screen under the dialog was closed too"
            assert flag.id not in {f.id for f in triage.open_flags}  # the dismissal is kept
            assert triage.session.draft.flags.get(flag.id)
            # and the ⏎ the text box took is the key the triage screen now guards
            assert triage.session.keys.too_soon("enter") or triage.session.keys._key == "enter"

    run(body())
