"""What a workstation and its hub exchange to sync (issue 14): outbox events pushed, changes pulled.

A workstation never changes the hub's queue by itself: it writes what the navigator did to its
local store and an **outbox** row in one transaction, and a sender pushes the rows in device
order. Each event carries a uuid the workstation made, so a resend (a reply lost after the hub
committed, a retry after a timeout) is answered with the stored result, never applied twice. The
hub answers per event: ``accepted``, ``duplicate`` (the stored result of the first delivery) or
``rejected`` with a code and a sentence; a rejection is data, kept on both sides until a
supervisor resolves it, never deleted and never blocking the events behind it.

Pulls follow a **cursor** over the hub's change sequence (the audit chain's head: every hub write
transaction appends to it under the head lock, so its numbers follow commit order and a pull never
skips a committed change). A pull with the current cursor says ``not_modified``.

Times: ``client_at`` is the workstation's wall clock when the navigator acted, ``offset_seconds``
its estimate of (hub time − its time) from recent replies, ``rtt_seconds`` the round trip that
estimate came from. The hub keeps its own instants; these are kept beside them, and an offset
over ``SUSPECT_OFFSET_SECONDS`` marks the clock suspect. Durations (handling, active seconds) are
measured on the workstation's monotonic clock, so a clock step never changes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ehub_tui.domain.models import Consultation, Outcome
from ehub_tui.domain.queue import Claim, QueueRow

# Kinds of event a workstation pushes. ``complete`` carries an Outcome; ``release`` (return to the
# queue) a reason; ``draft`` the navigator's draft (answers, note, flags handled so far) so a
# supervisor can see work in progress; ``viewed`` the first time the navigator opened the item.
EventKind = Literal["complete", "release", "draft", "viewed"]
EVENT_KINDS: tuple[str, ...] = ("complete", "release", "draft", "viewed")

ResultState = Literal["accepted", "duplicate", "rejected"]

# Codes of a rejection (the sentence in ``reason`` says it for people).
REJECT_FENCED = "fenced"  # the item was reassigned, rescued or released since this claim
REJECT_CLOSED = "closed"  # the item is completed or cancelled
REJECT_NOT_FOUND = "not_found"  # no such item on this hub
REJECT_INVALID = "invalid"  # the payload does not hold what its kind needs
REJECT_NOT_PERMITTED = "not_permitted"  # the signed-in user's role may not do this now
REJECT_WRONG_USER = "wrong_user"  # the event was made by another user than the one pushing
REJECT_HUB_ERROR = "hub_error"  # the hub failed to apply it (logged on the hub)

SUSPECT_OFFSET_SECONDS = 2.0  # a workstation clock further than this from the hub's is suspect
MAX_PUSH_BATCH = 100  # events in one push at most (the hub refuses a larger batch)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SyncEvent(_Model):
    """One outbox row as pushed to the hub."""

    event_id: str = Field(min_length=32, max_length=36)  # uuid4, made by the workstation
    device_id: str = Field(min_length=1, max_length=64)
    device_seq: int = Field(ge=1)  # this device's order of events (pushed in this order)
    username: str = Field(min_length=1, max_length=64)  # who acted (must be the one pushing)
    kind: EventKind
    item_id: int = Field(ge=1)
    epoch: int = Field(ge=0)  # the fencing epoch of the claim it was made under
    client_at: datetime  # workstation wall clock (aware UTC) when the navigator acted
    offset_seconds: float | None = None  # estimate of hub time − workstation time
    rtt_seconds: float | None = None
    # kind-specific: complete → {"outcome": Outcome JSON, "active_seconds": float};
    # release → {"reason": str}; draft → {"draft": {...}}; viewed → {}
    payload: dict[str, Any] = Field(default_factory=dict)

    def outcome(self) -> Outcome:
        """The outcome a ``complete`` event carries (ValueError when it holds none)."""
        raw = self.payload.get("outcome")
        if self.kind != "complete" or not isinstance(raw, dict):
            raise ValueError("this event carries no outcome")
        return Outcome.model_validate(raw)


class EventResult(_Model):
    """The hub's answer for one event (stored on the hub, so a resend gets the same answer)."""

    event_id: str
    state: ResultState
    code: str | None = None  # a REJECT_* code when rejected
    reason: str | None = None  # plain English, for the navigator and the supervisor
    outcome_id: int | None = None  # the hub's outcome row, for an accepted completion
    late: bool = False  # accepted after the holder's own lease ran out (setting; audited)
    hub_at: datetime  # when the hub first applied (or refused) it, by the hub's clock


