"""What a new user's trial in tmux found in the offline UI (issue 14), each checked in the app.

- Completing offline once the claim has ended by the hub's clock asks first, and says plainly
  that the hub will refuse the outcome if the item went back to the queue; an escalation offline
  says the supervisor sees it only when the hub is back (phone the duty clinician now).
- The saved-offline notice after a sentence ending in a full stop has one full stop; Mine's
  empty text offline says new items wait for the hub; the sign-in screen never keeps a stale
  "offline".
- The supervisor board: the refused panel shows each outcome (an escalation marked
  ‼ emergency) and the highlighted reason in full, v opens the review on the highlighted event,
  k applies a refused completion's kept outcome (the hub's refusal shown when it cannot), the
  help lists each key once, and the title fits 80 columns.
- The board with the hub away: "offline — last read HH:MM", presence not shown as live, and
  every action refused before it asks for anyone or any reason.

Real parts as in test_offline: the UI test hub, a HubCore, a workstation's ClientService over an
InProcessClient behind tests/support/sync_faults.FaultyClient (the network), its local store.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from textual.widgets import DataTable, Static

from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.domain.models import FlagHandling, Outcome, OutcomeDetail
from ehub_tui.domain.sync import OFFLINE_ACTION, SAVED_OFFLINE, SyncEvent, SyncStatus
from ehub_tui.ui.app import make_app
from ehub_tui.ui.screens.board import BoardScreen
from ehub_tui.ui.screens.dialogs import ConfirmDialog, PickDialog, ReasonDialog
from ehub_tui.ui.screens.help import HelpScreen, binding_lines
from ehub_tui.ui.screens.queue import MINE_OFFLINE, QueueScreen
from ehub_tui.ui.screens.review import ReviewScreen, applies_kept, outcome_words
from ehub_tui.ui.screens.triage import TriageScreen
from ehub_tui.ui.screens.triage_work import (
    ESCALATE_OFFLINE,
    LEASE_ENDED_OFFLINE,
    offline_words,
    with_full_stop,
)
from ehub_tui.ui.widgets.sync_line import signed_out_text
from tests.support.sync_faults import FaultyClient
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
from tests.ui.test_offline import sync_line_text, workstation
from tests.ui.test_signin import DEVICE, PASSWORD, notes, on_queue, open_signin_hub, sign_in_as

# -- words (no app needed) --------------------------------------------------------------------


def test_words() -> None:
    assert with_full_stop("Escalated #3: chest pain (noisy breathing).") == (
        "Escalated #3: chest pain (noisy breathing)."
    )
    assert with_full_stop("Completed #3 → Pharmacy") == "Completed #3 → Pharmacy."
    assert offline_words(False, 0.0, escalation=True) == ""  # online: the hub judges the claim
    assert offline_words(True, 120.0, escalation=False) == ""
    assert offline_words(True, 0.0, escalation=False) == LEASE_ENDED_OFFLINE
    assert offline_words(True, 60.0, escalation=True) == ESCALATE_OFFLINE
    both = offline_words(True, 0.0, escalation=True)
    assert ESCALATE_OFFLINE in both and LEASE_ENDED_OFFLINE in both
    assert "refuse it if the item has been returned to the queue" in LEASE_ENDED_OFFLINE
    assert "duty clinician" in ESCALATE_OFFLINE and "safety-critical" in ESCALATE_OFFLINE

    from datetime import UTC, datetime

    status = SyncStatus(
        online=False,
        pending=0,
        rejected=0,
        last_synced=datetime(2026, 11, 23, 16, 10, tzinfo=UTC),
        offset_seconds=0.0,
        rtt_seconds=0.01,
        cursor=3,
    )
    # the sign-in screen: never "offline" (nobody signed in, nobody asks the hub)
    assert signed_out_text(status) == ""
    waiting = status.model_copy(update={"pending": 2, "rejected": 1})
    assert signed_out_text(waiting) == (
        "2 waiting to send from this workstation (sent after sign-in) · "
        "1 not applied (v to review after sign-in)"
    )


# -- triage offline: the claim ended, an escalation ---------------------------------------------


def _triage_offline(
    make_hub: Callable[..., Hub],
    case: str,
    *,
    lease_over: bool,
    key: str,
    check: Callable[[str], None],
) -> None:
    """nav1 signs in online and takes ``case``; the hub goes away (the lease's end passed, when
    ``lease_over``); ``key`` opens a confirm step whose body ``check`` reads; confirming saves
    the outcome on this workstation (one full stop before the saved sentence); Mine's empty text
    then says claims wait for the hub."""
    signin = open_signin_hub(make_hub(case))
    try:
        net = FaultyClient(InProcessClient(signin.core, DEVICE))
        service = workstation(signin, net)
        app = make_app(service, clock=signin.hub.clock, poll_interval=0.2)
        app.animation_level = "none"

        async def body() -> None:
            async with app.run_test(size=SIZE) as pilot:
                await sign_in_as(pilot, "nav1", PASSWORD)
                await on_queue(pilot)
                await pilot.press("n")
                await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
                await settle(pilot)
                await pilot.pause(0.45)  # past the key guard
                net.go_down()
                if lease_over:
                    signin.hub.clock.advance(minutes=service.settings.lease_minutes + 1)
                await wait_until(
                    pilot, lambda: app.ctx.offline, timeout=10, what="the workstation offline"
                )
                await pilot.press(key)
                await wait_until(
                    pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the confirm step"
                )
                dialog = app.screen
                assert isinstance(dialog, ConfirmDialog)
                check(dialog.body)
                await pilot.press("y")
                await wait_until(pilot, lambda: SAVED_OFFLINE in notes(app), what="saved here")
                assert ".." not in notes(app)  # "…breathing).. Saved" no more
                await wait_until(
                    pilot, lambda: isinstance(app.screen, QueueScreen), what="back to queue"
                )
                await pilot.press("2")
                await settle(pilot)
                await wait_until(
                    pilot, lambda: MINE_OFFLINE in screen_text(app), what="Mine's offline text"
                )
                assert "Press n" not in screen_text(app)

        run(body())
    finally:
        with contextlib.suppress(Exception):
            signin.close()


def test_completing_offline_after_the_lease_ended_says_so_first(
    make_hub: Callable[..., Hub],
) -> None:
    def check(body: str) -> None:
        assert LEASE_ENDED_OFFLINE in body

    _triage_offline(make_hub, "throat", lease_over=True, key="enter", check=check)


def test_escalating_offline_says_the_supervisor_sees_it_later(make_hub: Callable[..., Hub]) -> None:
    def check(body: str) -> None:
        assert "This completes the item as an escalation that the supervisor sees" in body
        assert ESCALATE_OFFLINE in body  # the lease runs still: only the escalation's words
        assert LEASE_ENDED_OFFLINE not in body

    _triage_offline(make_hub, "headache", lease_over=False, key="e", check=check)


def test_accept_online_has_no_confirm_step(make_hub: Callable[..., Hub]) -> None:
    """Online nothing changed: enter completes at once (no dialog)."""
    hub = make_hub("throat")
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            await pilot.pause(0.45)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), what="done")
            assert not any(isinstance(s, ConfirmDialog) for s in app.screen_stack)

    run(body())
    status, _, _ = hub.service(None).item_state(hub.ids["throat"])
    assert status == "completed"


# -- the supervisor board: refused events -----------------------------------------------------


def _refused(hub: Hub, item_id: int, outcome: Outcome, why: str) -> str:
    """nav1 claims ``item_id``, sup1 reassigns it to nav2 (``why``), and nav1's workstation
    pushes ``outcome`` under the old claim: refused (fenced) and kept. The event's id."""
    nav1 = hub.service("nav1")
    claim = nav1.claim(item_id)
    hub.service("sup1").reassign(item_id, "nav2", why)
    event = SyncEvent(
        event_id=str(uuid.uuid4()),
        device_id="ws-nav1",
        device_seq=item_id,
        username="nav1",
        kind="complete",
        item_id=item_id,
        epoch=claim.epoch,
        client_at=hub.clock.now,
        payload={"outcome": outcome.model_dump(mode="json"), "active_seconds": 40.0},
    )
    (result,) = nav1.sync_push([event]).results
    assert result.state == "rejected" and result.code == "fenced"
    return event.event_id


