"""What crosses the hub API, as JSON: the request bodies, the replies, and how a domain value is
written and read back.

Shared by the server (``hub.routes``) and the HTTP client (``client.http``), so both ends read one
definition. Replies are the domain values themselves (dataclasses, NamedTuples and pydantic models
from ``ehub_tui.domain``), written and read with the TypeAdapters below; only where a domain value
has no JSON form of its own (tuple-keyed dicts, bytes, a ``(rows, total)`` pair, a bare int) is
there a wire model here. Times are ISO 8601 with an offset (UTC on the hub).

Imports no web framework (only pydantic), so the client can import it without FastAPI.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from ehub_tui.domain.board import Board, HolderDraft
from ehub_tui.domain.handover import Handover
from ehub_tui.domain.models import (
    AuditEvent,
    Consultation,
    IntakeResult,
    NewConsultation,
    Outcome,
    PracticeInfo,
    QuarantineEntry,
    RecordOrigin,
    ReleasedRecord,
    SopPublished,
    UserInfo,
)
from ehub_tui.domain.queue import Claim, ClaimState, QueueFilter, QueueRow, QueueSummary
from ehub_tui.export.report import Report
from ehub_tui.export.returns import DailyReturn, PracticeRef, Value
from ehub_tui.hub.principal import SignedIn
from ehub_tui.hub.wire_sops import PublishedTextWire as PublishedTextWire  # (re-exported)
from ehub_tui.hub.wire_sops import SopStamp as SopStamp
from ehub_tui.hub.wire_sops import SopUploadIn as SopUploadIn
from ehub_tui.hub.wire_sops import SubmittedOut as SubmittedOut
from ehub_tui.store.intake import storable_text

API = "/v1"
HUB_TIME_HEADER = "X-Ehub-Hub-Time"  # the hub's clock when it answered (every reply)
ROLE_HEADER = "X-Ehub-Role"  # the caller's role as the hub read it for this request ("" if none)
DEVICE_HEADER = "X-Ehub-Device"  # the device id a token is bound to (every signed-in request)
MAX_BODY_BYTES = 10 * 1024 * 1024  # the largest request body the hub reads (an intake batch)
MAX_PAGE = 500  # the largest queue page one request may ask for


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # a misspelt field: a 422 naming it


class ErrorBody(BaseModel):
    """Every refusal's body. ``error`` is the ``ehub_tui.errors`` class name (the client raises
    that class again); ``message`` one plain-English sentence; ``code`` the SessionEnded reason
    (invalid_token | expired | revoked | wrong_device | disabled); ``retry_after`` seconds for
    AccountLocked; ``item_id``/``owner``/``status``/``epoch`` what a LostClaim says."""

    error: str
    message: str
    code: str | None = None
    retry_after: int | None = None
    item_id: int | None = None
    owner: str | None = None
    status: str | None = None
    epoch: int | None = None


class SignInIn(_In):
    """POST /v1/auth/sign-in."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)  # the policy's cap is lower; this bounds the hashing
    device_id: str = Field(min_length=1, max_length=64)
    client: str = Field(default="", max_length=64)


class PasswordChangeIn(_In):
    """POST /v1/me/password."""

    old: str = Field(max_length=1024)
    new: str = Field(max_length=1024)


class PasswordResetIn(_In):
    """POST /v1/users/{username}/password (admin)."""

    new: str = Field(max_length=1024)
    must_change: bool = True


class UserIn(_In):
    """POST /v1/users (admin)."""

    username: str
    role: str
    display_name: str = ""


class UserPatch(_In):
    """PATCH /v1/users/{username} (admin): one of role or active."""

    role: str | None = None
    active: bool | None = None


class MeOut(BaseModel):
    """GET /v1/me: the signed-in user as the hub sees them now (client.protocol.Me)."""

    user: UserInfo
    permissions: list[str]
    hub_time: datetime
    device_id: str


class Revoked(BaseModel):
    """POST /v1/users/{username}/sessions/revoke: how many sign-ins ended."""

    revoked: int


