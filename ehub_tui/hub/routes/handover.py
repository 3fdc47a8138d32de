"""Handovers: the receiver of a reassigned item asks what was handed to them and says they saw it
(the reassign itself, with its note and ``carry_draft``, is ``POST /items/{id}/reassign``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.domain.handover import Handover
from ehub_tui.hub.routes import Svc, no_content, reply
from ehub_tui.hub.wire import HANDOVERS

router = APIRouter(tags=["handovers"])


@router.get("/handovers", response_model=list[Handover])
def handovers(svc: Svc) -> Response:
    """Items handed to the caller by a supervisor, not yet seen (empty for a non-navigator)."""
    return reply(HANDOVERS, svc.handovers())


@router.post("/items/{item_id}/handover/seen", status_code=204)
def ack_handover(item_id: int, svc: Svc) -> Response:
    """The caller saw the handover of this item (audited when there was one)."""
    svc.ack_handover(item_id)
    return no_content()