ESCALATION = Outcome(
    category="escalate",
    route="escalate_rf_stridor",
    destination="Duty clinician now: call 999",
    urgency="immediate",
    detail=OutcomeDetail(
        red_flags=[FlagHandling(id="rf_stridor", level="emergency", handled="escalated")]
    ),
)


def test_board_refused_outcomes_review_on_the_highlighted_one_and_apply(
    make_hub: Callable[..., Hub],
) -> None:
    """Two refused completions, one an escalation: the panel marks it "escalate · ‼ emergency"
    and shows the highlighted reason in full; v opens the review on the highlighted one (not
    the first); k asks for a resolution and shows the hub's refusal while nav2 holds the item,
    then, once the item is back in the queue, completes it with the kept outcome."""
    hub = make_hub("throat", "uti")
    throat, uti = hub.ids["throat"], hub.ids["uti"]
    _refused(
        hub,
        throat,
        Outcome(category="signpost", route="pf_sore_throat"),
        "covering while nav1 is offline",
    )
    esc = _refused(hub, uti, ESCALATION, "covering while nav1 is offline, a long reason " * 2)
    app = hub.app("sup1")
    assert applies_kept(hub.service("sup1"))

    async def body() -> None:
        async with app.run_test(size=(120, 34)) as pilot:
            await steady_queue(pilot)
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), what="board")
            board = app.screen
            assert isinstance(board, BoardScreen)
            await wait_until(pilot, lambda: len(board.refused) == 2, what="the refused events")
            await settle(pilot)
            assert "escalate · ‼ emergency" in screen_text(app)
            assert "signpost · pf_sore_throat" in screen_text(app)

            table = board.query_one("#refused", DataTable)
            keys = [str(r.value) for r in table.rows]
            table.focus()
            table.move_cursor(row=keys.index(esc), animate=False)
            await settle(pilot)
            why = str(board.query_one("#refused-why", Static).render())
            assert f"#{uti} escalate · ‼ emergency by nav1 — why:" in why
            (e,) = [x for x in board.refused if x.event_id == esc]
            assert e.reason in why  # the reason in full, not cut

            # help: every key once (v is the board's, not also the app's)
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            keys_listed = [k for k, _ in binding_lines(board)]
            assert keys_listed.count("v") == 1 and "k" in keys_listed
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is board, what="board again")

            await pilot.press("v")
            await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="review")
            review = app.screen
            assert isinstance(review, ReviewScreen)
            await wait_until(pilot, lambda: review.loaded, what="read")
            await settle(pilot)
            selected = review.selected()
            assert selected is not None and selected.event_id == esc
            detail = str(review.query_one("#review-body", Static).render())
            assert "Outcome: escalate · ‼ emergency" in detail
            assert "escalate · ‼ emergency" in screen_text(app)  # in the list too
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is board, what="board again")
            table.focus()
            await settle(pilot)

            # k while nav2 holds the item: the hub's sentence, nothing changed
            await pilot.press("k")
            await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog), what="ask")
            await type_text(pilot, "nav1 escalated it")
            await pilot.press("enter")
            await wait_until(
                pilot, lambda: f"Item {uti} is held by nav2 now" in notes(app), what="refusal"
            )
            assert len(board.refused) == 2

            # back in the queue, unclaimed: applied
            hub.service("sup1").force_release(uti, "nav2 had not started")
            board.poller.request()
            await settle(pilot)
            keys = [str(r.value) for r in table.rows]
            table.move_cursor(row=keys.index(esc), animate=False)
            await pilot.press("k")
            await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog), what="ask")
            await type_text(pilot, "nav1 escalated it")
            await pilot.press("enter")
            await wait_until(
                pilot, lambda: len(board.refused) == 1, timeout=5, what="applied and resolved"
            )

    run(body())
    status, _, _ = hub.service(None).item_state(uti)
    assert status == "completed"
    (done,) = [
        r for r in hub.service("sup1").sync_rejected(include_resolved=True) if r.event_id == esc
    ]
    assert done.resolved_by == "sup1"
    assert done.resolution is not None and "nav1 escalated it" in done.resolution


