"""Is the hub up (no sign-in), is it ready (its database answers at the schema this code
reads), and the hub's time."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.hub.routes import JSON, Core, Svc
from ehub_tui.hub.wire import Health, HubTime
from ehub_tui.store.engine import read_tx
from ehub_tui.store.migrate import HEAD, current_revision

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """The server answers (no sign-in; nothing about the database)."""
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses={503: {"model": Health}})
def ready(core: Core) -> Response:
    """The hub database answers and its schema is the one this hub reads (503 if not)."""
    try:
        with read_tx(core.engine) as conn:
            revision = current_revision(conn)
    except Exception:  # any failure to reach the database is "not ready"; never its message
        out = Health(status="not ready", detail="the hub database does not answer")
        return Response(out.model_dump_json(), status_code=503, media_type=JSON)
    if revision != HEAD:
        out = Health(
            status="not ready",
            detail=f"the hub database's schema is {revision}; this hub reads {HEAD}",
        )
        return Response(out.model_dump_json(), status_code=503, media_type=JSON)
    return Response(Health(status="ok").model_dump_json(), media_type=JSON)


@router.get("/time", response_model=HubTime)
def hub_time(svc: Svc) -> HubTime:
    """The hub's clock and today's UK-local date."""
    return HubTime(hub_time=svc.hub_now(), today=svc.today())
