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
  every claim);
- the workstation's own records (issue 14): completing, returning to the queue, drafts and first
  views go through the local store and its outbox (``client.queue``, ``client.syncing``; the
  sender is ``client.sync``), the queue views and held items fall back to the local cache with
  the hub away, and a user who signed in here before can sign in offline (``client.offline``).

``on_principal_changed(PrincipalChange)`` is called (from whichever thread made the call: an app
hands it on to its own thread) when the hub shows this user with another role or disabled, or ends
the sign-in (SessionEnded): the app says so and goes back to sign-in, keeping drafts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ehub_tui.client.awaiting import ClientAwaitingMethods
from ehub_tui.client.capacity import ClientCapacityMethods
from ehub_tui.client.local import LocalStore
from ehub_tui.client.offline import OfflineSignIn
from ehub_tui.client.outbox import ClientOutboxMethods
from ehub_tui.client.practice_sources import ClientPracticeMethods
from ehub_tui.client.protocol import HubClient
from ehub_tui.client.queue import ClientQueueMethods
from ehub_tui.client.retention import ClientRetentionMethods
from ehub_tui.client.sops import ClientSopMethods
from ehub_tui.client.sync import SyncEngine
from ehub_tui.client.syncing import ClientSyncMethods
from ehub_tui.client.verify import VerifyReport as VerifyReport
from ehub_tui.client.views import ClientViewMethods
from ehub_tui.client.watch import PrincipalChange as PrincipalChange
from ehub_tui.config import Settings
from ehub_tui.domain.clock import LONDON, Clock, CoreHours, SystemClock, as_clock, local_midnight
from ehub_tui.domain.clock import utcnow as utcnow
from ehub_tui.domain.models import (
    AuditEvent,
    IntakeResult,
    NewConsultation,
    PracticeInfo,
    QuarantineEntry,
    ReleasedRecord,
    UserInfo,
)
from ehub_tui.domain.sync import OFFLINE_ACTION, SyncStatus
from ehub_tui.errors import HubUnreachable

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from ehub_tui.export.report import Report
    from ehub_tui.export.returns import DailyReturn
    from ehub_tui.hub.principal import SignedIn
    from ehub_tui.service.intake import QuarantineRecord
    from ehub_tui.sop.library import SopLibrary

ClockArg = Clock | Callable[[], datetime]