def test_board_title_fits_80_columns(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("throat")
    app = hub.app("sup1")

    async def body() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await steady_queue(pilot)
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), what="board")
            await settle(pilot)
            top = str(app.screen.query_one("#topbar", Static).render())
            assert "supervisor board" in top and len(top.rstrip()) <= 80
            await pilot.press("v")  # the review of refused events: its title too
            await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="review")
            await settle(pilot)
            top = str(app.screen.query_one("#topbar", Static).render())
            assert "refused on the hub (unresolved)" in top and len(top.rstrip()) <= 80

    run(body())


def test_outcome_words_for_other_events() -> None:
    from datetime import UTC, datetime

    from ehub_tui.domain.sync import RejectedEvent

    base: dict[str, Any] = {
        "event_id": "e1",
        "device_id": "d",
        "username": "nav1",
        "kind": "release",
        "item_id": 3,
        "epoch": 1,
        "code": "fenced",
        "reason": "r",
        "payload": {"reason": "x"},
        "client_at": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        "rejected_at": datetime(2026, 11, 23, 10, 1, tzinfo=UTC),
    }
    assert outcome_words(RejectedEvent(**base)) == "return to the queue"
    amber = Outcome(
        category="clinical",
        route="same_day_rf_jaw",
        detail=OutcomeDetail(red_flags=[FlagHandling(id="rf", level="urgent", handled="same_day")]),
    )
    words = outcome_words(
        RejectedEvent(
            **{**base, "kind": "complete", "payload": {"outcome": amber.model_dump(mode="json")}}
        )
    )
    assert words == "clinical · same_day_rf_jaw · ! red flag"


