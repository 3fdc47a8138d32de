"""Who a request comes from, once the hub has checked their token; and what signing in returns.

The contract between the hub's sign-in (``hub.auth``), the hub core (``hub.core``), the HTTP routes
and the in-process client: every request is served for one Principal whose role was read from
``hub_user`` by the hub *for that request* (a demotion takes effect on the next request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ehub_tui.domain.models import UserInfo


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the hub user as they are now, the device and the sign-in."""

    user: UserInfo
    device_id: str
    session_id: int
    # an admin reset their password with "must change": until they choose their own they may
    # only see their account, change the password and sign out (HubCore.for_principal refuses
    # the rest)
    must_change: bool = False

    @property
    def username(self) -> str:
        """The hub user's name."""
        return self.user.username

    @property
    def role(self) -> str:
        """The role the hub read for this request."""
        return self.user.role


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What a successful sign-in hands back. ``token`` is shown once: the hub keeps only its
    SHA-256 digest."""

    token: str
    user: UserInfo
    device_id: str
    expires_at: datetime  # absolute expiry, by the hub's clock
    idle_minutes: int  # the token ends after this long unused
    hub_time: datetime
    must_change_password: bool = False
