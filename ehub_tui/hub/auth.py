"""The hub's sign-in authority: passwords, bearer tokens, sessions and lock-out.

Every answer is judged by the hub's clock and every outcome that changes something is audited
in the same transaction as the change (store/audit.py); the audit never holds a password, a
hash or a token.

- **Sign-in** checks the password (argon2id, hub.passwords) outside any transaction — the slow
  part holds no database lock — then records the failure or starts a session. A username that
  does not exist gets the same answer, after the same work, as a wrong password ("wrong username
  or password"), and the same back-off, kept in this process's memory (nothing about it is
  written but the audit event).
- **Back-off and lock-out** (hub.lockout): after 5 consecutive failures each further attempt
  waits; at ``settings.lockout_after`` failures the account is locked, 15 min doubling up to 24 h.
  While locked even the right password is refused (and not even checked). A success or an
  admin's reset clears it.
- **Sessions** (hub.sessions): tokens bound to their device, checked on every request with the
  role ``hub_user`` holds now; signing out and ending every session of a user.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, NoReturn

from argon2 import PasswordHasher
from sqlalchemy import Engine

from ehub_tui.config import Settings
from ehub_tui.domain.clock import SystemClock
from ehub_tui.errors import AccountLocked, NotFound, NotSignedIn
from ehub_tui.hub import tokens
from ehub_tui.hub.lockout import UnknownNames, lock_seconds, locked_message, retry_after
from ehub_tui.hub.passwords import Passwords, PolicyError, check_password_policy
from ehub_tui.hub.principal import Principal, SignedIn
from ehub_tui.hub.sessions import SERVICE_CLIENT, Sessions, auth_event, user_info
from ehub_tui.store import audit, credentials
from ehub_tui.store.credentials import UserRow
from ehub_tui.store.engine import read_tx, write_tx

log = logging.getLogger(__name__)

WRONG = "wrong username or password"
UNKNOWN_ACTOR = "unknown"  # the audit's actor for a sign-in by a name that is not a hub user

__all__ = ["WRONG", "Auth", "PolicyError", "lock_seconds"]


class Auth:
    """Sign-in, sessions and passwords for one hub (one engine, the hub's clock)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        clock: SystemClock,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.passwords = Passwords(hasher)
        self._unknown = UnknownNames()
        self.sessions = Sessions(engine, settings, clock)

    # -- signing in --------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, device_id: str, client: str = "") -> SignedIn:
        """Check a password and start a session bound to ``device_id``.

        Raises NotSignedIn ("wrong username or password", the same whether or not the user
        exists) or AccountLocked (with ``retry_after`` seconds) — both audited.
        """
        _check_device(device_id)
        now = self.clock.now()
        user = self._find(username)
        if user is None or user.password_hash is None:
            return self._refuse_nobody(username, user, password, device_id, now)
        if user.locked_until is not None and user.locked_until > now:
            # not checked, not counted, not audited: the lock's start was (one event per
            # lock, not one per hammering attempt)
            wait = retry_after(user.locked_until, now)
            raise AccountLocked(locked_message(wait), wait)
        if not self.passwords.verify(user.password_hash, password):
            self._record_failure(user, device_id, "wrong_password", now)
        if not user.active:
            # the right password: saying so tells nothing to someone who did not know it
            self._audit(
                user.username, "sign_in_failed", {"device": device_id, "reason": "disabled"}
            )
            raise NotSignedIn("your hub account is disabled: ask an admin")
        new_hash = (
            self.passwords.hash(password)
            if self.passwords.needs_rehash(user.password_hash)
            else None
        )
        client = str(client)[:64]
        if client == SERVICE_CLIENT:
            client = ""  # only issue_service_token marks a session so (no idle timeout)
        return self._start_session(user, password, device_id, client, new_hash, now)

    def _find(self, username: str) -> UserRow | None:
        if not isinstance(username, str) or not 0 < len(username) <= 64:
            return None
        with read_tx(self.engine) as conn:
            return credentials.find_user(conn, username)

    def _refuse_nobody(
        self,
        username: str,
        user: UserRow | None,
        password: str,
        device_id: str,
        now: datetime,
    ) -> SignedIn:
        """No such user, or a user with no password yet: the same answer, after the same work,
        as a wrong password (and the same back-off, counted in memory)."""
        name = username if isinstance(username, str) else ""
        until = self._unknown.locked_until(name)
        if until is not None and until > now:
            wait = retry_after(until, now)
            raise AccountLocked(locked_message(wait), wait)
        self.passwords.verify_nobody(password)
        failures, until = self._unknown.fail(name, now, self.settings.lockout_after)
        # the name tried is kept only if it is a hub user's: a password typed into the username
        # box must not end up in the audit
        actor = user.username if user is not None else UNKNOWN_ACTOR
        reason = "no_password" if user is not None else "unknown_user"
        body = {"device": device_id, "reason": reason, "failures": failures}
        self._audit(actor, "sign_in_failed", body)
        if until is not None:
            wait = retry_after(until, now)
            raise AccountLocked(f"{WRONG}; {locked_message(wait)}", wait)
        raise NotSignedIn(WRONG)

    def _record_failure(
        self, user: UserRow, device_id: str, reason: str, now: datetime
    ) -> NoReturn:
        """Count a failed password (audited), lock the account if it is time; always raises."""
        with write_tx(self.engine) as conn:
            failures = credentials.record_failure(conn, user.id, now)
            wait = lock_seconds(failures, self.settings.lockout_after)
            events = [
                auth_event(
                    user.username,
                    "sign_in_failed",
                    {"device": device_id, "reason": reason, "failures": failures},
                )
            ]
            if wait:
                until = now + timedelta(seconds=wait)
                credentials.lock_until(conn, user.id, until)
                events.append(
                    auth_event(
                        user.username,
                        "locked",
                        {"failures": failures, "seconds": wait, "until": until.isoformat()},
                    )
                )
            audit.append(conn, events, now)
        log.info("sign-in failed for %s (%d in a row)", user.username, failures)
        if wait:
            raise AccountLocked(f"{WRONG}; {locked_message(wait)}", wait)
        raise NotSignedIn(WRONG)

    def _start_session(
        self,
        user: UserRow,
        password: str,
        device_id: str,
        client: str,
        new_hash: str | None,
        now: datetime,
    ) -> SignedIn:
        token = tokens.new_token()
        absolute = now + timedelta(hours=self.settings.token_absolute_hours)
        with write_tx(self.engine) as conn:
            fresh = credentials.find_user(conn, user.username, lock=True)
            if fresh is None or fresh.password_hash is None:
                raise NotSignedIn(WRONG)  # deleted between the check and now
            if fresh.password_hash != user.password_hash and not self.passwords.verify(
                fresh.password_hash, password
            ):
                # changed or reset while we checked (rare: a rehash by a concurrent sign-in
                # gives a new hash of the same password, which passes)
                raise NotSignedIn(WRONG)
            if fresh.locked_until is not None and fresh.locked_until > now:
                # failures in flight at the same time locked it: the lock wins (so parallel
                # guessing cannot slip a success past it)
                wait = retry_after(fresh.locked_until, now)
                raise AccountLocked(locked_message(wait), wait)
            if fresh.failed_count:
                credentials.clear_failures(conn, user.id)
            rehashed = new_hash is not None and fresh.password_hash == user.password_hash
            if rehashed and new_hash is not None:
                credentials.rehash(conn, user.id, new_hash)
            sid = credentials.add_session(
                conn,
                token_digest=tokens.token_digest(token),
                user_id=user.id,
                device_id=device_id,
                at=now,
                absolute_expires_at=absolute,
                client=client,
            )
            body: dict[str, Any] = {"device": device_id, "session": sid}
            if client:
                body["client"] = client
            if rehashed:
                body["rehashed"] = True
            event = auth_event(
                user.username,
                "sign_in",
                body,
                credential=user.id if rehashed else None,
                sessions=[sid],
            )
            audit.append(conn, [event], now)
        log.info("%s signed in (session %d)", user.username, sid)
        return SignedIn(
            token=token,
            user=user_info(fresh),
            device_id=device_id,
            expires_at=absolute,
            idle_minutes=self.settings.token_idle_minutes,
            hub_time=now,
            must_change_password=fresh.must_change,
        )

    # -- every request, signing out (hub.sessions) ---------------------------------------------

    def authenticate(self, token: str, device_id: str) -> Principal:
        """The principal ``token`` belongs to, with the role ``hub_user`` holds now.

        Raises SessionEnded with ``code`` invalid_token, expired, revoked, wrong_device or
        disabled. The first refusal that ends a live session (expired, another device, a
        disabled user) revokes it and is audited; later attempts with it are refused quietly.
        """
        return self.sessions.authenticate(token, device_id)

    def sign_out(self, principal: Principal) -> None:
        """End the principal's own session (signing out twice is harmless)."""
        self.sessions.sign_out(principal)

    def revoke_all(self, username: str, by: str) -> int:
        """End every live session of ``username`` (sign out everywhere); returns how many.

        The permission is the caller's to check (HubCore: ``manage_sessions``).
        """
        return self.sessions.revoke_all(username, by)

    def issue_service_token(self, username: str, device_id: str, *, days: int, by: str) -> SignedIn:
        """A token for the service account ``username`` (role ``service`` only, else
        PermissionDenied) bound to ``device_id``, ending ``days`` from now by the hub's clock
        with no idle timeout; audited (never the token). ``hub create-service-account``."""
        _check_device(device_id)
        return self.sessions.issue_service_token(username, device_id, days=days, by=by)

    # -- passwords ---------------------------------------------------------------------------------

    def change_password(self, principal: Principal, old: str, new: str) -> None:
        """The principal changes their own password; their other sessions end.

        A wrong ``old`` counts as a failed sign-in (the same back-off: it is a way to guess).
        Raises NotSignedIn / AccountLocked, or PolicyError saying what is wrong with ``new``.
        """
        now = self.clock.now()
        user = self._find(principal.username)
        if user is None or user.password_hash is None:
            self.passwords.verify_nobody(old)
            raise NotSignedIn("your current password is wrong")
        if user.locked_until is not None and user.locked_until > now:
            wait = retry_after(user.locked_until, now)
            raise AccountLocked(locked_message(wait), wait)
        if not self.passwords.verify(user.password_hash, old):
            try:
                self._record_failure(user, principal.device_id, "wrong_old_password", now)
            except AccountLocked as exc:
                raise AccountLocked(
                    f"your current password is wrong; {locked_message(exc.retry_after)}",
                    exc.retry_after,
                ) from None
            except NotSignedIn:
                raise NotSignedIn("your current password is wrong") from None
        check_password_policy(new, user.username, self.settings.password_min_length)
        if self.passwords.verify(user.password_hash, new):
            raise PolicyError("the new password must differ from the current one")
        new_hash = self.passwords.hash(new)
        with write_tx(self.engine) as conn:
            credentials.set_password_hash(conn, user.id, new_hash, now, must_change=False)
            ended = credentials.revoke_sessions(
                conn,
                at=now,
                by=user.username,
                reason="password_changed",
                user_id=user.id,
                keep=principal.session_id,
            )
            event = auth_event(
                user.username,
                "password_set",
                {"username": user.username, "own": True, "sessions_ended": len(ended)},
                credential=user.id,
                sessions=ended,
            )
            audit.append(conn, [event], now)
        log.info("%s changed their password", user.username)

    def set_password(self, username: str, new: str, *, by: str, must_change: bool = False) -> None:
        """Set ``username``'s password (an admin's reset, ``hub init-admin``, the demo).

        Clears any lock-out. Does not end their sessions (HubCore.reset_password does, after).
        Raises NotFound, or PolicyError saying what is wrong with ``new``.
        """
        with read_tx(self.engine) as conn:
            user = credentials.find_user(conn, username)
        if user is None:
            raise NotFound(f"{username!r} is not a hub user")
        check_password_policy(new, user.username, self.settings.password_min_length)
        new_hash = self.passwords.hash(new)
        now = self.clock.now()
        with write_tx(self.engine) as conn:
            had = credentials.set_password_hash(
                conn, user.id, new_hash, now, must_change=must_change
            )
            event = auth_event(
                by,
                "password_reset" if had else "password_set",
                {"username": user.username, "must_change": must_change},
                credential=user.id,
            )
            audit.append(conn, [event], now)
        log.info("%s set the password of %s", by, user.username)

    def _audit(self, actor: str, action: str, body: dict[str, Any]) -> None:
        now = self.clock.now()
        with write_tx(self.engine) as conn:
            audit.append(conn, [auth_event(actor, action, body)], now)


def _check_device(device_id: str) -> None:
    if not isinstance(device_id, str) or not 0 < len(device_id) <= 64:
        raise NotSignedIn("this device has no usable device id (1 to 64 characters): sign in again")
