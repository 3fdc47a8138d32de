"""Records that could not be stored: list, read, release (once they validate) or discard."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.domain.models import QuarantineEntry, ReleasedRecord
from ehub_tui.hub.routes import Core, Svc, no_content, reply
from ehub_tui.hub.routes.intake import screen_new
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
def release_quarantined(qid: int, body: WireConsultation, svc: Svc, core: Core) -> Response:
    """Store a quarantined record that now validates and close its entry; the hub then screens
    it for SOP red flags, as it screens an intake (a red flag is raised before anyone sees it)."""
    released = svc.release_quarantined(qid, body.to_domain())
    if released.new:
        screen_new(core)
    return reply(RELEASED_RECORD, released)


@router.post("/quarantine/{qid}/discard", status_code=204)
def discard_quarantined(qid: int, body: ReasonIn, svc: Svc) -> Response:
    """Close a quarantined record without storing it, with a reason."""
    svc.discard_quarantined(qid, body.reason)
    return no_content()
