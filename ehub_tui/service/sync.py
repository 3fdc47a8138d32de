"""Sync, the hub's side: a workstation's outbox pushed, what changed pulled, refused events
listed and resolved (domain/sync.py says what crosses; store/sync.py holds the SQL).

Push: one write transaction for the whole batch, each event answered in order (accepted, a
resend's stored answer, or refused and kept), so one bad event never blocks those behind it. If
the batch's transaction itself fails for an unexpected reason, the events are tried again one
transaction each, and one that still fails is refused ``hub_error`` (logged by event id: no
patient data). A hub that cannot be reached at all (StoreError) fails the push as a whole: the
workstation sends the same events again later, and the ledger answers what was done.

Pull: the cursor is the audit chain's head, read in the same snapshot as the rows it describes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ehub_tui.domain.sync import (
    MAX_PUSH_BATCH,
    REJECT_HUB_ERROR,
    EventResult,
    PullResult,
    PushResult,
    RejectedEvent,
    SyncEvent,
)
from ehub_tui.errors import AlreadyResolved, RecordRejected, StoreError
from ehub_tui.service.context import HubContext, need_reason
from ehub_tui.store import sops
from ehub_tui.store import sync as store
from ehub_tui.store.engine import read_tx, write_tx

log = logging.getLogger(__name__)

MAX_RESULTS = 1000  # event ids one sync_results call may ask about
HUB_ERROR = (
    "the hub could not apply this event (an error on the hub, logged there): a supervisor can "
    "see it with its full contents"
)


class Sync:
    """The hub's side of sync for the session's user."""

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx

    def _pusher(self) -> store.Pusher:
        ctx = self._ctx
        user = ctx.session.user
        return store.Pusher(
            username=ctx.actor,
            role=user.role if user is not None else "system",
            may_work=ctx.session.may("work_items"),
            accept_late=bool(ctx.settings.sync_accept_late_completion),
            device=ctx.session.device,
        )

    # -- push ----------------------------------------------------------------------------------

    def push(self, events: Sequence[SyncEvent]) -> PushResult:
        """Apply ``events`` in order (see the module docstring); one result per event."""
        if len(events) > MAX_PUSH_BATCH:
            raise RecordRejected(
                f"a push holds at most {MAX_PUSH_BATCH} events (this one held {len(events)}): "
                "send them in smaller batches"
            )
        ctx = self._ctx
        who = self._pusher()
        try:
            with write_tx(ctx.engine) as conn:
                results = [store.apply_event(conn, ev, who, ctx.now()) for ev in events]
        except StoreError:
            raise  # the hub cannot be reached or is locked: nothing was done, send again later
        except Exception as exc:
            log.warning(
                "sync push of %d events failed as one transaction (%s): applying them one by one",
                len(events),
                type(exc).__name__,
            )
            results = [self._one(ev, who) for ev in events]
        applied = sum(r.state == "accepted" for r in results)
        refused = sum(r.state == "rejected" for r in results)
        if applied or refused:
            log.info(
                "%s pushed %d events: %d applied, %d refused",
                who.username,
                len(events),
                applied,
                refused,
            )
        return PushResult(results=results, hub_time=ctx.now())

    def _one(self, ev: SyncEvent, who: store.Pusher) -> EventResult:
        """One event in a transaction of its own; refused ``hub_error`` if it still fails."""
        ctx = self._ctx
        try:
            with write_tx(ctx.engine) as conn:
                return store.apply_event(conn, ev, who, ctx.now())
        except StoreError:
            raise
        except Exception as exc:
            # the id, the kind and the class only: the payload may hold patient details
            log.error(
                "sync event %s (%s) could not be applied: %s",
                ev.event_id,
                ev.kind,
                type(exc).__name__,
            )
        with write_tx(ctx.engine) as conn:
            seen = store.ledger_row(conn, ev.event_id)
            if seen is not None and seen.username == who.username:
                return store.result_of(seen, resend=True)
            if ev.username != who.username or seen is not None:
                return store.refuse_unstored(conn, ev, who, ctx.now(), store.wrong_user(ev, who))
            return store.reject(conn, ev, who, ctx.now(), REJECT_HUB_ERROR, HUB_ERROR)

    # -- pull ----------------------------------------------------------------------------------

    def pull(self, cursor: int) -> PullResult:
        """What changed since ``cursor`` for this user, read in one snapshot: ``not_modified``
        when the cursor is the head; the whole open queue (``reset``) when the cursor is 0, from
        another history (ahead of the head) or more than RESET_AFTER changes behind; else the
        open items that changed and the ids of those no longer open. With either: the items
        this user holds (with their consultation and draft), their unresolved refused events
        and the SOP stamp."""
        ctx = self._ctx
        me = ctx.actor
        with read_tx(ctx.engine, snapshot=True) as conn:
            head = store.head(conn)
            if cursor == head and cursor > 0:
                return PullResult(cursor=head, not_modified=True, hub_time=ctx.now())
            reset = cursor <= 0 or cursor > head or head - cursor > store.RESET_AFTER
            gone: list[int]
            if not ctx.session.may("see_patients"):
                # a SOP author's or a manager's workstation keeps no patient queue: every pull
                # says "the open queue is empty" (a cache from before a role change is cleared)
                rows, gone, reset = [], [], True
            elif reset:
                rows = store.open_rows(conn)
                gone = []
            else:
                changed = store.changed_items(conn, cursor, head)
                rows = store.open_rows(conn, changed)
                gone = sorted(changed - {r.id for r in rows})
            held = store.held_items(conn, me)
            refused = store.rejected(conn, me)
            stamp = sops.stamp(conn)
        return PullResult(
            cursor=head,
            reset=reset,
            rows=rows,
            gone=gone,
            held=held,
            rejected=refused,
            sop_stamp=stamp,
            hub_time=ctx.now(),
        )

    # -- results and refused events --------------------------------------------------------------

    def results(self, event_ids: Sequence[str]) -> list[EventResult]:
        """The stored answer of each of this user's events the hub has (others left out)."""
        if len(event_ids) > MAX_RESULTS:
            raise RecordRejected(f"ask about at most {MAX_RESULTS} events at a time")
        with read_tx(self._ctx.engine) as conn:
            return store.results(conn, self._ctx.actor, event_ids)

    def rejected(self, include_resolved: bool = False) -> list[RejectedEvent]:
        """Refused events, oldest first: a supervisor (``see_board``) sees everyone's, anyone
        else their own."""
        ctx = self._ctx
        whose = None if ctx.session.may("see_board") else ctx.actor
        with read_tx(ctx.engine) as conn:
            return store.rejected(conn, whose, include_resolved)

    def resolve(self, event_id: str, resolution: str, apply: bool = False) -> RejectedEvent:
        """Mark a refused event resolved with what was done about it (supervisor; audited; the
        event is kept). AlreadyResolved when it was resolved before.

        ``apply``: a refused completion's kept outcome is also applied, in the same
        transaction: the item is completed as its navigator's outcome, marked late, the audit
        event naming this supervisor and the refused event. Only while the item is queued and
        unclaimed: NotAvailable otherwise (RecordRejected for an event that is not a
        completion), and then nothing is written and the event stays unresolved."""
        ctx = self._ctx
        ctx.require("see_board")
        need_reason(resolution, "resolve a refused event")
        with write_tx(ctx.engine) as conn:
            done = store.resolve(
                conn, event_id, ctx.actor, resolution.strip(), ctx.now(), apply=apply
            )
            if done is None:
                was = store.rejected_one(conn, event_id)
        if done is None:
            by = f" by {was.resolved_by}" if was is not None and was.resolved_by else ""
            raise AlreadyResolved(f"refused event {event_id} was resolved already{by}")
        applied = " and applied its outcome" if apply else ""
        log.info("%s resolved refused event %s%s", ctx.actor, event_id, applied)
        return done
