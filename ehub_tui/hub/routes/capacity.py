"""Capacity planning (issue 17): the hub's own history of arrivals and handling times, for the
plan a supervisor's or manager's workstation makes of it."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ehub_tui.domain.capacity import DEFAULT_WEEKS, MAX_WEEKS
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire_capacity import CAPACITY_HISTORY, CapacityHistoryWire

router = APIRouter(tags=["capacity"])


@router.get("/capacity/history", response_model=CapacityHistoryWire)
def capacity_history(
    svc: Svc,
    weeks: int = Query(
        DEFAULT_WEEKS, description=f"whole UK-local weeks before this one, 1 to {MAX_WEEKS}"
    ),
) -> Response:
    """Arrivals and handling times of the last whole weeks by the hub's clock (see_reports)."""
    # the range is the service's to refuse (after the role, and in the same words as on the hub)
    return reply(CAPACITY_HISTORY, CapacityHistoryWire.of(svc.capacity_history(weeks)))
