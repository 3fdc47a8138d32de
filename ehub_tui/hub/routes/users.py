"""Hub users (admins manage them; their passwords and sign-ins) and member practices."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.domain.models import PracticeInfo, UserInfo
from ehub_tui.errors import QueueError
from ehub_tui.hub.routes import Core, Svc, Who, no_content, reply
from ehub_tui.hub.wire import (
    PRACTICES,
    USER,
    USER_OR_NONE,
    USERS,
    Count,
    PasswordResetIn,
    Revoked,
    UserIn,
    UserPatch,
)

router = APIRouter(tags=["users"])


@router.get("/users", response_model=list[UserInfo])
def list_users(svc: Svc) -> Response:
    """Every hub user."""
    return reply(USERS, svc.list_users())


@router.get("/users/{username}", response_model=UserInfo | None)
def get_user(username: str, svc: Svc) -> Response:
    """One hub user; null when there is none of that name."""
    return reply(USER_OR_NONE, svc.get_user(username))


@router.post("/users", response_model=UserInfo, status_code=201)
def add_user(body: UserIn, svc: Svc) -> Response:
    """Create a hub user (admin)."""
    return reply(USER, svc.add_user(body.username, body.role, body.display_name), 201)


@router.patch("/users/{username}", response_model=UserInfo)
def change_user(username: str, body: UserPatch, svc: Svc) -> Response:
    """Change a user's role or disable/enable them (admin); takes effect on their next
    request."""
    if body.role is None and body.active is None:
        raise QueueError("nothing to change: send a role or active")
    user = None
    if body.role is not None:
        user = svc.set_role(username, body.role)
    if body.active is not None:
        user = svc.set_active(username, body.active)
    return reply(USER, user)


@router.post("/users/{username}/password", status_code=204)
def reset_password(username: str, body: PasswordResetIn, core: Core, principal: Who) -> Response:
    """Set another user's password (admin); their sign-ins end."""
    core.reset_password(principal, username, body.new, body.must_change)
    return no_content()


@router.post("/users/{username}/sessions/revoke", response_model=Revoked)
def sign_out_everywhere(username: str, core: Core, principal: Who) -> Revoked:
    """End every sign-in of ``username`` (admin)."""
    return Revoked(revoked=core.sign_out_everywhere(principal, username))


@router.get("/practices", response_model=list[PracticeInfo])
def list_practices(svc: Svc) -> Response:
    """Every member practice, by ODS code."""
    return reply(PRACTICES, svc.list_practices())


@router.put("/practices", response_model=Count)
def import_practices(body: list[PracticeInfo], svc: Svc) -> Count:
    """Add or update member practices."""
    return Count(count=svc.import_practices(body))
