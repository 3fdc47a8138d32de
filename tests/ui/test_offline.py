"""The app when the hub is away (issue 14): it opens from the workstation's cache, finishes a
held item, refuses a new claim in plain words, and sends everything when the hub is back.

Real parts: the UI test hub (SQLite, the frozen clock, passwords), a HubCore on it, and the app
holding a ClientService over an InProcessClient, with its local store under the test's data_dir.
The network is broken at a HubClient we own (tests/support/sync_faults.FaultyClient): ``go_down``
makes every hub call fail before it reaches the hub, as a stopped ``hub serve`` does, and
``heal`` brings it back. Nothing in the code under test is replaced.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual.widgets import Static

from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.service import ClientService
from ehub_tui.config import Settings
from ehub_tui.domain.sync import NOT_APPLIED, OFFLINE_CLAIM, SAVED_OFFLINE, SyncStatus
from ehub_tui.triage.draft import Draft
from ehub_tui.ui.app import make_app
from ehub_tui.ui.screens.queue import QueueScreen, lease_words
from ehub_tui.ui.screens.triage import TriageScreen
from ehub_tui.ui.widgets.queue_table import QueueTable
from ehub_tui.ui.widgets.sync_line import sync_level, sync_text
from tests.support.sync_faults import FaultyClient
from tests.ui.conftest import SIZE, SOPS, Hub, run, screen_text, settle, shipped_sops, wait_until
from tests.ui.test_signin import (
    DEVICE,
    PASSWORD,
    SignInHub,
    notes,
    on_queue,
    open_signin_hub,
    sign_in_as,
)

# -- the words of the status line (no app needed) ------------------------------------------------


def _status(**fields: Any) -> SyncStatus:
    base: dict[str, Any] = {
        "online": True,
        "pending": 0,
        "rejected": 0,
        "last_synced": datetime(2026, 11, 23, 9, 58, tzinfo=UTC),
        "offset_seconds": 0.0,
        "rtt_seconds": 0.01,
        "cursor": 12,
    }
    base.update(fields)
    return SyncStatus(**base)


def test_status_line_words() -> None:
    assert sync_text(None) == ""  # a service without an outbox: no line at all
    assert sync_text(_status()) == ""  # online, nothing waiting: quiet
    assert sync_level(_status()) == ""
    assert sync_text(_status(pending=2)) == "sending 2…"
    # offline: UK local time of the last sync (09:58 UTC is 09:58 GMT in November)
    assert sync_text(_status(online=False, pending=3)) == (
        "offline — 3 waiting to send · last synced 09:58"
    )
    summer = datetime(2026, 7, 1, 9, 58, tzinfo=UTC)  # 10:58 BST
    assert sync_text(_status(online=False, pending=0, last_synced=summer)).endswith("10:58")
    assert sync_text(_status(online=False, last_synced=None)) == (
        "offline — 0 waiting to send · not synced yet"
    )
    assert sync_text(_status(rejected=2)) == f"2 {NOT_APPLIED}"
    both = sync_text(_status(online=False, pending=1, rejected=1))
    assert both == f"offline — 1 waiting to send · last synced 09:58 · 1 {NOT_APPLIED}"
    assert sync_level(_status(online=False, rejected=1)) == "refused"
    assert sync_level(_status(online=False)) == "offline"


def test_lease_words() -> None:
    assert lease_words(12 * 60) == "lease ≈ 12 min left"
    assert lease_words(30) == "lease ≈ 1 min left"
    assert lease_words(0) == "lease ended"


def test_draft_round_trip() -> None:
    draft = Draft(
        answers={"pregnant": "no"},
        order=["pregnant"],
        flags={"rf_x": ("dismissed", "not today [red]")},
        override=("pf_uti", "patient asked"),
        pathway="uti",
        note="called back",
        message="Hello",
        first_viewed_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        seconds=42.5,
    )
    assert Draft.from_dict(draft.to_dict()) == draft
    # a draft saved by another version: what fits is kept, the rest left at its default
    odd = Draft.from_dict({"answers": {"a": "x"}, "order": ["a", "ghost"], "flags": [1], "x": 1})
    assert odd.answers == {"a": "x"} and odd.order == ["a"] and odd.flags == {}


# -- the app with the hub away -------------------------------------------------------------------


def workstation_settings(hub: Hub) -> Settings:
    """The UI test hub's settings with quick sync timings (the sender tries again within 1 s
    and a completion waits half a second for the hub before saying "saved here")."""
    return Settings(
        data_dir=hub.tmp / "data",
        hub_url=hub.url,
        sops_dir=SOPS,
        sync_pull_seconds=0.5,
        sync_backoff_max_seconds=1.0,
        sync_wait_seconds=0.5,
    )


def workstation(signin: SignInHub, net: FaultyClient) -> ClientService:
    """A workstation's client service over ``net`` (its local store under the data_dir)."""
    svc = ClientService(net, workstation_settings(signin.hub), clock=signin.hub.clock)
    svc.use_sop_library(shipped_sops())
    signin._made.append(svc)
    return svc


