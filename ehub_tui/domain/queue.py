"""The queue's values: a claim and its state, the navigator's filter, one row of a queue view and
the queue's counts. No I/O; the store builds these from its rows.

Why plain frozen dataclasses and not pydantic models: these are built from the store's own typed
columns on the hottest paths (a claim; a window of rows for every scroll), where validating again
buys nothing; pydantic (a TypeAdapter) still serialises them for the hub API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from ehub_tui.domain.types import Status

VIEWS: tuple[str, ...] = ("queue", "mine", "done")  # the navigator's three lists


@dataclass(frozen=True, slots=True)
class Claim:
    """What a holder needs to keep working an item: its id, fencing epoch and lease."""

    item_id: int
    epoch: int
    lease_until: datetime
    owner: str


class ClaimState(NamedTuple):
    """Who holds an item now: a cheap check for an open screen (unpacks as a 3-tuple)."""

    status: str
    owner: str | None
    epoch: int


def describe_loss(item_id: int, status: str, owner: str | None) -> str:
    """Why someone no longer holds an item, in plain English."""
    if status == Status.CLAIMED:
        why = (
            f"it is now held by {owner} (reassigned by a supervisor, or your lease ran out "
            "and they claimed it)"
        )
    elif status == Status.QUEUED:
        why = "it was released back to the queue (by a supervisor, or the lease expired)"
    elif status == Status.COMPLETED:
        why = "it has already been completed"
    elif status == Status.AWAITING:
        why = "it was parked awaiting the patient's reply"
    else:
        why = "it was cancelled"
    return f"You no longer hold consultation {item_id}: {why}. Your draft is kept."


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the navigator narrowed the list to."""

    practice: str | None = None
    request_type: str | None = None  # a RequestType value
    min_priority: int = 0
    due_before: datetime | None = None
    search: str | None = None
    # issue 15 (views): several practices / types at once (an item matches any of them, and the
    # single ``practice`` / ``request_type`` above too when set), age bands (domain.search
    # AGE_BANDS), waited over N hours (by the hub's clock when the page is read) and the order
    practices: tuple[str, ...] = ()
    request_types: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    waited_over_hours: float | None = None
    sort: str = "priority"  # domain.search SORTS: priority | due | received

    @property
    def active(self) -> bool:
        """True when anything is filtered (the sort order alone filters nothing)."""
        return bool(
            self.practice
            or self.request_type
            or self.min_priority
            or self.due_before
            or self.search
            or self.practices
            or self.request_types
            or self.age_bands
            or self.waited_over_hours
        )

    def all_practices(self) -> tuple[str, ...]:
        """Every practice chosen (the single one and the multi-select), in order, once each."""
        both = ((self.practice,) if self.practice else ()) + self.practices
        return tuple(dict.fromkeys(both))

    def all_types(self) -> tuple[str, ...]:
        """Every request type chosen, in order, once each."""
        both = ((self.request_type,) if self.request_type else ()) + self.request_types
        return tuple(dict.fromkeys(both))


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue: enough to choose, no more (initials until claimed)."""

    id: int
    priority: int
    status: str
    owner: str | None
    received_at: datetime
    due_by: datetime
    practice_ods: str
    request_type: str
    template: str | None
    initials: str
    date_of_birth: date
    sex: str
    summary: str
    supplier_flags: tuple[str, ...]
    completed_at: datetime | None = None
    # Done today: where it went, in words (the outcome's destination; its route id only for an
    # outcome recorded without one)
    route: str | None = None
    # the red flag levels the prescreen found; None: not screened yet
    sop_flags: tuple[str, ...] | None = None
    # issue 15: what a search matched, in words ("NHS number", "name: Maisie", "text: …")
    matched: str | None = None
    # an item not waiting (held, parked, done, cancelled), for the queue's words about it: who
    # holds it (their name; the username when none is recorded), since when (claimed, parked,
    # completed or cancelled) and, for a parked one, when it comes back
    holder: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # issue 16: "month" or "year" when the supplier gave only part of the date of birth (the age
    # is then shown as approximate, ≈47); None or "day" for a whole date
    dob_precision: str | None = None


@dataclass(slots=True)
class QueueSummary:
    """Counts of the queue for a quick look (CLI, board headline)."""

    by_status: dict[str, int] = field(default_factory=dict)
    queued_by_practice: dict[str, int] = field(default_factory=dict)
    queued_by_priority: dict[int, int] = field(default_factory=dict)
    queued_by_type: dict[str, int] = field(default_factory=dict)
    oldest_queued: datetime | None = None
    quarantined_open: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "by_status": self.by_status,
            "queued_by_practice": self.queued_by_practice,
            "queued_by_priority": {str(k): v for k, v in self.queued_by_priority.items()},
            "queued_by_type": self.queued_by_type,
            "oldest_queued": self.oldest_queued.isoformat() if self.oldest_queued else None,
            "quarantined_open": self.quarantined_open,
        }
