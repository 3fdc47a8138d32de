"""The hub service: what the UI and the CLI ask of the hub (``HubService``, the composition
root in ``hub.py``), made of one part per noun:

- ``session``: who is acting, the permission table, ``may`` and the audited refusal;
- ``users``: hub users and roles; ``intake``: practices, new consultations, the quarantine;
- ``queue``: claims, completion, a supervisor's actions, the navigator's views;
- ``board``: the supervisor board; ``guidance``: the SOP library and its decisions;
- ``authoring``: submitting and publishing SOPs; ``returns``: the daily return and reports;
- ``audit``: the audit chain, its key and checkpoints; ``opening``: connecting to a hub;
- ``sop_methods``: HubService's SOP guidance and authoring methods (a base of HubService).

Older imports keep working: the errors (from ehub_tui.errors), Claim, PERMISSIONS, … are
importable from here.
"""

from __future__ import annotations

from ehub_tui.domain.clock import utcnow
from ehub_tui.domain.models import PracticeInfo, SopPublished, UserInfo
from ehub_tui.domain.queue import Claim, QueueSummary
from ehub_tui.errors import (
    HubMissing,
    LostClaim,
    NotAvailable,
    NotFound,
    PermissionDenied,
    QueueError,
    RecordRejected,
    StoreError,
)
from ehub_tui.service.board import BOARD_AGGREGATES_SECONDS
from ehub_tui.service.hub import HubService
from ehub_tui.service.queue import RELEASE_ON_QUIT, RESCUE_EVERY
from ehub_tui.service.session import PERMISSIONS, SYSTEM

__all__ = [
    "BOARD_AGGREGATES_SECONDS",
    "PERMISSIONS",
    "RELEASE_ON_QUIT",
    "RESCUE_EVERY",
    "SYSTEM",
    "Claim",
    "HubMissing",
    "HubService",
    "LostClaim",
    "NotAvailable",
    "NotFound",
    "PermissionDenied",
    "PracticeInfo",
    "QueueError",
    "QueueSummary",
    "RecordRejected",
    "SopPublished",
    "StoreError",
    "UserInfo",
    "utcnow",
]
