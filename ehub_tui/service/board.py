"""The supervisor board: everything on it, read in one short transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ehub_tui.domain import event_words
from ehub_tui.domain.board import Board, HolderDraft
from ehub_tui.domain.clock import LONDON
from ehub_tui.service.audit import AuditLog
from ehub_tui.service.context import HubContext
from ehub_tui.service.sop_health import board_words, unloaded_of_bodies
from ehub_tui.store import audit, sop_health
from ehub_tui.store import handover as handover_store
from ehub_tui.store.board import Aggregates, holder_draft, read_aggregates, read_board
from ehub_tui.store.board_events import recent_events
from ehub_tui.store.engine import hub_now, read_tx

BOARD_AGGREGATES_SECONDS = 5.0  # how stale the board's whole-hub counts may be


def _local_hour(dt: datetime) -> int:
    return dt.astimezone(LONDON).hour


class Supervision:
    """What the supervisor board shows (supervisors only)."""

    def __init__(self, ctx: HubContext, audit_log: AuditLog) -> None:
        self._ctx = ctx
        self._audit = audit_log
        # the whole-hub counts and when they were read (the clock's monotonic seconds)
        self._aggregates: tuple[float, Aggregates] | None = None

    def board(self, items_limit: int = 200) -> Board:
        """Everything the supervisor board shows (supervisors only).

        Items, navigators, completions and events are read on every call. The counts over the
        whole hub (queued, breaching, due soon, median wait, waiting per practice, arrivals)
        grow with its size, so they are recomputed at most every BOARD_AGGREGATES_SECONDS.
        ``alerts``: claims nobody has worked for ``stale_claim_minutes`` (domain/handover.py).
        """
        ctx = self._ctx
        ctx.require("see_board")
        since = ctx.start_of_today()
        now = ctx.now()
        # one snapshot: the figures are several statements (breaching is open items minus those
        # not yet due), which at READ COMMITTED could straddle another writer's commit
        with read_tx(ctx.engine, snapshot=True) as conn:
            cached = self._aggregates
            read_at = ctx.clock.monotonic()
            if cached is None or read_at - cached[0] > BOARD_AGGREGATES_SECONDS:
                cached = (read_at, read_aggregates(conn, now, since, _local_hour))
                self._aggregates = cached
            b = read_board(conn, now, since, _local_hour, items_limit, aggregates=cached[1])
            b.cursor = int(conn.execute(select(audit.HEAD.c.seq)).scalar_one())
            b.hub_now = hub_now(conn)
            # stale claims by the hub service's clock (it stamped claimed_at and active_at),
            # never a workstation's
            minutes = ctx.settings.stale_claim_minutes
            b.stale_minutes = minutes
            b.alerts = handover_store.stale_claims(conn, now, timedelta(minutes=minutes))
            # access entries (searches, sign-ins) stay in the audit, not on the board; read in
            # the same snapshot, each body parsed once (store/board_events.py)
            b.events = recent_events(conn, 30, event_words.ACCESS_ACTIONS)
            # SOPs that cannot be used (trial 15d): an indexed read of the few announcements
            b.sop_alerts = [board_words(u) for u in unloaded_of_bodies(sop_health.standing(conn))]
        return b

    def holder_draft(self, item_id: int) -> HolderDraft:
        """Whether the hub holds the item's holder's draft for their current claim, and when it
        last reached the hub (supervisors only): a reassign offers to send it only then."""
        ctx = self._ctx
        ctx.require("see_board")
        with read_tx(ctx.engine) as conn:
            return holder_draft(conn, item_id, ctx.now())
