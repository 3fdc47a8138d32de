"""The one place that decides how this workstation reaches its hub.

``hub_server_url`` set: HTTPS to ``ehub-tui hub serve`` (``client.http``), verified against
``hub_ca_file`` when a trust runs its own CA. Otherwise the embedded hub: its SQLite database (or
a hub machine's own database, ``hub_url``) opened in this process, reached through the
in-process client — the same sign-in, role checks, audit and hub clock, no server to start
(``make run``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from ehub_tui.client.protocol import HubClient
from ehub_tui.config import Settings
from ehub_tui.domain.clock import Clock, utcnow

if TYPE_CHECKING:
    from argon2 import PasswordHasher

ClockArg = Clock | Callable[[], datetime]


def open_client(
    settings: Settings,
    *,
    device_id: str | None = None,
    clock: ClockArg = utcnow,
    token: str | None = None,
    hasher: PasswordHasher | None = None,
) -> HubClient:
    """A HubClient for the hub ``settings`` name (not signed in, unless ``token`` is one kept
    from an earlier sign-in). ``device_id`` defaults to this workstation's
    (``<data_dir>/device-id``); ``clock`` is the embedded hub's clock (tests freeze it; a server
    keeps its own); ``hasher`` is the embedded hub's password hasher (tests make a cheap one)."""
    if device_id is None:
        from ehub_tui.client.device import device_id as this_device

        device_id = this_device(settings.data_dir)
    if settings.uses_server:
        # imported here: httpx is loaded only by a workstation that talks to a server
        from ehub_tui.client.http.client import HttpClient

        assert settings.hub_server_url is not None
        return HttpClient(
            settings.hub_server_url,
            ca_file=settings.hub_ca_file,
            device_id=device_id,
            timeout=settings.hub_request_timeout_seconds,
            token=token,
        )
    from ehub_tui.client.inprocess import InProcessClient
    from ehub_tui.hub.core import HubCore

    core = HubCore.open(settings, clock=clock, hasher=hasher)
    return InProcessClient(core, device_id, token=token, owns_core=True)
