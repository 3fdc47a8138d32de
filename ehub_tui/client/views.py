"""Saved views on the client side (issue 15): the calls as the in-process and HTTP clients make
them, and as ClientService offers them to the app.

Offline (the hub away): ``saved_views`` answers with the list this process last read from the
hub (views change rarely; the queue that opens offline still gets its default), or an empty list
when it has read none yet; saving, deleting and setting a default are refused with
OFFLINE_VIEWS. Nothing here crashes the app: each refusal is a HubUnreachable sentence.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from urllib.parse import quote

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.views import SavedView
from ehub_tui.errors import HubUnreachable

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ehub_tui.client.protocol import HubClient
    from ehub_tui.service.hub import HubService

P = ParamSpec("P")
T = TypeVar("T")

OFFLINE_VIEWS = (
    "Saving views and setting a default need the hub, which is not answering. The filters "
    "you set still apply here; save them when the hub is back."
)


class InProcessViewCalls:
    """InProcessClient's calls (each on the hub's service acting as the caller)."""

    if TYPE_CHECKING:

        def _svc(self) -> HubService: ...

    def saved_views(self) -> list[SavedView]:
        """Every saved view; the caller's default marked."""
        return self._svc().saved_views()

    def save_view(self, name: str, filters: QueueFilter) -> SavedView:
        """Create or replace a saved view (supervisors)."""
        return self._svc().save_view(name, filters)

    def delete_view(self, name: str) -> None:
        """Delete a saved view (supervisors)."""
        self._svc().delete_view(name)

    def set_default_view(self, username: str, name: str | None) -> None:
        """The view a user's queue opens with; None clears it (supervisors)."""
        self._svc().set_default_view(username, name)


class HttpViewCalls:
    """HttpClient's calls (GET /v1/views, PUT/DELETE /v1/views/{name},
    PUT /v1/users/{username}/default-view)."""

    if TYPE_CHECKING:

        def get(self, path: str, adapter: TypeAdapter[T], **params: Any) -> T: ...
        def call(
            self,
            method: str,
            path: str,
            *,
            safe: bool,
            body: Any = None,
            adapter: TypeAdapter[Any] | None = None,
            params: Any = None,
            notify: bool = True,
        ) -> Any: ...

    def saved_views(self) -> list[SavedView]:
        """Every saved view; the caller's default marked."""
        from ehub_tui.hub.wire_views import SAVED_VIEWS

        return self.get("/views", SAVED_VIEWS)

    def save_view(self, name: str, filters: QueueFilter) -> SavedView:
        """Create or replace a saved view (supervisors). PUT: repeating it changes nothing."""
        from ehub_tui.hub.wire_views import SAVED_VIEW, SaveViewIn

        view: SavedView = self.call(
            "PUT",
            f"/views/{quote(name, safe='')}",
            safe=True,
            body=SaveViewIn(filters=filters),
            adapter=SAVED_VIEW,
        )
        return view

    def delete_view(self, name: str) -> None:
        """Delete a saved view (supervisors)."""

        self.call("DELETE", f"/views/{quote(name, safe='')}", safe=False)

    def set_default_view(self, username: str, name: str | None) -> None:
        """The view a user's queue opens with; None clears it (supervisors)."""
        from ehub_tui.hub.wire_views import DefaultViewIn

        self.call(
            "PUT",
            f"/users/{quote(username, safe='')}/default-view",
            safe=True,
            body=DefaultViewIn(view=name),
        )


class ClientViewMethods:
    """Saved views as ClientService offers them (see the module docstring)."""

    _views_seen: list[SavedView] | None = None
    _views_lock = threading.Lock()

    if TYPE_CHECKING:  # provided by ClientService
        client: HubClient

        def _ask(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...

    def saved_views(self) -> list[SavedView]:
        """Every saved view, the caller's default marked (offline: the list last read)."""
        try:
            views = self._ask(self.client.saved_views)
        except HubUnreachable:
            with self._views_lock:
                return list(self._views_seen or [])
        with self._views_lock:
            self._views_seen = list(views)
        return views

    def save_view(self, name: str, filters: QueueFilter) -> SavedView:
        """Create or replace a saved view (supervisors; OFFLINE_VIEWS with the hub away)."""
        try:
            return self._ask(self.client.save_view, name, filters)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_VIEWS) from None

    def delete_view(self, name: str) -> None:
        """Delete a saved view (supervisors; OFFLINE_VIEWS with the hub away)."""
        try:
            self._ask(self.client.delete_view, name)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_VIEWS) from None

    def set_default_view(self, username: str, name: str | None) -> None:
        """The view a user's queue opens with (supervisors; OFFLINE_VIEWS with the hub away)."""
        try:
            self._ask(self.client.set_default_view, username, name)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_VIEWS) from None
