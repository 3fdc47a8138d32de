"""The supervisor board."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ehub_tui.domain.board import Board, HolderDraft
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire import BOARD, HOLDER_DRAFT

router = APIRouter(tags=["board"])


@router.get("/board", response_model=Board)
def board(svc: Svc, items_limit: int = Query(200, ge=0, le=2000)) -> Response:
    """Everything the supervisor board shows now (supervisors)."""
    return reply(BOARD, svc.board(items_limit))


@router.get("/items/{item_id}/holder-draft", response_model=HolderDraft)
def holder_draft(item_id: int, svc: Svc) -> Response:
    """Whether the hub holds the holder's draft for their current claim, and when it came
    (supervisors: asked before a reassign offers to send it)."""
    return reply(HOLDER_DRAFT, svc.holder_draft(item_id))
