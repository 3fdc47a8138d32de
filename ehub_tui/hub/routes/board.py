"""The supervisor board."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ehub_tui.domain.board import Board
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire import BOARD

router = APIRouter(tags=["board"])


@router.get("/board", response_model=Board)
def board(svc: Svc, items_limit: int = Query(200, ge=0, le=2000)) -> Response:
    """Everything the supervisor board shows now (supervisors)."""
    return reply(BOARD, svc.board(items_limit))
