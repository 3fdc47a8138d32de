"""Typed models that cross a boundary: what the service hands the UI and CLI, and what they hand
back. Nothing here does I/O; the store converts its rows into these and back. The queue's values
(Claim, ClaimState, QueueFilter, QueueRow, QueueSummary) are in domain.queue, the board's in
domain.board.

Why pydantic (already a dependency): these are the shapes the hub API will carry in issue 13, and
a model validates a value once where it enters instead of every reader checking a dict. A few
small values stay frozen slotted dataclasses (UserInfo, PracticeInfo, SopPublished): built only
from the store's own columns, and the CLI prints them field by field from their ``__slots__``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from ehub_tui.domain.contact import ContactMode
from ehub_tui.domain.fields import OC_FIELDS
from ehub_tui.domain.types import Priority, Status


class _Model(BaseModel):
    # frozen: a value handed across a boundary is never changed behind the giver's back;
    # extra="forbid": a misspelt field is an error where it is made, not a silent drop.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Consultation(_Model):
    """An online consultation as the hub holds it: the patient's request and its queue state."""

    id: int
    source: str
    external_id: str
    practice_ods: str
    nhs_number: str
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date
    sex: str
    received_at: datetime
    request_type: str
    template: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    free_text: str = ""
    supplier_flags: list[str] = Field(default_factory=list)
    priority: Priority = Priority.NORMAL
    status: Status = Status.QUEUED
    owner: str | None = None
    epoch: int = 0
    lease_until: datetime | None = None
    due_by: datetime
    claimed_at: datetime | None = None
    completed_at: datetime | None = None
    ingested_at: datetime
    updated_at: datetime
    screened_at: datetime | None = None
    sop_flags: list[dict[str, str]] | None = None
    first_claimed_at: datetime | None = None
    cancelled_at: datetime | None = None
    active_at: datetime | None = None  # the open screen's last heartbeat (issue 15, 0010)
    # how much of date_of_birth is known: None (a full date, "day"), "month" or "year" (issue 16,
    # 0015); the age is then approximate (domain.patient.age_label)
    dob_precision: str | None = None
    # when a retention purge blanked the patient's details (issue 16, 0017): None until then
    purged_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Consultation:
        """From a store row (a SQLAlchemy Row or a mapping of its columns)."""
        mapping = getattr(row, "_mapping", row)
        return cls.model_validate(dict(mapping))


class FlagHandling(_Model):
    """What the navigator did with one red flag raised on the item."""

    id: str
    level: str
    handled: str = ""  # "" (not handled), or how: escalated, same_day, dismissed, …
    reason: str = ""


class OutcomeDetail(_Model):
    """Why the outcome is what it is: the answers, the flags and how each was handled, and the
    engine's reasoning (kept as the JSON the engine gives, for the audit and the trace view)."""

    answers: dict[str, Any] = Field(default_factory=dict)
    red_flags: list[FlagHandling] = Field(default_factory=list)
    suggested_route: str | None = None
    pathway_route: str | None = None
    pathway: str | None = None
    proposal: str | None = None
    stated: dict[str, Any] = Field(default_factory=dict)
    cautions: list[dict[str, Any]] = Field(default_factory=list)
    flag_evidence: dict[str, Any] = Field(default_factory=dict)
    sops: list[dict[str, Any]] = Field(default_factory=list)
    matched_rules: list[str] = Field(default_factory=list)
    trace: list[dict[str, Any]] = Field(default_factory=list)


class Outcome(_Model):
    """What was decided for an item, as the navigator submits it. The hub adds who, when and the
    waits (store/queue.complete)."""

    category: str = Field(min_length=1)  # signpost | clinical | admin | escalate
    route: str = Field(min_length=1)
    destination: str = ""
    destination_code: str | None = None
    urgency: str = ""
    snomed_code: str | None = None
    # the outcome panel (issue 15): how the patient is contacted and which team acts, in words
    # (None on outcomes recorded before the panel, and by clients that do not send them)
    contact_mode: ContactMode | None = None
    team: str | None = Field(default=None, max_length=120)
    sop_id: str | None = None
    sop_version: str | None = None
    sop_sha256: str | None = None
    engine_version: str | None = None
    override_reason: str | None = None
    note: str | None = None
    message: str | None = None
    first_viewed_at: datetime | None = None
    handling_seconds: float = 0.0
    detail: OutcomeDetail = Field(default_factory=OutcomeDetail)

    def record(self) -> dict[str, Any]:
        """The columns the store writes (detail as its JSON)."""
        return self.model_dump(mode="python") | {"detail": self.detail.model_dump(mode="json")}


class AuditEvent(_Model):
    """One event of the audit chain as the apps show it: who did what to which item, and why.
    ``covers`` and ``shows`` are the digests and kept values of the rows it wrote (for
    ``audit verify``), taken out of the body, which keeps the story."""

    seq: int
    at: datetime
    actor: str
    action: str
    consultation_id: int | None = None
    body: dict[str, Any] = Field(default_factory=dict)
    covers: list[Any] = Field(default_factory=list)
    shows: list[Any] = Field(default_factory=list)


