"""HubService: the composition root of the service, and the one facade the UI and CLI call.

This is the seam the hub server and the client service (issues 13 and 14) sit on: the public
methods below are *what the UI asks* (claim the next item, complete it with this outcome, show the
board), each delegating in one line to a part that knows *how the hub store does it* (session,
users, intake, queue, board, guidance, authoring, returns, audit). A client service will answer
the same questions over the hub API; the hub server will call these parts.

Every part gets one HubContext: the engine, the settings, the one clock (wall time and monotonic,
injected) and the session (who is acting, whose role is checked before every privileged action,
a refusal itself audited).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from ehub_tui.config import Settings
from ehub_tui.domain.board import Board, HolderDraft
from ehub_tui.domain.clock import Clock, SystemClock, as_clock, utcnow
from ehub_tui.domain.models import (
    Consultation,
    IntakeResult,
    NewConsultation,
    Outcome,
    PracticeInfo,
    QuarantineEntry,
    ReleasedRecord,
    UserInfo,
)
from ehub_tui.domain.queue import Claim, ClaimState, QueueFilter, QueueRow, QueueSummary
from ehub_tui.domain.sync import EventResult, PullResult, PushResult, RejectedEvent, SyncEvent
from ehub_tui.service import session as session_mod
from ehub_tui.service.audit_methods import AuditMethods
from ehub_tui.service.awaiting import Awaiting, AwaitingMethods
from ehub_tui.service.capacity_methods import CapacityMethods
from ehub_tui.service.context import HubContext
from ehub_tui.service.export_methods import ExportMethods
from ehub_tui.service.guidance import Guidance
from ehub_tui.service.handover import HandoverMethods
from ehub_tui.service.intake import QuarantineRecord
from ehub_tui.service.opening import open_engine
from ehub_tui.service.outbox_methods import OutboxMethods
from ehub_tui.service.parts import build_parts
from ehub_tui.service.practice_sources import PracticeSourceMethods
from ehub_tui.service.queue import RELEASE_ON_QUIT
from ehub_tui.service.retention import RetentionMethods
from ehub_tui.service.session import Session
from ehub_tui.service.sop_methods import SopMethods
from ehub_tui.service.sync import Sync
from ehub_tui.service.views import ViewMethods

if TYPE_CHECKING:
    from ehub_tui.export.report import Report
    from ehub_tui.export.returns import DailyReturn
    from ehub_tui.sop.library import SopLibrary

ClockArg = Clock | Callable[[], datetime]


class HubService(
    HandoverMethods,
    SopMethods,
    AwaitingMethods,
    ViewMethods,
    ExportMethods,
    OutboxMethods,
    PracticeSourceMethods,
    RetentionMethods,
    CapacityMethods,
    AuditMethods,
):
    """Every hub operation for one signed-in user or the system principal (SOPs: sop_methods.py)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        user: str | None = None,
        *,
        clock: ClockArg = utcnow,
        sops: SopLibrary | None = None,
        session: Session | None = None,
        shared_guidance: Guidance | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        # one clock for every part: calling it gives the wall time, as the bare function
        # older callers injected did; ``clock.monotonic()`` times intervals
        self.clock: SystemClock = as_clock(clock)
        # the hub server hands in the session of a principal it has just authenticated
        if session is None:
            session = Session(engine, self.clock, user)
        ctx = HubContext(engine, settings, self.clock, session)
        self.parts = build_parts(ctx, sops, shared_guidance)
        self._ctx = ctx
        self._sync = Sync(ctx)  # issue 14: the workstations' outboxes and pulls
        self.awaiting = Awaiting(ctx)  # issue 15: parked for the patient; item history

    @classmethod
    def open(
        cls,
        settings: Settings,
        user: str | None = None,
        *,
        clock: ClockArg = utcnow,
        hub_clock: Callable[[], datetime] | None = None,
        migrate: bool = True,
        create: bool = True,
    ) -> HubService:
        """Connect to the hub named by the settings, bring its schema up to date, sign in.

        ``create=False`` opens only a hub that exists (``audit verify`` of a mistyped backup path
        must fail, not verify a new empty hub) and never changes its schema. ``clock`` is this
        workstation's (it stamps records); ``hub_clock`` is a SQLite hub's own clock, which
        judges leases (tests inject one; PostgreSQL always uses its own).
        """
        engine = open_engine(settings, hub_clock=hub_clock, migrate=migrate, create=create)
        return cls(engine, settings, user, clock=clock)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    # -- session and users -----------------------------------------------------------------------

    @property
    def actor(self) -> str:
        """Who is acting: the signed-in user, or the system principal for CLI housekeeping."""
        return self.parts.session.actor

    @property
    def user(self) -> UserInfo | None:
        """The signed-in user, if any."""
        return self.parts.session.user

    def may(self, permission: str) -> bool:
        """Does the signed-in user's role hold ``permission`` (the system principal holds all)?"""
        return self.parts.session.may(permission)

    @staticmethod
    def os_username() -> str:
        """The OS login name (mapped to a hub user of the same name)."""
        return session_mod.os_username()

    def get_user(self, username: str) -> UserInfo | None:
        """Look a hub user up by name."""
        return self.parts.users.get(username)

    def has_users(self) -> bool:
        """True once any hub user exists (before that, the first admin may be created)."""
        return self.parts.users.exist()

    def list_users(self) -> list[UserInfo]:
        """Every hub user."""
        return self.parts.users.all()

    def add_user(self, username: str, role: str, display_name: str = "") -> UserInfo:
        """Create a hub user (admin only)."""
        return self.parts.users.add(username, role, display_name)

    def set_role(self, username: str, role: str) -> UserInfo:
        """Change a hub user's role (admin only)."""
        return self.parts.users.set_role(username, role)

    def set_active(self, username: str, active: bool) -> UserInfo:
        """Disable (or enable again) a hub user (admin only)."""
        return self.parts.users.set_active(username, active)

    def touch(self) -> None:
        """Say this user is online (the apps call it every little while)."""
        self.parts.users.touch()

    # -- practices, intake and quarantine --------------------------------------------------------

    def import_practices(self, practices: Sequence[PracticeInfo | Mapping[str, Any]]) -> int:
        """Add or update member practices."""
        return self.parts.intake.import_practices(practices)

    def list_practices(self) -> list[PracticeInfo]:
        """Every member practice, by ODS code."""
        return self.parts.intake.practices()

    def practice_codes(self) -> set[str]:
        """ODS codes of the member practices."""
        return self.parts.intake.practice_codes()

    def practice_name(self, ods: str) -> str:
        """A practice's name (the ODS code when unknown)."""
        return self.parts.intake.practice_name(ods)

    def due_by(self, received_at: datetime, priority: int) -> datetime:
        """When a response is due, by the response standard (urgent: same day)."""
        return self._ctx.due_by(received_at, priority)

    def store_intake(
        self, items: Sequence[NewConsultation], quarantined: Sequence[QuarantineRecord] = ()
    ) -> IntakeResult:
        """Store new consultations and quarantine bad records in one transaction."""
        return self.parts.intake.store(items, quarantined)

    def find_consultation_id(self, source: str, external_id: str) -> int | None:
        """The id of a stored consultation by its supplier key."""
        return self.parts.intake.find_consultation_id(source, external_id)

    def quarantined(self, status: str | None = "open") -> list[QuarantineEntry]:
        """Quarantined records (open ones by default), newest first, without their raw text."""
        return self.parts.intake.quarantined(status)

    def quarantine_entry(self, qid: int) -> QuarantineEntry:
        """One quarantined record with its raw text."""
        return self.parts.intake.entry(qid)

    def release_quarantined(self, qid: int, item: NewConsultation) -> ReleasedRecord:
        """Store a quarantined record that now validates and close its entry."""
        return self.parts.intake.release(qid, item)

    def discard_quarantined(self, qid: int, reason: str) -> None:
        """Close a quarantined record without storing it, with a reason."""
        self.parts.intake.discard(qid, reason)

    # -- the queue -------------------------------------------------------------------------------

    def claim_next(self) -> Claim | None:
        """Claim the best queued item for the signed-in user; None when the queue is empty."""
        return self.parts.queue.claim_next()

    def claim(self, item_id: int) -> Claim:
        """Claim a given queued item (or one whose holder's lease ran out)."""
        return self.parts.queue.claim(item_id)

    def heartbeat(self, claim: Claim) -> Claim:
        """Renew the lease of an open item; raises LostClaim when it is no longer ours."""
        return self.parts.queue.heartbeat(claim)

    def heartbeat_held(self) -> list[Claim]:
        """Renew the lease of every item the signed-in user holds."""
        return self.parts.queue.heartbeat_held()

    def held_claims(self) -> list[Claim]:
        """Every item the signed-in user holds now."""
        return self.parts.queue.held_claims()

    def release_held(self, reason: str = RELEASE_ON_QUIT) -> list[int]:
        """Return every item the signed-in user holds to the queue; returns their ids."""
        return self.parts.queue.release_held(reason)

    def release(self, claim: Claim, reason: str) -> None:
        """Return an item we hold to the queue, with a reason."""
        self.parts.queue.release(claim, reason)

    def complete(self, claim: Claim, outcome: Outcome) -> int:
        """Record the outcome of an item we hold; raises LostClaim if it is no longer ours."""
        return self.parts.queue.complete(claim, outcome)

    def rescue_if_due(self) -> list[int]:
        """Return expired leases to the queue if it is time to (by the monotonic clock)."""
        return self.parts.queue.rescue_if_due()

    def rescue_expired(self) -> list[int]:
        """Return items whose lease ran out, by the hub's clock, to the queue."""
        return self.parts.queue.rescue_expired()

    def hub_now(self) -> datetime:
        """The hub's time now (the clock leases are judged by)."""
        return self.parts.queue.hub_now()

    def reassign(self, item_id: int, to_user: str, reason: str, carry_draft: bool = False) -> Claim:
        """Give an item to another navigator (supervisor); ``reason`` is the handover note the
        receiver sees, ``carry_draft`` sends the previous holder's last draft along."""
        return self.parts.queue.reassign(item_id, to_user, reason, carry_draft)

    def force_release(self, item_id: int, reason: str) -> None:
        """Return a claimed item to the queue whoever holds it (supervisor)."""
        self.parts.queue.force_release(item_id, reason)

    def cancel(self, item_id: int, reason: str) -> None:
        """Close an item without an outcome, e.g. a duplicate (supervisor)."""
        self.parts.queue.cancel(item_id, reason)

    def set_priority(self, item_id: int, priority: int, reason: str) -> None:
        """Change an item's priority (supervisor)."""
        self.parts.queue.set_priority(item_id, priority, reason)

    def queue_page(
        self, view: str, filters: QueueFilter, offset: int, limit: int
    ) -> tuple[list[QueueRow], int]:
        """One window of a queue view (queue | mine | done) and the view's total size."""
        return self.parts.queue.page(view, filters, offset, limit)

    def view_counts(self) -> dict[str, int]:
        """Sizes of the queue, mine and done-today views."""
        return self.parts.queue.view_counts()

    def item_state(self, item_id: int) -> ClaimState:
        """(status, owner, epoch) of one item: a cheap check for an open screen."""
        return self.parts.queue.item_state(item_id)

    def consultation(self, item_id: int) -> Consultation:
        """One consultation, typed."""
        return self.parts.queue.consultation(item_id)

    def why_lost(self, claim: Claim) -> str | None:
        """None while ``claim`` still holds its item; else why not (with a supervisor's reason)."""
        return self.parts.queue.why_lost(claim)

    def queue_summary(self) -> QueueSummary:
        """Counts by status, and of the queued items by practice, priority and type."""
        return self.parts.queue.summary()

    def board(self, items_limit: int = 200) -> Board:
        """Everything the supervisor board shows (supervisors only)."""
        return self.parts.board.board(items_limit)

    def holder_draft(self, item_id: int) -> HolderDraft:
        """Does the hub hold the holder's draft of this claim, saved when (supervisors)?"""
        return self.parts.board.holder_draft(item_id)

    # -- sync (issue 14): workstations' outboxes pushed, changes pulled ----------------------

    def sync_push(self, events: Sequence[SyncEvent]) -> PushResult:
        """Apply a workstation's events in order, one transaction for the batch; one result per
        event (a resend gets the stored result; a refused event is kept, never blocking)."""
        return self._sync.push(events)

    def sync_pull(self, cursor: int) -> PullResult:
        """What changed since ``cursor`` for this user (not_modified when nothing did)."""
        return self._sync.pull(cursor)

    def sync_results(self, event_ids: Sequence[str]) -> list[EventResult]:
        """The stored result of each of this user's events the hub has (unknown ids left out)."""
        return self._sync.results(event_ids)

    def sync_rejected(self, include_resolved: bool = False) -> list[RejectedEvent]:
        """Refused events: a navigator sees their own, a supervisor everyone's."""
        return self._sync.rejected(include_resolved)

    def resolve_rejected(
        self, event_id: str, resolution: str, apply: bool = False
    ) -> RejectedEvent:
        """Mark a refused event resolved (supervisor; audited; the event is kept); ``apply``
        also completes the item with a refused completion's kept outcome (late), while it is
        queued and unclaimed (NotAvailable otherwise, nothing written)."""
        return self._sync.resolve(event_id, resolution, apply)

    # -- returns and reports ---------------------------------------------------------------------

    def today(self) -> date:
        """Today's date in the UK."""
        return self._ctx.today()

    def start_of_today(self) -> datetime:
        """Midnight UK time today, in UTC (for "done today")."""
        return self._ctx.start_of_today()

    def daily_return(
        self,
        first: date,
        last: date,
        practice: str | None = None,
        progress: Callable[[int, int], None] | None = None,
        purpose: str = "export",
    ) -> DailyReturn:
        """The daily return for UK-local days ``first``..``last``; the export is audited."""
        return self.parts.returns.daily_return(first, last, practice, progress, purpose)

    def report(self, period: str) -> Report:
        """The reports screen's figures for a period (supervisors and managers)."""
        return self.parts.returns.report(period)
