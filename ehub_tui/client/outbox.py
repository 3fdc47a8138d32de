"""The FHIR outbox's read of completed outcomes on the client side (issue 16): the call as the
in-process and HTTP clients make it, and as ClientService offers it to the CLI.

Offline (the hub away) it is refused with OFFLINE_OUTBOX: the outcomes and their patients are
the hub's to give (a workstation's cache holds only its own items, and must not become a second
source of correspondence); the CLI says so in a sentence and exits non-zero, writing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ehub_tui.domain.outbox import OutboxPage
from ehub_tui.errors import HubUnreachable

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ehub_tui.client.protocol import HubClient
    from ehub_tui.service.hub import HubService

P = ParamSpec("P")
T = TypeVar("T")

OFFLINE_OUTBOX = (
    "Writing the outbox reads completed outcomes from the hub, which is not answering. "
    "Nothing was written; run it again when the hub is back."
)


class InProcessOutboxCalls:
    """InProcessClient's call (on the hub's service acting as the caller)."""

    if TYPE_CHECKING:

        def _svc(self) -> HubService: ...

    def outbox_outcomes(
        self, since: date | None = None, after_id: int = 0, limit: int = 200
    ) -> OutboxPage:
        """One page of completed outcomes for the outbox (admin or service account)."""
        return self._svc().outbox_outcomes(since, after_id, limit)


class HttpOutboxCalls:
    """HttpClient's call (GET /v1/outbox/outcomes)."""

    if TYPE_CHECKING:

        def get(self, path: str, adapter: TypeAdapter[T], **params: Any) -> T: ...

    def outbox_outcomes(
        self, since: date | None = None, after_id: int = 0, limit: int = 200
    ) -> OutboxPage:
        """One page of completed outcomes for the outbox (a read: retried when it may be)."""
        from ehub_tui.hub.wire_outbox import OUTBOX_PAGE

        params: dict[str, Any] = {"after_id": after_id, "limit": limit}
        if since is not None:
            params["since"] = since
        return self.get("/outbox/outcomes", OUTBOX_PAGE, **params)


class ClientOutboxMethods:
    """The outbox's read as ClientService offers it (see the module docstring)."""

    if TYPE_CHECKING:  # provided by ClientService
        client: HubClient

        def _ask(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...

    def outbox_outcomes(
        self, since: date | None = None, after_id: int = 0, limit: int = 200
    ) -> OutboxPage:
        """One page of completed outcomes (OFFLINE_OUTBOX with the hub away)."""
        try:
            return self._ask(self.client.outbox_outcomes, since, after_id, limit)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_OUTBOX) from None
