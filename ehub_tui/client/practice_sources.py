"""Practices from their national sources on the client side (issue 16): the imports as the
in-process and HTTP clients make them, and as ClientService offers them to the CLI.

Offline (the hub away) an import is refused with OFFLINE_PRACTICES: nothing is kept to send
later (an admin runs it again when the hub answers; the file is still on their disk).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ehub_tui.domain.practice_sources import ListSize, ListSizeResult, OdsImportResult, OdsPractice
from ehub_tui.errors import HubUnreachable

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ehub_tui.client.protocol import HubClient
    from ehub_tui.service.hub import HubService

P = ParamSpec("P")
T = TypeVar("T")

OFFLINE_PRACTICES = (
    "Importing practices or list sizes needs the hub, which is not answering: nothing was "
    "imported. Run the import again when the hub is back."
)


class InProcessPracticeCalls:
    """InProcessClient's calls (each on the hub's service acting as the caller)."""

    if TYPE_CHECKING:

        def _svc(self) -> HubService: ...

    def import_ods_practices(
        self, practices: Sequence[OdsPractice], pcn_code: str | None = None, dry_run: bool = False
    ) -> OdsImportResult:
        """Add, rename or make inactive practices from ODS rows (admins)."""
        return self._svc().import_ods_practices(practices, pcn_code, dry_run)

    def import_list_sizes(
        self, month: str, sizes: Sequence[ListSize], dry_run: bool = False
    ) -> ListSizeResult:
        """Keep a month's list sizes (admins)."""
        return self._svc().import_list_sizes(month, sizes, dry_run)


class HttpPracticeCalls:
    """HttpClient's calls (POST /v1/practices/ods, POST /v1/practices/list-sizes)."""

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

    def import_ods_practices(
        self, practices: Sequence[OdsPractice], pcn_code: str | None = None, dry_run: bool = False
    ) -> OdsImportResult:
        """Add, rename or make inactive practices from ODS rows (admins)."""
        from ehub_tui.hub.wire_practices import ODS_IMPORT_RESULT, OdsImportIn

        body = OdsImportIn(practices=list(practices), pcn_code=pcn_code, dry_run=dry_run)
        # safe: the same rows sent twice write the same practices (a repeat is harmless)
        result: OdsImportResult = self.call(
            "POST", "/practices/ods", safe=True, body=body, adapter=ODS_IMPORT_RESULT
        )
        return result

    def import_list_sizes(
        self, month: str, sizes: Sequence[ListSize], dry_run: bool = False
    ) -> ListSizeResult:
        """Keep a month's list sizes (admins)."""
        from ehub_tui.hub.wire_practices import LIST_SIZE_RESULT, ListSizesIn

        body = ListSizesIn(month=month, sizes=list(sizes), dry_run=dry_run)
        # safe: a month's sizes stored again replace themselves
        result: ListSizeResult = self.call(
            "POST", "/practices/list-sizes", safe=True, body=body, adapter=LIST_SIZE_RESULT
        )
        return result


class ClientPracticeMethods:
    """The imports as ClientService offers them (see the module docstring)."""

    if TYPE_CHECKING:  # provided by ClientService
        client: HubClient

        def _ask(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...

    def import_ods_practices(
        self, practices: Sequence[OdsPractice], pcn_code: str | None = None, dry_run: bool = False
    ) -> OdsImportResult:
        """Add, rename or make inactive practices from ODS rows (admins; OFFLINE_PRACTICES
        with the hub away)."""
        try:
            return self._ask(self.client.import_ods_practices, practices, pcn_code, dry_run)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_PRACTICES) from None

    def import_list_sizes(
        self, month: str, sizes: Sequence[ListSize], dry_run: bool = False
    ) -> ListSizeResult:
        """Keep a month's list sizes (admins; OFFLINE_PRACTICES with the hub away)."""
        try:
            return self._ask(self.client.import_list_sizes, month, sizes, dry_run)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_PRACTICES) from None
