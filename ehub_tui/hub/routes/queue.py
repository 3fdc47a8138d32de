"""The queue: claim the next item, pages of the three views, counts and the summary; the items
the caller holds (heartbeat, return them all)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Response

from ehub_tui.domain.queue import VIEWS, Claim, QueueFilter, QueueSummary
from ehub_tui.domain.search import SORTS
from ehub_tui.errors import QueueError
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire import (
    CLAIM_OR_NONE,
    CLAIMS,
    MAX_PAGE,
    QUEUE_PAGE,
    QUEUE_SUMMARY,
    VIEW_COUNTS,
    QueuePage,
    ReasonIn,
    Released,
)
from ehub_tui.hub.wire_views import split_list

router = APIRouter(tags=["queue"])


@router.post("/queue/claim-next", response_model=Claim | None)
def claim_next(svc: Svc) -> Response:
    """Claim the best queued item for the caller; null when the queue is empty."""
    return reply(CLAIM_OR_NONE, svc.claim_next())


@router.get("/queue", response_model=QueuePage)
def queue_page(
    svc: Svc,
    view: str = "queue",
    offset: int = Query(0, ge=0),
    limit: int = Query(50, ge=0, le=MAX_PAGE),
    practice: str | None = Query(None, max_length=16),
    request_type: str | None = Query(None, max_length=32),
    min_priority: int = 0,
    due_before: datetime | None = None,
    search: str | None = Query(None, max_length=200),
    practices: str | None = Query(None, max_length=400, description="comma-separated"),
    request_types: str | None = Query(None, max_length=100, description="comma-separated"),
    age_bands: str | None = Query(None, max_length=100, description="comma-separated"),
    waited_over_hours: float | None = Query(None, ge=0),
    sort: str = Query("priority", max_length=16),
) -> Response:
    """One window of a view (queue | mine | done) with the filter given, and the view's size."""
    if view not in VIEWS:
        raise QueueError(f"unknown view {view!r}: choose one of {', '.join(VIEWS)}")
    if sort not in SORTS:
        raise QueueError(f"unknown sort order {sort!r}: choose one of {', '.join(SORTS)}")
    filters = QueueFilter(
        practice,
        request_type,
        min_priority,
        due_before,
        search,
        practices=split_list(practices),
        request_types=split_list(request_types),
        age_bands=split_list(age_bands),
        waited_over_hours=waited_over_hours,
        sort=sort,
    )
    rows, total = svc.queue_page(view, filters, offset, limit)
    return reply(QUEUE_PAGE, QueuePage(rows=rows, total=total))


@router.get("/queue/counts", response_model=dict[str, int])
def view_counts(svc: Svc) -> Response:
    """Sizes of the queue, mine and done-today views."""
    return reply(VIEW_COUNTS, svc.view_counts())


@router.get("/queue/summary", response_model=QueueSummary)
def queue_summary(svc: Svc) -> Response:
    """Counts by status, and of the queued items by practice, priority and type."""
    return reply(QUEUE_SUMMARY, svc.queue_summary())


@router.get("/claims", response_model=list[Claim])
def held_claims(svc: Svc) -> Response:
    """Every item the caller holds now."""
    return reply(CLAIMS, svc.held_claims())


@router.post("/claims/heartbeat", response_model=list[Claim])
def heartbeat_held(svc: Svc) -> Response:
    """Say the caller is online and renew the lease of every item they hold."""
    svc.touch()
    return reply(CLAIMS, svc.heartbeat_held())


@router.post("/claims/release", response_model=Released)
def release_held(body: ReasonIn, svc: Svc) -> Released:
    """Return every item the caller holds to the queue."""
    return Released(released=svc.release_held(body.reason))
