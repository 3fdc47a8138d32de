"""Recent audit events, and the change cursor the apps poll."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ehub_tui.domain.models import AuditEvent
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire import AUDIT_EVENTS, Cursor

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditEvent])
def audit_log(
    svc: Svc, consultation_id: int | None = None, limit: int = Query(100, ge=1, le=1000)
) -> Response:
    """Recent audit events, newest first (optionally for one item)."""
    return reply(AUDIT_EVENTS, svc.audit_log(consultation_id, limit))


@router.get("/changes/cursor", response_model=Cursor)
def change_cursor(svc: Svc) -> Cursor:
    """A number that grows whenever anything changes on the hub."""
    return Cursor(cursor=svc.change_cursor())