def hub_status(signin: SignInHub, item_id: int) -> str:
    status, _, _ = signin.hub.service(None).item_state(item_id)
    return status


def sync_line_text(app: Any) -> str:
    line = app.screen.query_one("#sync-line", Static)
    return str(line.render()) if line.display else ""


def test_offline_shift(make_hub: Callable[..., Hub]) -> None:
    """Online first (the workstation keeps what it needs), then the hub goes away: the app
    opens from the cache with an offline sign-in, says "offline" on its status line, finishes
    a held item ("saved on this workstation"), refuses a claim with the offline sentence, and
    when the hub is back sends the outcome (the line goes quiet; the hub has it)."""
    signin = open_signin_hub(make_hub("throat", "uti"))
    throat = signin.hub.ids["throat"]
    try:
        # an earlier online session on this workstation: nav1 signs in and takes the throat
        first_net = FaultyClient(InProcessClient(signin.core, DEVICE))
        first = workstation(signin, first_net)
        first.sign_in("nav1", PASSWORD)
        claim = first.claim(throat)
        first.sync_drain(10.0)  # the cache holds the queue and the held item
        first.close()

        # the hub goes away; the app starts on the same data_dir
        net = FaultyClient(InProcessClient(signin.core, DEVICE))
        net.go_down()
        service = workstation(signin, net)
        app = make_app(service, clock=signin.hub.clock, poll_interval=0.2)
        app.animation_level = "none"

        async def body() -> None:
            async with app.run_test(size=SIZE) as pilot:
                await sign_in_as(pilot, "nav1", PASSWORD)
                queue = await on_queue(pilot)
                assert "Signed in offline — your work will be sent when the hub is back" in (
                    notes(app)
                )
                await wait_until(
                    pilot, lambda: "offline" in sync_line_text(app), what="offline line"
                )
                assert "waiting to send" in sync_line_text(app)

                # a claim needs the hub: refused in plain words
                await pilot.press("n")
                await wait_until(pilot, lambda: OFFLINE_CLAIM in notes(app), what="refusal")
                assert isinstance(app.screen, QueueScreen)

                # Mine lists the held item with its lease time left
                await pilot.press("2")
                await settle(pilot)
                table = queue.query_one(QueueTable)
                await wait_until(
                    pilot, lambda: throat in table.notes, what="the lease time in Mine"
                )
                assert table.notes[throat].startswith("lease ≈ ")
                assert "min left" in screen_text(app)

                # finish it: saved on this workstation
                await wait_until(pilot, lambda: table.current_row is not None, what="Mine row")
                await pilot.press("enter")
                await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
                await settle(pilot)
                await pilot.pause(0.45)  # past the key guard
                triage = app.screen
                assert isinstance(triage, TriageScreen) and triage.step == "route"
                assert triage.claim.epoch == claim.epoch
                await pilot.press("enter")
                await wait_until(pilot, lambda: SAVED_OFFLINE in notes(app), what="saved here")
                await wait_until(
                    pilot, lambda: isinstance(app.screen, QueueScreen), what="back to queue"
                )
                # the line counts the outbox rows waiting (the completion, and the first view
                # recorded when the item opened): exactly what the service says is pending
                await wait_until(
                    pilot,
                    lambda: (
                        service.sync_status().pending >= 1
                        and f"offline — {service.sync_status().pending} waiting to send"
                        in sync_line_text(app)
                    ),
                    what="the completion waiting to send",
                )
                assert hub_status(signin, throat) == "claimed"  # not sent yet

                # the hub is back: everything drains, the line goes quiet
                net.heal()
                await wait_until(
                    pilot, lambda: sync_line_text(app) == "", timeout=15, what="quiet line"
                )
                assert app.ctx.sync is not None and app.ctx.sync.pending == 0
                assert app.is_running

        run(body())
        assert hub_status(signin, throat) == "completed"
    finally:
        with contextlib.suppress(Exception):
            signin.close()


