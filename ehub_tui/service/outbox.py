"""The FHIR outbox's read of completed outcomes (issue 16, part 2): who may read them, and the
audit of the read (the part ``parts.outbox``; HubService's ``OutboxMethods`` are in
service/outbox_methods.py).

Reading outcomes with the patients' identifiers, to send as correspondence to their practices, is
a read of patient data: only an admin or the service account (``write_outbox``) may, a refusal
is audited (``denied``), and each page read that found anyone is one ``outbox_read`` event, as a
search by an identifier is (service/views.py): who read, from which day, how many, and the item
ids (never an NHS number or a name, which the audit chain must not carry). A page that found
nobody revealed nobody: no event, so a timer with nothing new to send writes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from ehub_tui.domain.clock import local_midnight
from ehub_tui.domain.outbox import OutboxPage
from ehub_tui.store import audit
from ehub_tui.store import outbox as store_outbox
from ehub_tui.store.engine import read_tx, write_tx

if TYPE_CHECKING:
    from ehub_tui.service.context import HubContext

log = logging.getLogger(__name__)

ACTION = "outbox_read"
DEFAULT_PAGE = 200


def since_instant(since: date | None) -> datetime | None:
    """Midnight UK time at the start of ``since`` (a UK-local day), in UTC."""
    if since is None:
        return None
    return local_midnight(since).astimezone(UTC)


class Outbox:
    """Completed outcomes for the outbox, a page at a time."""

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx

    def outcomes(self, since: date | None, after_id: int, limit: int) -> OutboxPage:
        """One page of outcomes completed since ``since`` (admin or service account; audited)."""
        ctx = self._ctx
        ctx.require("write_outbox")
        start = since_instant(since)
        with read_tx(ctx.engine) as conn:
            page = store_outbox.completed_page(conn, start, max(after_id, 0), limit)
        if page.records:
            body = {
                "since": since.isoformat() if since else None,
                "after": after_id,
                "found": len(page.records),
                "items": [r.consultation_id for r in page.records],
            }
            with write_tx(ctx.engine) as conn:
                event = audit.Event(ctx.actor, ACTION, body=body)
                audit.append(conn, [event], ctx.now())
            log.info("%s read %d completed outcomes for the outbox", ctx.actor, len(page.records))
        return page
