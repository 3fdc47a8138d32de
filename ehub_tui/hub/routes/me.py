"""``GET /v1/me``: the signed-in user as the hub sees them now."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.hub.routes import Core, Who, reply
from ehub_tui.hub.wire import ME, MeOut
from ehub_tui.service.session import PERMISSIONS

router = APIRouter(tags=["sign-in"])


@router.get("/me", response_model=MeOut)
def me(core: Core, principal: Who) -> Response:
    """The user, what their current role lets them do, the device, and the hub's time."""
    session = core.session_for(principal)
    permissions = sorted(p for p in PERMISSIONS if session.may(p))
    out = MeOut(
        user=principal.user,
        permissions=permissions,
        hub_time=core.clock.now(),
        device_id=principal.device_id,
    )
    return reply(ME, out)