# -- the supervisor board: refused events listed and resolved -------------------------------------


def fenced_completion(hub: Hub, item_id: int) -> str:
    """nav1 claims ``item_id``, a supervisor reassigns it to nav2, and nav1's workstation then
    pushes its completion under the old claim (as after an outage): the hub refuses it
    (``fenced``) and keeps it. Returns the refused event's id."""
    import uuid

    from ehub_tui.domain.models import Outcome
    from ehub_tui.domain.sync import SyncEvent

    nav1 = hub.service("nav1")
    claim = nav1.claim(item_id)
    hub.service("sup1").reassign(item_id, "nav2", "covering while nav1 is offline")
    event = SyncEvent(
        event_id=str(uuid.uuid4()),
        device_id="ws-nav1",
        device_seq=1,
        username="nav1",
        kind="complete",
        item_id=item_id,
        epoch=claim.epoch,
        client_at=hub.clock.now,
        payload={
            "outcome": Outcome(
                category="signpost", route="pf_sore_throat", note="rang [bold]back[/]"
            ).model_dump(mode="json"),
            "active_seconds": 40.0,
        },
    )
    (result,) = nav1.sync_push([event]).results
    assert result.state == "rejected" and result.code == "fenced"
    return event.event_id


def test_board_lists_and_resolves_refused_events(make_hub: Callable[..., Hub]) -> None:
    """The board shows the refused completion (count in the headline, the panel under the open
    items, the footer's f), v reads it in full (the outcome's note shown as written), and f
    records a written resolution on the hub; the panel then empties. At 80x24."""
    from textual.widgets import DataTable

    from ehub_tui.ui.screens.board import BoardScreen
    from ehub_tui.ui.screens.dialogs import ReasonDialog
    from ehub_tui.ui.screens.review import ReviewScreen
    from tests.ui.conftest import steady_queue, type_text

    hub = make_hub("throat")
    item = hub.ids["throat"]
    event_id = fenced_completion(hub, item)
    app = hub.app("sup1")

    async def body() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await steady_queue(pilot)
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), what="board")
            board = app.screen
            assert isinstance(board, BoardScreen)
            await wait_until(pilot, lambda: len(board.refused) == 1, what="the refused event")
            await settle(pilot)
            text = screen_text(app)
            assert "Not applied 1" in text  # the headline's count
            assert "Not applied (1) — f resolve, k apply, v read" in text
            assert board.check_action("resolve", ()) is True
            table = board.query_one("#refused", DataTable)
            assert table.display and table.row_count == 1

            # v: the whole event, the outcome's note shown as written (never markup)
            await pilot.press("v")
            await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="review")
            review = app.screen
            assert isinstance(review, ReviewScreen)
            await wait_until(pilot, lambda: review.loaded, what="the refused events read")
            detail = str(review.query_one("#review-body", Static).render())
            assert f"#{item} · completion by nav1" in detail
            assert "rang [bold]back[/]" in detail and "pf_sore_throat" in detail
            assert "fenced" in detail
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is board, what="back on the board")

            # f: a written resolution, recorded on the hub
            await pilot.press("f")
            await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog), what="resolution")
            await type_text(pilot, "entered again for nav2")
            await pilot.press("enter")
            await wait_until(pilot, lambda: not board.refused, what="the panel empties")
            await settle(pilot)
            assert not board.query_one("#refused", DataTable).display
            assert "Not applied" not in str(board.query_one("#headline", Static).render())
            assert board.check_action("resolve", ()) is False

    run(body())
    (done,) = hub.service("sup1").sync_rejected(include_resolved=True)
    assert done.event_id == event_id
    assert (done.resolved_by, done.resolution) == ("sup1", "entered again for nav2")


