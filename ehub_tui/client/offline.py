"""Signing in with the hub away: the cached argon2id verifier, and the real sign-in afterwards.

An online sign-in keeps the user (role, permissions) and an argon2id verifier of their password
in the local store — never the password. With the hub not answering, a user who signed in here
before is let in when the password matches the verifier: they may finish the items they hold,
keep drafts and see the cached queue; everything that needs the hub says so. The password is
held in this process's memory only until the hub answers, when it signs in for real with it and
drops it. If the hub then refuses it (changed, account disabled or locked), the verifier is
forgotten and the app is told the sign-in ended (``on_principal_changed``). A wrong password
offline is refused as the hub would refuse it; a user with no verifier here gets the hub's
"not answering" as before.

No verifier is kept for a sign-in whose password must be changed (an admin-issued first or reset
password): the one kept before for that user is forgotten, so the admin's password never opens
an offline sign-in. A successful ``change_password`` keeps the new password's verifier (the hub
has just accepted it), so offline the new password works and the old one does not.

With the hub known away (the sender's status is offline), every call the app makes (``_ask``)
fails at once with HubUnreachable(OFFLINE_ACTION), without trying the hub: the callers answer
from the local store, or refuse, with no timeout to wait for and nothing logged per call. A call
that finds the hub away tells the sender (``SyncEngine.note_away``); the sender's own rounds,
which always try the hub (``_call``), are what notice it is back.

Whoever can read the local file can try passwords against the verifier at leisure, as with any
offline credential cache: the file is 0600 in a 0700 folder, and argon2id makes each try cost
64 MiB and ~0.1 s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from ehub_tui.client.protocol import HubClient, Me
from ehub_tui.client.watch import OFFLINE_PASSWORD_REFUSED, PrincipalWatch
from ehub_tui.domain.sync import OFFLINE_ACTION
from ehub_tui.errors import HubUnreachable, NotSignedIn, SessionEnded

if TYPE_CHECKING:
    from ehub_tui.client.local import LocalStore
    from ehub_tui.client.sync import SyncEngine
    from ehub_tui.hub.passwords import Passwords
    from ehub_tui.hub.principal import SignedIn

P = ParamSpec("P")
T = TypeVar("T")

WRONG = "wrong username or password"  # as the hub says it (hub.auth.WRONG)


class OfflineSignIn(PrincipalWatch):
    """ClientService's sign-in with the hub away (see the module docstring)."""

    client: HubClient
    _passwords: Passwords
    _offline_password: tuple[str, str] | None
    _resume_lock: threading.Lock
    _engine: SyncEngine | None
    _hub_time_known: bool

    if TYPE_CHECKING:  # provided by ClientSyncMethods

        @property
        def local(self) -> LocalStore: ...
        def _sync(self) -> SyncEngine: ...
        def _local_now(self) -> datetime: ...
        def hub_now(self) -> datetime: ...

    @property
    def offline_session(self) -> bool:
        """True while signed in offline (the hub has not yet seen this sign-in)."""
        return self._offline_password is not None

    def _remember(self, password: str | None) -> None:
        """After an online sign-in (or a password change): keep the user here, with a verifier
        of ``password`` — or, for None (a password that must be changed), with none at all."""
        me = self._me
        if me is None:
            return
        verifier = None if password is None else self._passwords.hash(password)
        self.local.save_user(me.user, me.permissions, verifier, self._local_now())
        if password is None:  # (save_user keeps an old verifier when given None)
            self.local.forget_verifier(me.user.username)

    def _may_sign_in_offline(self, username: str) -> bool:
        """A verifier is kept here for ``username`` (and they were active when it was)."""
        kept = self.local.user(username)
        return kept is not None and bool(kept.verifier) and kept.user.active

    def _sign_in_offline(
        self, username: str, password: str, unreachable: HubUnreachable
    ) -> SignedIn:
        """Let a user in with the cached verifier (the hub did not answer)."""
        from ehub_tui.hub.principal import SignedIn

        kept = self.local.user(username)
        if kept is None or not kept.verifier or not kept.user.active:
            raise unreachable
        if not self._passwords.verify(kept.verifier, password):
            raise NotSignedIn(WRONG)
        self._offline_password = (username, password)  # (set first: hub_now then estimates)
        hub_now = self.hub_now()
        me = Me(kept.user, kept.permissions, hub_now, self.local.device_id)
        with self._me_lock:
            self._me = me
            self._hub_role = kept.user.role
        engine = self._sync()
        engine.note_away(str(unreachable))  # the app's next calls go to the local store at once
        engine.resume()  # (its round signs in for real when the hub answers)
        return SignedIn(
            token="",
            user=kept.user,
            device_id=self.local.device_id,
            expires_at=hub_now + timedelta(hours=12),
            idle_minutes=0,
            hub_time=hub_now,
        )

    def _hub_away(self) -> bool:
        """The sender knows the hub is not answering (no I/O: its status in memory)."""
        engine = self._engine
        return engine is not None and not engine.status().online

    def _note_away(self, exc: HubUnreachable) -> None:
        """A call found the hub not answering: the sender's status says so from now on."""
        engine = self._engine
        if engine is not None:
            engine.note_away(str(exc))

    def _resume_online(self) -> None:
        """Signed in offline and the hub may be back: sign in for real (HubUnreachable while it
        is still away). A refusal ends this sign-in (SessionEnded, reported to the app)."""
        # a lock of its own, held over the request: sign_in and sign_out only replace
        # ``_offline_password`` (one assignment) and never wait behind a hung hub here
        with self._resume_lock:
            held = self._offline_password
            if held is None:
                return
            username, password = held
            try:
                signed = self.client.sign_in(username, password)
            except HubUnreachable:
                raise
            except NotSignedIn:
                if self._offline_password is held:
                    self._offline_password = None
                self.local.forget_verifier(username)
                ended = SessionEnded(
                    "The hub did not accept the password you signed in with offline: "
                    "sign in again.",
                    OFFLINE_PASSWORD_REFUSED,
                )
                self._ended(ended)
                raise ended from None
            if self._offline_password is held:
                self._offline_password = None  # dropped: the hub's token is the sign-in now
            if signed.must_change_password:  # reset meanwhile: that password opens nothing
                self.local.forget_verifier(username)
        self.refresh_me()  # (tells the app if the role changed meanwhile)

    def _ask(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """A hub call the app makes. With the hub known away: HubUnreachable(OFFLINE_ACTION)
        at once, nothing sent and nothing logged (see the module docstring); else
        :meth:`_call`."""
        if self._hub_away():
            raise HubUnreachable(OFFLINE_ACTION)
        return self._call(fn, *args, **kwargs)

    def _call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """A hub call whatever the sender thinks (the sender's own rounds, which is how it
        notices the hub is back): finish an offline sign-in first, then the watch
        (PrincipalWatch); a call that finds the hub not answering tells the sender."""
        if self._offline_password is not None:
            self._resume_online()
        try:
            result = super()._call(fn, *args, **kwargs)
        except HubUnreachable as exc:
            self._note_away(exc)
            raise
        self._hub_time_known = True  # a reply came: the client knows the hub's time
        return result
