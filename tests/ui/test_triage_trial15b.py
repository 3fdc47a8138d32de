"""The triage screen after tmux trial 15b, with a Pilot on a real SQLite hub.

- A common override from the queue is six keys: n o a ⏎ 1 ⏎ (one letter highlights the ANP hub,
  the digit picks a common reason at once, still recorded in full).
- The key guard swallows only the key that closed a dialog, at once, and says why; nothing
  after a view closed with escape (h→esc then ⏎; x→esc then e is tests/triage).
- A filter that matches nothing says so in words.
- The draft is sent to the hub (``save_draft(send=True)``) while the screen is open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Label

from ehub_tui.service import HubService
from ehub_tui.ui.screens.dialogs import ReasonDialog
from ehub_tui.ui.screens.history import HistoryScreen
from ehub_tui.ui.screens.override import OverrideDialog
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.triage import TriageScreen
from tests.support.fakes import ServiceProxy
from tests.ui.conftest import SIZE, Hub, run, settle, steady_queue, type_text, wait_until
from tests.ui.test_navigator_flows import outcome_of


class RecordsDrafts(ServiceProxy):
    """The hub service with a workstation's ``save_draft`` (recorded: item, send, note)."""

    def __init__(self, inner: HubService) -> None:
        super().__init__(inner)
        self.saved: list[tuple[int, bool, str]] = []

    def save_draft(self, item_id: int, epoch: int, draft: dict[str, Any], *, send: bool) -> None:
        self.saved.append((item_id, send, str(draft.get("override"))))


def notices(app: Any) -> str:
    return "\n".join(n.message for n in app._notifications)


async def press(pilot: Pilot[Any], counted: list[str], *keys: str) -> None:
    """Press ``keys``, counting them."""
    counted.extend(keys)
    await pilot.press(*keys)


def test_a_common_override_is_six_keys_and_the_guard_only_after_the_closing_key(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("throat", "fit_note")
    app = hub.app(fake=RecordsDrafts)
    drafts = app.service
    assert isinstance(drafts, RecordsDrafts)
    keys: list[str] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            # the first item: overridden to the ANP hub from the queue in six keys
            await press(pilot, keys, "n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            first = app.screen
            assert isinstance(first, TriageScreen) and first.step == "route"
            done.append(first.claim.item_id)
            await press(pilot, keys, "o", "a", "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog), what="reason")
            await press(pilot, keys, "1", "enter")  # ⏎ at once: nothing guarded after a digit
            await wait_until(
                pilot, lambda: isinstance(app.screen, QueueScreen), timeout=5, what="queue"
            )
            assert keys == ["n", "o", "a", "enter", "1", "enter"]  # six keys from the queue
            await steady_queue(pilot)

            # the second: a filter matching nothing says so in words
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="next")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TriageScreen) and screen is not first
            assert screen.step == "route"
            done.append(screen.claim.item_id)
            screen.session.keys.monotonic = lambda: 0.0  # "at once", however slow the machine
            screen.sends.every = 1.0  # the throttle (5 s) shortened for the test
            await pilot.press("o")
            await wait_until(pilot, lambda: isinstance(app.screen, OverrideDialog), what="o")
            await type_text(pilot, "flu")
            said = app.screen.query_one("#nomatch", Label)
            assert said.display
            assert str(said.render()) == (
                "No route matches 'flu' — backspace to widen, esc to keep the suggested route."
            )
            await pilot.press("escape")
            # a reason typed and confirmed with ⏎, then ⏎ again at once: swallowed, in words
            await pilot.press("o", "a", "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog), what="reason")
            await type_text(pilot, "ok")
            await pilot.press("enter", "enter")
            await wait_until(pilot, lambda: app.screen is screen, what="back")
            await settle(pilot)
            assert screen.draft.override is not None and not screen.busy
            # the draft goes to the hub while the screen is open (trial 15b: only on leaving)
            item = screen.claim.item_id
            await wait_until(
                pilot,
                lambda: any(i == item and send and "ok" in o for i, send, o in drafts.saved),
                what="the draft sent with the screen open",
            )
            assert app.screen is screen
            assert (
                "That ⏎ came straight after the dialog closed, so nothing was done — press ⏎ "
                "again to go ahead." in notices(app)
            )
            # the history view closed with esc, then ⏎ at once: acted on (trial 15b)
            await pilot.press("h")
            await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="h")
            await pilot.press("escape", "enter")
            await wait_until(
                pilot, lambda: isinstance(app.screen, QueueScreen), timeout=5, what="queue"
            )
            await settle(pilot)

    done: list[int] = []
    run(body())
    system = hub.service(None)
    assert [system.consultation(i).status for i in done] == ["completed", "completed"]
    out = outcome_of(system, done[0])
    assert out is not None
    assert (out["destination"], out["override_reason"]) == (
        "ANP minor illness hub",
        "clinical judgement",  # the quick reason, recorded in full
    )
    assert notices(app).count("came straight after") == 1
