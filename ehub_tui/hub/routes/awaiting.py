"""Awaiting the patient and an item's history (issue 15): park an item the caller holds, read
its newest parking (the question sent and the reply) and its history in words."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.domain.awaiting import HistoryEntry, Parking
from ehub_tui.errors import QueueError
from ehub_tui.hub.routes import Svc, no_content, reply
from ehub_tui.hub.wire_awaiting import HISTORY, PARKING, ParkIn

router = APIRouter(tags=["items"])


@router.post("/items/{item_id}/park", status_code=204)
def park(item_id: int, body: ParkIn, svc: Svc) -> Response:
    """Park an item the caller holds awaiting the patient's reply (409 LostClaim when it is not
    theirs; 400 when the return time is not ahead by the hub's clock, or too far)."""
    if body.claim.item_id != item_id:
        raise QueueError(f"the claim sent is for consultation {body.claim.item_id}, not {item_id}")
    svc.park(body.claim, body.question, body.return_at)
    return no_content()


@router.get("/items/{item_id}/parking", response_model=Parking | None)
def parking(item_id: int, svc: Svc) -> Response:
    """The item's newest parking (null: never parked)."""
    return reply(PARKING, svc.parking(item_id))


@router.get("/items/{item_id}/history", response_model=list[HistoryEntry])
def history(item_id: int, svc: Svc) -> Response:
    """Every event of the item in words, at the hub's time (role-checked by the hub)."""
    return reply(HISTORY, svc.item_history(item_id))