def test_refused_offline_completion_is_shown_and_kept(make_hub: Callable[..., Hub]) -> None:
    """nav1 completes offline an item a supervisor gave to nav2 meanwhile: when the hub is back
    it refuses it (fenced); the status line says "1 not applied — v to review" and v shows the
    outcome whole with the hub's reason. The hub keeps only nav2's claim."""
    from ehub_tui.ui.screens.review import ReviewScreen

    signin = open_signin_hub(make_hub("throat"))
    throat = signin.hub.ids["throat"]
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
                signin.hub.service("sup1").reassign(throat, "nav2", "covering")
                await pilot.press("enter")
                await wait_until(pilot, lambda: SAVED_OFFLINE in notes(app), what="saved here")
                await wait_until(
                    pilot, lambda: isinstance(app.screen, QueueScreen), what="back to queue"
                )
                net.heal()
                await wait_until(
                    pilot,
                    lambda: f"1 {NOT_APPLIED}" in sync_line_text(app),
                    timeout=10,
                    what="not applied on the status line",
                )
                await pilot.press("v")
                await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="review")
                review = app.screen
                assert isinstance(review, ReviewScreen)
                await wait_until(pilot, lambda: len(review.events) == 1, what="the event")
                detail = str(review.query_one("#review-body", Static).render())
                assert f"#{throat} · completion by nav1" in detail
                assert "The outcome as it was saved" in detail
                assert "pf_sore_throat" in detail  # the route chosen, kept
                await pilot.press("escape")
                await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), what="q")

        run(body())
        status, owner, _ = signin.hub.service(None).item_state(throat)
        assert (status, owner) == ("claimed", "nav2")  # only nav2 holds it; nothing applied
        (refused,) = signin.hub.service("sup1").sync_rejected()
        assert refused.username == "nav1" and refused.code == "fenced"
    finally:
        with contextlib.suppress(Exception):
            signin.close()


def test_drafts_are_saved_as_you_work_and_restored_at_sign_in(
    make_hub: Callable[..., Hub],
) -> None:
    """An answer given is saved on this workstation a second later; a new app on the same
    workstation restores the draft at sign-in (the item reopens with it)."""
    signin = open_signin_hub(make_hub("uti"))
    uti = signin.hub.ids["uti"]
    try:
        first = workstation(signin, FaultyClient(InProcessClient(signin.core, DEVICE)))
        app = make_app(first, clock=signin.hub.clock, poll_interval=0.2)
        app.animation_level = "none"

        async def working() -> None:
            async with app.run_test(size=SIZE) as pilot:
                await sign_in_as(pilot, "nav1", PASSWORD)
                await on_queue(pilot)
                await pilot.press("n")
                await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
                await settle(pilot)
                await pilot.press("2")  # not pregnant
                await wait_until(
                    pilot,
                    lambda: first.drafts().get(uti, {}).get("answers") == {"pregnant": "no"},
                    what="the draft saved",
                )
                app.exit(0)  # a program's exit: no held-items question (the app just stops)

        run(working())
        first.close()

        second = workstation(signin, FaultyClient(InProcessClient(signin.core, DEVICE)))
        again = make_app(second, clock=signin.hub.clock, poll_interval=0.2)
        again.animation_level = "none"

        async def back() -> None:
            async with again.run_test(size=SIZE) as pilot:
                await sign_in_as(pilot, "nav1", PASSWORD)
                await on_queue(pilot)
                await wait_until(pilot, lambda: uti in again.ctx.drafts, what="restored")
                assert again.ctx.drafts[uti].answers == {"pregnant": "no"}
                assert again.ctx.drafts[uti].order == ["pregnant"]

        run(back())
    finally:
        with contextlib.suppress(Exception):
            signin.close()
