"""What the sync tests share: the hub end a service reaches (the hub service itself, or the
HubClient under a ClientService), and sync events made as a workstation's outbox makes them."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import Claim
from ehub_tui.domain.sync import SyncEvent

OUTCOME = Outcome(
    category="signpost",
    route="pharmacy_first",
    destination="Community pharmacy",
    note="advised to see the pharmacist today",
    handling_seconds=95.5,
)
_seq = itertools.count(1)


def hub_of(svc: Any) -> Any:
    """What answers sync calls for ``svc``: a HubService itself, or a ClientService's client
    (the in-process client or HTTPS), which have the same sync methods (client.protocol)."""
    return getattr(svc, "client", svc)


def event(
    kind: str,
    claim: Claim,
    *,
    user: str | None = None,
    device: str = "ws-1",
    payload: dict[str, Any] | None = None,
    client_at: datetime | None = None,
    offset: float | None = 0.25,
    epoch: int | None = None,
    item_id: int | None = None,
) -> SyncEvent:
    """One outbox event for ``claim`` (its owner and epoch unless given)."""
    defaults: dict[str, dict[str, Any]] = {
        "complete": {"outcome": OUTCOME.model_dump(mode="json"), "active_seconds": 61.0},
        "release": {"reason": "needs the practice to call first"},
        "draft": {"draft": {"answers": {"duration_days": 3}, "note": "typing"}},
        "viewed": {},
    }
    return SyncEvent(
        event_id=str(uuid.uuid4()),
        device_id=device,
        device_seq=next(_seq),
        username=user or claim.owner,
        kind=kind,  # type: ignore[arg-type]
        item_id=item_id if item_id is not None else claim.item_id,
        epoch=claim.epoch if epoch is None else epoch,
        client_at=client_at or datetime(2026, 11, 23, 10, 5, tzinfo=UTC),
        offset_seconds=offset,
        rtt_seconds=0.01 if offset is not None else None,
        payload=defaults[kind] if payload is None else payload,
    )
