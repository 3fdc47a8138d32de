"""Retention (issue 16): purge the patient-identifiable fields of closed items past
``retention_days`` whose returns are exported (admins; the service checks the role and audits
the run with one event naming how many items)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.domain.retention import RetentionResult
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire_retention import RETENTION_RESULT, RetentionPurgeIn

router = APIRouter(tags=["retention"])


@router.post("/retention/purge", response_model=RetentionResult)
def retention_purge(body: RetentionPurgeIn, svc: Svc) -> Response:
    """Purge (or, dry, count) the items past retention whose returns are exported (admins)."""
    return reply(RETENTION_RESULT, svc.retention_purge(body.dry_run))
