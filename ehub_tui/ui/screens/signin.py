"""The sign-in screen and the change-password dialog.

Username, then password (enter moves on, enter again signs in; tab moves too; no mouse needed).
The hub is asked in a thread worker, never on the UI thread; the answer comes back as a message
and a refusal is said on the screen in plain English (wrong username or password, how long a
locked account must wait, why the hub did not answer). The password is never shown, kept or
logged: the field is emptied as soon as it has been sent.

A user whose password must be changed (an admin's reset, a first sign-in) is shown the
change-password dialog before anything else; escape there signs them out again.

When the hub does not answer, someone who has signed in on this workstation before is signed in
offline by the client service (checked against what this workstation keeps; issue 14): the app
says "Signed in offline — your work will be sent when the hub is back" and opens on the cached
queue. Anyone else is told the hub is not answering.
"""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from ehub_tui.errors import AccountLocked, EhubError, HubUnreachable, NotSignedIn, SessionEnded
from ehub_tui.ui.context import EhubScreen, UiContext
from ehub_tui.ui.format import literal, notify
from ehub_tui.ui.once import ClosesOnce
from ehub_tui.ui.widgets.sync_line import SyncLine

WRONG = "Wrong username or password."
SIGNED_IN_OFFLINE = "Signed in offline — your work will be sent when the hub is back."
HUB_AWAY = (
    "The hub is not answering. Signing in without it works only on a workstation where you "
    "have signed in before; try again when it is back."
)


def wait_text(seconds: int) -> str:
    """How long to wait, in words ("2 minutes", "40 seconds")."""
    if seconds < 60:
        n = max(1, seconds)
        return f"{n} second{'s' if n != 1 else ''}"
    n = math.ceil(seconds / 60)
    return f"{n} minute{'s' if n != 1 else ''}"


