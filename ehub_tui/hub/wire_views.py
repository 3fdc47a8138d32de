"""The hub API's wire forms for saved views (issue 15): the list, one saved view, and the bodies
of saving a view and setting a user's default. A QueueFilter's multi-select values travel in
GET /v1/queue as comma-separated lists (``hub.wire.filter_params``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, TypeAdapter

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.views import MAX_NAME_CHARS, SavedView

SAVED_VIEWS = TypeAdapter(list[SavedView])
SAVED_VIEW = TypeAdapter(SavedView)


class SaveViewIn(BaseModel):
    """PUT /v1/views/{name}: the filter and sort the view keeps (no search is kept)."""

    filters: QueueFilter


class DefaultViewIn(BaseModel):
    """PUT /v1/users/{username}/default-view: the saved view's name; null clears the default."""

    view: str | None = Field(default=None, max_length=MAX_NAME_CHARS)


def split_list(value: str | None) -> tuple[str, ...]:
    """``"a,b"`` -> ("a", "b") (blank parts dropped)."""
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())