class QuarantineEntry(_Model):
    """A record that could not be stored, kept with where it came from and why. ``raw`` (the
    record as received) is read only for one entry, never for a list."""

    id: int
    source_file: str
    location: str
    reason: str
    status: str  # open | released | discarded
    created_at: datetime
    source: str | None = None
    external_id: str | None = None
    fmt: str = ""
    raw: str | None = None
    resolved_at: datetime | None = None
    consultation_id: int | None = None
    # issue 16: None for a bad record; withdrawn_worked or amended_conflict for a supplier's
    # change of a worked item (domain/supplier_alerts.py)
    kind: str | None = None


class TraceStep(NamedTuple):
    """One test a SOP condition made while the engine decided (the trace the explain tree, the
    triage screen and the stored outcome show). Unpacks as the 6-tuple it used to be:
    ``condition, field, operator, expected, actual, result``."""

    condition: str  # the condition's name in its SOP (e.g. ``red_flags.chest_pain.when``)
    field: str  # what it looked at: ``age``, ``answers.fever``, ``free_text``…
    operator: str  # eq, gte, between, contains_any, mentions… (sop.models.OPERATORS)
    expected: Any  # the value the rule names
    actual: Any  # what the consultation held (None: not set; the phrase found, for text)
    result: bool  # whether the test passed


@dataclass(frozen=True, slots=True)
class RecordOrigin:
    """Where an ingested record was read from: its file, place in it, own text and format. Kept
    with the record so that, should it turn out to be a conflicting duplicate, its quarantine
    entry holds the text as received (without it the record's own JSON is kept, as fmt "row")."""

    source_file: str
    location: str
    raw: str
    fmt: str


class NewConsultation(_Model):
    """A validated online consultation to store (what ingest hands the service, one per record):
    the supplier's fields of docs/formats.md and the priority its flags ask for. The hub adds
    the rest when it stores one (status, due time, when ingested).

    A pydantic model as the other boundary values are. Measured (issue 12, a busy machine):
    building one costs about 6.4 µs against 4.9 µs for a frozen slotted dataclass (~1 % of the
    ~160 µs a record takes to ingest); the whole typed intake path adds ~7.7 µs a record (~4.5 %),
    under the 5 % that would have made it a dataclass.
    """

    source: str
    external_id: str
    practice_ods: str
    nhs_number: str
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date
    sex: str
    received_at: datetime
    request_type: str
    template: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    free_text: str = ""
    supplier_flags: list[str] = Field(default_factory=list)
    priority: int = 0  # Priority's value (a plain int: a database driver may write an enum's name)
    # "day", or "month"/"year" for a partial FHIR birthDate (issue 16; stored NULL for "day")
    dob_precision: str = "day"
    # not columns: where it came from (see RecordOrigin; taken as given, never re-validated),
    # and whether a conflicting duplicate is to be refused rather than quarantined (retrying a
    # record that is in quarantine already)
    origin: SkipValidation[RecordOrigin | None] = None
    refuse_conflict: bool = False
    # issue 16: the QuestionnaireResponse's status (completed, amended, in-progress,
    # entered-in-error, stopped); not a column: what intake does with the record
    # (store/response_status.py)
    response_status: str = "completed"

    def columns(self) -> dict[str, Any]:
        """The consultation's own columns (every field but ``origin`` and ``refuse_conflict``)."""
        return {name: getattr(self, name) for name in _NEW_COLUMNS}


_NEW_COLUMNS = (*OC_FIELDS, "priority")


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What storing a batch did: (item index, new id) of every new consultation, the ids of the
    quarantine entries made, and the indexes of the items quarantined as conflicting duplicates
    (counted as quarantined). Unpacks as the 2-tuple (created, quarantine_ids) it used to be."""

    created: list[tuple[int, int]]
    quarantine_ids: list[int]
    conflicting: list[int] = field(default_factory=list)
    # issue 16: (item index, what was done) for items whose response status was not a plain
    # completed one: waiting, stopped, withdrawn, flagged, withdrawn_unknown, amended
    # (store/response_status.py); an amended conflict is in ``conflicting`` instead
    handled: list[tuple[int, str]] = field(default_factory=list)

    def __iter__(self) -> Iterator[Any]:
        # ``created, qids = service.store_intake(...)``, as callers have always written it
        return iter((self.created, self.quarantine_ids))


class ReleasedRecord(NamedTuple):
    """A quarantined record stored at last: its consultation id, and whether it was new rather
    than already stored (unpacks as a 2-tuple)."""

    consultation_id: int
    new: bool


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A hub user as the apps see them."""

    username: str
    role: str
    display_name: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class PracticeInfo:
    """A member practice."""

    ods_code: str
    name: str
    pcn_code: str
    pcn_name: str
    list_size: int


@dataclass(frozen=True, slots=True)
class SopPublished:
    """A SOP version the hub has published."""

    sop_id: str
    version: str
    sha256: str
    old_version: str | None  # the newest version published before it (None: a new SOP)
    old_sha256: str | None
    approved_by: str  # the clinical approver's username
    file: Path
    note: str | None = None  # why the author's file was not rewritten to the published text


class Checkpoint(_Model):
    """A signed checkpoint of the audit chain: the hub's signature over event ``seq``'s hash."""

    seq: int
    at: datetime
    hash: str
    key_id: str
    signature: str
