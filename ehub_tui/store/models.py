"""SQLModel tables of the hub store. Times are stored as naive UTC and read back as aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC; returns aware UTC."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Convert to naive UTC on the way in."""
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Attach UTC on the way out."""
        if value is None:
            return None
        if isinstance(value, str):  # defensive: raw SQLite text
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Aware UTC now."""
    return datetime.now(UTC)


def _dt(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Practice(SQLModel, table=True):
    """A member practice of the PCN."""

    __tablename__ = "practice"

    ods_code: str = Field(primary_key=True, max_length=16)
    name: str
    pcn_code: str = ""
    pcn_name: str = ""
    list_size: int = 0
    active: bool = True


# partial indexes hold only what waits in the queue (both engines)
_WAITS = text("status = 'queued'")
_QUEUED: dict[str, Any] = {"sqlite_where": _WAITS, "postgresql_where": _WAITS}
_QUEUE_ORDER = (text("priority DESC"), "received_at", "id")  # the queue's order (store/views.py)


class Consultation(SQLModel, table=True):
    """An online consultation: the queue item."""

    __tablename__ = "consultation"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_consultation_source_external"),
        Index("ix_consultation_queue", *_QUEUE_ORDER, **_QUEUED),
        # migration 0020: the queue in due order (store/views.py _SORTED["due"])
        Index("ix_consultation_queue_due", "due_by", text("priority DESC"), "id", **_QUEUED),
        # migration 0021: a request type's queue in the queue's order; the queue by birth date
        Index("ix_consultation_queue_type", "request_type", *_QUEUE_ORDER, **_QUEUED),
        Index("ix_consultation_queue_dob", "date_of_birth", **_QUEUED),
        Index("ix_consultation_owner", "owner"),
        Index("ix_consultation_practice", "practice_ods"),
        Index("ix_consultation_screened", "screened_at"),
        # migration 0003: the board's counts come from these
        Index("ix_consultation_status_due", "status", "due_by"),
        Index("ix_consultation_status_practice", "status", "practice_ods", "received_at", "due_by"),
        Index("ix_consultation_status_received", "status", "received_at"),
        Index("ix_consultation_received_practice", "received_at", "practice_ods"),
        # migration 0004: the daily return's open-at-midnight backlog reads only these
        Index("ix_consultation_completed", "completed_at", "received_at", "practice_ods"),
        Index("ix_consultation_cancelled", "cancelled_at", "received_at", "practice_ods"),
        Index("ix_consultation_nhs_number", "nhs_number"),  # migration 0013: `/` by NHS number
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    external_id: str = Field(max_length=128)
    practice_ods: str = Field(foreign_key="practice.ods_code", max_length=16)
    nhs_number: str = Field(max_length=10)
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date
    sex: str = Field(max_length=16)
    received_at: datetime = _dt()
    request_type: str = Field(max_length=16)
    template: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    free_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    supplier_flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    priority: int = 0
    status: str = Field(default="queued", max_length=16)
    owner: str | None = Field(default=None, max_length=64)
    epoch: int = 0
    lease_until: datetime | None = _dt(nullable=True)
    due_by: datetime = _dt()
    claimed_at: datetime | None = _dt(nullable=True)
    completed_at: datetime | None = _dt(nullable=True)
    ingested_at: datetime = _dt()
    updated_at: datetime = _dt()
    screened_at: datetime | None = _dt(nullable=True)  # red-flag prescreen done (migration 0002)
    sop_flags: list[dict[str, str]] | None = Field(default=None, sa_column=Column(JSON))
    # migration 0004: for the daily return (time to first action; cancellations by day)
    first_claimed_at: datetime | None = _dt(nullable=True)
    cancelled_at: datetime | None = _dt(nullable=True)
    # migration 0010: the hub's time of the open screen's last heartbeat (not audited, as the
    # lease: outside the row's digest); a claim idle since max(claimed_at, active_at) is stale
    active_at: datetime | None = _dt(nullable=True)
    # migration 0015: "month"/"year" for a partial FHIR birthDate (date_of_birth is then the first
    # day of that part); NULL is a full date ("day"), so older rows keep their audit digests
    dob_precision: str | None = Field(default=None, max_length=8)
    # migration 0017: when a retention purge blanked the item's patient-identifiable fields
    # (hub time; NULL until then, so older rows' audit digests stay as they were)
    purged_at: datetime | None = _dt(nullable=True)


class Outcome(SQLModel, table=True):
    """What was done with a consultation, with its timings. One per completed consultation."""

    __tablename__ = "outcome"
    __table_args__ = (Index("ix_outcome_completed", "completed_at"),)  # migration 0004

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", unique=True)
    navigator: str = Field(max_length=64)
    category: str = Field(max_length=32)  # signpost | clinical | admin | escalate
    route: str = Field(max_length=128)
    destination: str = ""
    urgency: str = ""
    snomed_code: str | None = None
    sop_id: str | None = None
    sop_version: str | None = None
    sop_sha256: str | None = None
    engine_version: str | None = None
    override_reason: str | None = None
    note: str | None = None
    message: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = _dt()
    claimed_at: datetime | None = _dt(nullable=True)
    first_viewed_at: datetime | None = _dt(nullable=True)
    completed_at: datetime = _dt()
    handling_seconds: float = 0.0
    epoch: int = 0
    # migration 0004: the waits the daily return reports, fixed when the item is completed
    # (each time cut to its whole second, then the difference)
    first_action_seconds: int | None = None
    completion_seconds: int | None = None
    # migration 0007: the route's destination code (domain/destinations.py), which returns count;
    # NULL on outcomes recorded before routes had codes (returns derive theirs, store/returns.py)
    destination_code: str | None = Field(default=None, max_length=40)
    # migration 0009: a completion pushed from a workstation's outbox (NULL on outcomes completed
    # directly, so their audit digests stay as they were). ``completed_at`` stays the hub's
    # time (returns use it); these keep the workstation's view beside it.
    client_completed_at: datetime | None = _dt(nullable=True)  # client_at + its offset
    clock_offset_seconds: float | None = None  # the workstation's estimate of hub − its time
    clock_suspect: bool | None = None  # |offset| > SUSPECT_OFFSET_SECONDS (None: unknown)
    late: bool | None = None  # accepted after the holder's own lease ran out (a setting)
    event_id: str | None = Field(default=None, max_length=36)  # the sync event it came from
    active_seconds: float | None = None  # time the item was on screen (workstation monotonic)
    # migration 0011: the outcome panel's mode of contact and team in words (NULL on older
    # outcomes, so their audit digests stay as they were)
    contact_mode: str | None = Field(default=None, max_length=16)
    team: str | None = Field(default=None, max_length=120)


class HubUser(SQLModel, table=True):
    """A person who signs in to the hub."""

    __tablename__ = "hub_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = ""
    role: str = Field(max_length=32)  # 16 until migration 0005 (clinical_approver is 17)
    active: bool = True
    created_at: datetime = _dt()
    last_seen_at: datetime | None = _dt(nullable=True)


class AuditEvent(SQLModel, table=True):
    """One link of the append-only audit chain."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_consultation", "consultation_id"),
        Index("ix_audit_action_at", "action", "at"),  # migration 0004
    )

    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    at: datetime = _dt()
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    consultation_id: int | None = None
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    body_digest: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The single row holding the chain's last sequence number and hash (locked by writers)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)


class Quarantine(SQLModel, table=True):
    """A record that could not be stored, kept with where it came from and why."""

    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_status", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    source_file: str
    location: str
    reason: str = Field(sa_column=Column(Text, nullable=False))
    raw: str = Field(default="", sa_column=Column(Text, nullable=False))
    fmt: str = Field(default="", max_length=16)
    source: str | None = None
    external_id: str | None = None
    status: str = Field(default="open", max_length=16)  # open | released | discarded
    created_at: datetime = _dt()
    resolved_at: datetime | None = _dt(nullable=True)
    consultation_id: int | None = None
    # issue 16 (migration 0018): None for a bad record; "withdrawn_worked" (the supplier withdrew
    # an item already claimed or completed) or "amended_conflict" for what the supervisor must
    # review (store/response_status.py; the board lists them)
    kind: str | None = Field(default=None, max_length=24)


class SopVersion(SQLModel, table=True):
    """One published version of a SOP (migration 0005): exactly the text that was approved.

    Apps are guided only by these rows (the newest version of each SOP that loads), never by a
    file. A version is never changed or deleted; publishing adds a row with a higher version.
    """

    __tablename__ = "sop_version"
    __table_args__ = (UniqueConstraint("sop_id", "version", name="uq_sop_version"),)

    id: int | None = Field(default=None, primary_key=True)  # also the order of publishing
    sop_id: str = Field(max_length=64)
    version: str = Field(max_length=32)
    sha256: str = Field(max_length=64)  # of sop_text's UTF-8 bytes
    file_name: str = Field(max_length=255)  # the file it was published from (for messages)
    sop_text: str = Field(sa_column=Column(Text, nullable=False))
    tests_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    approved_by: str = Field(max_length=200)  # the approver's username (seeded: the file's)
    submitted_by: str | None = Field(default=None, max_length=64)
    published_by: str = Field(max_length=64)  # who published it: the approver, or "system"
    published_at: datetime = _dt()  # hub time


class AuditCheckpoint(SQLModel, table=True):
    """A signed checkpoint of the audit chain (migration 0006): the hub's Ed25519 signature over
    event ``seq``'s hash, so a rewritten, cut or wiped chain is found by ``audit verify``."""

    __tablename__ = "audit_checkpoint"

    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    at: datetime = _dt()  # hub time of the event it signs
    hash: str = Field(max_length=64)
    key_id: str = Field(max_length=16)  # sha256 fingerprint of the public key
    signature: str = Field(max_length=128)  # base64 Ed25519 signature


class HubCredential(SQLModel, table=True):
    """A hub user's password (migration 0008): its argon2id hash and the failed-sign-in count.

    A table of its own, not columns on ``hub_user``: the audit digests every ``hub_user`` column
    but ``last_seen_at``, so counters there would need an audit event per failed sign-in. Here
    the counters (``failed_count``, ``last_failed_at``, ``locked_until``) are outside the digest
    while the hash is inside it (store/coverage.py).
    """

    __tablename__ = "hub_credential"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("hub_user.id"), primary_key=True, autoincrement=False)
    )
    password_hash: str = Field(max_length=255)  # argon2's PHC string: never logged or audited
    password_set_at: datetime = _dt()
    must_change: bool = False
    failed_count: int = 0  # consecutive failed sign-ins (a success or a reset clears it)
    last_failed_at: datetime | None = _dt(nullable=True)
    locked_until: datetime | None = _dt(nullable=True)


