"""Signing in and out; the signed-in user's own account (``/v1/me``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ehub_tui.hub.principal import SignedIn
from ehub_tui.hub.routes import Core, Who, no_content, reply, set_role
from ehub_tui.hub.wire import SIGNED_IN, PasswordChangeIn, SignInIn

router = APIRouter(tags=["sign-in"])


@router.post("/auth/sign-in", response_model=SignedIn)
def sign_in(body: SignInIn, core: Core, request: Request) -> Response:
    """Check a password and start a session bound to ``device_id``; the token is shown once.
    401 (never saying whether the user exists) or 429 + Retry-After while locked."""
    signed = core.sign_in(body.username, body.password, body.device_id, body.client)
    set_role(request, signed.user.role)
    return reply(SIGNED_IN, signed)


@router.post("/auth/sign-out", status_code=204)
def sign_out(core: Core, principal: Who) -> Response:
    """End this sign-in (its token is revoked)."""
    core.auth.sign_out(principal)
    return no_content()


@router.post("/me/password", status_code=204)
def change_password(body: PasswordChangeIn, core: Core, principal: Who) -> Response:
    """Change one's own password (the old one must be right; the policy is checked)."""
    core.auth.change_password(principal, body.old, body.new)
    return no_content()
