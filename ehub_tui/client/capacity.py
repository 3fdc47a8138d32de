"""Capacity planning's history on the client side (issue 17): as the in-process and HTTP clients
read it, and as ClientService offers it to the CLI and the reports screen.

Offline (the hub away) it is refused with OFFLINE_CAPACITY: the history is the hub's, and the
workstation keeps no copy of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ehub_tui.domain.capacity import CapacityHistory
from ehub_tui.errors import HubUnreachable

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ehub_tui.client.protocol import HubClient
    from ehub_tui.service.hub import HubService

P = ParamSpec("P")
T = TypeVar("T")

OFFLINE_CAPACITY = (
    "Capacity planning reads the hub's history, and the hub is not answering. Try again when it "
    "is back."
)


class InProcessCapacityCalls:
    """InProcessClient's call (on the hub's service acting as the caller)."""

    if TYPE_CHECKING:

        def _svc(self) -> HubService: ...

    def capacity_history(self, weeks: int) -> CapacityHistory:
        """Arrivals and handling times of the last ``weeks`` whole weeks (see_reports)."""
        return self._svc().capacity_history(weeks)


class HttpCapacityCalls:
    """HttpClient's call (GET /v1/capacity/history, read back from its columns)."""

    if TYPE_CHECKING:

        def get(self, path: str, adapter: TypeAdapter[Any], **params: Any) -> Any: ...

    def capacity_history(self, weeks: int) -> CapacityHistory:
        """Arrivals and handling times of the last ``weeks`` whole weeks (see_reports)."""
        from ehub_tui.hub.wire_capacity import CAPACITY_HISTORY, CapacityHistoryWire

        reply: CapacityHistoryWire = self.get("/capacity/history", CAPACITY_HISTORY, weeks=weeks)
        return reply.to_domain()


class ClientCapacityMethods:
    """The history as ClientService offers it (see the module docstring)."""

    if TYPE_CHECKING:  # provided by ClientService
        client: HubClient

        def _ask(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...

    def capacity_history(self, weeks: int) -> CapacityHistory:
        """The hub's arrivals and handling times of the last ``weeks`` whole UK-local weeks, for
        a capacity plan (supervisors and managers; HubUnreachable(OFFLINE_CAPACITY) with the
        hub away)."""
        try:
            return self._ask(self.client.capacity_history, weeks)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_CAPACITY) from None
