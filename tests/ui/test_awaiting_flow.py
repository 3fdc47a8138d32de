"""Awaiting the patient and the history view in the app (issue 15), on a real hub file.

The keys a navigator presses: ``w`` on the triage screen parks the item, ``h`` opens its history
(on the triage screen and the queue). What a navigator sees:

- park → the item leaves the queue → the patient's reply for the same thread is ingested → it is
  back in the queue, and its parking panel and history show the question and the reply;
- a timed return by the hub's frozen clock advanced: "No reply by …";
- the history view as a snapshot, on the frozen clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from textual.pilot import Pilot

from ehub_tui.domain.types import Status
from ehub_tui.store.engine import set_hub_clock
from ehub_tui.ui.screens.history import HistoryScreen
from ehub_tui.ui.screens.park import ParkDialog, ParkingPanel
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.triage import TriageScreen
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

QUESTION = "How many days off do you need"
REPLY = "Fourteen days please, from Monday."

Snap = Callable[..., bool]


def _app_on_hub_clock(hub: Hub) -> tuple[Any, Any]:
    """nav1's app and the system service, both judging return times by the hub's frozen clock
    (the test's clock; the app's clock is the same one)."""
    from ehub_tui.ui.app import make_app

    service: Any = hub.service("nav1")
    system = hub.service(None)
    for svc in (service, system):
        set_hub_clock(svc.engine, hub.clock)
    app = make_app(
        service,
        clock=hub.clock,
        monotonic=lambda: 1000.0 + hub.clock._advanced,
        poll_interval=0.2,
    )
    app.animation_level = "none"
    return app, system


def _reply_to(case: str, **extra: Any) -> Any:
    """The patient's reply to a case, as its supplier sends it (same thread, same patient)."""
    base = CASES[case]()
    fields = {
        **base.model_dump(exclude={"origin", "refuse_conflict"}),
        "external_id": base.external_id + "-R1",
        "answers": {"in_reply_to": base.external_id},
        "free_text": REPLY,
    }
    fields.update(extra)
    return type(base)(**fields)


async def _open_next(pilot: Pilot[Any]) -> TriageScreen:
    await steady_queue(pilot)
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TriageScreen), what="triage")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TriageScreen)
    return screen


async def _park(pilot: Pilot[Any], screen: TriageScreen, choice_presses: int = 0) -> None:
    """``w`` on the triage screen: the dialog, the question typed, a time chosen."""
    assert pilot.app.screen is screen
    await pilot.press("w")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ParkDialog), what="dialog")
    await type_text(pilot, QUESTION)
    await pilot.press("tab")
    for _ in range(choice_presses):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, QueueScreen), what="queue")
    await settle(pilot)


def test_park_then_the_reply_brings_it_back_with_both_texts(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("fit_note")
    app, system = _app_on_hub_clock(hub)
    item = hub.ids["fit_note"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open_next(pilot)
            assert screen.claim.item_id == item
            await _park(pilot, screen)
            assert system.item_state(item).status == Status.AWAITING
            await wait_until(
                pilot, lambda: "The queue is empty" in screen_text(app), what="queue empty"
            )

            system.store_intake([_reply_to("fit_note")])  # the reply arrives
            assert system.item_state(item).status == Status.QUEUED
            await wait_until(
                pilot, lambda: f"#{item} " in screen_text(app), what="back in the queue"
            )

            # opened again: the parking panel shows both texts
            screen = await _open_next(pilot)
            panel = screen.query_one(ParkingPanel)
            await wait_until(pilot, lambda: bool(panel.display), what="the parking panel")
            await settle(pilot)
            text = screen_text(app)
            assert "Reply received" in text and QUESTION in text and REPLY in text

            await pilot.press("h")  # the history, from the triage screen
            await wait_until(pilot, lambda: getattr(app.screen, "loaded", False), what="history")
            await settle(pilot)
            text = screen_text(app)
            assert "Parked by nav1 awaiting the patient's reply" in text
            assert f"Question sent: {QUESTION}" in text and f"Reply: {REPLY}" in text

    run(body())


def test_no_reply_by_its_time_it_comes_back_by_the_hubs_clock(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("fit_note")
    app, system = _app_on_hub_clock(hub)
    item = hub.ids["fit_note"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open_next(pilot)
            await _park(pilot, screen)  # end of today: 18:30 UK
            parked = system.parking(item)
            assert parked is not None and parked.return_at.hour == 18
            hub.clock.advance(hours=8, minutes=31)  # past 18:30 by the hub's clock
            assert system.rescue_expired() == [item]  # the hub's sweep
            await wait_until(pilot, lambda: f"#{item} " in screen_text(app), what="back")
            back = system.parking(item)
            assert back is not None and back.banner() == "No reply by Mon 23 Nov 18:30."

    run(body())


def test_history_view_snapshot(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = make_hub("fit_note")
    app, system = _app_on_hub_clock(hub)
    item = hub.ids["fit_note"]
    nav = hub.service("nav1")
    set_hub_clock(nav.engine, hub.clock)
    claim = nav.claim(item)
    nav.park(claim, QUESTION, hub.clock() + timedelta(hours=2))
    hub.clock.advance(minutes=20)
    system.store_intake([_reply_to("fit_note")])

    async def before(pilot: Pilot[Any]) -> None:
        await steady_queue(pilot)
        await pilot.press("h")  # the highlighted item's history, from the queue
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="h")
        await wait_until(pilot, lambda: app.screen.loaded, what="history")
        await settle(pilot)
        text = screen_text(app)
        assert "Received from eConsult" in text and REPLY in text

    assert snap_compare(app, terminal_size=SIZE, run_before=before)
