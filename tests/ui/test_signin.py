"""The app's sign-in screen, and an open app meeting a hub that changes who its user is.

Real parts throughout: the test hub of tests/ui/conftest.py (SQLite, the frozen clock), a HubCore on
it with real argon2id passwords (the cheapest parameters), and the app holding a ClientService over
an InProcessClient, exactly as ``ehub-tui`` on an embedded hub does. Everything is typed with the
keyboard; an admin acting on the hub meanwhile is another ClientService signed in on another device.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from textual.pilot import Pilot
from textual.widgets import Input, Static

from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.service import ClientService
from ehub_tui.config import Settings
from ehub_tui.errors import HubUnreachable, NotSignedIn
from ehub_tui.hub.core import HubCore
from ehub_tui.ui.app import EhubApp, make_app
from ehub_tui.ui.screens.board import BoardScreen
from ehub_tui.ui.screens.help import HelpScreen
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.signin import ChangePasswordDialog, SignInScreen
from ehub_tui.ui.screens.triage import TriageScreen
from tests.conftest import FrozenClock
from tests.ui.conftest import (
    SIZE,
    SOPS,
    Hub,
    run,
    screen_text,
    settle,
    shipped_sops,
    steady_queue,
    type_text,
    wait_until,
)

PASSWORD = "a long enough pass phrase"
NEW_PASSWORD = "another long pass phrase"
DEVICE = "6c1e9a52-0b7d-4f0e-a7a3-2d9a6c3b1f01"
ADMIN_DEVICE = "6c1e9a52-0b7d-4f0e-a7a3-2d9a6c3b1f02"
DEMO_HINT = "demo hub: users nav1, nav2, sup1, adm1 · password: a long enough pass phrase"


@dataclass
class SignInHub:
    """The UI test hub with passwords set, and apps over the in-process client."""

    hub: Hub
    core: HubCore
    _made: list[ClientService] = field(default_factory=list)

    def service(self, device: str = DEVICE) -> ClientService:
        """A client service nobody has signed in to (what the app is given)."""
        svc = ClientService(
            InProcessClient(self.core, device), self.hub.settings(), clock=self.hub.clock
        )
        svc.use_sop_library(shipped_sops())  # loaded and tested once per session
        self._made.append(svc)
        return svc

    def app(self, demo_hint: str | None = None) -> EhubApp:
        """The app, opening on the sign-in screen (frozen clock, polling every 0.2 s)."""
        app = make_app(self.service(), clock=self.hub.clock, poll_interval=0.2, demo_hint=demo_hint)
        app.animation_level = "none"
        return app

    def admin(self) -> ClientService:
        """An admin signed in on another device."""
        svc = self.service(ADMIN_DEVICE)
        svc.sign_in("adm1", PASSWORD)
        return svc

    def close(self) -> None:
        for svc in self._made:
            with contextlib.suppress(Exception):
                svc.sign_out()
            svc.close()
        self.core.close()


def open_signin_hub(hub: Hub) -> SignInHub:
    """Passwords for nav1, nav2, sup1 and an admin adm1 on ``hub`` (set on the hub machine)."""
    hub.service(None).add_user("adm1", "admin", "Ada Admin")
    core = HubCore.open(
        hub.settings(), clock=hub.clock, hasher=PasswordHasher.from_parameters(profiles.CHEAPEST)
    )
    for username in ("nav1", "nav2", "sup1", "adm1"):
        core.auth.set_password(username, PASSWORD, by="system")
    return SignInHub(hub, core)


@pytest.fixture
def signin_hub(make_hub: Callable[..., Hub]) -> Iterator[Callable[..., SignInHub]]:
    """``signin_hub("throat")``: a fresh hub holding those cases, with passwords."""
    made: list[SignInHub] = []

    def build(*cases: str) -> SignInHub:
        made.append(open_signin_hub(make_hub(*cases)))
        return made[-1]

    yield build
    for hub in made:
        hub.close()


# -- driving the sign-in screen -----------------------------------------------------------------


def notes(app: EhubApp) -> str:
    """Every notification shown so far, one a line."""
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


async def sign_in_screen(pilot: Pilot[Any]) -> SignInScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SignInScreen), what="sign-in")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen)
    return screen


async def sign_in_as(pilot: Pilot[Any], username: str, password: str) -> SignInScreen:
    """Type the username (unless filled in), enter, the password, enter; wait for the answer."""
    screen = await sign_in_screen(pilot)
    if screen.query_one("#username", Input).value != username:
        screen.query_one("#username", Input).focus()
        await type_text(pilot, username)
        await pilot.press("enter")
    assert screen.focused is screen.query_one("#password", Input)
    await type_text(pilot, password)
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: not screen.busy or pilot.app.screen is not screen,
        what="the sign-in answered",
    )
    await pilot.pause()
    return screen


def error_text(screen: SignInScreen) -> str:
    return str(screen.query_one("#signin-error").render())


async def on_queue(pilot: Pilot[Any]) -> QueueScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, QueueScreen), what="queue")
    await steady_queue(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, QueueScreen)
    return screen


# -- signing in ---------------------------------------------------------------------------------


def test_keyboard_sign_in_lands_on_the_queue(signin_hub: Callable[..., SignInHub]) -> None:
    hub = signin_hub("throat")
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await sign_in_screen(pilot)
            text = screen_text(app)
            assert "Hub: this computer's hub" in text
            assert "demo hub" not in text  # no hint unless the app is told it is a demo hub
            assert screen.focused is screen.query_one("#username", Input)
            await type_text(pilot, "nav1")
            await pilot.press("enter")  # enter moves to the password
            assert screen.focused is screen.query_one("#password", Input)
            await type_text(pilot, PASSWORD)
            assert PASSWORD not in screen_text(app)  # never echoed
            assert "pass phrase" not in screen_text(app)
            await pilot.press("enter")
            queue = await on_queue(pilot)
            assert app.service.user is not None and app.service.user.username == "nav1"
            assert "Priya Shah (navigator)" in screen_text(app)
            assert queue.check_action("board", ()) is False

    run(body())
    events = [e for e in hub.hub.service(None).audit_log(limit=20) if e.action == "sign_in"]
    assert [e.actor for e in events] == ["nav1"]
    assert PASSWORD not in repr(events)


def test_sign_in_help_and_quit_by_keyboard(signin_hub: Callable[..., SignInHub]) -> None:
    hub = signin_hub()
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_screen(pilot)
            await type_text(pilot, "nav?")  # "?" typed into a field is a character, not help
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press("f1")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            keys = str(app.screen.query_one("#help-keys", Static).render())
            assert "next field / sign in" in keys and "ctrl+q" in keys
            assert "Sign out" not in keys  # nothing to sign out of yet
            await pilot.press("escape")
            screen = await sign_in_screen(pilot)
            assert screen.query_one("#username", Input).value == "nav?"
            await pilot.press("ctrl+q")  # nobody signed in: quits at once
            await wait_until(pilot, lambda: not app.is_running, what="the app to quit")

    run(body())


def test_wrong_password_is_said_and_the_screen_stays(
    signin_hub: Callable[..., SignInHub],
) -> None:
    hub = signin_hub()
    app = hub.app(demo_hint=DEMO_HINT)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await sign_in_as(pilot, "nav1", "not the password at all")
            assert isinstance(app.screen, SignInScreen)
            assert "Wrong username or password." in error_text(screen)
            assert screen.query_one("#password", Input).value == ""  # typed again, not kept
            assert screen.focused is screen.query_one("#password", Input)
            assert "demo hub: users nav1" in screen_text(app)
            # an unknown name reads exactly the same
            screen.query_one("#username", Input).value = ""
            screen = await sign_in_as(pilot, "nobody", PASSWORD)
            assert "Wrong username or password." in error_text(screen)
            assert app.service.user is None
            # and the right one goes through
            screen.query_one("#username", Input).value = ""
            await sign_in_as(pilot, "nav1", PASSWORD)
            await on_queue(pilot)

    run(body())


def test_a_locked_account_says_how_long_to_wait(signin_hub: Callable[..., SignInHub]) -> None:
    hub = signin_hub()
    for _ in range(10):  # ten wrong passwords, each after the back-off has passed
        with pytest.raises(NotSignedIn):
            hub.core.sign_in("nav1", "not the password at all", ADMIN_DEVICE)
        hub.hub.clock.advance(minutes=1)
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await sign_in_as(pilot, "nav1", PASSWORD)  # even the right one waits
            assert isinstance(app.screen, SignInScreen)
            text = error_text(screen)
            assert "locked" in text and "Try again in 14 minutes." in text, text
            assert app.service.user is None

    run(body())


def test_an_unreachable_hub_is_named(tmp_path: Path, clock: FrozenClock) -> None:
    from ehub_tui.client.http import HttpClient

    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"https://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(data_dir=tmp_path / "data", hub_server_url=url, sops_dir=SOPS)
    service = ClientService(
        HttpClient(url, ca_file=None, device_id=DEVICE, backoff=0.001), settings, clock=clock
    )
    app = make_app(service, clock=clock, poll_interval=0.2)
    app.animation_level = "none"

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await sign_in_screen(pilot)
            assert f"Hub: {url}" in screen_text(app)
            screen = await sign_in_as(pilot, "nav1", PASSWORD)
            assert f"Cannot reach the hub at {url}" in error_text(screen)
            assert isinstance(app.screen, SignInScreen) and app.service.user is None

    try:
        run(body())
    finally:
        service.close()


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["100x30", "80x24"])
def test_a_reset_password_must_be_changed_first(
    signin_hub: Callable[..., SignInHub], size: tuple[int, int]
) -> None:
    hub = signin_hub("throat")
    hub.core.auth.set_password("nav1", PASSWORD, by="adm1", must_change=True)
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=size) as pilot:
            await sign_in_as(pilot, "nav1", PASSWORD)
            await wait_until(
                pilot, lambda: isinstance(app.screen, ChangePasswordDialog), what="dialog"
            )
            dialog = app.screen
            assert isinstance(dialog, ChangePasswordDialog)
            await type_text(pilot, PASSWORD)
            await pilot.press("enter")
            await type_text(pilot, "short")
            await pilot.press("enter")
            await type_text(pilot, "short")
            await pilot.press("enter")
            await wait_until(pilot, lambda: not dialog.busy, what="the policy answer")
            await pilot.pause()
            problem = str(dialog.query_one("#password-error").render())
            assert isinstance(app.screen, ChangePasswordDialog) and problem, problem
            assert "12" in problem or "short" in problem, problem  # the policy says what
            shown = " ".join(screen_text(app).split())
            # on the screen, even at 80x24 (the refusal and the keys were cut off there once)
            assert " ".join(problem.split())[:30] in shown, shown
            assert "escape: sign out" in shown, shown
            for word in (PASSWORD, NEW_PASSWORD, NEW_PASSWORD):
                await type_text(pilot, word)
                await pilot.press("enter")
            await on_queue(pilot)
            assert "Your password was changed." in notes(app)

    run(body())
    with pytest.raises(NotSignedIn):
        hub.core.sign_in("nav1", PASSWORD, ADMIN_DEVICE)
    assert hub.core.sign_in("nav1", NEW_PASSWORD, ADMIN_DEVICE).must_change_password is False


# -- the hub changes who you are ------------------------------------------------------------------


def test_a_demoted_supervisor_is_told_within_the_poll_and_loses_the_board(
    signin_hub: Callable[..., SignInHub],
) -> None:
    hub = signin_hub("throat")
    app = hub.app()
    admin = hub.admin()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_as(pilot, "sup1", PASSWORD)
            await on_queue(pilot)
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), what="board")
            await settle(pilot)

            admin.set_role("sup1", "navigator")
            took = await wait_until(
                pilot,
                lambda: "Your role is now navigator." in notes(app),
                timeout=5,
                what="the role notice",
            )
            assert took < 2.0, f"the notice took {took:.2f} s"
            queue = await on_queue(pilot)
            assert not any(isinstance(s, BoardScreen) for s in app.screen_stack)
            assert queue.check_action("board", ()) is False
            assert "(navigator)" in screen_text(app)
            await pilot.press("b")  # nothing: the key is not theirs any more
            await settle(pilot)
            assert app.screen is queue

    run(body())


def test_a_disabled_user_returns_to_sign_in_and_keeps_the_draft(
    signin_hub: Callable[..., SignInHub],
) -> None:
    hub = signin_hub("throat")
    app = hub.app()
    admin = hub.admin()
    item = hub.hub.ids["throat"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_as(pilot, "nav1", PASSWORD)
            await on_queue(pilot)
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            await pilot.press("n")  # a note: the draft
            await pilot.pause()
            await type_text(pilot, "rang back")
            await pilot.press("ctrl+s")
            await pilot.pause()

            admin.set_active("nav1", False)
            took = await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, SignInScreen)
                    and "Signed out: your account was disabled." in notes(app)
                ),
                timeout=5,
                what="sign-in, and the notice",
            )
            assert took < 2.0, f"signing out took {took:.2f} s"
            assert app.drafts[item].note == "rang back"
            screen = await sign_in_screen(pilot)
            assert screen.query_one("#username", Input).value == "nav1"  # filled in

            # disabled: the hub refuses them, and says why
            screen = await sign_in_as(pilot, "nav1", PASSWORD)
            assert "disabled" in error_text(screen)

            admin.set_active("nav1", True)
            await sign_in_as(pilot, "nav1", PASSWORD)
            await on_queue(pilot)
            await pilot.press("2")  # Mine: the item is still theirs
            await steady_queue(pilot)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            again = app.screen
            assert isinstance(again, TriageScreen)
            assert again.draft.note == "rang back"

    run(body())


def test_sign_out_from_the_palette_asks_about_held_items(
    signin_hub: Callable[..., SignInHub],
) -> None:
    from ehub_tui.ui.app import QuitDialog

    hub = signin_hub("throat")
    app = hub.app()
    item = hub.hub.ids["throat"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_as(pilot, "nav1", PASSWORD)
            await on_queue(pilot)
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            await pilot.press("escape")  # left in Mine
            await on_queue(pilot)
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            keys = str(app.screen.query_one("#help-keys", Static).render())
            assert "ctrl+o" in keys and "Sign out" in keys  # on the help screen
            await pilot.press("escape")
            await pilot.press("ctrl+p")
            await pilot.pause()
            await type_text(pilot, "Sign out")
            await pilot.pause(0.2)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, QuitDialog), what="asked")
            assert "return them and sign out" in screen_text(app)
            await pilot.press("r")
            await sign_in_screen(pilot)
            assert app.service.user is None
            assert item not in app.drafts

    run(body())
    state = hub.hub.service(None).consultation(item)
    assert state.status == "queued" and state.owner is None
    sign_outs = [e for e in hub.hub.service(None).audit_log(limit=20) if e.action == "sign_out"]
    assert [e.actor for e in sign_outs] == ["nav1"]


class AwayClient:
    """The client under the app's service, with a switch that makes every hub call fail as the
    HTTP client does when the hub server is stopped (a fault at a transport we own)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.away = False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not self.away or not callable(attr):
            return attr

        def unreachable(*args: Any, **kwargs: Any) -> Any:
            raise HubUnreachable("Cannot reach the hub at https://hub.test:8443: is it running?")

        return unreachable


