"""The in-process client: the embedded hub reached without sockets, exactly as a server would be.

``InProcessClient`` signs in through the hub core (keeping the token it is given), and every call
authenticates that token for this device (``core.authenticate``: the user's role and active flag
are read from ``hub_user`` *now*) and runs the operation on ``core.for_principal(p)`` — the same
service the HTTP routes call. So sign-in, role checks per call (a refusal audited with the user
and device), the audit and the hub's clock are those of ``ehub-tui hub serve``; only the
transport is missing. A demotion takes effect on the next call; a signed-out, expired or revoked
token raises SessionEnded. With no server to run the hub's lease-rescue timer, the calls
return expired leases to the queue themselves (at most every RESCUE_EVERY).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from ehub_tui.client.awaiting import InProcessAwaitingCalls
from ehub_tui.client.capacity import InProcessCapacityCalls
from ehub_tui.client.outbox import InProcessOutboxCalls
from ehub_tui.client.practice_sources import InProcessPracticeCalls
from ehub_tui.client.protocol import Me, SopUpload, Submitted
from ehub_tui.client.retention import InProcessRetentionCalls
from ehub_tui.client.views import InProcessViewCalls
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
    ReleasedRecord,
    SopPublished,
    UserInfo,
)
from ehub_tui.domain.queue import Claim, ClaimState, QueueFilter, QueueRow, QueueSummary
from ehub_tui.domain.sync import EventResult, PullResult, PushResult, RejectedEvent, SyncEvent
from ehub_tui.errors import NotSignedIn, SessionEnded, StoreError
from ehub_tui.service.session import PERMISSIONS

if TYPE_CHECKING:
    from ehub_tui.export.report import Report
    from ehub_tui.export.returns import DailyReturn
    from ehub_tui.hub.core import HubCore
    from ehub_tui.hub.principal import Principal, SignedIn
    from ehub_tui.service.hub import HubService
    from ehub_tui.service.intake import QuarantineRecord
    from ehub_tui.sop.library import PublishedText
    from ehub_tui.sop.standing import Prepared

CLIENT = "ehub-tui (in-process)"  # what the hub records as the sign-in's client


class InProcessClient(
    InProcessAwaitingCalls,
    InProcessViewCalls,
    InProcessOutboxCalls,
    InProcessPracticeCalls,
    InProcessRetentionCalls,
    InProcessCapacityCalls,
):
    """A HubClient over a HubCore in this process (see the module docstring)."""

    def __init__(
        self,
        core: HubCore,
        device_id: str,
        *,
        token: str | None = None,
        owns_core: bool = False,
    ) -> None:
        self.core = core
        self.device_id = device_id
        self._token = token  # never logged, never written anywhere by this class
        self._owns_core = owns_core  # open_client made the core: close() releases it
        # the role the hub read for the last call (ClientService notices a change without
        # asking again; the HTTP client reads the same from each reply's X-Ehub-Role)
        self.last_role: str | None = None

    # -- sign-in -----------------------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        """The sign-in's token (for the CLI's token store), or None when not signed in."""
        return self._token

    def sign_in(self, username: str, password: str) -> SignedIn:
        """Sign in on this device (NotSignedIn / AccountLocked); keeps the token."""
        signed = self.core.sign_in(username, password, self.device_id, CLIENT)
        self._token = signed.token
        self.last_role = signed.user.role
        return signed

    def sign_out(self) -> None:
        """End this sign-in on the hub; safe to repeat (an ended token is simply dropped)."""
        token, self._token = self._token, None
        if token is None:
            return
        try:
            principal = self.core.authenticate(token, self.device_id)
        except SessionEnded:
            return  # already ended on the hub
        self.core.auth.sign_out(principal)

    def _principal(self) -> Principal:
        """Who this client is now, by the hub (role read for this call)."""
        if self._token is None:
            raise NotSignedIn("not signed in: sign in to the hub first")
        principal = self.core.authenticate(self._token, self.device_id)
        self.last_role = principal.role
        return principal

    def _svc(self) -> HubService:
        """The hub's service acting as this client's principal, for one call."""
        principal = self._principal()
        # An embedded hub has no server whose timer returns expired leases: its clients' calls
        # do it instead, as the system principal, at most every RESCUE_EVERY (the system
        # service's own monotonic guard) — what the app's keep-alive did before there was a hub
        # server. Best effort: every claim rescues anyway, and this call's own work must not
        # fail for it.
        with contextlib.suppress(StoreError):
            self.core.system().rescue_if_due()
        return self.core.for_principal(principal)

    def me(self) -> Me:
        """The signed-in user as the hub sees them now, their permissions and the hub's time."""
        principal = self._principal()
        session = self.core.session_for(principal)
        permissions = frozenset(p for p in PERMISSIONS if session.may(p))
        return Me(principal.user, permissions, self.core.clock.now(), self.device_id)

    def change_password(self, old: str, new: str) -> None:
        """Change the signed-in user's own password (policy checked on the hub)."""
        self.core.auth.change_password(self._principal(), old, new)

    def reset_password(self, username: str, new: str, must_change: bool = True) -> None:
        """Set another user's password and end their sign-ins (admin; audited)."""
        self.core.reset_password(self._principal(), username, new, must_change)

    def sign_out_everywhere(self, username: str) -> int:
        """End every sign-in of ``username`` (admin); how many ended."""
        return self.core.sign_out_everywhere(self._principal(), username)

    # -- users -------------------------------------------------------------------------------------

    def list_users(self) -> list[UserInfo]:
        return self._svc().list_users()

    def get_user(self, username: str) -> UserInfo | None:
        return self._svc().get_user(username)

    def add_user(self, username: str, role: str, display_name: str = "") -> UserInfo:
        return self._svc().add_user(username, role, display_name)

    def set_role(self, username: str, role: str) -> UserInfo:
        return self._svc().set_role(username, role)

    def set_active(self, username: str, active: bool) -> UserInfo:
        return self._svc().set_active(username, active)

    def touch(self) -> None:
        self._svc().touch()

    # -- practices, intake, quarantine ---------------------------------------------------------

    def import_practices(self, practices: Sequence[PracticeInfo]) -> int:
        return self._svc().import_practices(practices)

    def list_practices(self) -> list[PracticeInfo]:
        return self._svc().list_practices()

    def store_intake(
        self, items: Sequence[NewConsultation], quarantined: Sequence[QuarantineRecord] = ()
    ) -> IntakeResult:
        return self._svc().store_intake(items, quarantined)

    def prescreen(self, limit: int = 500) -> int:
        return self._svc().prescreen(limit)

    def find_consultation_id(self, source: str, external_id: str) -> int | None:
        return self._svc().find_consultation_id(source, external_id)

    def quarantined(self, status: str | None = "open") -> list[QuarantineEntry]:
        return self._svc().quarantined(status)

    def quarantine_entry(self, qid: int) -> QuarantineEntry:
        return self._svc().quarantine_entry(qid)

    def release_quarantined(self, qid: int, item: NewConsultation) -> ReleasedRecord:
        return self._svc().release_quarantined(qid, item)

    def discard_quarantined(self, qid: int, reason: str) -> None:
        self._svc().discard_quarantined(qid, reason)

    # -- the queue ---------------------------------------------------------------------------------

    def claim_next(self) -> Claim | None:
        return self._svc().claim_next()

    def claim(self, item_id: int) -> Claim:
        return self._svc().claim(item_id)

    def heartbeat(self, claim: Claim) -> Claim:
        return self._svc().heartbeat(claim)

    def heartbeat_held(self) -> list[Claim]:
        return self._svc().heartbeat_held()

    def held_claims(self) -> list[Claim]:
        return self._svc().held_claims()

    def release_held(self, reason: str) -> list[int]:
        return self._svc().release_held(reason)

    def release(self, claim: Claim, reason: str) -> None:
        self._svc().release(claim, reason)

    def complete(self, claim: Claim, outcome: Outcome) -> int:
        return self._svc().complete(claim, outcome)

    def reassign(self, item_id: int, to_user: str, reason: str, carry_draft: bool = False) -> Claim:
        return self._svc().reassign(item_id, to_user, reason, carry_draft)

    def handovers(self) -> list[Handover]:
        return self._svc().handovers()

    def ack_handover(self, item_id: int) -> None:
        self._svc().ack_handover(item_id)

    def force_release(self, item_id: int, reason: str) -> None:
        self._svc().force_release(item_id, reason)

    def cancel(self, item_id: int, reason: str) -> None:
        self._svc().cancel(item_id, reason)

    def set_priority(self, item_id: int, priority: int, reason: str) -> None:
        self._svc().set_priority(item_id, priority, reason)

    def queue_page(
        self, view: str, filters: QueueFilter, offset: int, limit: int
    ) -> tuple[list[QueueRow], int]:
        return self._svc().queue_page(view, filters, offset, limit)

    def view_counts(self) -> dict[str, int]:
        return self._svc().view_counts()

    def item_state(self, item_id: int) -> ClaimState:
        return self._svc().item_state(item_id)

    def consultation(self, item_id: int) -> Consultation:
        return self._svc().consultation(item_id)

    def why_lost(self, claim: Claim) -> str | None:
        return self._svc().why_lost(claim)

    def queue_summary(self) -> QueueSummary:
        return self._svc().queue_summary()

    def board(self, items_limit: int = 200) -> Board:
        return self._svc().board(items_limit)

    def holder_draft(self, item_id: int) -> HolderDraft:
        return self._svc().holder_draft(item_id)

    # -- returns, reports, audit -----------------------------------------------------------------

    def daily_return(
        self, first: date, last: date, practice: str | None = None, purpose: str = "export"
    ) -> DailyReturn:
        return self._svc().daily_return(first, last, practice, purpose=purpose)

    def report(self, period: str) -> Report:
        return self._svc().report(period)

    def arrivals_by_hour(self, first: date, last: date) -> dict[str, list[int]]:
        return self._svc().arrivals_by_hour(first, last)

    def audit_log(self, consultation_id: int | None = None, limit: int = 100) -> list[AuditEvent]:
        return self._svc().audit_log(consultation_id, limit)

    def change_cursor(self) -> int:
        return self._svc().change_cursor()

    # -- SOP versions --------------------------------------------------------------------------

    def sop_stamp(self) -> tuple[int, int]:
        """(highest sop_version id, rows): the cheap look for a newly published version."""
        return self._svc().sop_stamp()

    def published_sops(self) -> list[PublishedText]:
        return self._svc().published_sops()

    def sop_approvers(self) -> list[UserInfo]:
        return self._svc().sop_approvers()

    def sop_submissions(self) -> dict[str, str]:
        return self._svc().sop_submissions()

    def submit_sop(self, upload: SopUpload) -> Submitted:
        """Submit a SOP file for approval (SOP authors); the hub checks it again and audits."""
        return _submitted(self._svc().submit_upload(upload.file_name, upload.text, upload.tests))

    def publish_sop(self, upload: SopUpload) -> SopPublished:
        """Publish a SOP file (clinical approvers); the hub checks it again, stores and audits."""
        return self._svc().publish_upload(upload.file_name, upload.text, upload.tests)

    # -- sync (issue 14) ---------------------------------------------------------------------------

    def sync_push(self, events: Sequence[SyncEvent]) -> PushResult:
        """Apply outbox events in order, one hub transaction for the batch; one result each."""
        return self._svc().sync_push(events)

    def sync_pull(self, cursor: int) -> PullResult:
        """What changed since ``cursor`` for this user (not_modified when nothing did)."""
        return self._svc().sync_pull(cursor)

    def sync_results(self, event_ids: Sequence[str]) -> list[EventResult]:
        """The hub's stored result of each of this user's events it has."""
        return self._svc().sync_results(event_ids)

    def sync_rejected(self, include_resolved: bool = False) -> list[RejectedEvent]:
        """Refused events: a navigator's own, everyone's for a supervisor."""
        return self._svc().sync_rejected(include_resolved)

    def resolve_rejected(
        self, event_id: str, resolution: str, apply: bool = False
    ) -> RejectedEvent:
        """Mark a refused event resolved (supervisor; audited); ``apply`` applies a refused
        completion's kept outcome too."""
        return self._svc().resolve_rejected(event_id, resolution, apply)

    # -- the hub's clock ---------------------------------------------------------------------------

    def hub_time(self) -> datetime:
        """The hub's clock (the same object the hub's service stamps records with)."""
        return self.core.clock.now()

    def close(self) -> None:
        """Release the embedded hub's connections if this client opened it (signs nothing out)."""
        if self._owns_core:
            self.core.close()


def _submitted(result: Submitted | Prepared) -> Submitted:
    """What the hub recorded for a submission (the hub service may hand back its check)."""
    if isinstance(result, Submitted):
        return result
    return Submitted(result.sop_id, result.version, result.original_sha256)