class HubSession(SQLModel, table=True):
    """One sign-in (migration 0008): the SHA-256 of its bearer token, the device it is bound to
    and when it ends. The token itself is never stored."""

    __tablename__ = "hub_session"
    __table_args__ = (Index("ix_hub_session_user_revoked", "user_id", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    token_digest: str = Field(max_length=64, unique=True)  # sha256 hex of the token
    user_id: int = Field(foreign_key="hub_user.id")
    device_id: str = Field(max_length=64)
    created_at: datetime = _dt()
    last_used_at: datetime = _dt()  # written at most every 30 s (hub.auth), outside the digest
    absolute_expires_at: datetime = _dt()
    revoked_at: datetime | None = _dt(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=64)
    revoke_reason: str | None = Field(default=None, max_length=32)
    client: str = Field(default="", max_length=64)


class SyncEventRow(SQLModel, table=True):
    """The dedupe ledger of pushed sync events (migration 0009): one row per event the hub has
    answered, so a resend gets the stored answer and is never applied twice. Never deleted."""

    __tablename__ = "sync_event"
    __table_args__ = (Index("ix_sync_event_device", "username", "device_id", "device_seq"),)

    event_id: str = Field(primary_key=True, max_length=36)  # the workstation's uuid
    device_id: str = Field(max_length=64)
    device_seq: int
    username: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # complete | release | draft | viewed
    item_id: int
    epoch: int
    client_at: datetime = _dt()  # the workstation's wall clock when the navigator acted
    offset_seconds: float | None = None
    rtt_seconds: float | None = None
    received_at: datetime = _dt()  # the hub's time it first answered the event
    state: str = Field(max_length=16)  # accepted | rejected
    code: str | None = Field(default=None, max_length=32)  # a REJECT_* code
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    outcome_id: int | None = None  # the outcome an accepted completion wrote
    late: bool = False


class SyncRejected(SQLModel, table=True):
    """A pushed event the hub refused (migration 0009), kept whole until a supervisor resolves
    it; never deleted (resolving fills ``resolved_*``)."""

    __tablename__ = "sync_rejected"
    __table_args__ = (Index("ix_sync_rejected_user", "username", "resolved_at"),)

    event_id: str = Field(primary_key=True, max_length=36)
    device_id: str = Field(max_length=64)
    username: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    item_id: int
    epoch: int
    code: str = Field(max_length=32)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    client_at: datetime = _dt()
    rejected_at: datetime = _dt()  # hub time
    resolved_at: datetime | None = _dt(nullable=True)
    resolved_by: str | None = Field(default=None, max_length=64)
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SyncDraft(SQLModel, table=True):
    """The latest draft a navigator pushed for an item they hold (migration 0009), for
    supervisors (and a later handover on reassign). One per (item, user); ``id`` is the key the
    audit coverage names it by."""

    __tablename__ = "sync_draft"
    __table_args__ = (UniqueConstraint("item_id", "username", name="uq_sync_draft_item_user"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int
    username: str = Field(max_length=64)
    epoch: int
    draft: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _dt()  # hub time
