"""ClientService's queue: claiming and heartbeats on the hub, completing and returning through
the local store's outbox, the views from the cache when the hub is away.

- ``claim`` / ``claim_next`` need the hub (HubUnreachable with OFFLINE_CLAIM when it is away);
  a claim is kept here with its consultation so the item can be worked offline.
- ``complete`` / ``release`` / ``release_held`` write the local store and its outbox in one
  transaction, then wait up to ``sync_wait_seconds`` for the hub's answer: a
  :class:`~ehub_tui.domain.sync.Completion` says accepted, pending (saved here, the sender keeps
  trying) or rejected (kept for review). They never raise because the hub is away.
- ``queue_page``, ``view_counts``, ``held_claims``, ``consultation``, ``item_state`` and
  ``why_lost`` (of a held item) answer from the cache when the hub does not; supervisor actions
  say OFFLINE_ACTION.
- With the hub known away (the sender's status is offline) none of them tries the hub: the
  cache answers, claims and supervisor actions are refused, completions are pending, all at
  once (``client.offline``'s ``_ask``); the sender's rounds notice the hub is back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from ehub_tui.client.local import LocalStore, NewEvent
from ehub_tui.domain import destinations
from ehub_tui.domain.board import Board, HolderDraft
from ehub_tui.domain.handover import Handover
from ehub_tui.domain.models import Consultation, Outcome
from ehub_tui.domain.queue import Claim, ClaimState, QueueFilter, QueueRow, QueueSummary
from ehub_tui.domain.sync import OFFLINE_CLAIM, Completion
from ehub_tui.domain.types import Status
from ehub_tui.errors import HubUnreachable, StoreError
from ehub_tui.service.queue import RELEASE_ON_QUIT

if TYPE_CHECKING:
    from datetime import datetime

    from ehub_tui.client.protocol import HubClient
    from ehub_tui.client.sync import SyncEngine

P = ParamSpec("P")
T = TypeVar("T")


class ClientQueueMethods:
    """The queue as ClientService offers it (see the module docstring)."""

    if TYPE_CHECKING:  # provided by ClientService, its watch and ClientSyncMethods
        client: HubClient

        @property
        def actor(self) -> str: ...
        @property
        def local(self) -> LocalStore: ...
        def _ask(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...
        def _needs_hub(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...
        def _sync(self) -> SyncEngine: ...
        def _local_now(self) -> datetime: ...
        def _me_or_refuse(self) -> str: ...
        def _await(self, event_id: str) -> Completion: ...
        def start_of_today(self) -> datetime: ...
        def _event(
            self, kind: str, item_id: int, epoch: int, payload: dict[str, object],
            at: datetime | None,
        ) -> NewEvent: ...  # fmt: skip

    # -- claiming (the hub) ------------------------------------------------------------------------

    def claim_next(self) -> Claim | None:
        """Claim the best queued item; None when the queue is empty."""
        self._sync()
        try:
            claim = self._ask(self.client.claim_next)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_CLAIM) from None
        if claim is not None:
            self._keep_held(claim)
        return claim

    def claim(self, item_id: int) -> Claim:
        """Claim a given queued item."""
        self._sync()
        try:
            claim = self._ask(self.client.claim, item_id)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_CLAIM) from None
        self._keep_held(claim)
        return claim

    def _keep_held(self, claim: Claim) -> None:
        """Keep a new claim here with its consultation, so it can be worked offline."""
        try:
            consultation = self._ask(self.client.consultation, claim.item_id)
        except HubUnreachable:  # kept without it; the next pull brings it
            consultation = None
        self.local.record_held(claim, consultation, self._local_now())
        self._sync().kick()  # a pull soon shows the queue as the hub has it now

    def heartbeat(self, claim: Claim) -> Claim:
        """Renew the lease of an open item; raises LostClaim when it is no longer ours (and
        HubUnreachable with the hub away: the app carries on)."""
        renewed = self._ask(self.client.heartbeat, claim)
        self.local.record_leases([renewed], self.client.hub_time(), self._local_now())
        return renewed

    def heartbeat_held(self) -> list[Claim]:
        """Renew the lease of every item this user holds."""
        renewed = self._ask(self.client.heartbeat_held)
        self.local.record_leases(renewed, self.client.hub_time(), self._local_now())
        return renewed

    def held_claims(self) -> list[Claim]:
        """Every item this user holds now and has not finished here (from this workstation's
        records when the hub is away)."""
        self._sync()
        user = self.actor
        try:
            claims = self._ask(self.client.held_claims)
        except HubUnreachable:
            return [h.claim for h in self.local.held(user)]
        closed = {
            (h.claim.item_id, h.claim.epoch)
            for h in self.local.held(user, ("completed", "released"))
        }
        return [c for c in claims if (c.item_id, c.epoch) not in closed]

    # -- finishing (the outbox) --------------------------------------------------------------------

    def complete(
        self, claim: Claim, outcome: Outcome, *, active_seconds: float | None = None
    ) -> Completion:
        """Record the outcome of an item we hold: saved here with its outbox row in one
        transaction, then sent; the Completion says whether the hub has it (accepted), has not
        answered yet (pending) or refused it (rejected: kept for review). ``active_seconds``:
        time the navigator spent on it (the monotonic clock); default the handling time."""
        code = outcome.destination_code
        if code is not None and not destinations.is_code(code):
            raise StoreError(
                f"an outcome's destination_code must be one of the vocabulary (got {code!r})"
            )
        active = outcome.handling_seconds if active_seconds is None else active_seconds
        payload = {"outcome": outcome.model_dump(mode="json"), "active_seconds": active}
        event = self._event("complete", claim.item_id, claim.epoch, payload, None)
        event_id = self.local.record_completion(event, outcome, active, self._local_now())
        return self._await(event_id)

    def release(self, claim: Claim, reason: str) -> Completion:
        """Return an item we hold to the queue, with a reason (through the outbox, as
        ``complete``)."""
        _need_reason(reason)
        event = self._event("release", claim.item_id, claim.epoch, {"reason": reason}, None)
        (event_id,) = self.local.record_releases([event], self._local_now())
        return self._await(event_id)

    def release_held(self, reason: str = RELEASE_ON_QUIT) -> list[int]:
        """Return every item this user holds to the queue (through the outbox, waiting up to
        ``sync_wait_seconds`` for the hub); returns their ids."""
        _need_reason(reason)
        claims = self.held_claims()
        if not claims:
            return []
        events = [
            self._event("release", c.item_id, c.epoch, {"reason": reason}, None) for c in claims
        ]
        ids = self.local.record_releases(events, self._local_now())
        engine = self._sync()
        if not engine.status().online:  # the hub is away: saved here, sent when it is back
            engine.recount()
            return [c.item_id for c in claims]
        engine.kick()
        deadline = engine.clock.monotonic() + engine.settings.sync_wait_seconds
        for event_id in ids:
            engine.wait_for(event_id, max(0.0, deadline - engine.clock.monotonic()))
        return [c.item_id for c in claims]

    # -- supervisors (the hub only) ----------------------------------------------------------------

    def reassign(self, item_id: int, to_user: str, reason: str, carry_draft: bool = False) -> Claim:
        """Give an item to another navigator (supervisor), with a handover note (``reason``)
        and, with ``carry_draft``, the previous holder's last draft."""
        return self._needs_hub(self.client.reassign, item_id, to_user, reason, carry_draft)

    # -- handovers (issue 15): asked every couple of seconds by the receiver's app -------------

    def handovers(self) -> list[Handover]:
        """Items handed to me that I have not seen yet; none with the hub away (nothing can be
        handed over without it, and the app asks again when it is back)."""
        try:
            return self._ask(self.client.handovers)
        except HubUnreachable:
            return []

    def ack_handover(self, item_id: int) -> None:
        """I saw the handover of this item (needs the hub: with it away the handover stays
        news and is acknowledged when the item is opened again)."""
        self._needs_hub(self.client.ack_handover, item_id)

    def force_release(self, item_id: int, reason: str) -> None:
        """Return a claimed item to the queue whoever holds it (supervisor)."""
        self._needs_hub(self.client.force_release, item_id, reason)

    def cancel(self, item_id: int, reason: str) -> None:
        """Close an item without an outcome (supervisor)."""
        self._needs_hub(self.client.cancel, item_id, reason)

    def set_priority(self, item_id: int, priority: int, reason: str) -> None:
        """Change an item's priority (supervisor)."""
        self._needs_hub(self.client.set_priority, item_id, priority, reason)

    def queue_summary(self) -> QueueSummary:
        """Counts by status, and of the queued items by practice, priority and type."""
        return self._needs_hub(self.client.queue_summary)

    def board(self, items_limit: int = 200) -> Board:
        """Everything the supervisor board shows (supervisors only)."""
        return self._needs_hub(self.client.board, items_limit)

    def holder_draft(self, item_id: int) -> HolderDraft:
        """Whether the hub holds the holder's draft for their claim of an item (supervisors,
        before a reassign offers to send it). Needs the hub: offline, HubUnreachable says so in
        a sentence (what the hub holds cannot be known here)."""
        return self._needs_hub(self.client.holder_draft, item_id)

    # -- reading (the hub, else the cache) ---------------------------------------------------------

    def queue_page(
        self, view: str, filters: QueueFilter, offset: int, limit: int
    ) -> tuple[list[QueueRow], int]:
        """One window of a queue view (queue | mine | done) and the view's total size."""
        self._sync()
        try:
            return self._ask(self.client.queue_page, view, filters, offset, limit)
        except HubUnreachable:
            since = self.start_of_today()
            return self.local.queue_rows(view, self.actor, filters, since, offset, limit)

    def view_counts(self) -> dict[str, int]:
        """Sizes of the queue, mine and done-today views."""
        self._sync()
        try:
            return self._ask(self.client.view_counts)
        except HubUnreachable:
            return self.local.view_counts(self.actor, self.start_of_today())

    def item_state(self, item_id: int) -> ClaimState:
        """(status, owner, epoch) of one item (an item held here: from this workstation's
        records when the hub is away)."""
        try:
            return self._ask(self.client.item_state, item_id)
        except HubUnreachable:
            held = self.local.held_item(item_id)
            if held is None or held.state != "held" or held.claim.owner != self.actor:
                raise
            return ClaimState(Status.CLAIMED, held.claim.owner, held.claim.epoch)

    def consultation(self, item_id: int) -> Consultation:
        """One consultation, typed (an item held here: from this workstation's records when
        the hub is away)."""
        try:
            return self._ask(self.client.consultation, item_id)
        except HubUnreachable:
            held = self.local.held_item(item_id)
            if held is None or held.consultation is None or held.claim.owner != self.actor:
                raise
            return held.consultation

    def why_lost(self, claim: Claim) -> str | None:
        """None while ``claim`` still holds its item; else why not. With the hub away: None
        for a claim this workstation still holds (as far as it knows: the lease estimate
        says how long), else HubUnreachable."""
        try:
            return self._ask(self.client.why_lost, claim)
        except HubUnreachable:
            held = self.local.held_item(claim.item_id)
            if held is None or held.state == "lost" or held.claim.owner != claim.owner:
                raise
            if held.claim.epoch != claim.epoch:
                raise
            return None


def _need_reason(reason: str) -> None:
    # as the hub says it: a return to the queue always says why
    if not (reason or "").strip():
        raise StoreError("a reason is needed to return an item to the queue")
