"""One item: claim it, keep it, return or complete it; a supervisor's actions on it; reading it.

A claim travels as the holder has it (``Claim``: item, epoch, lease, owner); the hub checks its
epoch (fencing): a claim that is no longer the caller's is 409 LostClaim, with who holds it now.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.domain.models import Consultation
from ehub_tui.domain.queue import Claim, ClaimState
from ehub_tui.errors import QueueError
from ehub_tui.hub.routes import Svc, Who, no_content, reply
from ehub_tui.hub.wire import (
    CLAIM,
    CLAIM_STATE,
    CONSULTATION,
    CompleteIn,
    OutcomeId,
    PriorityIn,
    ReasonIn,
    ReassignIn,
    ReleaseIn,
    WhyLost,
)

router = APIRouter(tags=["items"])


def _same_item(item_id: int, claim: Claim) -> Claim:
    if claim.item_id != item_id:
        raise QueueError(f"the claim sent is for consultation {claim.item_id}, not {item_id}")
    return claim


@router.post("/items/{item_id}/claim", response_model=Claim)
def claim(item_id: int, svc: Svc) -> Response:
    """Claim a given queued item (or one whose holder's lease ran out)."""
    return reply(CLAIM, svc.claim(item_id))


@router.post("/items/{item_id}/heartbeat", response_model=Claim)
def heartbeat(item_id: int, body: Claim, svc: Svc) -> Response:
    """Renew the lease of a claim (the body is the Claim); 409 LostClaim when it is not ours."""
    return reply(CLAIM, svc.heartbeat(_same_item(item_id, body)))


@router.post("/items/{item_id}/release", status_code=204)
def release(item_id: int, body: ReleaseIn, svc: Svc) -> Response:
    """Return an item the caller holds to the queue, with a reason."""
    svc.release(_same_item(item_id, body.claim), body.reason)
    return no_content()


@router.post("/items/{item_id}/complete", response_model=OutcomeId)
def complete(item_id: int, body: CompleteIn, svc: Svc) -> OutcomeId:
    """Record the outcome of an item the caller holds (received by the hub's clock)."""
    return OutcomeId(outcome_id=svc.complete(_same_item(item_id, body.claim), body.outcome))


@router.post("/items/{item_id}/reassign", response_model=Claim)
def reassign(item_id: int, body: ReassignIn, svc: Svc) -> Response:
    """Give an item to another navigator (supervisor), with a handover note (``reason``) and,
    with ``carry_draft``, the previous holder's last draft."""
    return reply(CLAIM, svc.reassign(item_id, body.to_user, body.reason, body.carry_draft))


@router.post("/items/{item_id}/force-release", status_code=204)
def force_release(item_id: int, body: ReasonIn, svc: Svc) -> Response:
    """Return a claimed item to the queue whoever holds it (supervisor)."""
    svc.force_release(item_id, body.reason)
    return no_content()


@router.post("/items/{item_id}/cancel", status_code=204)
def cancel(item_id: int, body: ReasonIn, svc: Svc) -> Response:
    """Close an item without an outcome (supervisor)."""
    svc.cancel(item_id, body.reason)
    return no_content()


@router.post("/items/{item_id}/priority", status_code=204)
def set_priority(item_id: int, body: PriorityIn, svc: Svc) -> Response:
    """Change an item's priority (supervisor)."""
    svc.set_priority(item_id, body.priority, body.reason)
    return no_content()


@router.get("/items/{item_id}/state", response_model=ClaimState)
def item_state(item_id: int, svc: Svc) -> Response:
    """(status, owner, epoch) of one item: a cheap check for an open screen."""
    return reply(CLAIM_STATE, svc.item_state(item_id))


@router.get("/items/{item_id}/why-lost", response_model=WhyLost)
def why_lost(
    item_id: int, epoch: int, svc: Svc, principal: Who, owner: str | None = None
) -> WhyLost:
    """null while the claim (``epoch``, held by ``owner``: the caller unless given) still holds
    the item; else why not, in plain English."""
    from datetime import UTC, datetime

    # the lease does not enter the check (status, owner and epoch do)
    held = Claim(item_id, epoch, datetime.min.replace(tzinfo=UTC), owner or principal.username)
    return WhyLost(reason=svc.why_lost(held))


@router.get("/items/{item_id}", response_model=Consultation)
def consultation(item_id: int, svc: Svc) -> Response:
    """One consultation."""
    return reply(CONSULTATION, svc.consultation(item_id))