# -- the board with the hub away ----------------------------------------------------------------


def test_board_offline_says_so_and_refuses_actions_before_asking(
    make_hub: Callable[..., Hub],
) -> None:
    """A supervisor's workstation loses the hub with the board open: the headline says
    "offline — last read 10:00", presence shows "?" (not live), and a/r/u/c say OFFLINE_ACTION
    at once (no picker, no reason asked); when the hub is back the board is live again."""
    signin = open_signin_hub(make_hub("throat"))
    try:
        net = FaultyClient(InProcessClient(signin.core, DEVICE))
        service = workstation(signin, net)
        app = make_app(service, clock=signin.hub.clock, poll_interval=0.2)
        app.animation_level = "none"

        async def body() -> None:
            async with app.run_test(size=(120, 34)) as pilot:
                await sign_in_as(pilot, "sup1", PASSWORD)
                await on_queue(pilot)
                await pilot.press("b")
                await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), what="board")
                board = app.screen
                assert isinstance(board, BoardScreen)
                await wait_until(pilot, lambda: board.board is not None, what="read")
                headline = board.query_one("#headline", Static)
                assert "Queued" in str(headline.render())

                net.go_down()
                await wait_until(
                    pilot,
                    lambda: "offline — last read 10:00" in str(headline.render()),
                    timeout=10,
                    what="the offline headline",
                )
                nav = board.query_one("#navigators", DataTable)
                dots = {str(nav.get_row_at(i)[1]) for i in range(nav.row_count)}
                assert dots == {"?"}

                def refusals() -> int:  # the action's own toast: the sentence alone
                    return notes(app).splitlines().count(f": {OFFLINE_ACTION}")

                for key in ("a", "r", "u", "c"):
                    before = refusals()
                    await pilot.press(key)
                    await settle(pilot)
                    assert refusals() == before + 1, key
                    assert app.screen is board, key  # nothing asked
                    assert not any(
                        isinstance(s, (PickDialog, ReasonDialog)) for s in app.screen_stack
                    )

                net.heal()
                await wait_until(
                    pilot,
                    lambda: "Queued" in str(headline.render()),
                    timeout=15,
                    what="live again",
                )
                assert sync_line_text(app) == ""

        run(body())
    finally:
        with contextlib.suppress(Exception):
            signin.close()
