"""ClientService's local store and sender: drafts, first views, the sync status, refused events,
the lease estimate, and the CLI's drain and verify.

The local store is opened the first time it is needed (``<data_dir>/workstation/<hub key>
.sqlite3``; old rows purged then, after ``sync_keep_days``), and the sender thread is started
the first time the queue or the outbox is used, so a one-off CLI command that only reads users
or exports starts neither.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ehub_tui.client.local import LocalStore, NewEvent, path_for
from ehub_tui.client.local.outbox import is_refusal
from ehub_tui.client.protocol import HubClient
from ehub_tui.client.sync import SyncEngine
from ehub_tui.client.verify import VerifyReport, verify
from ehub_tui.config import Settings
from ehub_tui.domain.clock import SystemClock
from ehub_tui.domain.queue import Claim
from ehub_tui.domain.sync import OFFLINE_ACTION, Completion, RejectedEvent, SyncStatus
from ehub_tui.errors import HubUnreachable, NotSignedIn

P = ParamSpec("P")
T = TypeVar("T")


def hub_of(settings: Settings) -> str:
    """The hub a workstation's local file is for: its server's URL, or the embedded database."""
    return settings.hub_server_url or settings.database_url


class ClientSyncMethods:
    """The local store and the sender, as ClientService offers them."""

    client: HubClient
    settings: Settings
    on_sync_changed: Callable[[SyncStatus], None] | None
    _local_clock: SystemClock
    _local_store: LocalStore | None
    _engine: SyncEngine | None
    _sync_lock: threading.Lock
    _offline_password: tuple[str, str] | None

    if TYPE_CHECKING:  # provided by ClientService and its watch

        @property
        def actor(self) -> str: ...
        def hub_now(self) -> datetime: ...
        def _call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...
        def _ask(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...
        def _hub_away(self) -> bool: ...

    # -- the store and the sender ------------------------------------------------------------------

    @property
    def local(self) -> LocalStore:
        """This workstation's local store for this hub (opened, and purged, on first use)."""
        store = self._local_store
        if store is not None:
            return store
        with self._sync_lock:
            if self._local_store is None:
                from ehub_tui.client.device import device_id

                path = path_for(self.settings.data_dir, hub_of(self.settings))
                opened = LocalStore(path, device_id=device_id(self.settings.data_dir))
                opened.purge(self.settings.sync_keep_days, self._local_now())
                self._local_store = opened
            return self._local_store

    def use_local_store(self, store: LocalStore) -> None:
        """Keep this workstation's records in ``store`` (tests, tools); before first use."""
        self._local_store = store

    def _sync(self) -> SyncEngine:
        """The sender, started on first use."""
        engine = self._engine
        if engine is not None:
            return engine
        store = self.local
        with self._sync_lock:
            if self._engine is None:
                self._engine = SyncEngine(
                    self.client,
                    store,
                    self.settings,
                    self._local_clock,
                    user=lambda: self.actor,
                    # its rounds always try the hub (they notice it is back); the app's
                    # calls go through _ask, which does not while the hub is known away
                    call=self._call,
                    on_change=self._sync_changed,
                )
                self._engine.start()
            return self._engine

    def _stop_sync(self) -> None:
        engine, store = self._engine, self._local_store
        if engine is not None:
            engine.stop(timeout=2.0)
        if store is not None:
            store.close()

    def _sync_changed(self, status: SyncStatus) -> None:
        hook = self.on_sync_changed
        if hook is not None:
            hook(status)

    def _offline(self) -> bool:
        """Signed in offline, or the sender's last round found the hub away."""
        engine = self._engine
        return self._offline_password is not None or (
            engine is not None and not engine.status().online
        )

    def _estimated_hub_now(self) -> datetime:
        """This workstation's clock plus the last offset measured (none: its own clock)."""
        engine = self._engine
        offset = engine.clock_estimate()[0] if engine is not None else None
        return self._local_now() + timedelta(seconds=offset or 0.0)

    def _local_now(self) -> datetime:
        """This workstation's wall clock (what events record as ``client_at``)."""
        return self._local_clock.now()

    def _me_or_refuse(self) -> str:
        user = self.actor
        if not user:
            raise NotSignedIn("not signed in: sign in first")
        return user

    def _event(
        self, kind: str, item_id: int, epoch: int, payload: dict[str, Any], at: datetime | None
    ) -> NewEvent:
        """An outbox row of the signed-in user, with the sender's clock estimate."""
        offset, rtt = self._sync().clock_estimate()
        if offset is None:  # no reply timed yet: the client's idea of the hub's time
            offset = (self.hub_now() - self._local_now()).total_seconds()
        return NewEvent(
            self._me_or_refuse(),
            kind,
            item_id,
            epoch,
            at or self._local_now(),
            payload,
            offset_seconds=offset,
            rtt_seconds=rtt,
        )

    def _kick(self) -> SyncEngine:
        """Have the sender send now — unless the hub is known away: then its next probe, on
        its backoff, sends (a kick would knock on a hung hub at once, every time)."""
        engine = self._sync()
        if engine.status().online:
            engine.kick()
        else:
            engine.recount()
        return engine

    def _await(self, event_id: str) -> Completion:
        """Kick the sender and wait up to ``sync_wait_seconds`` for the hub's answer; with the
        hub known away, pending at once (saved here; the sender sends it when it is back)."""
        engine = self._sync()
        if not engine.status().online:
            engine.recount()
            return Completion(event_id=event_id, state="pending")
        engine.kick()
        result = engine.wait_for(event_id, self.settings.sync_wait_seconds)
        if result is None:
            return Completion(event_id=event_id, state="pending")
        if is_refusal(result):
            return Completion(
                event_id=event_id, state="rejected", code=result.code, reason=result.reason
            )
        return Completion(event_id=event_id, state="accepted", outcome_id=result.outcome_id)

    # -- drafts and first views --------------------------------------------------------------------

    def save_draft(
        self, item_id: int, epoch: int, draft: dict[str, Any], *, send: bool = False
    ) -> None:
        """Keep what the navigator has typed for an item (as they type; the app debounces);
        ``send``: also send it to the hub (on leaving the item), for supervisors to see."""
        user = self._me_or_refuse()
        event = None
        if send:
            event = self._event("draft", item_id, epoch, {"draft": draft}, None)
        self.local.save_draft(user, item_id, epoch, draft, self._local_now(), send=event)
        if event is not None:
            self._kick()

    def drafts(self) -> dict[int, dict[str, Any]]:
        """This user's saved drafts by item id (the app restores them at sign-in)."""
        return self.local.drafts(self._me_or_refuse())

    def mark_viewed(self, claim: Claim, at: datetime) -> None:
        """Note the first time the navigator opened a claimed item (once per claim)."""
        event = self._event("viewed", claim.item_id, claim.epoch, {}, at)
        if self.local.record_viewed(event, self._local_now()) is not None:
            self._kick()

    # -- the status line, refused events, the lease -----------------------------------------------

    def sync_status(self) -> SyncStatus:
        """The sync state for the status line (no I/O: the sender keeps it)."""
        engine = self._engine
        if engine is None:
            return SyncStatus(
                online=True,
                pending=0,
                rejected=0,
                last_synced=None,
                offset_seconds=None,
                rtt_seconds=None,
                cursor=0,
            )
        return engine.status()

    def rejected_here(self) -> list[RejectedEvent]:
        """This workstation's events of this user that the hub refused (not yet resolved),
        each with its reason and what it carried (a refused outcome, whole)."""
        return self.local.rejected_here(self._me_or_refuse())

    def sync_rejected(self, include_resolved: bool = False) -> list[RejectedEvent]:
        """Refused events on the hub: a navigator's own, everyone's for a supervisor."""
        return self._needs_hub(self.client.sync_rejected, include_resolved)

    def resolve_rejected(
        self, event_id: str, resolution: str, apply: bool = False
    ) -> RejectedEvent:
        """Mark a refused event resolved with what was done about it (supervisor; audited);
        ``apply``: complete the item with a refused completion's kept outcome, when it is
        queued and nobody holds it (NotAvailable otherwise, the event left unresolved)."""
        done = self._needs_hub(self.client.resolve_rejected, event_id, resolution, apply)
        if self._engine is not None:
            self._engine.kick()  # the next pull notes it here
        return done

    def lease_left(self, claim: Claim) -> float:
        """Seconds left on the hub's lease of a held item by the hub's clock as estimated here
        (it keeps counting on the monotonic clock with the hub away); 0 when run out."""
        lease = claim.lease_until
        held = self._local_store.held_item(claim.item_id) if self._local_store else None
        if held is not None and held.claim.epoch == claim.epoch and held.claim.lease_until:
            lease = max(lease, held.claim.lease_until)
        return max(0.0, (lease - self.hub_now()).total_seconds())

    # -- for the CLI -------------------------------------------------------------------------------

    def sync_drain(self, timeout: float = 30.0) -> SyncStatus:
        """Send everything pending now (up to ``timeout`` seconds); the status afterwards."""
        return self._sync().drain(timeout)

    def sync_verify(self) -> VerifyReport:
        """Compare this workstation's answered events with the hub's records (the signed-in
        user's; other users' are counted as not checked)."""
        me = self._me_or_refuse()

        def results_for(username: str, ids: Sequence[str]) -> Any:
            if username != me:
                return None
            return self._ask(self.client.sync_results, list(ids))

        return verify(self.local, results_for)

    def _needs_hub(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """A call only the hub can answer: with the hub away, say so plainly."""
        try:
            return self._ask(fn, *args, **kwargs)
        except HubUnreachable:
            raise HubUnreachable(OFFLINE_ACTION) from None
