"""What the supervisor board shows at one moment (built by store.board, read by the board screen).

Plain dataclasses for the reason given in domain.queue: built from the store's typed columns on
every refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ehub_tui.domain.handover import StaleClaim
from ehub_tui.domain.models import AuditEvent
from ehub_tui.domain.supplier_alerts import SupplierAlert


@dataclass(frozen=True, slots=True)
class PracticeLine:
    """One practice on the board."""

    ods_code: str
    name: str
    list_size: int
    queued: int
    oldest: datetime | None
    completed_today: int
    received_today: int


@dataclass(frozen=True, slots=True)
class NavigatorLine:
    """One navigator on the board."""

    username: str
    display_name: str
    role: str
    last_seen: datetime | None
    holding: tuple[tuple[int, datetime | None], ...]  # (item id, claimed at)
    done_today: int
    median_handling: float | None


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An item the supervisor can act on: held, or waiting (most urgent first)."""

    id: int
    priority: int
    status: str
    owner: str | None
    received_at: datetime
    due_by: datetime
    claimed_at: datetime | None
    lease_until: datetime | None
    practice_ods: str
    template: str | None
    request_type: str
    # the red flag levels the prescreen found (None: not screened yet), for domain.flags
    sop_flags: tuple[str, ...] | None = None
    # the hub's time of the open screen's last heartbeat (None: not opened since the claim)
    active_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ParkedItem:
    """An item parked awaiting the patient's reply (issue 15 part 5), as the board lists it: no
    patient name (the board shows none), the question cut short, when it comes back."""

    id: int
    practice_ods: str
    parked_by: str
    parked_at: datetime
    question: str  # the question sent to the patient, cut to QUESTION_CHARS
    return_at: datetime  # hub time: it comes back then without a reply
    priority: int
    sop_flags: tuple[str, ...] | None  # for domain.flags.flag_mark, as OpenItem's
    template: str | None
    request_type: str


QUESTION_CHARS = 160  # how much of a parked item's question the board reads


@dataclass(frozen=True, slots=True)
class HolderDraft:
    """What the hub holds of an item's holder's draft, asked before a reassign offers to send
    it: ``saved_at`` is None when the hub has no draft from the holder for this claim."""

    item_id: int
    holder: str | None  # who holds the item now (None: nobody)
    saved_at: datetime | None  # hub time the holder's draft for this claim last reached the hub
    hub_now: datetime  # the hub's time at the read ("saved 40 s ago" is judged by it)


@dataclass
class Board:
    """Everything on the board at one moment."""

    queued: int = 0
    in_progress: int = 0
    completed_today: int = 0
    breaching: int = 0
    # open items due within the hour, and every emergency not yet breaching: it is due now
    # whatever its due time says (the queue's d lists it too)
    due_within_hour: int = 0
    median_wait: timedelta | None = None
    practices: list[PracticeLine] = field(default_factory=list)
    navigators: list[NavigatorLine] = field(default_factory=list)
    items: list[OpenItem] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)
    arrivals_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    completions_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    cursor: int = 0
    hub_now: datetime | None = None  # the hub's clock at the read: leases are judged by it
    # claims nobody has worked for stale_minutes (hub clock), red-flagged first (issue 15)
    alerts: list[StaleClaim] = field(default_factory=list)
    stale_minutes: int = 10
    # parked awaiting the patient's reply (issue 15 part 5): how many, how many come back
    # within the hour (hub clock), and the first of them by return time
    awaiting: int = 0
    awaiting_back_within_hour: int = 0
    parked: list[ParkedItem] = field(default_factory=list)
    # issue 16: items the supplier withdrew or amended after work began (open quarantine
    # entries the supervisor must deal with; domain/supplier_alerts.py)
    supplier_alerts: list[SupplierAlert] = field(default_factory=list)
    # published SOPs the hub announced as not loading, in words (service/sop_health.py): while
    # one stands, navigators are not offered its routes (trial 15d)
    sop_alerts: list[str] = field(default_factory=list)
