"""Handovers on the hub: the receiver asks what was handed to them (unseen) and says they saw it.

``HandoverMethods`` is a base of HubService (service/hub.py): the reassign that makes a handover
is the queue's (service/queue.py → store/queue_admin.py); this part answers the receiver's app,
which asks every couple of seconds, so ``handovers`` is one indexed read and writes nothing.
"""

from __future__ import annotations

import logging

from ehub_tui.domain.handover import Handover
from ehub_tui.service.context import HubContext
from ehub_tui.store import audit
from ehub_tui.store import handover as store
from ehub_tui.store.engine import read_tx, write_tx

log = logging.getLogger(__name__)


class HandoverMethods:
    """What a receiver of a reassigned item asks the hub (HubService's base)."""

    _ctx: HubContext

    def handovers(self) -> list[Handover]:
        """Items handed to the signed-in user by a supervisor that they have not seen yet (each
        with the handover note, and the previous holder's draft when it was sent along); empty
        for anyone who does not work items."""
        ctx = self._ctx
        if ctx.session.user is None or not ctx.session.may("work_items"):
            return []
        with read_tx(ctx.engine) as conn:
            return store.unseen(conn, ctx.actor)

    def ack_handover(self, item_id: int) -> None:
        """The receiver saw the handover of an item (opened it): it is no longer news. Audited
        (``handover_seen``) when there was one; nothing happens otherwise."""
        ctx = self._ctx
        ctx.require("work_items")
        now = ctx.now()
        with write_tx(ctx.engine) as conn:
            ids = store.mark_seen(conn, item_id, ctx.actor, now)
            if ids:
                rows = (("handover", "item_id", [item_id]),)
                event = audit.Event(ctx.actor, "handover_seen", item_id, {"handovers": ids}, rows)
                audit.append(conn, [event], now)
        if ids:
            log.info("%s saw the handover of item %s", ctx.actor, item_id)
