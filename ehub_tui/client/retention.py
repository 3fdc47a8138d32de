"""The retention purge on the client side (issue 16): as the in-process and HTTP clients make
it, and as ClientService offers it to the CLI.

Offline (the hub away) it is refused with OFFLINE_RETENTION: a purge is the hub's work on the
hub's rows, so nothing is kept to send later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ehub_tui.domain.retention import RetentionResult
from ehub_tui.errors import HubUnreachable

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ehub_tui.client.protocol import HubClient
    from ehub_tui.service.hub import HubService

P = ParamSpec("P")
T = TypeVar("T")

OFFLINE_RETENTION = (
    "The retention purge runs on the hub, which is not answering: nothing was purged. Run it "
    "again when the hub is back."
)


class InProcessRetentionCalls:
    """InProcessClient's call (on the hub's service acting as the caller)."""

    if TYPE_CHECKING:

        def _svc(self) -> HubService: ...

    def retention_purge(self, dry_run: bool = False) -> RetentionResult:
        """Purge (or count) the closed items past retention whose returns are exported."""
        return self._svc().retention_purge(dry_run)


class HttpRetentionCalls:
    """HttpClient's call (POST /v1/retention/purge)."""

    if TYPE_CHECKING:

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

    def retention_purge(self, dry_run: bool = False) -> RetentionResult:
        """Purge (or count) the closed items past retention whose returns are exported."""
        from ehub_tui.hub.wire_retention import RETENTION_RESULT, RetentionPurgeIn

        # safe: a purge sent twice purges nothing the second time (a purged item is skipped)
        result: RetentionResult = self.call(
            "POST",
            "/retention/purge",
            safe=True,
            body=RetentionPurgeIn(dry_run=dry_run),
            adapter=RETENTION_RESULT,
        )
        return result


class ClientRetentionMethods:
    """The purge as ClientService offers it (see the module docstring)."""

    if TYPE_CHECKING:  # provided by ClientService
        client: HubClient

        def _ask(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...

    def retention_purge(self, dry_run: bool = False) -> RetentionResult:
        """Purge (or count) past-retention items (admins; OFFLINE_RETENTION with the hub away)."""
        try:
            return self._ask(self.client.retention_purge, dry_run)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_RETENTION) from None
