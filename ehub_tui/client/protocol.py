"""The one interface a workstation reaches its hub through.

Two implementations: ``InProcessClient`` (the embedded hub: each call runs the hub's own service
for the signed-in principal, with the same sign-in, role checks, audit and hub clock as a server)
and ``HttpClient`` (HTTPS to ``ehub-tui hub serve``). ``ClientService`` wraps either and is what the
app and CLI hold. Method names follow ``HubService`` where the operation is the same, so a
behaviour test reads the same against the hub service, the in-process client or HTTP.

Every call is made as the signed-in principal; the hub checks their *current* role per call
(PermissionDenied, audited with the device), and a token the hub no longer accepts raises
SessionEnded (``code`` says why). Times the hub decides (claims, leases, due times, completion
received) are the hub's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from ehub_tui.domain.awaiting import HistoryEntry, Parking
from ehub_tui.domain.board import Board, HolderDraft
from ehub_tui.domain.capacity import CapacityHistory
from ehub_tui.domain.handover import Handover
from ehub_tui.domain.models import (
    AuditEvent,
    Consultation,
    IntakeResult,
    NewConsultation,
    Outcome,
    PracticeInfo,
    QuarantineEntry,
    ReleasedRecord,
    SopPublished,
    UserInfo,
)
from ehub_tui.domain.outbox import OutboxPage
from ehub_tui.domain.practice_sources import ListSize, ListSizeResult, OdsImportResult, OdsPractice
from ehub_tui.domain.queue import Claim, ClaimState, QueueFilter, QueueRow, QueueSummary
from ehub_tui.domain.retention import RetentionResult
from ehub_tui.domain.sync import EventResult, PullResult, PushResult, RejectedEvent, SyncEvent
from ehub_tui.domain.views import SavedView

if TYPE_CHECKING:
    from ehub_tui.export.report import Report
    from ehub_tui.export.returns import DailyReturn
    from ehub_tui.hub.principal import SignedIn
    from ehub_tui.service.intake import QuarantineRecord
    from ehub_tui.sop.library import PublishedText


@dataclass(frozen=True, slots=True)
class Me:
    """The signed-in user as the hub sees them now, what their role lets them do, and the hub's
    time (a client keeps its offset from this)."""

    user: UserInfo
    permissions: frozenset[str]
    hub_time: datetime
    device_id: str


@dataclass(frozen=True, slots=True)
class SopUpload:
    """A SOP file (and its tests file) as sent to the hub to submit or publish: the hub checks it
    again itself, against what it has published, before storing anything."""

    file_name: str
    text: bytes
    tests: bytes | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    """What the hub recorded for a SOP submitted for approval."""

    sop_id: str
    version: str
    sha256: str  # of the file as submitted


class HubClient(Protocol):
    """What a workstation may ask of its hub (see the module docstring)."""

    # -- sign-in -----------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> SignedIn:
        """Sign in on this device; raises NotSignedIn (or AccountLocked with retry_after)."""
        ...

    def sign_out(self) -> None:
        """End this sign-in (the token is revoked on the hub); safe to repeat."""
        ...

    def me(self) -> Me:
        """The signed-in user now (role, permissions) and the hub's time."""
        ...

    def change_password(self, old: str, new: str) -> None:
        """Change the signed-in user's own password (policy checked on the hub)."""
        ...

    def reset_password(self, username: str, new: str, must_change: bool = True) -> None:
        """Set another user's password (admin; audited; ends their sign-ins)."""
        ...

    def sign_out_everywhere(self, username: str) -> int:
        """End every sign-in of ``username`` (admin); returns how many ended."""
        ...

    # -- users ----------------------------------------------------------------------------------
    def list_users(self) -> list[UserInfo]: ...
    def get_user(self, username: str) -> UserInfo | None: ...
    def add_user(self, username: str, role: str, display_name: str = "") -> UserInfo: ...
    def set_role(self, username: str, role: str) -> UserInfo: ...
    def set_active(self, username: str, active: bool) -> UserInfo: ...
    def touch(self) -> None: ...

    # -- practices, intake, quarantine ------------------------------------------------------------
    def import_practices(self, practices: Sequence[PracticeInfo]) -> int: ...
    def list_practices(self) -> list[PracticeInfo]: ...
    # issue 16: practices from an ODS file and a month's list sizes (admins)
    def import_ods_practices(
        self, practices: Sequence[OdsPractice], pcn_code: str | None = None, dry_run: bool = False
    ) -> OdsImportResult: ...
    def import_list_sizes(
        self, month: str, sizes: Sequence[ListSize], dry_run: bool = False
    ) -> ListSizeResult: ...
    # issue 16: the retention purge (admins)
    def retention_purge(self, dry_run: bool = False) -> RetentionResult: ...
    def store_intake(
        self, items: Sequence[NewConsultation], quarantined: Sequence[QuarantineRecord] = ()
    ) -> IntakeResult: ...
    def prescreen(self, limit: int = 500) -> int: ...
    def find_consultation_id(self, source: str, external_id: str) -> int | None: ...
    def quarantined(self, status: str | None = "open") -> list[QuarantineEntry]: ...
    def quarantine_entry(self, qid: int) -> QuarantineEntry: ...
    def release_quarantined(self, qid: int, item: NewConsultation) -> ReleasedRecord: ...
    def discard_quarantined(self, qid: int, reason: str) -> None: ...

    # -- the queue -----------------------------------------------------------------------------
    def claim_next(self) -> Claim | None: ...
    def claim(self, item_id: int) -> Claim: ...
    def heartbeat(self, claim: Claim) -> Claim: ...
    def heartbeat_held(self) -> list[Claim]: ...
    def held_claims(self) -> list[Claim]: ...
    def release_held(self, reason: str) -> list[int]: ...
    def release(self, claim: Claim, reason: str) -> None: ...
    def complete(self, claim: Claim, outcome: Outcome) -> int: ...
    def reassign(self, item_id: int, to_user: str, reason: str, carry_draft: bool = False) -> Claim:
        """Give an item to another navigator (supervisor): ``reason`` is the handover note the
        receiver sees; ``carry_draft``: the previous holder's last draft goes with it."""
        ...

    def handovers(self) -> list[Handover]:
        """Items handed to me by a supervisor that I have not seen yet (issue 15)."""
        ...

    def ack_handover(self, item_id: int) -> None:
        """I saw the handover of this item (opened it): no longer news."""
        ...

    def force_release(self, item_id: int, reason: str) -> None: ...
    def cancel(self, item_id: int, reason: str) -> None: ...
    def set_priority(self, item_id: int, priority: int, reason: str) -> None: ...
    def queue_page(
        self, view: str, filters: QueueFilter, offset: int, limit: int
    ) -> tuple[list[QueueRow], int]: ...
    def view_counts(self) -> dict[str, int]: ...
    def item_state(self, item_id: int) -> ClaimState: ...
    def consultation(self, item_id: int) -> Consultation: ...
    def why_lost(self, claim: Claim) -> str | None: ...
    # issue 15: awaiting the patient and an item's history (client/awaiting.py)
    def park(self, claim: Claim, question: str, return_at: datetime) -> None: ...
    def parking(self, item_id: int) -> Parking | None: ...
    def item_history(self, item_id: int) -> list[HistoryEntry]: ...
    # saved views (issue 15): the caller's default marked; saving, deleting and setting a
    # user's default are a supervisor's
    def saved_views(self) -> list[SavedView]: ...
    def save_view(self, name: str, filters: QueueFilter) -> SavedView: ...
    def delete_view(self, name: str) -> None: ...
    def set_default_view(self, username: str, name: str | None) -> None: ...
    def queue_summary(self) -> QueueSummary: ...
    def board(self, items_limit: int = 200) -> Board: ...
    def holder_draft(self, item_id: int) -> HolderDraft: ...

    # -- returns, reports, audit ------------------------------------------------------------------
    def daily_return(
        self, first: date, last: date, practice: str | None = None, purpose: str = "export"
    ) -> DailyReturn: ...
    def report(self, period: str) -> Report: ...
    def arrivals_by_hour(self, first: date, last: date) -> dict[str, list[int]]: ...
    def capacity_history(self, weeks: int) -> CapacityHistory: ...  # issue 17 (see_reports)
    def audit_log(
        self, consultation_id: int | None = None, limit: int = 100
    ) -> list[AuditEvent]: ...
    def change_cursor(self) -> int: ...
    # issue 16: completed outcomes with their patients for the FHIR outbox (admin, service)
    def outbox_outcomes(
        self, since: date | None = None, after_id: int = 0, limit: int = 200
    ) -> OutboxPage: ...

    # -- SOP versions (guidance runs on the workstation from the published texts) ----------------
    def sop_stamp(self) -> tuple[int, int]: ...
    def published_sops(self) -> list[PublishedText]: ...
    def sop_approvers(self) -> list[UserInfo]: ...
    def sop_submissions(self) -> dict[str, str]:
        """sha256 of each submitted SOP file → who submitted it (authors and clinical approvers;
        the hub checks the role and audits a refusal)."""
        ...

    def submit_sop(self, upload: SopUpload) -> Submitted: ...
    def publish_sop(self, upload: SopUpload) -> SopPublished: ...

    # -- sync (issue 14): the outbox pushed, changes pulled (see domain.sync) -------------------
    def sync_push(self, events: Sequence[SyncEvent]) -> PushResult:
        """Apply events in order, one hub transaction for the batch; one result per event
        (a resend gets the stored result). Events must be the signed-in user's."""
        ...

    def sync_pull(self, cursor: int) -> PullResult:
        """What changed since ``cursor`` for this user (not_modified when nothing did)."""
        ...

    def sync_results(self, event_ids: Sequence[str]) -> list[EventResult]:
        """The hub's stored result of each of this user's events it has (for ``sync verify``;
        an id it never received is left out)."""
        ...

    def sync_rejected(self, include_resolved: bool = False) -> list[RejectedEvent]:
        """Refused events: a navigator sees their own, a supervisor everyone's."""
        ...

    def resolve_rejected(
        self, event_id: str, resolution: str, apply: bool = False
    ) -> RejectedEvent:
        """Mark a refused event resolved with what was done about it (supervisor; audited;
        the event is kept). ``apply``: also complete the item with a refused completion's kept
        outcome (its navigator's, marked late) in the same transaction; NotAvailable when the
        item is held, completed or cancelled (nothing done, the event stays unresolved),
        RecordRejected when the event is not a completion, AlreadyResolved when it was
        resolved before."""
        ...

    # -- the hub's clock -----------------------------------------------------------------------
    def hub_time(self) -> datetime:
        """The hub's time now (HTTP: read from the last reply's X-Ehub-Hub-Time plus the local
        monotonic time since; in-process: the hub clock)."""
        ...

    def close(self) -> None:
        """Release connections (signs nothing out)."""
        ...
