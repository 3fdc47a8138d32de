"""The FHIR outbox's read of completed outcomes (issue 16): an admin or the service account
(``write_outbox``, checked and audited by the service, as every role is)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Response

from ehub_tui.domain.outbox import OutboxPage
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire_outbox import OUTBOX_PAGE
from ehub_tui.store.outbox import MAX_PAGE

router = APIRouter(tags=["outbox"])


@router.get("/outbox/outcomes", response_model=OutboxPage)
def outbox_outcomes(
    svc: Svc,
    since: date | None = None,
    after_id: int = Query(0, ge=0),
    limit: int = Query(200, ge=1, le=MAX_PAGE),
) -> Response:
    """Outcomes completed since the UK-local day ``since``, after outcome ``after_id``, with
    the patient, practice and navigator each Bundle needs (a read of patient data: audited)."""
    return reply(OUTBOX_PAGE, svc.outbox_outcomes(since, after_id, limit))
