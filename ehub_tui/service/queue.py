"""The queue: claiming, keeping, releasing and completing items; a supervisor's actions on them;
and the navigator's views of it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ehub_tui.domain import destinations
from ehub_tui.domain.models import Consultation as ConsultationModel
from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import (
    VIEWS,
    Claim,
    ClaimState,
    QueueFilter,
    QueueRow,
    QueueSummary,
    describe_loss,
)
from ehub_tui.domain.types import Status
from ehub_tui.errors import LostClaim, NotFound, StoreError
from ehub_tui.service.context import HubContext, aware, need_reason
from ehub_tui.service.session import PERMISSIONS, U
from ehub_tui.service.users import Users
from ehub_tui.store import audit, awaiting, counters, queue, views
from ehub_tui.store import handover as handover_store
from ehub_tui.store.engine import hub_now, is_sqlite, read_tx, write_tx
from ehub_tui.store.models import Consultation, Quarantine

C = Consultation.__table__  # type: ignore[attr-defined]
Q = Quarantine.__table__  # type: ignore[attr-defined]

# how often every long-running process (a claiming client, the app, the inbox watcher) returns
# expired leases to the queue (claiming by id also rescues the item asked for, and an empty
# queue is rescued from at once)
RESCUE_EVERY = timedelta(seconds=30)
RELEASE_ON_QUIT = "returned to the queue when the app was closed"
log = logging.getLogger(__name__)


class Queue:
    """Work on the queue for the session's user (or, for housekeeping, the system)."""

    def __init__(self, ctx: HubContext, users: Users) -> None:
        self._ctx = ctx
        self._users = users
        # when this process next returns expired leases, by the clock's monotonic reading (no
        # wall clock decides this); None: at the next chance
        self.next_rescue: float | None = None

    # -- claiming --------------------------------------------------------------------------------

    def claim_next(self) -> Claim | None:
        """Claim the best queued item for the signed-in user; None when the queue is empty.

        Expired leases (by the hub's clock) are returned to the queue every RESCUE_EVERY, and
        at once when the queue looks empty."""
        ctx = self._ctx
        ctx.require("work_items")
        self.rescue_if_due()
        with write_tx(ctx.engine) as conn:
            got = queue.claim_next(conn, ctx.actor, ctx.lease, ctx.now(), RELEASE_ON_QUIT)
        if got is None and self.rescue_expired():
            with write_tx(ctx.engine) as conn:
                got = queue.claim_next(conn, ctx.actor, ctx.lease, ctx.now(), RELEASE_ON_QUIT)
        if got is not None:
            log.info("%s claimed item %s (epoch %s)", ctx.actor, got.item_id, got.epoch)
        return got

    def claim(self, item_id: int) -> Claim:
        """Claim a given queued item (or one whose holder's lease ran out, by the hub's clock)."""
        ctx = self._ctx
        ctx.require("work_items")
        self.rescue_if_due()
        with write_tx(ctx.engine) as conn:
            got = queue.claim_item(conn, item_id, ctx.actor, ctx.lease, ctx.now())
        log.info("%s claimed item %s (epoch %s)", ctx.actor, got.item_id, got.epoch)
        return got

    def heartbeat(self, claim: Claim) -> Claim:
        """Renew the lease of an open item; raises LostClaim when it is no longer ours."""
        ctx = self._ctx
        now = ctx.now()
        with write_tx(ctx.engine) as conn:
            lease = queue.heartbeat(conn, claim.item_id, ctx.actor, claim.epoch, ctx.lease, now)
            # the open screen's heartbeat is the item's activity (the board's stale alert)
            handover_store.touch(conn, claim.item_id, ctx.actor, claim.epoch, now)
            if ctx.session.user is not None:
                conn.execute(update(U).where(U.c.username == ctx.actor).values(last_seen_at=now))
        return Claim(claim.item_id, claim.epoch, lease, claim.owner)

    def heartbeat_held(self) -> list[Claim]:
        """Renew the lease of every item the signed-in user holds (the app calls this while it
        is open, so items left in Mine are kept as well as the one on screen)."""
        ctx = self._ctx
        if ctx.session.user is None or not ctx.session.may("work_items"):
            return []
        with write_tx(ctx.engine) as conn:
            renewed = queue.heartbeat_held(conn, ctx.actor, ctx.lease)
            conn.execute(update(U).where(U.c.username == ctx.actor).values(last_seen_at=ctx.now()))
        return renewed

    def held_claims(self) -> list[Claim]:
        """Every item the signed-in user holds now (asked when the app closes)."""
        if self._ctx.session.user is None:
            return []
        with read_tx(self._ctx.engine) as conn:
            return queue.held(conn, self._ctx.actor)

    def release_held(self, reason: str = RELEASE_ON_QUIT) -> list[int]:
        """Return every item the signed-in user holds to the queue (an audited release each,
        with ``reason``); returns their ids. One taken meanwhile by someone else is skipped."""
        done = []
        for claim in self.held_claims():
            try:
                self.release(claim, reason)
            except LostClaim:
                continue
            done.append(claim.item_id)
        return done

    def release(self, claim: Claim, reason: str) -> None:
        """Return an item we hold to the queue, with a reason."""
        need_reason(reason, "return an item to the queue")
        ctx = self._ctx
        with write_tx(ctx.engine) as conn:
            queue.release(conn, claim.item_id, ctx.actor, claim.epoch, reason, ctx.now())
        log.info("%s returned item %s to the queue", ctx.actor, claim.item_id)

    def complete(self, claim: Claim, outcome: Outcome) -> int:
        """Record the outcome of an item we hold; raises LostClaim if it is no longer ours."""
        ctx = self._ctx
        ctx.require("work_items")
        _check_destination(outcome)
        try:
            with write_tx(ctx.engine) as conn:
                done = queue.complete(
                    conn, claim.item_id, ctx.actor, claim.epoch, outcome.record(), ctx.now()
                )
        except LostClaim as exc:
            log.warning("%s could not complete item %s: no longer held", ctx.actor, claim.item_id)
            # the refused submit is itself on the record (who tried, on which epoch)
            body = {"epoch": claim.epoch, "held_by": exc.owner, "status": exc.status}
            ctx.record(audit.Event(ctx.actor, "complete_refused", claim.item_id, body))
            raise
        # ids and the category only: an outcome's note and message are free text
        log.info("%s completed item %s (%s)", ctx.actor, claim.item_id, outcome.category)
        return done

    # -- expired leases --------------------------------------------------------------------------

    def rescue_if_due(self) -> list[int]:
        """Return expired leases to the queue if RESCUE_EVERY has passed since this process
        last did (by the monotonic clock). Every long-running process calls this periodically:
        the app on a timer, ``ingest --watch`` between scans."""
        due = self._ctx.clock.monotonic()
        if self.next_rescue is not None and due < self.next_rescue:
            return []
        self.next_rescue = due + RESCUE_EVERY.total_seconds()
        return self.rescue_expired()

    def rescue_expired(self) -> list[int]:
        """Return items whose lease ran out, by the hub's clock, to the queue (any client may
        run this: it is a compare-and-set, audited as the system)."""
        with write_tx(self._ctx.engine) as conn:
            rescued = queue.rescue_expired(conn, self._ctx.now())
            # issue 15: parked items whose return time has come (by the hub's clock) come back
            # on the same rounds (the hub's timer, an embedded hub's calls, an empty queue)
            rescued += awaiting.return_due(conn, self._ctx.now())
        # issue 18: on the same rounds, PostgreSQL's pending counter changes are folded into
        # the counters (a transaction of its own, so it holds no counter row for long)
        if not is_sqlite(self._ctx.engine):
            with write_tx(self._ctx.engine) as conn:
                counters.fold(conn)
        return rescued

    def hub_now(self) -> datetime:
        """The hub's time now (the clock leases are judged by), for display and checks."""
        with read_tx(self._ctx.engine) as conn:
            return hub_now(conn)

    # -- a supervisor's actions ------------------------------------------------------------------

    def reassign(self, item_id: int, to_user: str, reason: str, carry_draft: bool = False) -> Claim:
        """Give an item to another navigator (supervisor), with a handover note (``reason``)
        and, with ``carry_draft``, the previous holder's last draft (store/handover.py)."""
        ctx = self._ctx
        ctx.require("reassign")
        need_reason(reason, "reassign an item")
        target = self._users.get(to_user)
        if target is None or not target.active:
            raise StoreError(f"{to_user!r} is not an active hub user")
        if target.role not in PERMISSIONS["work_items"]:
            raise StoreError(f"{to_user} is a {target.role} and cannot work items")
        with write_tx(ctx.engine) as conn:
            got = queue.reassign(
                conn, item_id, to_user, ctx.actor, reason, ctx.lease, ctx.now(), carry_draft
            )
        log.info("%s reassigned item %s to %s", ctx.actor, item_id, to_user)
        return got

    def force_release(self, item_id: int, reason: str) -> None:
        """Return a claimed item to the queue whoever holds it (supervisor)."""
        ctx = self._ctx
        ctx.require("force_release")
        need_reason(reason, "release someone's item")
        with write_tx(ctx.engine) as conn:
            queue.force_release(conn, item_id, ctx.actor, reason, ctx.now())
        log.info("%s returned item %s to the queue (force release)", ctx.actor, item_id)

    def cancel(self, item_id: int, reason: str) -> None:
        """Close an item without an outcome, e.g. a duplicate (supervisor)."""
        ctx = self._ctx
        ctx.require("cancel")
        need_reason(reason, "cancel an item")
        with write_tx(ctx.engine) as conn:
            queue.cancel(conn, item_id, ctx.actor, reason, ctx.now())
        log.info("%s cancelled item %s", ctx.actor, item_id)

    def set_priority(self, item_id: int, priority: int, reason: str) -> None:
        """Change an item's priority (supervisor)."""
        ctx = self._ctx
        ctx.require("set_priority")
        need_reason(reason, "change a priority")
        if priority not in (0, 1, 2):
            raise StoreError("priority must be 0 (normal), 1 (urgent) or 2 (emergency)")
        with write_tx(ctx.engine) as conn:
            queue.set_priority(conn, item_id, priority, ctx.actor, reason, ctx.now(), ctx.due_by)

    # -- reads -----------------------------------------------------------------------------------

    def page(
        self, view: str, filters: QueueFilter, offset: int, limit: int
    ) -> tuple[list[QueueRow], int]:
        """One window of a queue view (queue | mine | done) and the view's total size."""
        if view not in VIEWS:
            raise StoreError(f"unknown view {view!r}")
        ctx = self._ctx
        ctx.require("see_patients")  # initials, ages and request text: refused, audited
        # the search and view filters, and the audit of identifier searches: service/views.py
        from ehub_tui.service import views as view_pages

        return view_pages.page(ctx, view, filters, offset, limit)

    def view_counts(self) -> dict[str, int]:
        """Sizes of the queue, mine and done-today views (for the tab labels), and for the
        Queue tab: ``in_hand``, the items others hold (listed after what waits) and
        ``emergencies``, the emergencies waiting (priority 2: the prescreen raises an item
        with an emergency red flag to it)."""
        ctx = self._ctx
        since = ctx.start_of_today()
        empty = QueueFilter()
        with read_tx(ctx.engine) as conn:
            out = {v: views.count_rows(conn, v, ctx.actor, empty, since) for v in VIEWS}
            out["in_hand"] = views.count_rows(conn, "held", ctx.actor, empty, since)
            urgent = QueueFilter(min_priority=2)
            out["emergencies"] = views.count_rows(conn, "queue", ctx.actor, urgent, since)
        return out

    def item_state(self, item_id: int) -> ClaimState:
        """(status, owner, epoch) of one item: a cheap check for an open screen."""
        with read_tx(self._ctx.engine) as conn:
            row = conn.execute(
                select(C.c.status, C.c.owner, C.c.epoch).where(C.c.id == item_id)
            ).first()
        if row is None:
            raise NotFound(f"consultation {item_id} does not exist")
        return ClaimState(row.status, row.owner, int(row.epoch))

    def why_lost(self, claim: Claim) -> str | None:
        """None while ``claim`` still holds its item; else why not, in plain English, with the
        reason a supervisor gave when there is one (for an open triage screen)."""
        state = self.item_state(claim.item_id)
        if state == (Status.CLAIMED, claim.owner, claim.epoch):
            return None
        message = describe_loss(claim.item_id, state.status, state.owner)
        E = audit.EVENT
        with read_tx(self._ctx.engine) as conn:
            body = conn.execute(
                select(E.c.body)
                .where(E.c.consultation_id == claim.item_id)
                .order_by(E.c.seq.desc())
                .limit(1)
            ).scalar()
            moved = conn.execute(
                select(E.c.body)
                .where(E.c.consultation_id == claim.item_id, E.c.action == "reassign")
                .order_by(E.c.seq.desc())
                .limit(1)
            ).scalar()
        reason = (body or {}).get("reason")
        out = f"{message} Reason given: {reason}." if reason else message
        moved = moved or {}
        if state.owner != claim.owner and moved.get("from") == claim.owner:
            # the supervisor's choice, which only the hub knows: the screen shows these words
            # instead of its own guess (ui/screens/triage_words.HUB_DRAFT_WORDS)
            if moved.get("draft_carried"):
                out += f" Your draft went with it to {moved.get('to')}."
            else:
                out += " Your draft did not go with it."
        return out

    def consultation(self, item_id: int) -> ConsultationModel:
        """One consultation, typed."""
        self._ctx.require("see_patients")
        with read_tx(self._ctx.engine) as conn:
            row = conn.execute(select(C).where(C.c.id == item_id)).first()
            if row is None:
                raise NotFound(f"consultation {item_id} does not exist")
            # a patient's reply is read with the request (triage's red flags see it too)
            (item,) = awaiting.with_replies(conn, [ConsultationModel.from_row(row)])
        return item

    def summary(self) -> QueueSummary:
        """Counts by status, and of the queued items by practice, priority and type: read from
        the counters the database keeps (store/counters.py), not by reading the rows."""
        s = QueueSummary()
        with read_tx(self._ctx.engine) as conn:
            got = counters.queue_counts(conn)
            s.quarantined_open = conn.execute(
                select(func.count()).select_from(Q).where(Q.c.status == "open")
            ).scalar_one()
        s.by_status = got.by_status()
        s.queued_by_practice = got.queued_by_practice()
        s.queued_by_priority = got.queued_by_priority()
        s.queued_by_type = got.queued_by_type()
        s.oldest_queued = aware(got.oldest_queued)
        for st in Status:
            s.by_status.setdefault(st.value, 0)
        return s


def _check_destination(outcome: Outcome) -> None:
    """Refuse an outcome whose destination code is not of the vocabulary (the model checks its
    shape; the vocabulary is the hub's, so the hub checks it)."""
    code = outcome.destination_code
    if code is not None and not destinations.is_code(code):
        raise StoreError(
            f"an outcome's destination_code must be one of the vocabulary (got {code!r})"
        )
