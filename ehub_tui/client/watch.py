"""Who ClientService is signed in as, and noticing when the hub changes that.

``user``, ``actor`` and ``may(permission)`` answer from the last ``me()`` (no I/O). Every call to
the hub goes through :meth:`PrincipalWatch._call`: a SessionEnded (signed out, expired, revoked,
disabled, used from another device), a refusal after which ``me()`` shows another role, or a reply
in which the hub read another role than the one known here (the in-process client's
``last_role``; the HTTP client's X-Ehub-Role, reported through its ``on_role``) calls
``on_principal_changed`` with a :class:`PrincipalChange` — once per change, from the thread that
made the call (an app hands it on to its own thread).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from ehub_tui.client.protocol import HubClient, Me
from ehub_tui.domain.models import UserInfo
from ehub_tui.errors import NotSignedIn, PermissionDenied, SessionEnded

P = ParamSpec("P")
T = TypeVar("T")

# SessionEnded.code of an offline sign-in whose password the hub refused when it came back
# (client.offline): the app's notice is that sentence itself, not "the hub no longer knows..."
OFFLINE_PASSWORD_REFUSED = "offline_password"

# why a sign-in ended, by SessionEnded.code, in words for the user
ENDED = {
    "expired": "the sign-in expired",
    "revoked": "you were signed out (here, or by an admin)",
    "wrong_device": "the sign-in was used from another device",
    "disabled": "your account was disabled",
    "invalid_token": "the hub no longer knows this sign-in",
}


@dataclass(frozen=True, slots=True)
class PrincipalChange:
    """The signed-in user changed on the hub: another role, disabled, or signed out."""

    before: UserInfo | None
    after: UserInfo | None  # None: the sign-in ended
    ended: SessionEnded | None = None

    @property
    def signed_out(self) -> bool:
        """True when the user must sign in again."""
        return self.after is None or not self.after.active

    @property
    def message(self) -> str:
        """One sentence for the app's notice."""
        if self.ended is not None:
            if self.ended.code == OFFLINE_PASSWORD_REFUSED:
                return str(self.ended)
            return f"Signed out: {ENDED.get(self.ended.code, str(self.ended))}."
        if self.after is None or not self.after.active:
            return "Signed out: your account was disabled."
        return f"Your role is now {self.after.role}."


class PrincipalWatch:
    """The signed-in principal as ClientService knows it, and the watch on every call."""

    client: HubClient
    on_principal_changed: Callable[[PrincipalChange], None] | None

    def _start_watch(self, client: HubClient) -> None:
        """Set up the watch (ClientService's __init__ calls this)."""
        self._me: Me | None = None
        self._me_lock = threading.Lock()
        # the role the hub read for the latest call: the in-process client keeps it as
        # ``last_role``; the HTTP client reports a changed X-Ehub-Role through ``on_role``
        self._hub_role: str | None = None
        on_role = getattr(client, "on_role", None)
        if callable(on_role):
            on_role(self._role_seen)

    def _call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Call the hub; notice a changed role or an ended sign-in on the way back."""
        try:
            result = fn(*args, **kwargs)
        except SessionEnded as exc:
            self._ended(exc)
            raise
        except NotSignedIn:
            raise
        except PermissionDenied:
            # refused: perhaps the role changed since the last me(); look, then refuse
            self._look_again()
            raise
        role = getattr(self.client, "last_role", None) or self._hub_role
        me = self._me
        if role is not None and me is not None and role != me.user.role:
            self._look_again()
        return result

    def _role_seen(self, role: str) -> None:
        # called inside the client's call: only noted here, looked at once the call returns
        self._hub_role = role

    def _look_again(self) -> None:
        # an ended sign-in is reported by refresh_me; any other failure here is dropped: the
        # call's own outcome is what the caller sees
        with contextlib.suppress(Exception):
            self.refresh_me()

    def _ended(self, exc: SessionEnded) -> None:
        with self._me_lock:
            before = self._me.user if self._me else None
            self._me = None
        if before is not None:  # said once, not for every call still in flight
            self._tell(PrincipalChange(before, None, exc))

    def _tell(self, change: PrincipalChange) -> None:
        hook = self.on_principal_changed
        if hook is not None:
            hook(change)

    def refresh_me(self) -> Me:
        """Ask the hub who this user is now; tells ``on_principal_changed`` if the role or the
        active flag changed (or the sign-in ended: SessionEnded is raised too)."""
        try:
            me = self.client.me()
        except SessionEnded as exc:
            self._ended(exc)
            raise
        with self._me_lock:
            before = self._me.user if self._me else None
            self._me = me
            self._hub_role = me.user.role
        if before is not None and (before.role, before.active) != (me.user.role, me.user.active):
            self._tell(PrincipalChange(before, me.user))
        return me

    @property
    def me(self) -> Me | None:
        """The last answer to ``me()`` (None: not signed in)."""
        return self._me

    @property
    def user(self) -> UserInfo | None:
        """The signed-in user, as of the last ``me()`` (None: not signed in)."""
        me = self._me
        return me.user if me else None

    @property
    def actor(self) -> str:
        """The signed-in user's name ("" when not signed in: it matches no owner)."""
        me = self._me
        return me.user.username if me else ""

    def may(self, permission: str) -> bool:
        """Does the signed-in user's role hold ``permission``? (No I/O: from the last me(); the
        hub still checks every call.)"""
        me = self._me
        return me is not None and permission in me.permissions
