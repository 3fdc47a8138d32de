"""Sync: a workstation pushes its outbox and pulls what changed; refused events are listed and
(by a supervisor) resolved. The hub service decides everything (service/sync.py): these only
carry it. A push is safe to send again (each event's id is its dedupe key)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Response

from ehub_tui.domain.sync import EventResult, PullResult, PushResult, RejectedEvent
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire_sync import (
    EVENT_RESULTS,
    PULL_RESULT,
    PUSH_RESULT,
    REJECTED_EVENT,
    REJECTED_EVENTS,
    PushIn,
    ResolveIn,
    ResultsIn,
)

router = APIRouter(tags=["sync"])


@router.post("/sync/push", response_model=PushResult)
def sync_push(body: PushIn, svc: Svc) -> Response:
    """Apply outbox events in order, one hub transaction for the batch; one result each."""
    return reply(PUSH_RESULT, svc.sync_push(body.events))


@router.get("/sync/pull", response_model=PullResult)
def sync_pull(svc: Svc, cursor: int = Query(0, ge=0)) -> Response:
    """What changed on the hub since ``cursor`` for the caller (not_modified when nothing)."""
    return reply(PULL_RESULT, svc.sync_pull(cursor))


@router.post("/sync/results", response_model=list[EventResult])
def sync_results(body: ResultsIn, svc: Svc) -> Response:
    """The stored result of each of the caller's events the hub has (unknown ids left out)."""
    return reply(EVENT_RESULTS, svc.sync_results(body.event_ids))


@router.get("/sync/rejected", response_model=list[RejectedEvent])
def sync_rejected(svc: Svc, include_resolved: bool = False) -> Response:
    """Refused events: the caller's own, or everyone's for a supervisor."""
    return reply(REJECTED_EVENTS, svc.sync_rejected(include_resolved))


@router.post("/sync/rejected/{event_id}/resolve", response_model=RejectedEvent)
def resolve_rejected(
    body: ResolveIn, svc: Svc, event_id: str = Path(min_length=1, max_length=36)
) -> Response:
    """Mark a refused event resolved with what was done (supervisor; audited; kept); with
    ``apply``, a refused completion's kept outcome is applied too (409 when the item is not
    queued and unclaimed)."""
    return reply(REJECTED_EVENT, svc.resolve_rejected(event_id, body.resolution, body.apply))