def sentence(text: str) -> str:
    """The hub's message as a sentence (capital first, full stop last)."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def locked_text(exc: AccountLocked) -> str:
    """A locked account: how long to wait."""
    return (
        "Too many failed sign-ins: this account is locked for now. "
        f"Try again in {wait_text(exc.retry_after)}."
    )


def sign_in_problem(exc: Exception) -> str:
    """What to say on the screen for a failed sign-in (the hub's words never say whether the
    username exists: a wrong password and an unknown name read the same)."""
    if isinstance(exc, AccountLocked):
        return locked_text(exc)
    if isinstance(exc, NotSignedIn):
        return sentence(str(exc)) or WRONG
    if isinstance(exc, HubUnreachable):
        said = sentence(str(exc))
        return f"{said} {HUB_AWAY}" if said else HUB_AWAY
    if isinstance(exc, EhubError):
        return str(exc)
    # the message of an unexpected error is not shown: it could quote what was typed
    return f"Signing in failed ({type(exc).__name__}). Try again, or ask your administrator."


def hub_line(ctx: UiContext) -> str:
    """Which hub this app signs in to."""
    url = ctx.settings.hub_server_url
    return f"Hub: {url}" if url else "Hub: this computer's hub"


class SignInAnswered(Message):
    """The hub answered a sign-in: ``problem`` is None when it succeeded."""

    def __init__(
        self, problem: str | None, must_change: bool = False, offline: bool = False
    ) -> None:
        super().__init__()
        self.problem = problem
        self.must_change = must_change
        self.offline = offline  # signed in against this workstation's cache: the hub is away


class PasswordAnswered(Message):
    """The hub answered a change of password: ``problem`` is None when it was changed."""

    def __init__(self, problem: str | None) -> None:
        super().__init__()
        self.problem = problem


class SignInScreen(EhubScreen[bool]):
    """Username and password; dismissed with True once signed in (and any forced password
    change is done)."""

    BINDINGS = [
        # the inputs take "?" as a character: F1 opens help wherever the focus is
        Binding("f1,question_mark", "help", "Help", id="help", key_display="F1"),
    ]

    def __init__(
        self, ctx: UiContext | None = None, demo_hint: str | None = None, username: str = ""
    ) -> None:
        super().__init__(ctx)
        self.demo_hint = demo_hint
        self.username = username  # filled in after a sign-out (the same person, most often)
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="signin"):
            yield Label("ehub-tui — sign in", classes="dialog-title")
            yield Label(literal(hub_line(self.ctx)), id="signin-hub")
            # what waits on this workstation only: no stale "offline" (see signed_out_text)
            yield SyncLine(self.ctx, signed_out=True)
            if self.demo_hint:
                yield Label(literal(self.demo_hint), id="signin-demo")
            yield Label("Username", classes="signin-label signin-first")
            yield Input(placeholder="your hub username", id="username")
            yield Label("Password", classes="signin-label")
            yield Input(placeholder="your password", password=True, id="password")
            yield Label("", id="signin-error")
            yield Label("", id="signin-busy")
            yield Label(
                "enter next / sign in · tab move · F1 help · ctrl+q quit",
                classes="dialog-help",
            )

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = False
        self.reset(self.username)

    def reset(self, username: str = "") -> None:
        """Ready for a new sign-in (after a sign-out): the username kept, no password."""
        self.query_one("#username", Input).value = username
        self.query_one("#password", Input).value = ""
        self._set_busy(False)
        self._show_error(None)
        self.query_one("#password" if username else "#username", Input).focus()

    # -- typing ----------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy:
            return
        username = self.query_one("#username", Input).value.strip()
        if event.input.id == "username" or not username:
            if not username:
                self._show_error("Type your username.")
                self.query_one("#username", Input).focus()
                return
            self._show_error(None)
            self.query_one("#password", Input).focus()
            return
        password_box = self.query_one("#password", Input)
        if not password_box.value:
            self._show_error("Type your password.")
            return
        password = password_box.value
        password_box.value = ""  # not kept on screen once sent (a retry types it again)
        self._show_error(None)
        self._set_busy(True)
        self.run_worker(
            lambda: self._sign_in_work(username, password),
            thread=True,
            exclusive=True,
            group="signin",
        )

    def _sign_in_work(self, username: str, password: str) -> None:
        try:
            signed = self.ctx.service.sign_in(username, password)
        except Exception as exc:  # said on the screen; never raised with what was typed
            self.post_message(SignInAnswered(sign_in_problem(exc)))
            return
        must_change = bool(getattr(signed, "must_change_password", False))
        offline = bool(getattr(self.ctx.service, "offline_session", False))
        # a password can be changed only on the hub: offline the change waits for the next
        # sign-in the hub answers (the hub still requires it then)
        self.post_message(SignInAnswered(None, must_change and not offline, offline))

    def on_sign_in_answered(self, event: SignInAnswered) -> None:
        if event.problem is not None:
            self._set_busy(False)
            self._show_error(event.problem)
            self.query_one("#password", Input).focus()
            return
        if event.must_change:
            self.app.push_screen(ChangePasswordDialog(self.ctx, forced=True), self._changed)
            return
        if event.offline:
            notify(self.app, SIGNED_IN_OFFLINE, title="Offline", severity="warning", timeout=15)
        self.dismiss(True)

    def _changed(self, changed: bool | None) -> None:
        if changed:
            self.dismiss(True)
            return
        # the forced change was refused (escape): the sign-in is ended again
        self.run_worker(self._sign_out_work, thread=True, exclusive=True, group="signin")
        self.reset(self.query_one("#username", Input).value)
        self._show_error("You must choose a new password before you can go on.")

    def _sign_out_work(self) -> None:
        try:
            self.ctx.service.sign_out()
        except Exception:  # best effort: the token is dropped here either way
            return

    # -- what the screen shows -------------------------------------------------------------------

    def _show_error(self, problem: str | None) -> None:
        label = self.query_one("#signin-error", Label)
        label.update(literal(problem or ""))
        label.display = problem is not None

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        busy_label = self.query_one("#signin-busy", Label)
        busy_label.update("Signing in…" if busy else "")
        busy_label.display = busy
        for box in self.query(Input):
            box.disabled = busy

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Sign in",
                intro="Sign in with the username and password your hub administrator gave "
                "you. Type your username and press enter, then your password and press enter "
                "again. The password is never shown.\n\nAfter too many wrong passwords the "
                "account is locked for a while: the screen says how long to wait. If you have "
                "forgotten your password, an administrator can set a new one (you choose your "
                "own at the next sign-in).\n\nIf the hub is not answering you can still sign "
                "in on a workstation where you have signed in before: you work from what it "
                "keeps (the items you hold, your drafts), and what you save is sent when the "
                "hub is back. Taking new items waits for the hub. A line under the hub's name "
                "counts what this workstation still has to send (it is sent once its user "
                "signs in with the hub answering).",
                extra=[
                    ("enter", "next field / sign in"),
                    ("tab / shift+tab", "move between fields"),
                ],
            )
        )


class ChangePasswordDialog(ClosesOnce, ModalScreen[bool]):
    """Change the signed-in user's password: current, new, new again. ``forced``: the hub
    requires it before anything else (escape then signs out instead of going back)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, ctx: UiContext, forced: bool = False) -> None:
        super().__init__()
        self.ctx = ctx
        self.forced = forced
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="password-dialog"):
            title = "Choose a new password" if self.forced else "Change your password"
            yield Label(title, classes="dialog-title")
            if self.forced:
                yield Label("Your hub asks you to choose a new password before you go on.")
            # the refusal above the boxes: at 80x24 the dialog's foot is the first to go
            yield Label("", id="password-error")
            for field_id, label in (
                ("old", "Current password"),
                ("new", "New password"),
                ("repeat", "New password again"),
            ):
                yield Label(label, classes="signin-label signin-first")
                yield Input(password=True, id=field_id)
            escape = "sign out" if self.forced else "cancel"
            yield Label(f"enter: next / change · escape: {escape}", classes="dialog-help")

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = False
        self._show_error(None)
        self.query_one("#old", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy:
            return
        boxes = {b.id: b for b in self.query(Input)}
        for field_id in ("old", "new", "repeat"):
            if not boxes[field_id].value:
                self._show_error(None if event.input.id != "repeat" else "Fill in every field.")
                boxes[field_id].focus()
                return
        old, new, repeat = (boxes[i].value for i in ("old", "new", "repeat"))
        if new != repeat:
            boxes["new"].value = boxes["repeat"].value = ""
            boxes["new"].focus()
            self._show_error("The two new passwords are not the same: type them again.")
            return
        self._show_error(None)
        self.busy = True
        for box in boxes.values():
            box.disabled = True
        self.run_worker(
            lambda: self._change_work(old, new), thread=True, exclusive=True, group="password"
        )

    def _change_work(self, old: str, new: str) -> None:
        try:
            self.ctx.service.change_password(old, new)
        except SessionEnded as exc:
            self.post_message(PasswordAnswered(str(exc) or "Your sign-in has ended."))
            return
        except AccountLocked as exc:
            self.post_message(PasswordAnswered(locked_text(exc)))
            return
        except NotSignedIn as exc:
            text = sentence(str(exc)) or "Your current password is not right."
            self.post_message(PasswordAnswered(text))
            return
        except EhubError as exc:  # the hub's password policy says what is wrong
            self.post_message(PasswordAnswered(sentence(str(exc))))
            return
        except Exception as exc:  # never the message: it could quote what was typed
            self.post_message(
                PasswordAnswered(f"The password was not changed ({type(exc).__name__}).")
            )
            return
        self.post_message(PasswordAnswered(None))

    def on_password_answered(self, event: PasswordAnswered) -> None:
        self.busy = False
        boxes = {b.id: b for b in self.query(Input)}
        for box in boxes.values():
            box.disabled = False
        if event.problem is None:
            notify(self.app, "Your password was changed.", title="Password changed", timeout=6)
            self.dismiss(True)
            return
        for box in boxes.values():
            box.value = ""
        boxes["old"].focus()
        self._show_error(event.problem)

    def _show_error(self, problem: str | None) -> None:
        label = self.query_one("#password-error", Label)
        label.update(literal(problem or ""))
        label.display = problem is not None

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(False)