class ClientService(
    OfflineSignIn,
    ClientSyncMethods,
    ClientQueueMethods,
    ClientSopMethods,
    ClientAwaitingMethods,
    ClientViewMethods,
    ClientOutboxMethods,
    ClientPracticeMethods,
    ClientRetentionMethods,
    ClientCapacityMethods,
):
    """HubService's facade over a HubClient (see the module docstring).

    ``clock``: this workstation's clock (its wall time is what events record as theirs; its
    monotonic clock times waits); ``local``: the local store to use (default: opened on first
    use under ``settings.data_dir``); ``hasher``: the argon2id hasher of the offline sign-in's
    verifier (default: the hub's parameters; tests pass a cheap one).
    """

    def __init__(
        self,
        client: HubClient,
        settings: Settings,
        *,
        clock: ClockArg = utcnow,
        on_principal_changed: Callable[[PrincipalChange], None] | None = None,
        local: LocalStore | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        from ehub_tui.hub.passwords import Passwords

        self.client = client
        self.settings = settings
        self._local_clock = as_clock(clock)
        # wall time is the hub's (the screens' "now" and "today"); intervals are this machine's
        self.clock: SystemClock = SystemClock(self.hub_now, self._local_clock.monotonic)
        self.on_principal_changed = on_principal_changed
        # called from the sender's thread with each new SyncStatus (the app sets it)
        self.on_sync_changed: Callable[[SyncStatus], None] | None = None
        self._core_hours = CoreHours(
            start=settings.core_hours_start,
            end=settings.core_hours_end,
            extra_closed_days=frozenset(settings.closed_days),
        )
        self._start_watch(client)
        self._library: SopLibrary | None = None
        self._library_lock = threading.Lock()
        self._local_store = local
        self._engine: SyncEngine | None = None
        self._sync_lock = threading.Lock()
        self._passwords = Passwords(hasher)
        self._offline_password: tuple[str, str] | None = None
        self._resume_lock = threading.Lock()  # one real sign-in after an offline one at a time
        self._hub_time_known = False  # the client has had the hub's time from a reply

    def close(self) -> None:
        """Stop the sender, close the local store and the client's connections (signs
        nothing out; what is pending stays in the local store for next time)."""
        try:
            self._stop_sync()
        finally:
            self.client.close()

    # -- sign-in -----------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> SignedIn:
        """Sign in on this device (NotSignedIn, AccountLocked); then ``user`` and ``may`` hold.
        With the hub not answering, a user who signed in here before is signed in offline
        (``offline_session``; see client.offline); anyone else gets HubUnreachable. With the
        hub already known away, such a user is signed in offline at once (the sender signs in
        for real when the hub answers), without waiting for the hub to time out again."""
        self._offline_password = None
        if self._hub_away() and self._may_sign_in_offline(username):
            with self._me_lock:
                self._me = None
            return self._sign_in_offline(username, password, HubUnreachable(OFFLINE_ACTION))
        try:
            signed = self.client.sign_in(username, password)
        except HubUnreachable as exc:
            with self._me_lock:
                self._me = None
            return self._sign_in_offline(username, password, exc)
        with self._me_lock:
            self._me = None  # another user may be signing in: no change to report
        self.refresh_me()
        # an admin-issued password that must be changed opens no offline sign-in
        self._remember(None if signed.must_change_password else password)
        if self._engine is not None:
            self._engine.resume()
            self._engine.note_answered()  # (it may have thought the hub away)
        return signed

    def sign_out(self) -> None:
        """End this sign-in on the hub (safe to repeat); ``user`` becomes None. Whatever is
        still waiting to be sent stays in the local store until this user signs in again.
        With the hub known away (or signed in offline: the hub holds no sign-in to end) the
        hub is not asked; the sign-in ends here and its token lapses on the hub."""
        offline = self._offline_password is not None
        self._offline_password = None
        try:
            if not (offline or self._hub_away()):
                self.client.sign_out()
        finally:
            with self._me_lock:
                self._me = None

    def change_password(self, old: str, new: str) -> None:
        """Change the signed-in user's own password; the offline sign-in here then takes the
        new one (and no longer the old)."""
        self._ask(self.client.change_password, old, new)
        self._remember(new)  # the hub accepted it: its verifier replaces the old one

    def reset_password(self, username: str, new: str, must_change: bool = True) -> None:
        """Set another user's password and end their sign-ins (admin)."""
        self._ask(self.client.reset_password, username, new, must_change)

    def sign_out_everywhere(self, username: str) -> int:
        """End every sign-in of ``username`` (admin); how many ended."""
        return self._ask(self.client.sign_out_everywhere, username)

    # -- the hub's clock ---------------------------------------------------------------------------

    def hub_now(self) -> datetime:
        """The hub's time now (the clock leases and due times are judged by). With the hub
        away before it ever answered this process (an app started offline), this workstation's
        clock corrected by the last offset the sender measured."""
        if self._hub_time_known or not self._offline():
            try:
                now = self.client.hub_time()
            except HubUnreachable:
                return self._estimated_hub_now()
            self._hub_time_known = True
            return now
        return self._estimated_hub_now()

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
        return self._ask(self.client.get_user, username)

    def list_users(self) -> list[UserInfo]:
        """Every hub user."""
        return self._ask(self.client.list_users)

    def add_user(self, username: str, role: str, display_name: str = "") -> UserInfo:
        """Create a hub user (admin only)."""
        return self._ask(self.client.add_user, username, role, display_name)

    def set_role(self, username: str, role: str) -> UserInfo:
        """Change a hub user's role (admin only)."""
        return self._ask(self.client.set_role, username, role)

    def set_active(self, username: str, active: bool) -> UserInfo:
        """Disable (or enable again) a hub user (admin only)."""
        return self._ask(self.client.set_active, username, active)

    def touch(self) -> None:
        """Say this user is online."""
        self._ask(self.client.touch)

    # -- practices, intake and quarantine ----------------------------------------------------------

    def import_practices(self, practices: Sequence[PracticeInfo | Mapping[str, Any]]) -> int:
        """Add or update member practices (a practices file's mappings are accepted too)."""
        typed = [p if isinstance(p, PracticeInfo) else PracticeInfo(**p) for p in practices]
        return self._ask(self.client.import_practices, typed)

    def list_practices(self) -> list[PracticeInfo]:
        """Every member practice, by ODS code."""
        return self._ask(self.client.list_practices)

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
        return self._ask(self.client.store_intake, items, quarantined)

    def prescreen(self, limit: int = 500) -> int:
        """Have the hub screen up to ``limit`` new consultations for red flags."""
        return self._ask(self.client.prescreen, limit)

    def find_consultation_id(self, source: str, external_id: str) -> int | None:
        """The id of a stored consultation by its supplier key."""
        return self._ask(self.client.find_consultation_id, source, external_id)

    def quarantined(self, status: str | None = "open") -> list[QuarantineEntry]:
        """Quarantined records (open ones by default), newest first."""
        return self._ask(self.client.quarantined, status)

    def quarantine_entry(self, qid: int) -> QuarantineEntry:
        """One quarantined record with its raw text."""
        return self._ask(self.client.quarantine_entry, qid)

    def release_quarantined(self, qid: int, item: NewConsultation) -> ReleasedRecord:
        """Store a quarantined record that now validates and close its entry."""
        return self._ask(self.client.release_quarantined, qid, item)

    def discard_quarantined(self, qid: int, reason: str) -> None:
        """Close a quarantined record without storing it, with a reason."""
        self._ask(self.client.discard_quarantined, qid, reason)

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
        return self._ask(self.client.daily_return, first, last, practice, purpose)

    def report(self, period: str) -> Report:
        """The reports screen's figures for a period (supervisors and managers)."""
        return self._ask(self.client.report, period)

    def arrivals_by_hour(self, first: date, last: date) -> dict[str, list[int]]:
        """Submissions per UK-local hour of day over the days, by practice and ALL (the xlsx and
        html exports' chart; those who export returns)."""
        return self._ask(self.client.arrivals_by_hour, first, last)

    def audit_log(self, consultation_id: int | None = None, limit: int = 100) -> list[AuditEvent]:
        """Recent audit events, newest first (optionally for one item)."""
        return self._ask(self.client.audit_log, consultation_id, limit)

    def change_cursor(self) -> int:
        """A number that grows whenever anything changes on the hub."""
        return self._ask(self.client.change_cursor)