class WireConsultation(NewConsultation):
    """A NewConsultation as sent: ``origin`` (where it was read from) is validated here, since
    the domain model takes it as given (SkipValidation)."""

    origin: RecordOrigin | None = None

    @classmethod
    def of(cls, item: NewConsultation) -> WireConsultation:
        """The wire form of a domain value (a raw text's undecodable bytes as the store keeps
        them: JSON cannot carry a lone surrogate)."""
        fields = {name: getattr(item, name) for name in NewConsultation.model_fields}
        origin = fields.get("origin")
        if origin is not None:
            fields["origin"] = dataclasses.replace(
                origin,
                source_file=storable_text(origin.source_file),
                location=storable_text(origin.location),
                raw=storable_text(origin.raw),
            )
        return cls(**fields)

    def to_domain(self) -> NewConsultation:
        """The domain value the service takes."""
        return NewConsultation(
            **{name: getattr(self, name) for name in NewConsultation.model_fields}
        )


class IntakeIn(_In):
    """POST /v1/intake (ingest): new consultations and records to quarantine, in one batch."""

    items: list[WireConsultation] = Field(default_factory=list)
    quarantined: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("quarantined", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        # a bad file's bytes arrive as lone surrogates (surrogateescape), which JSON cannot
        # carry: sent as the store keeps them anyway (U+FFFD), so nothing differs from in-process
        if not isinstance(value, list):
            return value
        return [
            {k: storable_text(v) if isinstance(v, str) else v for k, v in entry.items()}
            if isinstance(entry, dict)
            else entry
            for entry in value
        ]


class Count(BaseModel):
    """How many were added or changed (PUT /v1/practices)."""

    count: int


class ConsultationId(BaseModel):
    """GET /v1/consultations/by-key: the id, or null when none is stored."""

    id: int | None


class ReasonIn(_In):
    """A supervisor's or navigator's reason (discard, force-release, cancel, release-held)."""

    reason: str = Field(max_length=2000)


# -- the queue -------------------------------------------------------------------------------------


class ReleaseIn(_In):
    """POST /v1/items/{id}/release."""

    claim: Claim
    reason: str = Field(max_length=2000)


class CompleteIn(_In):
    """POST /v1/items/{id}/complete."""

    claim: Claim
    outcome: Outcome


class OutcomeId(BaseModel):
    """The stored outcome's id."""

    outcome_id: int


class ReassignIn(_In):
    """POST /v1/items/{id}/reassign (supervisor). ``reason`` is the handover note the receiver
    sees; ``carry_draft``: the previous holder's last draft goes with it."""

    to_user: str
    reason: str = Field(max_length=2000)
    carry_draft: bool = False


class PriorityIn(_In):
    """POST /v1/items/{id}/priority (supervisor)."""

    priority: int
    reason: str = Field(max_length=2000)


class QueuePage(BaseModel):
    """GET /v1/queue: one window of a view, and the view's total size."""

    rows: list[QueueRow]
    total: int


class WhyLost(BaseModel):
    """GET /v1/items/{id}/why-lost: None while the claim still holds its item."""

    reason: str | None


class Released(BaseModel):
    """POST /v1/claims/release: the ids returned to the queue."""

    released: list[int]


def filter_params(filters: QueueFilter) -> dict[str, str]:
    """A QueueFilter as the query parameters GET /v1/queue reads (unset ones left out; lists
    comma-separated)."""
    out: dict[str, str] = {}
    if filters.practice:
        out["practice"] = filters.practice
    if filters.request_type:
        out["request_type"] = filters.request_type
    if filters.min_priority:
        out["min_priority"] = str(filters.min_priority)
    if filters.due_before is not None:
        out["due_before"] = filters.due_before.isoformat()
    if filters.search:
        out["search"] = filters.search
    for name in ("practices", "request_types", "age_bands"):
        if getattr(filters, name):
            out[name] = ",".join(getattr(filters, name))
    if filters.waited_over_hours is not None:
        out["waited_over_hours"] = str(filters.waited_over_hours)
    if filters.sort != "priority":
        out["sort"] = filters.sort
    return out


class DailyReturnCell(BaseModel):
    """One (day, practice) of a return: its (supplier, metric, value) triples."""

    day: str
    practice: str
    values: list[tuple[str, str, Value]]


class DailyReturnWire(BaseModel):
    """A DailyReturn as JSON (its cells are keyed by tuples, which JSON objects cannot be)."""

    first: date
    last: date
    practices: list[PracticeRef]
    suppliers: list[str]
    destinations: list[str]
    cells: list[DailyReturnCell]
    totals: dict[str, dict[str, Value]]

    @classmethod
    def of(cls, ret: DailyReturn) -> DailyReturnWire:
        """The wire form of a return."""
        cells = [
            DailyReturnCell(
                day=day, practice=practice, values=[(s, m, v) for (s, m), v in values.items()]
            )
            for (day, practice), values in ret.cells.items()
        ]
        return cls(
            first=ret.first,
            last=ret.last,
            practices=ret.practices,
            suppliers=ret.suppliers,
            destinations=ret.destinations,
            cells=cells,
            totals=ret.totals,
        )

    def to_domain(self) -> DailyReturn:
        """The DailyReturn the export writers take."""
        return DailyReturn(
            first=self.first,
            last=self.last,
            practices=list(self.practices),
            suppliers=list(self.suppliers),
            destinations=list(self.destinations),
            cells={(c.day, c.practice): {(s, m): v for s, m, v in c.values} for c in self.cells},
            totals={k: dict(v) for k, v in self.totals.items()},
        )


class Cursor(BaseModel):
    """GET /v1/changes/cursor: grows whenever anything changes (the audit chain's head)."""

    cursor: int


class HubTime(BaseModel):
    """GET /v1/time: the hub's clock and its UK-local date."""

    hub_time: datetime
    today: date


class Health(BaseModel):
    """GET /v1/health (no sign-in) and GET /v1/ready."""

    status: str  # "ok" | "not ready"
    detail: str = ""


# -- how each reply is written and read ----------------------------------------------------------
# (the server writes with ``dump_json``, the client reads with ``validate_json``)

SIGNED_IN = TypeAdapter(SignedIn)
ME = TypeAdapter(MeOut)
USER = TypeAdapter(UserInfo)
USER_OR_NONE = TypeAdapter(UserInfo | None)
USERS = TypeAdapter(list[UserInfo])
PRACTICES = TypeAdapter(list[PracticeInfo])
INTAKE_RESULT = TypeAdapter(IntakeResult)
QUARANTINE_ENTRY = TypeAdapter(QuarantineEntry)
QUARANTINE_ENTRIES = TypeAdapter(list[QuarantineEntry])
RELEASED_RECORD = TypeAdapter(ReleasedRecord)
CLAIM = TypeAdapter(Claim)
CLAIM_OR_NONE = TypeAdapter(Claim | None)
CLAIMS = TypeAdapter(list[Claim])
CLAIM_STATE = TypeAdapter(ClaimState)
CONSULTATION = TypeAdapter(Consultation)
QUEUE_PAGE = TypeAdapter(QueuePage)
VIEW_COUNTS = TypeAdapter(dict[str, int])
QUEUE_SUMMARY = TypeAdapter(QueueSummary)
BOARD = TypeAdapter(Board)
HOLDER_DRAFT = TypeAdapter(HolderDraft)
HANDOVERS = TypeAdapter(list[Handover])
REPORT = TypeAdapter(Report)
DAILY_RETURN = TypeAdapter(DailyReturnWire)
HOURLY_ARRIVALS = TypeAdapter(dict[str, list[int]])  # issue 16: by practice and ALL
AUDIT_EVENTS = TypeAdapter(list[AuditEvent])
PUBLISHED = TypeAdapter(list[PublishedTextWire])
SOP_PUBLISHED = TypeAdapter(SopPublished)
ERROR = TypeAdapter(ErrorBody)