class PushResult(_Model):
    """One result per pushed event, in the order pushed."""

    results: list[EventResult]
    hub_time: datetime


class HeldItem(_Model):
    """An item the signed-in user holds, with what is needed to work it offline."""

    claim: Claim
    consultation: Consultation
    draft: dict[str, Any] | None = None  # the last draft the hub has for it from this user


class RejectedEvent(_Model):
    """An event the hub refused, kept until a supervisor resolves it (``sync_rejected``)."""

    event_id: str
    device_id: str
    username: str
    kind: str
    item_id: int
    epoch: int
    code: str
    reason: str
    payload: dict[str, Any]  # the full event payload (a refused outcome is kept whole)
    client_at: datetime
    rejected_at: datetime  # hub time
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None


class PullResult(_Model):
    """What changed on the hub since a cursor, for this user's workstation.

    ``not_modified``: nothing changed (everything else empty). ``reset``: the cursor was too old
    (or 0): ``rows`` is the whole open queue and ``held`` every held item, and the workstation
    replaces its cache. Otherwise ``rows`` are the open items (queued or claimed) that changed and
    ``gone`` the ids of items that changed and are no longer open.
    """

    cursor: int
    not_modified: bool = False
    reset: bool = False
    rows: list[QueueRow] = Field(default_factory=list)
    gone: list[int] = Field(default_factory=list)
    held: list[HeldItem] = Field(default_factory=list)  # every item this user holds now
    rejected: list[RejectedEvent] = Field(default_factory=list)  # this user's unresolved
    sop_stamp: tuple[int, int] = (0, 0)
    hub_time: datetime


class SyncStatus(_Model):
    """The workstation's sync state, for the status line and ``sync status``."""

    online: bool
    pending: int  # outbox rows waiting to be sent (for the signed-in user)
    rejected: int  # refused, not yet resolved
    last_synced: datetime | None  # the hub's time at the last successful pull or push
    offset_seconds: float | None  # hub time − this workstation's time
    rtt_seconds: float | None
    cursor: int
    suspect_clock: bool = False
    last_error: str | None = None  # why the last attempt failed (plain English)


CompletionState = Literal["accepted", "pending", "rejected"]


class Completion(_Model):
    """What completing (or returning) an item on a workstation led to. The local transaction
    has committed whatever the state: the outcome is saved on this workstation and will not be
    lost. ``accepted``: the hub applied it; ``pending``: the hub did not answer within
    ``sync_wait_seconds`` (offline) and the sender keeps trying; ``rejected``: the hub refused it
    (``reason``), kept for review ("not applied — v to review")."""

    event_id: str
    state: CompletionState
    outcome_id: int | None = None
    code: str | None = None
    reason: str | None = None


# What a workstation says when the hub is needed and not answering (the UI and CLI show these).
OFFLINE_CLAIM = (
    "Claiming needs the hub, which is not answering. Finish the items you hold (Mine); new items "
    "can be claimed when it is back."
)
OFFLINE_ACTION = "This needs the hub, which is not answering. Try again when it is back."
SAVED_OFFLINE = "Saved on this workstation — it will be sent when the hub is back."
NOT_APPLIED = "not applied — v to review"
