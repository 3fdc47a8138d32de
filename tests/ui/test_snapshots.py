"""Deterministic snapshots of the navigator app (issue 4).

Fixed clock (Monday 23 Nov 2026 10:00 UTC, the app's and the hub's), fixed size (100x30), fixed
data (a fresh hub per test, so fixed ids), no animation and no cursor blink. Each run_before waits
for the thread workers and past the queue's first poll, so no row is caught mid-fetch.
Regenerate with ``pytest tests/ui --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from ehub_tui.ui.screens.help import HelpScreen
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.triage import TriageScreen
from tests.ui.conftest import ALL, SIZE, Hub, screen_text, settle, steady_queue, wait_until

Snap = Callable[..., bool]


def still_app(hub: Hub) -> Any:
    """nav1's app whose monotonic clock moves only when the test advances the frozen clock: the
    triage banner's "on screen 0:00" must not depend on how long the run took (a ticking
    monotonic made it 0:01 on a slow run). No dialog is closed in these snapshots, so the key
    guard after one (also on this clock) never comes into play."""
    from ehub_tui.ui.app import make_app

    service: Any = hub.service("nav1")  # the hub's own service, as Hub.app gives it
    app = make_app(
        service,
        clock=hub.clock,
        monotonic=lambda: 1000.0 + hub.clock._advanced,
        poll_interval=0.2,
    )
    app.animation_level = "none"
    return app


async def next_item(pilot: Pilot[Any]) -> TriageScreen:
    await steady_queue(pilot)
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TriageScreen), what="triage")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TriageScreen)
    return screen


def test_queue(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = make_hub(*ALL)
    app = hub.app()

    async def before(pilot: Pilot[Any]) -> None:
        await steady_queue(pilot)
        assert isinstance(app.screen, QueueScreen)
        text = screen_text(app)
        assert "Queue (4 · ‼1 EM)" in text and "‼EM" in text  # (trial 15b: emergencies waiting)
        assert "#1 · Harbour Street Surgery · clinical · headache" in text

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_empty_queue(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = make_hub()
    app = hub.app()

    async def before(pilot: Pilot[Any]) -> None:
        await steady_queue(pilot)
        assert "The queue is empty" in screen_text(app)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_triage_red_flag(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = make_hub(*ALL)
    app = still_app(hub)

    async def before(pilot: Pilot[Any]) -> None:
        screen = await next_item(pilot)
        assert screen.step == "flag"

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_triage_question(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = make_hub("uti")
    app = still_app(hub)

    async def before(pilot: Pilot[Any]) -> None:
        screen = await next_item(pilot)
        await pilot.press("2")  # not pregnant: the immune-system question is next
        assert screen.step == "question"
        assert screen.decision.next_question.id == "immunosuppressed"

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_triage_route(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = make_hub("throat")
    app = still_app(hub)

    async def before(pilot: Pilot[Any]) -> None:
        screen = await next_item(pilot)
        assert screen.step == "route"
        assert screen.decision.route.id == "pf_sore_throat"

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_help(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = make_hub(*ALL)
    app = hub.app()

    async def before(pilot: Pilot[Any]) -> None:
        await steady_queue(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_reassigned_notice(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = make_hub("uti")
    app = still_app(hub)
    supervisor = hub.service("sup1")

    async def before(pilot: Pilot[Any]) -> None:
        screen = await next_item(pilot)
        await pilot.press("2")
        supervisor.reassign(hub.ids["uti"], "nav2", "covering")
        await wait_until(pilot, lambda: bool(screen.lost), what="the lost notice")
        await settle(pilot)
        assert "no longer hold" in str(screen.query_one("#lost", Static).render())

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


# -- the sign-in screen (issue 13): an app given a client service nobody has signed in to ------


def test_sign_in(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    from tests.ui.test_signin import DEMO_HINT, open_signin_hub, sign_in_screen

    hub = open_signin_hub(make_hub())
    app = hub.app(demo_hint=DEMO_HINT)

    async def before(pilot: Pilot[Any]) -> None:
        screen = await sign_in_screen(pilot)
        text = screen_text(app)
        assert "Hub: this computer's hub" in text and "demo hub: users nav1" in text
        assert screen.focused is screen.query_one("#username")

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=before)
    finally:
        hub.close()


def test_sign_in_refused_80x24(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    from tests.ui.test_signin import open_signin_hub, sign_in_as

    hub = open_signin_hub(make_hub())
    app = hub.app()

    async def before(pilot: Pilot[Any]) -> None:
        await sign_in_as(pilot, "nav1", "not the password")
        assert "Wrong username or password." in screen_text(app)
        assert not app._notifications  # no "window too small" warning at 80x24

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=before)
    finally:
        hub.close()


# -- the sync status line (issue 14) -----------------------------------------------------------


def test_offline_status_line_80x24(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    """The queue of a workstation whose hub is away, with a refused event: the status line under
    the top bar, and the footer still fitting 80 columns. The status is a fixed SyncStatus (the
    sender's state is what the line shows; test_offline drives the real one)."""
    from datetime import UTC, datetime

    from ehub_tui.domain.sync import SyncStatus
    from tests.support.fakes import ServiceProxy

    status = SyncStatus(
        online=False,
        pending=2,
        rejected=1,
        last_synced=datetime(2026, 11, 23, 9, 58, tzinfo=UTC),
        offset_seconds=0.4,
        rtt_seconds=0.02,
        cursor=17,
    )

    class Offline(ServiceProxy):
        on_sync_changed: Any = None

        def sync_status(self) -> SyncStatus:
            return status

    hub = make_hub(*ALL)
    app = hub.app(fake=Offline)

    async def before(pilot: Pilot[Any]) -> None:
        await steady_queue(pilot)
        text = screen_text(app)
        assert "offline — 2 waiting to send · last synced 09:58 · 1 not applied — v to review" in (
            text
        )
        assert not app._notifications  # no "window too small" warning at 80x24

    assert snap_compare(app, terminal_size=(80, 24), run_before=before)
