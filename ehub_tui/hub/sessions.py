"""Sign-in sessions: checking a bearer token on every request, ending sessions (signing out, an
admin's sign-out-everywhere, a refusal that presumes theft), and the audit events of sign-in.

Tokens (hub.tokens) are bound to the device they were issued to; the hub keeps their SHA-256
only. ``authenticate`` reads ``hub_user`` on every call, so a role change or a disablement applies
to the caller's next request. Every answer is judged by the hub's clock; the audit never holds a
token. ``hub.auth.Auth`` is the public face of this module.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from ehub_tui.config import Settings
from ehub_tui.domain.clock import SystemClock
from ehub_tui.domain.models import UserInfo
from ehub_tui.domain.types import MACHINE_ROLES
from ehub_tui.errors import NotFound, PermissionDenied, SessionEnded, StoreError
from ehub_tui.hub import tokens
from ehub_tui.hub.principal import Principal, SignedIn
from ehub_tui.store import audit, credentials
from ehub_tui.store.credentials import SessionRow, UserRow
from ehub_tui.store.engine import read_tx, write_tx

log = logging.getLogger(__name__)

TOUCH_EVERY = timedelta(seconds=30)  # last_used_at is written at most this often per session
# hub_session.client of a service account's token (``issue_service_token``): such a session has
# no idle timeout, only its end date. A marker in an existing column rather than a new one, so no
# migration: ``authenticate`` honours it only while the user's role is still ``service``, and a
# password sign-in can never record it (Auth.sign_in drops it), so nobody else can claim it.
SERVICE_CLIENT = "service-account"
SERVICE_DAYS_MAX = 366

_ENDED = {
    "invalid_token": "the hub does not know this sign-in: sign in again",
    "expired": "your sign-in has expired: sign in again",
    "revoked": "your sign-in was ended: sign in again",
    "wrong_device": (
        "this sign-in belongs to another device, so the hub has ended it: sign in again"
    ),
    "disabled": "your hub account is disabled: ask an admin",
}
# why a session was revoked -> the code an attempt to use it afterwards gets
_REASON_CODE = {"expired": "expired", "wrong_device": "wrong_device", "disabled": "disabled"}


def ended(code: str) -> SessionEnded:
    """The refusal of a token the hub no longer accepts, saying why (``code``)."""
    return SessionEnded(_ENDED[code], code)


def user_info(row: UserRow | SessionRow) -> UserInfo:
    """The hub user of a credential or session row, as ``hub_user`` holds them now."""
    return UserInfo(row.username, row.role, row.display_name, row.active)


def auth_event(
    actor: str,
    action: str,
    body: dict[str, Any],
    *,
    credential: int | None = None,
    sessions: list[int] | None = None,
) -> audit.Event:
    """An audit event naming the credential and session rows it wrote (their digests, never
    their hash or token digest: store/coverage.py)."""
    rows: list[tuple[str, str, list[Any]]] = []
    if credential is not None:
        rows.append(("hub_credential", "user_id", [credential]))
    if sessions:
        rows.append(("hub_session", "id", list(sessions)))
    return audit.Event(actor, action, None, body, tuple(rows))


class Sessions:
    """The sessions of one hub (one engine, the hub's clock)."""

    def __init__(self, engine: Engine, settings: Settings, clock: SystemClock) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    def authenticate(self, token: str, device_id: str) -> Principal:
        """The principal ``token`` belongs to, with the role ``hub_user`` holds now (see
        ``Auth.authenticate``); raises SessionEnded."""
        if not tokens.looks_like_token(token):
            raise ended("invalid_token")
        digest = tokens.token_digest(token)
        now = self.clock.now()
        with read_tx(self.engine) as conn:
            row = credentials.find_session(conn, digest)
        if row is None or not tokens.same(row.token_digest, digest):
            # unknown tokens are not audited: anyone could flood the audit chain (one write
            # lock for the whole hub) with guesses; they learn nothing from the refusal
            log.info("an unknown token was refused")
            raise ended("invalid_token")
        if row.revoked_at is not None:
            code = _REASON_CODE.get(row.revoke_reason or "", "revoked")
            if code == "disabled" and row.active:
                code = "revoked"  # enabled again since: the old sign-in stays ended
            raise ended(code)
        idle = timedelta(minutes=self.settings.token_idle_minutes)
        idle_ended = now - row.last_used_at >= idle and not _is_service_token(row)
        if now >= row.absolute_expires_at or idle_ended:
            self._end(row, "expired", device_id, now)
        if not tokens.same(row.device_id, str(device_id)):
            self._end(row, "wrong_device", device_id, now)  # presumed stolen
        if not row.active:
            self._end(row, "disabled", device_id, now)
        if now - row.last_used_at >= TOUCH_EVERY:
            with write_tx(self.engine) as conn:
                credentials.touch_session(conn, row.id, now)
        return Principal(user_info(row), str(device_id), row.id, must_change=row.must_change)

    def issue_service_token(self, username: str, device_id: str, *, days: int, by: str) -> SignedIn:
        """A token for a service account (role ``service``: it may only ingest), bound to
        ``device_id`` and ending ``days`` from now by the hub's clock, with no idle timeout (a
        watcher may sit quiet for a weekend). Audited as ``service_token_issued`` by ``by``;
        the token is shown once and never stored or audited. PermissionDenied for anyone whose
        role is not ``service`` or who is disabled; NotFound for a name that is not a hub user.
        """
        if not 1 <= days <= SERVICE_DAYS_MAX:
            raise StoreError(f"a service token lasts 1 to {SERVICE_DAYS_MAX} days, not {days}")
        token = tokens.new_token()
        now = self.clock.now()
        until = now + timedelta(days=days)
        with write_tx(self.engine) as conn:
            user = credentials.find_user(conn, username)
            if user is None:
                raise NotFound(f"{username!r} is not a hub user")
            if user.role not in MACHINE_ROLES:
                raise PermissionDenied(
                    f"{username} has the role {user.role}: only a service account (role "
                    "service, or outbox for the FHIR outbox) is given a service token"
                )
            if not user.active:
                raise PermissionDenied(f"{username} is disabled: enable it first")
            sid = credentials.add_session(
                conn,
                token_digest=tokens.token_digest(token),
                user_id=user.id,
                device_id=device_id,
                at=now,
                absolute_expires_at=until,
                client=SERVICE_CLIENT,
            )
            body = {
                "username": username,
                "device": device_id,
                "session": sid,
                "days": days,
                "until": until.isoformat(),
            }
            event = auth_event(by, "service_token_issued", body, sessions=[sid])
            audit.append(conn, [event], now)
        log.info("%s issued a service token for %s (session %d)", by, username, sid)
        return SignedIn(
            token=token,
            user=user_info(user),
            device_id=device_id,
            expires_at=until,
            idle_minutes=0,  # none: it ends at expires_at only
            hub_time=now,
        )

    def _end(self, row: SessionRow, code: str, device_id: str, now: datetime) -> None:
        """Revoke a session the hub refuses (audited once: the refusal that ended it); raises."""
        with write_tx(self.engine) as conn:
            gone = credentials.revoke_sessions(
                conn, at=now, by="system", reason=code, session_ids=[row.id]
            )
            if gone:
                body = {"code": code, "device": str(device_id)[:64], "session": row.id}
                if code == "wrong_device":
                    body["bound_to"] = row.device_id
                event = auth_event(row.username, "token_refused", body, sessions=gone)
                audit.append(conn, [event], now)
        log.warning("a sign-in of %s was refused and ended (%s)", row.username, code)
        raise ended(code)

    def sign_out(self, principal: Principal) -> None:
        """End the principal's own session (signing out twice is harmless)."""
        now = self.clock.now()
        with write_tx(self.engine) as conn:
            gone = credentials.revoke_sessions(
                conn,
                at=now,
                by=principal.username,
                reason="signed_out",
                session_ids=[principal.session_id],
            )
            if gone:
                event = auth_event(
                    principal.username,
                    "sign_out",
                    {"device": principal.device_id, "session": principal.session_id},
                    sessions=gone,
                )
                audit.append(conn, [event], now)

    def revoke_all(self, username: str, by: str) -> int:
        """End every live session of ``username``; returns how many (audited)."""
        now = self.clock.now()
        with write_tx(self.engine) as conn:
            user = credentials.find_user(conn, username)
            if user is None:
                raise NotFound(f"{username!r} is not a hub user")
            gone = credentials.revoke_sessions(
                conn, at=now, by=by, reason="revoked", user_id=user.id
            )
            event = auth_event(
                by, "sessions_revoked", {"username": username, "count": len(gone)}, sessions=gone
            )
            audit.append(conn, [event], now)
        log.info("%s ended %d sign-in(s) of %s", by, len(gone), username)
        return len(gone)


def _is_service_token(row: SessionRow) -> bool:
    """A service account's token (no idle timeout), while its user is still a service account."""
    return row.client == SERVICE_CLIENT and row.role in MACHINE_ROLES
