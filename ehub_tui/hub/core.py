"""The hub: its one engine, one clock, one sign-in authority and one shared SOP library, and a
``HubService`` built for each request's principal.

Both clients end here: the HTTP routes (``hub.routes``) and the in-process client
(``client.inprocess``) authenticate the caller's token with :meth:`HubCore.authenticate` on every
call and then run the operation on :meth:`HubCore.for_principal`'s service — so the role checked
is the one ``hub_user`` holds at that moment, refusals are audited with the real principal and
device, and every time the hub decides is the hub's clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ehub_tui.config import Settings
from ehub_tui.domain.clock import Clock, SystemClock, as_clock, utcnow
from ehub_tui.errors import PermissionDenied
from ehub_tui.hub.principal import Principal, SignedIn
from ehub_tui.service.hub import HubService
from ehub_tui.service.opening import open_engine
from ehub_tui.service.session import Session

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from ehub_tui.hub.auth import Auth
    from ehub_tui.sop.library import SopLibrary

ClockArg = Clock | Callable[[], datetime]
MUST_CHANGE = "must_change_password"  # the permission a refusal before the change is audited as


class HubCore:
    """The hub's shared state; cheap per-request services on top of it."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: ClockArg = utcnow,
        hasher: PasswordHasher | None = None,
    ) -> None:
        from ehub_tui.hub.auth import Auth

        self.engine = engine
        self.settings = settings
        self.clock: SystemClock = as_clock(clock)
        self.auth: Auth = Auth(engine, settings, self.clock, hasher=hasher)
        self._system = HubService(engine, settings, None, clock=self.clock)
        self._sops_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        clock: ClockArg = utcnow,
        hasher: PasswordHasher | None = None,
        migrate: bool = True,
        create: bool = True,
    ) -> HubCore:
        """Open the hub database named by ``settings`` (bringing its schema up to date)."""
        hub_clock = as_clock(clock)
        # a SQLite hub judges leases by the clock SQLite is given: the hub's own (PostgreSQL
        # always uses its server's clock). On PostgreSQL the hub holds exactly hub_pool_size
        # connections however many clients call it (hub.app bounds its threadpool to match).
        engine = open_engine(
            settings,
            hub_clock=hub_clock.now,
            migrate=migrate,
            create=create,
            pool_size=settings.hub_pool_size,
        )
        return cls(engine, settings, clock=hub_clock, hasher=hasher)

    @property
    def sops(self) -> SopLibrary:
        """The SOP library shared by every request (the prescreen and publishing use it)."""
        return self._system.sops

    # -- sign-in -----------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, device_id: str, client: str = "") -> SignedIn:
        """Check a password and start a session on ``device_id`` (audited either way)."""
        return self.auth.sign_in(username, password, device_id, client)

    def authenticate(self, token: str, device_id: str) -> Principal:
        """The principal a token belongs to, with their role read now; raises SessionEnded."""
        return self.auth.authenticate(token, device_id)

    # -- services ----------------------------------------------------------------------------------

    def for_principal(self, principal: Principal) -> HubService:
        """A service acting as ``principal`` for one request (object construction only: the
        engine, clock and SOP library are shared).

        Refuses (PermissionDenied, audited) a principal who must change their password first:
        what they may still do — see their account, change the password, sign out — does not
        come through here (hub.routes.auth/me, InProcessClient.me/change_password/sign_out).
        """
        self.require_own_password(principal)
        return HubService(
            self.engine,
            self.settings,
            clock=self.clock,
            session=self.session_for(principal),
            shared_guidance=self._system.parts.guidance,
        )

    def system(self) -> HubService:
        """The system principal's service: hub-machine housekeeping (lease rescue on a timer,
        checkpoints, `hub init-admin`); never reachable over the API."""
        return self._system

    def require_own_password(self, principal: Principal) -> None:
        """Raise PermissionDenied (audited as denied ``must_change_password``) while the
        principal's password is one an admin set for them to change."""
        if not principal.must_change:
            return
        self.session_for(principal).deny(MUST_CHANGE)
        raise PermissionDenied(
            "change your password first: an admin reset it, so until you choose your own you "
            "may only see your account, change your password or sign out"
        )

    def session_for(self, principal: Principal) -> Session:
        """The principal's session (for a permission check outside a service call)."""
        return Session.for_user(self.engine, self.clock, principal.user, principal.device_id)

    # -- admin actions on sign-ins (permission checked here, audited by auth) ---------------------

    def reset_password(
        self, principal: Principal, username: str, new: str, must_change: bool = True
    ) -> None:
        """Set another user's password (admin) and end their sign-ins."""
        self.require_own_password(principal)
        self.session_for(principal).require("manage_sessions")
        self.auth.set_password(username, new, by=principal.username, must_change=must_change)
        self.auth.revoke_all(username, by=principal.username)

    def sign_out_everywhere(self, principal: Principal, username: str) -> int:
        """End every sign-in of ``username`` (admin)."""
        self.require_own_password(principal)
        self.session_for(principal).require("manage_sessions")
        return self.auth.revoke_all(username, by=principal.username)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()
