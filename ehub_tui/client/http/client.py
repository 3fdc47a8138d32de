"""``HttpClient``: the HubClient over HTTPS to ``ehub-tui hub serve``.

Each method is one request under ``/v1/`` (the table in hub.routes); how it is sent, retried and
read back, and what a refusal becomes, is :class:`~ehub_tui.client.http.transport.HubConnection`'s.
Reply shapes are ``hub.wire``'s, shared with the server.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from pydantic import TypeAdapter

from ehub_tui import errors
from ehub_tui.client.awaiting import HttpAwaitingCalls
from ehub_tui.client.capacity import HttpCapacityCalls
from ehub_tui.client.http.transport import HubConnection, seg
from ehub_tui.client.outbox import HttpOutboxCalls
from ehub_tui.client.practice_sources import HttpPracticeCalls
from ehub_tui.client.protocol import Me, SopUpload, Submitted
from ehub_tui.client.retention import HttpRetentionCalls
from ehub_tui.client.views import HttpViewCalls
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
from ehub_tui.hub import wire, wire_sync
from ehub_tui.hub.principal import SignedIn

if TYPE_CHECKING:
    from ehub_tui.export.report import Report
    from ehub_tui.export.returns import DailyReturn
    from ehub_tui.service.intake import QuarantineRecord
    from ehub_tui.sop.library import PublishedText


class HttpClient(
    HttpAwaitingCalls,
    HttpViewCalls,
    HttpOutboxCalls,
    HttpPracticeCalls,
    HttpRetentionCalls,
    HttpCapacityCalls,
    HubConnection,
):
    """The HubClient over HTTPS: ``HttpClient(base_url, ca_file=..., device_id=..., timeout=...,
    transport=None, token=None)`` (see HubConnection for what each argument does)."""

    # -- sign-in -------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> SignedIn:
        """Sign in on this device and keep the token (NotSignedIn / AccountLocked)."""
        body = wire.SignInIn(username=username, password=password, device_id=self.device_id)
        self._token = None  # a sign-in carries no token, not the last user's
        signed: SignedIn = self.post("/auth/sign-in", body, wire.SIGNED_IN)
        self._signed_in(signed.token, signed.user.role)
        return signed

    def sign_out(self) -> None:
        """End this sign-in on the hub (safe to repeat) and forget the token."""
        if self._token:
            with contextlib.suppress(errors.SessionEnded):  # already over: as asked
                self.call("POST", "/auth/sign-out", safe=True, notify=False)
        self._token = None

    def me(self) -> Me:
        """The signed-in user now, their permissions and the hub's time."""
        out = self.get("/me", wire.ME)
        return Me(out.user, frozenset(out.permissions), out.hub_time, out.device_id)

    def change_password(self, old: str, new: str) -> None:
        """Change the signed-in user's own password."""
        self.post("/me/password", wire.PasswordChangeIn(old=old, new=new))

    def reset_password(self, username: str, new: str, must_change: bool = True) -> None:
        """Set another user's password (admin)."""
        body = wire.PasswordResetIn(new=new, must_change=must_change)
        self.post(f"/users/{seg(username)}/password", body)

    def sign_out_everywhere(self, username: str) -> int:
        """End every sign-in of ``username`` (admin); how many ended."""
        path = f"/users/{seg(username)}/sessions/revoke"
        out: wire.Revoked = self.call("POST", path, safe=True, adapter=_REVOKED)
        return out.revoked

    # -- users -------------------------------------------------------------------------------

    def list_users(self) -> list[UserInfo]:
        return self.get("/users", wire.USERS)

    def get_user(self, username: str) -> UserInfo | None:
        try:
            return self.get(f"/users/{seg(username)}", wire.USER_OR_NONE)
        except errors.NotFound:
            return None

    def add_user(self, username: str, role: str, display_name: str = "") -> UserInfo:
        body = wire.UserIn(username=username, role=role, display_name=display_name)
        user: UserInfo = self.post("/users", body, wire.USER)
        return user

    def set_role(self, username: str, role: str) -> UserInfo:
        return self._patch_user(username, wire.UserPatch(role=role))

    def set_active(self, username: str, active: bool) -> UserInfo:
        return self._patch_user(username, wire.UserPatch(active=active))

    def _patch_user(self, username: str, patch: wire.UserPatch) -> UserInfo:
        path = f"/users/{seg(username)}"
        user: UserInfo = self.call("PATCH", path, safe=False, body=patch, adapter=wire.USER)
        return user

    def touch(self) -> None:
        """Tell the hub this user is active (the held claims' heartbeat does it)."""
        self.heartbeat_held()

    # -- practices, intake, quarantine ---------------------------------------------------------

    def import_practices(self, practices: Sequence[PracticeInfo]) -> int:
        body = wire.PRACTICES.dump_json(list(practices))
        out: wire.Count = self.call("PUT", "/practices", safe=False, body=body, adapter=_COUNT)
        return out.count

    def list_practices(self) -> list[PracticeInfo]:
        return self.get("/practices", wire.PRACTICES)

    def store_intake(
        self, items: Sequence[NewConsultation], quarantined: Sequence[QuarantineRecord] = ()
    ) -> IntakeResult:
        body = wire.IntakeIn(
            items=[wire.WireConsultation.of(i) for i in items], quarantined=list(quarantined)
        )
        result: IntakeResult = self.post("/intake", body, wire.INTAKE_RESULT)
        return result

    def prescreen(self, limit: int = 500) -> int:
        """Nothing to do here: the hub prescreens what it stores, after each intake."""
        return 0

    def find_consultation_id(self, source: str, external_id: str) -> int | None:
        key = {"source": source, "external_id": external_id}
        return self.get("/consultations/by-key", _CONSULTATION_ID, **key).id

    def quarantined(self, status: str | None = "open") -> list[QuarantineEntry]:
        # (an empty status asks the hub for every entry)
        return self.get("/quarantine", wire.QUARANTINE_ENTRIES, status=status or "")

    def quarantine_entry(self, qid: int) -> QuarantineEntry:
        return self.get(f"/quarantine/{qid}", wire.QUARANTINE_ENTRY)

    def release_quarantined(self, qid: int, item: NewConsultation) -> ReleasedRecord:
        body = wire.WireConsultation.of(item)
        out: ReleasedRecord = self.post(f"/quarantine/{qid}/release", body, wire.RELEASED_RECORD)
        return out

    def discard_quarantined(self, qid: int, reason: str) -> None:
        self.post(f"/quarantine/{qid}/discard", wire.ReasonIn(reason=reason))

    # -- the queue ---------------------------------------------------------------------------

    def claim_next(self) -> Claim | None:
        claim: Claim | None = self.post("/queue/claim-next", None, wire.CLAIM_OR_NONE)
        return claim

    def claim(self, item_id: int) -> Claim:
        claim: Claim = self.post(f"/items/{item_id}/claim", None, wire.CLAIM)
        return claim

    def heartbeat(self, claim: Claim) -> Claim:
        path = f"/items/{claim.item_id}/heartbeat"
        out: Claim = self.call("POST", path, safe=True, body=claim, adapter=wire.CLAIM)
        return out

    def heartbeat_held(self) -> list[Claim]:
        out: list[Claim] = self.call("POST", "/claims/heartbeat", safe=True, adapter=wire.CLAIMS)
        return out

    def held_claims(self) -> list[Claim]:
        return self.get("/claims", wire.CLAIMS)

    def release_held(self, reason: str) -> list[int]:
        out: wire.Released = self.post("/claims/release", wire.ReasonIn(reason=reason), _RELEASED)
        return out.released

    def release(self, claim: Claim, reason: str) -> None:
        self.post(f"/items/{claim.item_id}/release", wire.ReleaseIn(claim=claim, reason=reason))

    def complete(self, claim: Claim, outcome: Outcome) -> int:
        body = wire.CompleteIn(claim=claim, outcome=outcome)
        out: wire.OutcomeId = self.post(f"/items/{claim.item_id}/complete", body, _OUTCOME_ID)
        return out.outcome_id

    def reassign(self, item_id: int, to_user: str, reason: str, carry_draft: bool = False) -> Claim:
        body = wire.ReassignIn(to_user=to_user, reason=reason, carry_draft=carry_draft)
        claim: Claim = self.post(f"/items/{item_id}/reassign", body, wire.CLAIM)
        return claim

    def handovers(self) -> list[Handover]:
        return self.get("/handovers", wire.HANDOVERS)

    def ack_handover(self, item_id: int) -> None:
        self.post(f"/items/{item_id}/handover/seen")

    def force_release(self, item_id: int, reason: str) -> None:
        self.post(f"/items/{item_id}/force-release", wire.ReasonIn(reason=reason))

    def cancel(self, item_id: int, reason: str) -> None:
        self.post(f"/items/{item_id}/cancel", wire.ReasonIn(reason=reason))

    def set_priority(self, item_id: int, priority: int, reason: str) -> None:
        self.post(f"/items/{item_id}/priority", wire.PriorityIn(priority=priority, reason=reason))

    def queue_page(
        self, view: str, filters: QueueFilter, offset: int, limit: int
    ) -> tuple[list[QueueRow], int]:
        """One window of a view; a window wider than the hub's page cap is asked for in parts."""
        rows: list[QueueRow] = []
        while True:
            ask = min(limit - len(rows), wire.MAX_PAGE)
            params = {"view": view, "offset": offset + len(rows), "limit": ask}
            page = self.get("/queue", wire.QUEUE_PAGE, **params, **wire.filter_params(filters))
            rows += page.rows
            if len(rows) >= limit or len(page.rows) < ask or not page.rows:
                return rows, page.total

    def view_counts(self) -> dict[str, int]:
        return self.get("/queue/counts", wire.VIEW_COUNTS)

    def item_state(self, item_id: int) -> ClaimState:
        return self.get(f"/items/{item_id}/state", wire.CLAIM_STATE)

    def consultation(self, item_id: int) -> Consultation:
        return self.get(f"/items/{item_id}", wire.CONSULTATION)

    def why_lost(self, claim: Claim) -> str | None:
        path = f"/items/{claim.item_id}/why-lost"
        return self.get(path, _WHY_LOST, epoch=claim.epoch, owner=claim.owner).reason

    def queue_summary(self) -> QueueSummary:
        return self.get("/queue/summary", wire.QUEUE_SUMMARY)

    def board(self, items_limit: int = 200) -> Board:
        return self.get("/board", wire.BOARD, items_limit=items_limit)

    def holder_draft(self, item_id: int) -> HolderDraft:
        return self.get(f"/items/{item_id}/holder-draft", wire.HOLDER_DRAFT)

    # -- returns, reports, audit -------------------------------------------------------------

    def daily_return(
        self, first: date, last: date, practice: str | None = None, purpose: str = "export"
    ) -> DailyReturn:
        params = {"first": first, "last": last, "practice": practice, "purpose": purpose}
        return self.get("/returns/daily", wire.DAILY_RETURN, **params).to_domain()

    def report(self, period: str) -> Report:
        return self.get(f"/reports/{seg(period)}", wire.REPORT)

    def arrivals_by_hour(self, first: date, last: date) -> dict[str, list[int]]:
        return self.get("/returns/hourly", wire.HOURLY_ARRIVALS, first=first, last=last)

    def audit_log(self, consultation_id: int | None = None, limit: int = 100) -> list[AuditEvent]:
        return self.get("/audit", wire.AUDIT_EVENTS, consultation_id=consultation_id, limit=limit)

    def change_cursor(self) -> int:
        return self.get("/changes/cursor", _CURSOR).cursor

    # -- SOP versions ------------------------------------------------------------------------

    def sop_stamp(self) -> tuple[int, int]:
        return self.get("/sops/stamp", _STAMP).stamp

    def published_sops(self) -> list[PublishedText]:
        return [p.to_domain() for p in self.get("/sops/published", wire.PUBLISHED)]

    def sop_approvers(self) -> list[UserInfo]:
        return self.get("/sops/approvers", wire.USERS)

    def sop_submissions(self) -> dict[str, str]:
        return self.get("/sops/submissions", _SUBMISSIONS)

    def submit_sop(self, upload: SopUpload) -> Submitted:
        out: wire.SubmittedOut = self.post("/sops/submit", _upload(upload), _SUBMITTED)
        return Submitted(out.sop_id, out.version, out.sha256)

    def publish_sop(self, upload: SopUpload) -> SopPublished:
        out: SopPublished = self.post("/sops/publish", _upload(upload), wire.SOP_PUBLISHED)
        return out

    # -- sync (issue 14) ---------------------------------------------------------------------

    def sync_push(self, events: Sequence[SyncEvent]) -> PushResult:
        """POST /v1/sync/push. Safe to send again (``safe=True``: retried on a broken
        connection or a 502/503/504): each event's id is the hub's dedupe key, so a batch the
        hub applied before the reply was lost is answered from its ledger, never applied twice."""
        body = wire_sync.PushIn(events=list(events))
        out: PushResult = self.call(
            "POST", "/sync/push", safe=True, body=body, adapter=wire_sync.PUSH_RESULT
        )
        return out

    def sync_pull(self, cursor: int) -> PullResult:
        return self.get("/sync/pull", wire_sync.PULL_RESULT, cursor=cursor)

    def sync_results(self, event_ids: Sequence[str]) -> list[EventResult]:
        # a read: safe to repeat (POST only because a list of ids may be long)
        body = wire_sync.ResultsIn(event_ids=list(event_ids))
        out: list[EventResult] = self.call(
            "POST", "/sync/results", safe=True, body=body, adapter=wire_sync.EVENT_RESULTS
        )
        return out

    def sync_rejected(self, include_resolved: bool = False) -> list[RejectedEvent]:
        params = {"include_resolved": str(include_resolved).lower()}
        return self.get("/sync/rejected", wire_sync.REJECTED_EVENTS, **params)

    def resolve_rejected(
        self, event_id: str, resolution: str, apply: bool = False
    ) -> RejectedEvent:
        path = f"/sync/rejected/{seg(event_id)}/resolve"
        body = wire_sync.ResolveIn(resolution=resolution, apply=apply)
        out: RejectedEvent = self.post(path, body, wire_sync.REJECTED_EVENT)
        return out


# -- replies read here that hub.wire has no adapter for -----------------------------------------

_REVOKED = TypeAdapter(wire.Revoked)
_COUNT = TypeAdapter(wire.Count)
_CONSULTATION_ID = TypeAdapter(wire.ConsultationId)
_RELEASED = TypeAdapter(wire.Released)
_OUTCOME_ID = TypeAdapter(wire.OutcomeId)
_WHY_LOST = TypeAdapter(wire.WhyLost)
_CURSOR = TypeAdapter(wire.Cursor)
_STAMP = TypeAdapter(wire.SopStamp)
_SUBMITTED = TypeAdapter(wire.SubmittedOut)
_SUBMISSIONS = TypeAdapter(dict[str, str])


def _upload(upload: SopUpload) -> wire.SopUploadIn:
    return wire.SopUploadIn(file_name=upload.file_name, text=upload.text, tests=upload.tests)
