"""Saved views: the named queue filters everyone may apply, and the default view a supervisor
sets for a user (applied when that user's queue opens)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response

from ehub_tui.domain.views import MAX_NAME_CHARS, SavedView
from ehub_tui.hub.routes import Svc, no_content, reply
from ehub_tui.hub.wire_views import SAVED_VIEW, SAVED_VIEWS, DefaultViewIn, SaveViewIn

router = APIRouter(tags=["views"])

Name = Path(min_length=1, max_length=MAX_NAME_CHARS)


@router.get("/views", response_model=list[SavedView])
def saved_views(svc: Svc) -> Response:
    """Every saved view by name; the caller's default is marked ``is_default``."""
    return reply(SAVED_VIEWS, svc.saved_views())


@router.put("/views/{name}", response_model=SavedView)
def save_view(body: SaveViewIn, svc: Svc, name: str = Name) -> Response:
    """Create or replace a saved view (supervisors; audited)."""
    return reply(SAVED_VIEW, svc.save_view(name, body.filters))


@router.delete("/views/{name}", status_code=204)
def delete_view(svc: Svc, name: str = Name) -> Response:
    """Delete a saved view; it stops being anyone's default (supervisors; audited)."""
    svc.delete_view(name)
    return no_content()


@router.put("/users/{username}/default-view", status_code=204)
def set_default_view(username: str, body: DefaultViewIn, svc: Svc) -> Response:
    """Set the view a user's queue opens with; null clears it (supervisors; audited)."""
    svc.set_default_view(username, body.view)
    return no_content()
