"""Who is signed in: the app's sign-in, sign-out, and its answer when the hub changes who you are.

``AccountApp`` is the base of the app. Given a client service with nobody signed in, the app opens
on the sign-in screen and starts its session (home screen, upkeep timers) only once signed in.
The client service calls ``on_principal_changed`` (from whichever worker thread made the call
that showed it) when the hub reports a different role or active flag, or ends the sign-in; the
hook only posts a ``PrincipalChanged`` message, and the UI thread acts on it: a new role rebuilds
the home screen for it, an ended sign-in returns to the sign-in screen. Either way the drafts of
items being triaged are kept (``ctx.drafts``), so reopening the item after signing back in shows
the draft as leaving it with escape does.

Quitting and signing out both ask first about held items (``QuitDialog``): return them to the
queue, keep them (their leases run out), or stay.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label

from ehub_tui.errors import StoreError
from ehub_tui.ui.format import notify
from ehub_tui.ui.messages import HeldBeforeQuit, NotReturned, ReturnedBeforeQuit
from ehub_tui.ui.once import ClosesOnce

if TYPE_CHECKING:
    from ehub_tui.client.service import ClientService
    from ehub_tui.client.watch import PrincipalChange
    from ehub_tui.domain.models import UserInfo
    from ehub_tui.ui.context import UiContext

RELEASE_ON_SIGN_OUT = "returned to the queue when the navigator signed out"
SIGN_OUT_KEY = "ctrl+o"


class PrincipalChanged(Message):
    """The client service saw the hub change who this user is (role, active) or end the
    sign-in; ``change`` is what it reported."""

    def __init__(self, change: PrincipalChange) -> None:
        super().__init__()
        self.change = change


class HeldBeforeSignOut(Message):
    """Signing out: the items this user holds (empty: none, or the hub did not answer)."""

    def __init__(self, held: list[int]) -> None:
        super().__init__()
        self.held = held


class SignedOut(Message):
    """The sign-out is done (the hub told, or not answering); ``released``: items returned."""

    def __init__(self, released: list[int]) -> None:
        super().__init__()
        self.released = released


class QuitDialog(ClosesOnce, ModalScreen[str | None]):
    """Quitting (or signing out) while holding items: return them, keep them, or stay."""

    BINDINGS = [
        Binding("r", "choose('release')", "Return them and quit"),
        Binding("k", "choose('keep')", "Keep them and quit"),
        Binding("escape", "choose(None)", "Stay"),
    ]

    def __init__(self, held: list[int], verb: str = "quit") -> None:
        super().__init__()
        self.held = held
        self.verb = verb

    def compose(self) -> ComposeResult:
        n = len(self.held)
        items = ", ".join(f"#{i}" for i in self.held[:12]) + (" …" if n > 12 else "")
        with Vertical(classes="dialog", id="quit-dialog"):
            yield Label(
                f"You hold {n} item{'s' if n != 1 else ''}: {items}", classes="dialog-title"
            )
            yield Label(
                "Return them to the queue so others can take them? Kept items stay yours "
                "until their lease runs out (nobody else can open them until then)."
            )
            v = self.verb
            yield Label(
                f"r return them and {v} · k keep them and {v} · escape stay",
                classes="dialog-help",
            )

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)


class AccountApp(App[None]):
    """The app's sign-in and sign-out; the subclass says what a session starts with."""

    service: ClientService  # (a test may give a signed-in HubService: no sign-in, no sign-out)
    ctx: UiContext
    demo_hint: str | None = None
    in_session = False  # signed in and past the sign-in screen
    _role: str | None = None  # the role the home screen was built for
    _quit_asked = False  # the held-items question was asked (or not needed)
    _quit_pending = False

    # -- what the subclass provides -------------------------------------------------------------

    def start_session(self) -> None:
        """Signed in: the home screen and the upkeep (the app overrides this)."""
        raise NotImplementedError

    def push_home(self) -> None:
        """Push the home screen for the signed-in user's role (the app overrides this)."""
        raise NotImplementedError

    # -- signing in ------------------------------------------------------------------------------

    def can_sign_out(self) -> bool:
        """Is there a sign-in this app can end? (A hub service given signed in has none.)"""
        return callable(getattr(self.service, "sign_out", None))

    def offer_sign_out(self) -> None:
        """A sign-out key for this app, when it can sign out (``check_action`` allows it only
        while signed in)."""
        if self.can_sign_out():
            self._bindings.bind(SIGN_OUT_KEY, "sign_out", "Sign out", show=False)

    def _list_sign_out(self, listed: bool) -> None:
        # The help screen lists node.BINDINGS (the screen's, then the app's): this instance's
        # carry the sign-out key only while there is a sign-in to end, so neither the sign-in
        # screen nor an app given a signed-in hub service offers it.
        keys = list(type(self).BINDINGS)
        if listed and self.can_sign_out():
            keys.append(Binding(SIGN_OUT_KEY, "sign_out", "Sign out", show=False))
        self.BINDINGS = keys  # type: ignore[misc]

    def watch_principal(self) -> None:
        """Ask the client service to report changes of who this user is (if it can)."""
        if hasattr(self.service, "on_principal_changed"):
            self.service.on_principal_changed = self._principal_hook

    def show_sign_in(self, username: str = "") -> None:
        """Open the sign-in screen; the session starts once it is done."""
        from ehub_tui.ui.screens.signin import SignInScreen

        self.in_session = False
        self._list_sign_out(False)
        self.push_screen(
            SignInScreen(self.ctx, demo_hint=self.demo_hint, username=username),
            self._signed_in,
        )

    def _signed_in(self, ok: bool | None) -> None:
        user = self.service.user
        if not ok or user is None:
            return
        # drafts are a navigator's own work in progress: another user signing in here does not
        # inherit them (they could not open those items anyway; the notes would only linger)
        if self.ctx.drafts_owner not in (None, user.username):
            self.ctx.drafts.clear()
        self.ctx.drafts_owner = user.username
        self.start_session()

    def session_started(self) -> None:
        """Note who the session is for (called by ``start_session``)."""
        self.in_session = True
        self._list_sign_out(True)
        user = self.service.user
        self._role = user.role if user is not None else None
        if user is not None:
            self.ctx.drafts_owner = user.username

    # -- the hub changed who this user is --------------------------------------------------------

    def _principal_hook(self, change: PrincipalChange) -> None:
        # runs on the worker thread that made the call: only a message crosses to the UI thread
        self.post_message(PrincipalChanged(change))

    def on_principal_changed(self, event: PrincipalChanged) -> None:
        change = event.change
        if not self.in_session:
            return  # already back at the sign-in screen
        if change.signed_out or change.after is None:
            notify(self, change.message, title="Signed out", severity="warning", timeout=20)
            if change.ended is None:  # disabled, but the token still held: end it on the hub
                self.run_worker(self._quiet_sign_out, thread=True, group="quit")
            self.return_to_sign_in(change.before)
        elif change.after.role != self._role:
            self._role = change.after.role
            notify(self, change.message, title="Role changed", timeout=15)
            self.rebuild_home()

    def _quiet_sign_out(self) -> None:
        with contextlib.suppress(Exception):  # best effort: the hub refuses the token anyway
            self.service.sign_out()

    def clear_screens(self) -> None:
        """Close every screen down to the app's base, keeping the drafts of items on screen."""
        from ehub_tui.ui.screens.triage_work import TriageWork

        for screen in self.screen_stack:
            if isinstance(screen, TriageWork) and not screen.session.finishing:
                # what escape does (the screen's own method): the draft waits in ctx.drafts
                screen._keep_draft()
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def rebuild_home(self) -> None:
        """The role changed: the home screen again, for the new role (drafts kept)."""
        self.clear_screens()
        self.push_home()

    def return_to_sign_in(self, user: UserInfo | None = None) -> None:
        """Back to the sign-in screen (drafts kept; ``user``'s name filled in)."""
        user = user or self.service.user
        self.in_session = False
        self.clear_screens()
        self.show_sign_in(user.username if user is not None else "")

    # -- quitting (every way out: ctrl+q, the queue's q, a manager's reports) -----------------

    def exit(
        self,
        result: Any = None,
        return_code: int = 0,
        message: RenderableType | None = None,
    ) -> None:
        """Quit; someone holding items is asked first whether to return them to the queue (every
        way out comes here: ctrl+q, the queue's q, a manager's reports)."""
        # An exit carrying a result is the app being driven by a program (a screenshot harness,
        # an embedding), never a person's ctrl+q or q: it ends at once, result kept.
        if (
            result is not None
            or self._quit_asked
            or not self.service.may("work_items")
            or self.service.user is None
            or not self.in_session
        ):
            super().exit(result, return_code, message)
            return
        if not self._quit_pending:
            self._quit_pending = True
            self.run_worker(
                lambda: self._held_before_quit(return_code, message),
                thread=True,
                exclusive=True,
                group="quit",
            )

    def _held_before_quit(self, return_code: int, message: RenderableType | None) -> None:
        try:
            held = [c.item_id for c in self.service.held_claims()]
        except StoreError:
            held = []  # the hub is not answering: nothing can be returned; the leases run out
        self.post_message(HeldBeforeQuit(held, return_code, message))

    def on_held_before_quit(self, event: HeldBeforeQuit) -> None:
        self._ask_before_quit(event.held, event.return_code, event.message)

    def _ask_before_quit(
        self, held: list[int], return_code: int, message: RenderableType | None
    ) -> None:
        def answered(choice: str | None) -> None:
            self._quit_pending = False
            if choice == "release":
                self._release_then_quit(return_code, message)
            elif choice == "keep":
                self._quit_now(return_code, message)

        if not held:
            self._quit_now(return_code, message)
        else:
            self.push_screen(QuitDialog(held), answered)

    def _quit_now(self, return_code: int, message: RenderableType | None) -> None:
        self._quit_asked = True
        self.exit(None, return_code, message)

    def _release_then_quit(self, return_code: int, message: RenderableType | None) -> None:
        def work() -> None:
            try:
                self.service.release_held()
            except StoreError as exc:
                self.post_message(NotReturned(f"Not returned: {exc}"))
                return
            self.post_message(ReturnedBeforeQuit(return_code, message))

        self.run_worker(work, thread=True, exclusive=True, group="quit")

    def on_not_returned(self, event: NotReturned) -> None:
        notify(self, event.problem, title="Items still yours", severity="error", timeout=15)

    def on_returned_before_quit(self, event: ReturnedBeforeQuit) -> None:
        self._quit_now(event.return_code, event.message)

    # -- signing out -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("sign_out", "change_password"):
            return self.in_session and self.can_sign_out()
        return True

    def action_sign_out(self) -> None:
        """Sign out (asking first about held items, as quitting does)."""
        if not (self.in_session and self.can_sign_out()):
            return
        self.run_worker(self._held_before_sign_out, thread=True, exclusive=True, group="quit")

    def _held_before_sign_out(self) -> None:
        try:
            held = [c.item_id for c in self.service.held_claims()] if self._works() else []
        except StoreError:
            held = []  # the hub is not answering: nothing can be returned; the leases run out
        self.post_message(HeldBeforeSignOut(held))

    def _works(self) -> bool:
        return bool(self.service.may("work_items"))

    def on_held_before_sign_out(self, event: HeldBeforeSignOut) -> None:
        def answered(choice: str | None) -> None:
            if choice in ("release", "keep"):
                self._sign_out(release=choice == "release")

        if not event.held:
            self._sign_out(release=False)
        else:
            self.push_screen(QuitDialog(event.held, verb="sign out"), answered)

    def _sign_out(self, release: bool) -> None:
        def work() -> None:
            released: list[int] = []
            if release:
                try:
                    released = self.service.release_held(RELEASE_ON_SIGN_OUT)
                except StoreError as exc:
                    self.post_message(NotReturned(f"Not returned: {exc}"))
                    return
            # the hub not answering: the token is dropped here anyway
            with contextlib.suppress(Exception):
                self.service.sign_out()
            self.post_message(SignedOut(released))

        self.run_worker(work, thread=True, exclusive=True, group="quit")

    def on_signed_out(self, event: SignedOut) -> None:
        for item_id in event.released:
            self.ctx.drafts.pop(item_id, None)
        notify(self, "You are signed out.", title="Signed out", timeout=6)
        self.return_to_sign_in()

    def action_change_password(self) -> None:
        """Change this user's password (a dialog)."""
        from ehub_tui.ui.screens.signin import ChangePasswordDialog

        if self.in_session and self.can_sign_out():
            self.push_screen(ChangePasswordDialog(self.ctx))

    def account_commands(self) -> Iterable[SystemCommand]:
        """The command palette's sign-out and change-password commands (when signed in)."""
        if not (self.in_session and self.can_sign_out()):
            return
        yield SystemCommand(
            "Sign out",
            f"end this sign-in (key: {SIGN_OUT_KEY}); held items are asked about first",
            self.action_sign_out,
        )
        yield SystemCommand("Change password", "choose a new password", self.action_change_password)
