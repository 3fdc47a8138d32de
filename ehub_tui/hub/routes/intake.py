"""Storing new consultations (the watcher, with the service role) and looking one up by key."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ehub_tui.domain.models import IntakeResult
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.routes import Core, Svc, reply
from ehub_tui.hub.wire import INTAKE_RESULT, ConsultationId, IntakeIn

router = APIRouter(tags=["intake"])

PRESCREEN_BATCH = 500


@router.post("/intake", response_model=IntakeResult)
def store_intake(body: IntakeIn, svc: Svc, core: Core) -> Response:
    """Store a batch of consultations and quarantine bad records in one transaction; then the
    hub screens what is new for SOP red flags (as `ehub-tui ingest` did on a workstation), so a
    red-flag item is raised before any navigator sees it."""
    result = svc.store_intake([i.to_domain() for i in body.items], body.quarantined)
    if result.created:
        screen_new(core)
    return reply(INTAKE_RESULT, result)


def screen_new(core: HubCore) -> None:
    """Screen every consultation not yet screened for SOP red flags (after anything the hub
    stores: an intake, a quarantined record released). The system principal screens: the
    prescreen is the hub's, whoever sent the record (a workstation's ``prescreen`` does
    nothing over HTTP)."""
    system = core.system()
    while system.prescreen(PRESCREEN_BATCH) >= PRESCREEN_BATCH:
        pass


@router.get("/consultations/by-key", response_model=ConsultationId)
def find_consultation_id(
    svc: Svc,
    source: str = Query(max_length=64),
    external_id: str = Query(max_length=128),
) -> ConsultationId:
    """The id of a stored consultation by its supplier key (null: not stored)."""
    return ConsultationId(id=svc.find_consultation_id(source, external_id))
