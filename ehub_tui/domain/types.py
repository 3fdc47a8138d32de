"""Enumerations and small value types shared by every layer: each vocabulary (statuses, request
types, sexes, priorities and their labels, outcome categories) is written down here once; the
ingest validator, the SOP schema, the returns and the screens name these."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum, StrEnum


class Status(StrEnum):
    """Where a consultation is in the queue."""

    QUEUED = "queued"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    AWAITING = "awaiting"  # parked for the patient's reply (issue 15; domain/awaiting.py)


class RequestType(StrEnum):
    """What the patient asked for."""

    CLINICAL = "clinical"
    ADMIN = "admin"
    OTHER = "other"


class Role(StrEnum):
    """What a hub user may do."""

    NAVIGATOR = "navigator"
    SUPERVISOR = "supervisor"
    SOP_AUTHOR = "sop_author"  # writes and checks SOPs; submits them for approval
    CLINICAL_APPROVER = "clinical_approver"  # a clinician: approves and publishes SOP versions
    ADMIN = "admin"
    MANAGER = "manager"  # PCN manager: returns and reports, no queue work
    SERVICE = "service"  # a machine account (the ingest watcher): may only ingest
    # a machine account that writes the FHIR outbox (issue 16): may only read completed outcomes
    # with their patients, so the inbox watcher's token never can
    OUTBOX = "outbox"


# Accounts with no password that sign in with a long-lived token bound to one device
MACHINE_ROLES = frozenset({Role.SERVICE, Role.OUTBOX})


class Priority(IntEnum):
    """Queue priority: higher is served first."""

    NORMAL = 0
    URGENT = 1
    EMERGENCY = 2

    @property
    def label(self) -> str:
        """``normal``, ``urgent`` or ``emergency``."""
        return self.name.lower()

    @classmethod
    def from_flags(cls, flags: Iterable[str]) -> Priority:
        """The priority a set of flags asks for, the highest named: a supplier's flags
        (``Urgent``, any case) or the red-flag levels the SOP prescreen found."""
        lowered = {f.lower() for f in flags}
        if cls.EMERGENCY.label in lowered:
            return cls.EMERGENCY
        if cls.URGENT.label in lowered:
            return cls.URGENT
        return cls.NORMAL


PRIORITY_LABELS: dict[int, str] = {p.value: p.label for p in Priority}


class Sex(StrEnum):
    """Sex as recorded with the request."""

    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class Category(StrEnum):
    """What kind of outcome an item was closed with (the returns count each)."""

    SIGNPOST = "signpost"
    CLINICAL = "clinical"
    ADMIN = "admin"
    ESCALATE = "escalate"


# The vocabularies as plain tuples of their values, in their documented order.
REQUEST_TYPES: tuple[str, ...] = tuple(t.value for t in RequestType)
SEXES: tuple[str, ...] = tuple(s.value for s in Sex)
CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)
