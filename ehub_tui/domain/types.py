"""Enumerations and small value types shared by every layer."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Status(StrEnum):
    """Where a consultation is in the queue."""

    QUEUED = "queued"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


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


class Priority(IntEnum):
    """Queue priority: higher is served first."""

    NORMAL = 0
    URGENT = 1
    EMERGENCY = 2


class Sex(StrEnum):
    """Sex as recorded with the request."""

    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


def priority_from_flags(flags: tuple[str, ...] | list[str]) -> Priority:
    """Queue priority from supplier flags: emergency > urgent > normal."""
    lowered = {f.lower() for f in flags}
    if "emergency" in lowered:
        return Priority.EMERGENCY
    if "urgent" in lowered:
        return Priority.URGENT
    return Priority.NORMAL
