"""Records that could not be stored: list, read, release (once they validate) or discard."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.domain.models import QuarantineEntry, ReleasedRecord
from ehub_tui.hub.routes import Svc, no_content, reply
from ehub_tui.hub.wire import (
    QUARANTINE_ENTRIES,
    QUARANTINE_ENTRY,
    RELEASED_RECORD,
    ReasonIn,
    WireConsultation,
)

router = APIRouter(tags=["quarantine"])


@router.get("/quarantine", response_model=list[QuarantineEntry])
def quarantined(svc: Svc, status: str = "open") -> Response:
    """Quarantined records, newest first, without their raw text (``status=`` empty: all)."""
    return reply(QUARANTINE_ENTRIES, svc.quarantined(status or None))


@router.get("/quarantine/{qid}", response_model=QuarantineEntry)
def quarantine_entry(qid: int, svc: Svc) -> Response:
    """One quarantined record with its raw text."""
    return reply(QUARANTINE_ENTRY, svc.quarantine_entry(qid))


@router.post("/quarantine/{qid}/release", response_model=ReleasedRecord)
def release_quarantined(qid: int, body: WireConsultation, svc: Svc) -> Response:
    """Store a quarantined record that now validates and close its entry."""
    return reply(RELEASED_RECORD, svc.release_quarantined(qid, body.to_domain()))


@router.post("/quarantine/{qid}/discard", status_code=204)
def discard_quarantined(qid: int, body: ReasonIn, svc: Svc) -> Response:
    """Close a quarantined record without storing it, with a reason."""
    svc.discard_quarantined(qid, body.reason)
    return no_content()
