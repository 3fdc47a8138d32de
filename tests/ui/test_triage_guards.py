"""The triage screen's guards, driven with a Pilot against a real SQLite hub (issue 12).

- A completion starts once however quickly its key is pressed twice: the busy flag is set on the
  UI thread before the worker starts (it used to be set inside the worker thread, so a quick
  double press started a second completion, which found the item gone and showed it as lost).
- ``n`` pressed before the SOP guidance has loaded says "Loading guidance…" and opens the item
  once it has, instead of freezing the screen while the SOPs load.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from ehub_tui.service import Claim, HubService
from ehub_tui.ui.app import EhubApp
from ehub_tui.ui.screens.dialogs import ConfirmDialog
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.triage import TriageScreen
from tests.support.fakes import ServiceProxy
from tests.ui.conftest import SIZE, Hub, run, settle, steady_queue, wait_until


class CountingComplete(ServiceProxy):
    """The service with a slow, counted ``complete``: each call takes ``delay`` seconds, so the
    first is still on its way when a second key press arrives."""

    def __init__(self, service: HubService, delay: float = 0.3) -> None:
        super().__init__(service)
        self.delay = delay
        self.calls: list[int] = []
        self._lock = threading.Lock()

    def complete(self, claim: Claim, outcome: Any) -> int:
        with self._lock:
            self.calls.append(claim.item_id)
        time.sleep(self.delay)
        return self.inner.complete(claim, outcome)


async def open_next(pilot: Pilot[Any]) -> TriageScreen:
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TriageScreen), what="triage")
    await settle(pilot)
    await pilot.pause(0.45)  # past the key guard
    screen = pilot.app.screen
    assert isinstance(screen, TriageScreen)
    return screen


def count_workers(screen: TriageScreen) -> list[str]:
    """Record the group of every worker the screen starts from now on."""
    started: list[str] = []
    real = screen.run_worker

    def run_worker(*args: Any, **kwargs: Any) -> Any:
        started.append(kwargs.get("group", ""))
        return real(*args, **kwargs)

    screen.run_worker = run_worker  # type: ignore[method-assign]
    return started


def notices(app: EhubApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


def test_a_double_enter_completes_once(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("throat")
    app = hub.app(fake=CountingComplete)
    item = hub.ids["throat"]
    counting = app.service
    assert isinstance(counting, CountingComplete)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            assert screen.step == "route"
            started = count_workers(screen)
            await pilot.press("enter", "enter")
            assert screen.busy  # set at once, on the UI thread
            assert started.count("complete") == 1
            await wait_until(
                pilot, lambda: isinstance(app.screen, QueueScreen), timeout=5, what="the queue"
            )
            await settle(pilot)
            assert screen.lost is None

    run(body())
    assert counting.calls == [item]  # one completion, not two
    assert "no longer yours" not in notices(app)
    assert f"Completed #{item}" in notices(app)
    assert hub.service(None).consultation(item).status == "completed"


def test_two_accepts_in_the_same_tick_start_one_completion(make_hub: Callable[..., Hub]) -> None:
    """Both key presses handled before any worker thread has run a line (the case the old
    guard, set inside the worker, let through)."""
    hub = make_hub("throat")
    app = hub.app(fake=CountingComplete)
    item = hub.ids["throat"]
    counting = app.service
    assert isinstance(counting, CountingComplete)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            started = count_workers(screen)
            screen.action_accept()
            assert screen.busy  # already, before any thread has run
            screen.action_accept()  # no await between: no thread has started yet
            # one completion worker: the old guard started a second (which cancelled the first
            # or, had its thread begun, failed on the completed item and showed it as lost)
            assert started.count("complete") == 1
            await wait_until(
                pilot, lambda: isinstance(app.screen, QueueScreen), timeout=5, what="the queue"
            )
            await settle(pilot)

    run(body())
    assert counting.calls == [item]
    assert "no longer yours" not in notices(app)


def test_a_confirmed_escalation_pressed_again_escalates_once(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("headache")
    app = hub.app(fake=CountingComplete)
    item = hub.ids["headache"]
    counting = app.service
    assert isinstance(counting, CountingComplete)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            assert screen.step == "flag"
            await pilot.press("e")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
            await pilot.press("enter")  # confirmed: the escalation is on its way
            await wait_until(pilot, lambda: app.screen is screen or not screen.is_attached)
            if app.screen is screen:
                await pilot.pause(0.45)  # past the key guard: e now would open a dialog again
                await pilot.press("e", "enter")
            await wait_until(
                pilot, lambda: isinstance(app.screen, QueueScreen), timeout=5, what="the queue"
            )
            await settle(pilot)

    run(body())
    assert counting.calls == [item]
    assert "no longer yours" not in notices(app)
    assert hub.service(None).consultation(item).status == "completed"


def test_next_waits_for_the_guidance_without_freezing(
    make_hub: Callable[..., Hub], monkeypatch: Any
) -> None:
    hub = make_hub("throat")
    app = hub.app()
    item = hub.ids["throat"]
    loaded = threading.Event()
    real_load = EhubApp._load_sops

    def slow_load(self: EhubApp) -> None:
        loaded.wait(10)  # the SOPs take their time (released by the test below)
        real_load(self)

    monkeypatch.setattr(EhubApp, "_load_sops", slow_load)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue")
            queue = app.screen
            await pilot.pause(0.3)
            assert not app.ctx.guidance_ready
            started = time.monotonic()
            await pilot.press("n")
            assert time.monotonic() - started < 0.3  # the key returned at once
            detail = queue.query_one("#detail", Static)
            assert "Loading guidance" in str(detail.render())
            await pilot.pause(0.2)
            assert app.screen is queue  # not opened, and not claimed, without guidance
            assert hub.service(None).consultation(item).status == "queued"
            loaded.set()
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TriageScreen)
            assert screen.claim.item_id == item and screen.step == "route"
            assert "Loading guidance" not in str(detail.render())

    try:
        run(body())
    finally:
        loaded.set()
    assert hub.service(None).consultation(item).status == "claimed"
