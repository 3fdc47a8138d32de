"""The hub API's endpoints, one module per area, and what they share: the signed-in principal of
a request (read from ``Authorization: Bearer <token>`` and ``X-Ehub-Device`` and checked by the
hub on every request), the service acting as them, and replies written with ``hub.wire``.

Endpoints are plain ``def`` functions: FastAPI runs them in its threadpool, whose size the app
bounds by the database pool (``hub.app``). Each one calls ``core.for_principal(p).<method>``, so
the role checked, the audit of a refusal and every time decided are the hub's own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter

from ehub_tui.errors import NotSignedIn, SessionEnded
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.principal import Principal
from ehub_tui.hub.wire import DEVICE_HEADER
from ehub_tui.service.hub import HubService

JSON = "application/json"

# auto_error=False: a missing token is our NotSignedIn (401 + WWW-Authenticate + the envelope),
# not FastAPI's own reply; it still puts the bearer scheme in the OpenAPI document
_bearer = HTTPBearer(auto_error=False, description="the token `POST /v1/auth/sign-in` gave")


def get_core(request: Request) -> HubCore:
    """The hub's core (one per app)."""
    core: HubCore = request.app.state.core
    return core


def set_role(request: Request, role: str) -> None:
    """Name the caller's role in this reply's X-Ehub-Role (the middleware writes it)."""
    request.state.ehub_role = role


def current_principal(
    request: Request,
    core: Annotated[HubCore, Depends(get_core)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    device: Annotated[str | None, Header(alias=DEVICE_HEADER, max_length=64)] = None,
) -> Principal:
    """The principal a request comes from, with their role read by the hub now; 401 without a
    token, or when the hub no longer accepts it (SessionEnded says why)."""
    if credentials is None or not credentials.credentials:
        raise NotSignedIn("sign in first: this request carries no token")
    if not device:
        # refused before the token is looked at: a client that lost its device id is not a thief
        raise SessionEnded(f"a signed-in request must name its device ({DEVICE_HEADER})")
    principal = core.authenticate(credentials.credentials, device)
    request.state.principal = principal
    set_role(request, principal.role)
    return principal


def service_for(
    core: Annotated[HubCore, Depends(get_core)],
    principal: Annotated[Principal, Depends(current_principal)],
) -> HubService:
    """The hub service acting as this request's principal."""
    return core.for_principal(principal)


Core = Annotated[HubCore, Depends(get_core)]
Who = Annotated[Principal, Depends(current_principal)]
Svc = Annotated[HubService, Depends(service_for)]


def reply(adapter: TypeAdapter[Any], value: Any, status_code: int = 200) -> Response:
    """A JSON reply written by ``adapter`` (the same one the client reads it with)."""
    return Response(adapter.dump_json(value), status_code=status_code, media_type=JSON)


def no_content() -> Response:
    """204: done, nothing to say."""
    return Response(status_code=204)
