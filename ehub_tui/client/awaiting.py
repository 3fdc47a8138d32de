"""Awaiting the patient and an item's history on the client side (issue 15): the calls as the
in-process and HTTP clients make them, and as ClientService offers them to the app.

Offline (the hub away): parking is refused with OFFLINE_PARK (it must leave the queue on the
hub at once, and be fenced there, so it is not queued through the outbox); an item's parking
is None (the screen shows no banner); its history is refused with OFFLINE_HISTORY (it is read
from the hub's audit). Nothing here crashes the app: each refusal is a HubUnreachable sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ehub_tui.domain.awaiting import HistoryEntry, Parking
from ehub_tui.domain.queue import Claim
from ehub_tui.errors import HubUnreachable

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ehub_tui.client.protocol import HubClient
    from ehub_tui.client.sync import SyncEngine
    from ehub_tui.service.hub import HubService

P = ParamSpec("P")
T = TypeVar("T")

OFFLINE_PARK = (
    "Parking needs the hub, which is not answering: the item stays yours. Send the question "
    "when it is back, or finish the item now."
)
OFFLINE_HISTORY = "The history is read from the hub, which is not answering. Try again soon."


class InProcessAwaitingCalls:
    """InProcessClient's calls (each on the hub's service acting as the caller)."""

    if TYPE_CHECKING:

        def _svc(self) -> HubService: ...

    def park(self, claim: Claim, question: str, return_at: datetime) -> None:
        """Park an item we hold awaiting the patient's reply until ``return_at``."""
        self._svc().park(claim, question, return_at)

    def parking(self, item_id: int) -> Parking | None:
        """The item's newest parking (None: never parked)."""
        return self._svc().parking(item_id)

    def item_history(self, item_id: int) -> list[HistoryEntry]:
        """Every event of the item in words, at the hub's time."""
        return self._svc().item_history(item_id)


class HttpAwaitingCalls:
    """HttpClient's calls (POST /v1/items/{id}/park, GET …/parking, GET …/history)."""

    if TYPE_CHECKING:

        def get(self, path: str, adapter: TypeAdapter[T], **params: Any) -> T: ...
        def post(
            self, path: str, body: Any = None, adapter: TypeAdapter[T] | None = None
        ) -> Any: ...

    def park(self, claim: Claim, question: str, return_at: datetime) -> None:
        """Park an item we hold awaiting the patient's reply until ``return_at``."""
        from ehub_tui.hub.wire_awaiting import ParkIn

        body = ParkIn(claim=claim, question=question, return_at=return_at)
        self.post(f"/items/{claim.item_id}/park", body)

    def parking(self, item_id: int) -> Parking | None:
        """The item's newest parking (None: never parked)."""
        from ehub_tui.hub.wire_awaiting import PARKING

        return self.get(f"/items/{item_id}/parking", PARKING)

    def item_history(self, item_id: int) -> list[HistoryEntry]:
        """Every event of the item in words, at the hub's time."""
        from ehub_tui.hub.wire_awaiting import HISTORY

        return self.get(f"/items/{item_id}/history", HISTORY)


class ClientAwaitingMethods:
    """Awaiting the patient and history as ClientService offers them (see the docstring)."""

    if TYPE_CHECKING:  # provided by ClientService
        client: HubClient

        def _ask(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...
        def _sync(self) -> SyncEngine: ...

    def park(self, claim: Claim, question: str, return_at: datetime) -> None:
        """Park an item we hold until ``return_at`` (hub time) or the patient's reply; the hub
        refuses a time not ahead of its clock or too far (QueueError), or a claim no longer
        ours (LostClaim). HubUnreachable(OFFLINE_PARK) with the hub away."""
        try:
            self._ask(self.client.park, claim, question, return_at)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_PARK) from None
        self._sync().kick()  # a pull soon shows it gone from Mine and the queue

    def parking(self, item_id: int) -> Parking | None:
        """The item's newest parking: the question sent and the reply (None: never parked, or
        the hub away)."""
        try:
            return self._ask(self.client.parking, item_id)
        except HubUnreachable:
            return None

    def item_history(self, item_id: int) -> list[HistoryEntry]:
        """Every event of an item in words (HubUnreachable(OFFLINE_HISTORY) with the hub away)."""
        try:
            return self._ask(self.client.item_history, item_id)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_HISTORY) from None
