"""Retention, as HubService offers it (issue 16): blank the patient-identifiable fields of closed
items older than ``retention_days`` whose returns have been exported, and the copy of the record
kept by quarantine entries resolved more than ``retention_days`` ago (store/retention.py). Admins
only (and the system principal: the hub machine's timer), enforced here on the hub.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from ehub_tui.domain.retention import RetentionResult
from ehub_tui.domain.types import Role
from ehub_tui.errors import PermissionDenied
from ehub_tui.service.context import HubContext
from ehub_tui.store import retention as store
from ehub_tui.store.engine import read_tx, write_tx

log = logging.getLogger(__name__)

PURGE_RETENTION = "purge_retention"
PURGERS = frozenset({Role.ADMIN})


def _require_admin(ctx: HubContext) -> None:
    """Refuse (audited, naming the permission) unless an admin or the system principal."""
    user = ctx.session.user
    if user is None or user.role in PURGERS:
        return
    ctx.session.deny(PURGE_RETENTION)
    raise PermissionDenied(
        f"{user.username} ({user.role}) may not purge patient details under retention: only an "
        "admin may"
    )


class RetentionMethods:
    """The retention purge, as HubService offers it."""

    _ctx: HubContext

    def retention_purge(self, dry_run: bool = False) -> RetentionResult:
        """Purge (or, ``dry_run``, count) the closed items past ``retention_days`` whose returns
        are exported, and blank the record kept by quarantine entries resolved before then; one
        audited transaction, at most ``store.BATCH`` items (and entries) a run."""
        ctx = self._ctx
        _require_admin(ctx)
        days = int(ctx.settings.retention_days)
        now = ctx.now()
        before = now - timedelta(days=days)
        purged = 0
        if dry_run:
            with read_tx(ctx.engine, snapshot=True) as conn:
                plan = store.plan(conn, before)
        else:
            with write_tx(ctx.engine) as conn:
                plan = store.plan(conn, before)
                purged = store.purge(conn, plan.ready, ctx.actor, now, days, plan.quarantine)
            if purged or plan.quarantine:
                store.after_purge(ctx.engine)
            # counts only: never who
            log.info(
                "retention purge: %d items purged, %d waiting, %d quarantine copies blanked",
                purged,
                plan.waiting_for_export,
                len(plan.quarantine),
            )
        return RetentionResult(
            retention_days=days,
            before=before,
            dry_run=dry_run,
            purged=purged,
            ready=len(plan.ready),
            waiting_for_export=plan.waiting_for_export,
            more=plan.more,
            quarantine=len(plan.quarantine),
        )
