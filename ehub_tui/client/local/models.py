"""The workstation's local tables (SQLModel), on their own MetaData: never the hub's.

One SQLite file per hub a workstation talks to (``<data_dir>/workstation/<hub key>.sqlite3``).
What each table holds and why is in docs/operations.md ("The workstation's local store"). Times
are aware UTC, stored as ISO text (``UtcText``) so they sort and read back exactly; ``*_at``
columns named "hub" hold the hub's time, the others this workstation's wall clock.

The schema is made by ``migrate.py`` (ordered steps over ``PRAGMA user_version``), not by
``create_all``: these classes describe the tables for queries, and a test checks that the two
agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, String
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UtcText(TypeDecorator[datetime]):
    """An aware datetime stored as UTC ISO text with microseconds (sorts as it reads)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> str | None:
        """Aware UTC ISO text on the way in (a naive time is taken as UTC)."""
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.isoformat(timespec="microseconds")

    def process_result_value(self, value: str | None, dialect: Any) -> datetime | None:
        """Aware UTC on the way out."""
        if value is None:
            return None
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


class LocalModel(SQLModel, registry=registry()):
    """Base of the local tables: a registry (and so a MetaData) of their own."""


def _dt(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UtcText(), nullable=nullable))


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(JSON(), nullable=nullable))


class Device(LocalModel, table=True):
    """This workstation as the hub knows it, and how its clock stands to the hub's (one row)."""

    __tablename__ = "device"

    id: str = Field(primary_key=True, max_length=64)
    hub_key: str = Field(max_length=64)
    next_seq: int = 1  # the next outbox row's device_seq (never reused, even after a purge)
    cursor: int = 0  # the last pull's cursor (of whoever pulled last; each user keeps their own)
    offset_seconds: float | None = None  # hub time − this workstation's time
    rtt_seconds: float | None = None
    last_synced: datetime | None = _dt()  # hub time of the last successful pull or push
    sop_stamp: Any = _json()  # the hub's sop_stamp the cached SOP versions match
    created: datetime | None = _dt()


class LocalUser(LocalModel, table=True):
    """A user who signed in here: what an offline sign-in needs (never a password: its
    argon2id verifier) and that user's pull cursor."""

    __tablename__ = "user"

    username: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=32)
    display_name: str = ""
    active: bool = True
    permissions: Any = _json(nullable=False)  # list of permission names
    verifier: str | None = None  # argon2id hash of the password, for an offline sign-in
    pull_cursor: int = 0
    updated: datetime | None = _dt()


class QueueCache(LocalModel, table=True):
    """An open item (queued or claimed) as the last pull showed it: the queue when offline."""

    __tablename__ = "queue_cache"
    __table_args__ = (Index("ix_queue_cache_order", "status", "priority", "received_at"),)

    item_id: int = Field(primary_key=True)
    row: Any = _json(nullable=False)  # the QueueRow as JSON
    status: str = Field(max_length=16)
    owner: str | None = None
    priority: int = 0
    received_at: datetime | None = _dt()
    due_by: datetime | None = _dt()
    practice: str = ""
    request_type: str = ""
    updated: datetime | None = _dt()  # hub time of the pull that wrote it


class Held(LocalModel, table=True):
    """An item claimed here, with its consultation, so it can be worked with the hub away."""

    __tablename__ = "held"

    item_id: int = Field(primary_key=True)
    username: str = Field(max_length=64, index=True)
    epoch: int = 0
    lease_until: datetime | None = _dt()  # the hub's lease end (hub time)
    consultation: Any = _json()  # the Consultation as JSON
    state: str = Field(default="held", max_length=16)  # held | completed | released | lost
    last_heartbeat: datetime | None = _dt()  # hub time of the last renewal
    updated: datetime | None = _dt()  # this workstation's time of the last local change


class Draft(LocalModel, table=True):
    """What a navigator has typed for an item so far (saved as they type)."""

    __tablename__ = "draft"

    item_id: int = Field(primary_key=True)
    username: str = Field(primary_key=True, max_length=64)
    epoch: int = 0
    draft: Any = _json(nullable=False)
    updated: datetime | None = _dt()


class OutcomeLocal(LocalModel, table=True):
    """An outcome recorded here, kept whatever the hub said (a refused one is kept whole)."""

    __tablename__ = "outcome_local"

    event_id: str = Field(primary_key=True, max_length=36)
    item_id: int = Field(index=True)
    username: str = Field(max_length=64)
    epoch: int = 0
    outcome: Any = _json(nullable=False)
    completed_at: datetime | None = _dt()  # this workstation's wall clock
    handling_seconds: float = 0.0
    active_seconds: float = 0.0
    state: str = Field(default="pending", max_length=16)  # pending | accepted | rejected
    hub_outcome_id: int | None = None
    code: str | None = None
    reason: str | None = None
    hub_at: datetime | None = _dt()  # when the hub answered (hub time)


class Outbox(LocalModel, table=True):
    """One event waiting to be sent, or sent with the hub's answer."""

    __tablename__ = "outbox"
    # the sender's question: this user's pending rows in device order
    __table_args__ = (Index("ix_outbox_pending", "state", "username", "device_seq"),)

    event_id: str = Field(primary_key=True, max_length=36)
    device_seq: int = Field(unique=True)
    username: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    item_id: int
    epoch: int = 0
    payload: Any = _json(nullable=False)
    client_at: datetime | None = _dt(nullable=False)
    offset_seconds: float | None = None
    rtt_seconds: float | None = None
    state: str = Field(default="pending", max_length=16)  # pending | acked | rejected
    attempts: int = 0
    next_try_at: datetime | None = _dt()  # wall time, for display only (the sender's timer
    # runs on the monotonic clock)
    result: Any = _json()  # the hub's EventResult as JSON
    created: datetime | None = _dt()
    acked_at: datetime | None = _dt()  # this workstation's time of the hub's answer
    resolved_at: datetime | None = _dt()  # a refused event the hub no longer lists unresolved


class SopCache(LocalModel, table=True):
    """A SOP version the hub published, so guidance starts with the hub away."""

    __tablename__ = "sops_cache"

    sha256: str = Field(primary_key=True, max_length=64)
    sop_id: str = Field(max_length=128)
    version: str = Field(max_length=64)
    name: str = ""
    text: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    tests: bytes | None = Field(default=None, sa_column=Column(LargeBinary(), nullable=True))
    approved_by: str = ""
    published_by: str = ""
    published_at: datetime | None = _dt()
    row_id: int = 0


TABLES = (Device, LocalUser, QueueCache, Held, Draft, OutcomeLocal, Outbox, SopCache)
METADATA = LocalModel.metadata