def test_background_checks_survive_an_ended_sign_in_and_a_hub_that_went_away(
    signin_hub: Callable[..., SignInHub],
) -> None:
    """The SOP check every 30 s, the keep-alive and the touch run in workers: a hub that stops
    answering, or a sign-in that ended, must never close the app (found in a tmux trial: the app
    died 30 s after a sign-out, and Textual's traceback showed the bearer token)."""
    hub = signin_hub("throat")
    app = hub.app()
    app.service.use_sop_library(None)  # guided by the hub's published SOPs, as in real use
    away = AwayClient(app.service.client)
    app.service.client = away

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_as(pilot, "nav1", PASSWORD)
            await on_queue(pilot)
            app.start_sops()
            await wait_until(
                pilot, lambda: app.ctx.guidance_ready, timeout=15, what="guidance loaded"
            )
            away.away = True
            app._check_sops()  # what the 30 s timer does (a workstation may answer from the
            app._keep_alive()  # SOP cache it keeps, issue 14; the keep-alive needs the hub)
            await wait_until(pilot, lambda: app.hub_problem is not None, what="hub notice")
            # the first failing call's words, or (once the sender knows the hub is away, so
            # later calls do not wait on it) the plain "not answering" sentence
            said = notes(app)
            assert "Cannot reach the hub" in said or "not answering" in said, said
            assert app.is_running and app.return_code is None
            away.away = False

            hub.admin().set_active("nav1", False)
            # the sender notices the hub is back on its next try (the app's own calls wait for
            # it rather than each trying a hub known to be away), then hears the user is disabled
            await wait_until(
                pilot, lambda: isinstance(app.screen, SignInScreen), timeout=15, what="sign-in"
            )
            app._reload_sops()  # a check that was already due when the sign-in ended
            app._keep_alive()
            app._touch()
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert app.is_running and app.return_code is None
            assert isinstance(app.screen, SignInScreen)

    run(body())
