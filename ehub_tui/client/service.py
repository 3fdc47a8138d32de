"""ClientService: what the app and the CLI hold instead of HubService.

The same public methods, properties and types the UI, triage, ingest and CLI call on HubService,
each forwarded to a HubClient (in-process or HTTPS: the caller never learns which). What is
answered here without the hub:

- ``user`` and ``may(permission)``: from the last ``me()`` (no I/O), refreshed by
  ``refresh_me()`` and whenever the hub's answer shows another role (``client.watch``);
- the clock: ``hub_now()``, ``today()``, ``start_of_today()``, ``due_by()`` follow the hub's time
  (``client.hub_time()``) with the response-standard rules of ``domain.clock``;
- SOP guidance (decide, routes, templates, new versions) and the author's folder: see
  ``client.sops``;
- ``rescue_if_due()`` does nothing: the hub returns expired leases itself (on its timer and on
  every claim).

``on_principal_changed(PrincipalChange)`` is called (from whichever thread made the call: an app
hands it on to its own thread) when the hub shows this user with another role or disabled, or ends
the sign-in (SessionEnded): the app says so and goes back to sign-in, keeping drafts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ehub_tui.client.protocol import HubClient
from ehub_tui.client.sops import ClientSopMethods
from ehub_tui.client.watch import PrincipalChange as PrincipalChange
from ehub_tui.client.watch import PrincipalWatch
from ehub_tui.config import Settings
from ehub_tui.domain.board import Board
from ehub_tui.domain.clock import LONDON, Clock, CoreHours, SystemClock, as_clock, local_midnight
from ehub_tui.domain.clock import utcnow as utcnow
from ehub_tui.domain.models import (
    AuditEvent,
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
from ehub_tui.service.queue import RELEASE_ON_QUIT

if TYPE_CHECKING:
    from ehub_tui.export.report import Report
    from ehub_tui.export.returns import DailyReturn
    from ehub_tui.hub.principal import SignedIn
    from ehub_tui.service.intake import QuarantineRecord
    from ehub_tui.sop.library import SopLibrary

ClockArg = Clock | Callable[[], datetime]


class ClientService(PrincipalWatch, ClientSopMethods):
    """HubService's facade over a HubClient (see the module docstring)."""

    def __init__(
        self,
        client: HubClient,
        settings: Settings,
        *,
        clock: ClockArg = utcnow,
        on_principal_changed: Callable[[PrincipalChange], None] | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        local = as_clock(clock)
        # wall time is the hub's (the screens' "now" and "today"); intervals are this machine's
        self.clock: SystemClock = SystemClock(self.hub_now, local.monotonic)
        self.on_principal_changed = on_principal_changed
        self._core_hours = CoreHours(start=settings.core_hours_start, end=settings.core_hours_end)
        self._start_watch(client)
        self._library: SopLibrary | None = None
        self._library_lock = threading.Lock()

    def close(self) -> None:
        """Release the client's connections (signs nothing out)."""
        self.client.close()

    # -- sign-in -----------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> SignedIn:
        """Sign in on this device (NotSignedIn, AccountLocked); then ``user`` and ``may`` hold."""
        signed = self.client.sign_in(username, password)
        with self._me_lock:
            self._me = None  # another user may be signing in: no change to report
        self.refresh_me()
        return signed

    def sign_out(self) -> None:
        """End this sign-in on the hub (safe to repeat); ``user`` becomes None."""
        try:
            self.client.sign_out()
        finally:
            with self._me_lock:
                self._me = None

    def change_password(self, old: str, new: str) -> None:
        """Change the signed-in user's own password."""
        self._call(self.client.change_password, old, new)

    def reset_password(self, username: str, new: str, must_change: bool = True) -> None:
        """Set another user's password and end their sign-ins (admin)."""
        self._call(self.client.reset_password, username, new, must_change)

    def sign_out_everywhere(self, username: str) -> int:
        """End every sign-in of ``username`` (admin); how many ended."""
        return self._call(self.client.sign_out_everywhere, username)

    # -- the hub's clock ---------------------------------------------------------------------------

    def hub_now(self) -> datetime:
        """The hub's time now (the clock leases and due times are judged by)."""
        return self.client.hub_time()

    def today(self) -> date:
        """Today's date in the UK, by the hub's clock."""
        return self.hub_now().astimezone(LONDON).date()

    def start_of_today(self) -> datetime:
        """Midnight UK time today (by the hub's clock), in UTC (for "done today")."""
        return local_midnight(self.today())

    def due_by(self, received_at: datetime, priority: int) -> datetime:
        """When a response is due, by the response standard (urgent: same day)."""
        return self._core_hours.due_by(received_at, urgent=priority > 0)

    def rescue_if_due(self) -> list[int]:
        """Nothing: the hub returns expired leases itself (on its timer and on every claim)."""
        return []

    # -- users -------------------------------------------------------------------------------------

    def get_user(self, username: str) -> UserInfo | None:
        """Look a hub user up by name."""
        return self._call(self.client.get_user, username)

    def list_users(self) -> list[UserInfo]:
        """Every hub user."""
        return self._call(self.client.list_users)

    def add_user(self, username: str, role: str, display_name: str = "") -> UserInfo:
        """Create a hub user (admin only)."""
        return self._call(self.client.add_user, username, role, display_name)

    def set_role(self, username: str, role: str) -> UserInfo:
        """Change a hub user's role (admin only)."""
        return self._call(self.client.set_role, username, role)

    def set_active(self, username: str, active: bool) -> UserInfo:
        """Disable (or enable again) a hub user (admin only)."""
        return self._call(self.client.set_active, username, active)

    def touch(self) -> None:
        """Say this user is online."""
        self._call(self.client.touch)

    # -- practices, intake and quarantine ----------------------------------------------------------

    def import_practices(self, practices: Sequence[PracticeInfo | Mapping[str, Any]]) -> int:
        """Add or update member practices (a practices file's mappings are accepted too)."""
        typed = [p if isinstance(p, PracticeInfo) else PracticeInfo(**p) for p in practices]
        return self._call(self.client.import_practices, typed)

    def list_practices(self) -> list[PracticeInfo]:
        """Every member practice, by ODS code."""
        return self._call(self.client.list_practices)

    def practice_codes(self) -> set[str]:
        """ODS codes of the member practices."""
        return {p.ods_code for p in self.list_practices()}

    def practice_name(self, ods: str) -> str:
        """A practice's name (the ODS code when unknown)."""
        return next((p.name for p in self.list_practices() if p.ods_code == ods), ods)

    def store_intake(
        self, items: Sequence[NewConsultation], quarantined: Sequence[QuarantineRecord] = ()
    ) -> IntakeResult:
        """Store new consultations and quarantine bad records in one transaction."""
        return self._call(self.client.store_intake, items, quarantined)

    def prescreen(self, limit: int = 500) -> int:
        """Have the hub screen up to ``limit`` new consultations for red flags."""
        return self._call(self.client.prescreen, limit)

    def find_consultation_id(self, source: str, external_id: str) -> int | None:
        """The id of a stored consultation by its supplier key."""
        return self._call(self.client.find_consultation_id, source, external_id)

    def quarantined(self, status: str | None = "open") -> list[QuarantineEntry]:
        """Quarantined records (open ones by default), newest first."""
        return self._call(self.client.quarantined, status)

    def quarantine_entry(self, qid: int) -> QuarantineEntry:
        """One quarantined record with its raw text."""
        return self._call(self.client.quarantine_entry, qid)

    def release_quarantined(self, qid: int, item: NewConsultation) -> ReleasedRecord:
        """Store a quarantined record that now validates and close its entry."""
        return self._call(self.client.release_quarantined, qid, item)

    def discard_quarantined(self, qid: int, reason: str) -> None:
        """Close a quarantined record without storing it, with a reason."""
        self._call(self.client.discard_quarantined, qid, reason)

    # -- the queue ---------------------------------------------------------------------------------

    def claim_next(self) -> Claim | None:
        """Claim the best queued item; None when the queue is empty."""
        return self._call(self.client.claim_next)

    def claim(self, item_id: int) -> Claim:
        """Claim a given queued item."""
        return self._call(self.client.claim, item_id)

    def heartbeat(self, claim: Claim) -> Claim:
        """Renew the lease of an open item; raises LostClaim when it is no longer ours."""
        return self._call(self.client.heartbeat, claim)

    def heartbeat_held(self) -> list[Claim]:
        """Renew the lease of every item this user holds."""
        return self._call(self.client.heartbeat_held)

    def held_claims(self) -> list[Claim]:
        """Every item this user holds now."""
        return self._call(self.client.held_claims)

    def release_held(self, reason: str = RELEASE_ON_QUIT) -> list[int]:
        """Return every item this user holds to the queue; returns their ids."""
        return self._call(self.client.release_held, reason)

    def release(self, claim: Claim, reason: str) -> None:
        """Return an item we hold to the queue, with a reason."""
        self._call(self.client.release, claim, reason)

    def complete(self, claim: Claim, outcome: Outcome) -> int:
        """Record the outcome of an item we hold; raises LostClaim if it is no longer ours."""
        return self._call(self.client.complete, claim, outcome)

    def reassign(self, item_id: int, to_user: str, reason: str) -> Claim:
        """Give an item to another navigator (supervisor)."""
        return self._call(self.client.reassign, item_id, to_user, reason)

    def force_release(self, item_id: int, reason: str) -> None:
        """Return a claimed item to the queue whoever holds it (supervisor)."""
        self._call(self.client.force_release, item_id, reason)

    def cancel(self, item_id: int, reason: str) -> None:
        """Close an item without an outcome (supervisor)."""
        self._call(self.client.cancel, item_id, reason)

    def set_priority(self, item_id: int, priority: int, reason: str) -> None:
        """Change an item's priority (supervisor)."""
        self._call(self.client.set_priority, item_id, priority, reason)

    def queue_page(
        self, view: str, filters: QueueFilter, offset: int, limit: int
    ) -> tuple[list[QueueRow], int]:
        """One window of a queue view (queue | mine | done) and the view's total size."""
        return self._call(self.client.queue_page, view, filters, offset, limit)

    def view_counts(self) -> dict[str, int]:
        """Sizes of the queue, mine and done-today views."""
        return self._call(self.client.view_counts)

    def item_state(self, item_id: int) -> ClaimState:
        """(status, owner, epoch) of one item."""
        return self._call(self.client.item_state, item_id)

    def consultation(self, item_id: int) -> Consultation:
        """One consultation, typed."""
        return self._call(self.client.consultation, item_id)

    def why_lost(self, claim: Claim) -> str | None:
        """None while ``claim`` still holds its item; else why not."""
        return self._call(self.client.why_lost, claim)

    def queue_summary(self) -> QueueSummary:
        """Counts by status, and of the queued items by practice, priority and type."""
        return self._call(self.client.queue_summary)

    def board(self, items_limit: int = 200) -> Board:
        """Everything the supervisor board shows (supervisors only)."""
        return self._call(self.client.board, items_limit)

    # -- returns, reports, audit -------------------------------------------------------------------

    def daily_return(
        self,
        first: date,
        last: date,
        practice: str | None = None,
        progress: Callable[[int, int], None] | None = None,
        purpose: str = "export",
    ) -> DailyReturn:
        """The daily return for UK-local days ``first``..``last``; the export is audited on the
        hub. (``progress`` is not called: the hub counts in one request.)"""
        return self._call(self.client.daily_return, first, last, practice, purpose)

    def report(self, period: str) -> Report:
        """The reports screen's figures for a period (supervisors and managers)."""
        return self._call(self.client.report, period)

    def audit_log(self, consultation_id: int | None = None, limit: int = 100) -> list[AuditEvent]:
        """Recent audit events, newest first (optionally for one item)."""
        return self._call(self.client.audit_log, consultation_id, limit)

    def change_cursor(self) -> int:
        """A number that grows whenever anything changes on the hub."""
        return self._call(self.client.change_cursor)
