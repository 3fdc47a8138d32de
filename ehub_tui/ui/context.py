"""What every screen is given: one context object instead of reaching into the App.

``UiContext`` carries the service, the clocks (wall and monotonic), the intervals, the kept
drafts, the practice names (read in a worker at start), whether the SOP guidance is ready and the
workstation's sync status (``sync``, handed on by the app to every screen's status line);
``EhubScreen`` is the base of the app's screens: ``self.ctx`` is the context it was given (or,
for a screen made without one, the app's).

Nothing here reads the hub on the UI thread: practices and SOPs are loaded by the app's workers,
and screens learn of them through the two signals.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual.screen import Screen
from textual.signal import Signal

from ehub_tui.domain.event_words import role_words
from ehub_tui.ui.format import fit, local, one_line
from ehub_tui.ui.once import ClosesOnce
from ehub_tui.ui.widgets.guidance_line import GuidanceLine, StatusLines
from ehub_tui.ui.widgets.sync_line import SyncLine

if TYPE_CHECKING:
    from textual.app import App

    from ehub_tui.client.service import ClientService
    from ehub_tui.config import Settings
    from ehub_tui.domain.models import UserInfo
    from ehub_tui.domain.sync import SyncStatus
    from ehub_tui.triage.session import Draft

ResultType = TypeVar("ResultType")

# A name in a top bar is cut to this many cells (with …): the bar is one line, and at 80
# columns a long display name would push who, where and today's date off it.
NAME_CELLS = 24


def short_name(name: str) -> str:
    """``name`` as one visible line of at most NAME_CELLS cells, cut with … when longer."""
    name = one_line(name)
    if cell_len(name) <= NAME_CELLS:
        return name
    return fit(name, NAME_CELLS - 1).rstrip() + "…"


class UiContext:
    """The service, clocks, settings and shared state the screens work with."""

    def __init__(
        self,
        app: App[Any],
        service: ClientService,
        *,
        now: Callable[[], datetime],
        monotonic: Callable[[], float],
        poll_interval: float,
        heartbeat_interval: float,
        start_guidance: Callable[[], None],
        reload_guidance: Callable[[], None],
        load_practices: Callable[[], None],
    ) -> None:
        self.service = service
        self.now = now
        self.monotonic = monotonic
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.drafts: dict[int, Draft] = {}  # item id → draft, kept while the app runs
        self.drafts_owner: str | None = None  # whose drafts they are (cleared for another user)
        self.practices: dict[str, str] | None = None  # ODS code → name, once read
        self.guidance_ready = False  # the SOPs have been loaded (or failed to load)
        self.practices_loaded: Signal[dict[str, str]] = Signal(app, "practices-loaded")
        self.guidance_loaded: Signal[str | None] = Signal(app, "guidance-ready")
        # a published SOP not in use at its newest version, in words (trial 15d; None: all are)
        self.guidance_warning: str | None = None
        self.guidance_warned: Signal[str | None] = Signal(app, "guidance-warned")
        self.start_guidance = start_guidance  # load the SOPs now if not yet started
        self.reload_guidance = reload_guidance  # take a newly published set now
        self.load_practices = load_practices  # read the practices again (in a worker)
        self._unknown: set[str] = set()  # ODS codes not among the names read
        # the workstation's sync state (None: a service without an outbox, e.g. the hub's own);
        # read from memory at start, then pushed by the service's sender through the app
        self.sync: SyncStatus | None = self.read_sync_status()
        self.sync_changed: Signal[SyncStatus | None] = Signal(app, "sync-changed")

    @property
    def syncs(self) -> bool:
        """Does the service keep an outbox (a workstation's client service)?"""
        return callable(getattr(self.service, "sync_status", None))

    @property
    def offline(self) -> bool:
        """Is the hub known to be away (by the sender's last attempt)?"""
        return self.sync is not None and not self.sync.online

    def read_sync_status(self) -> SyncStatus | None:
        """The service's sync status now (kept in memory by the service: no I/O)."""
        if not self.syncs:
            return None
        try:
            status: SyncStatus = self.service.sync_status()  # in memory: no I/O
        except Exception:  # no status yet (not signed in): the line stays quiet
            return None
        return status

    def set_guidance_warning(self, warning: str | None) -> None:
        """A new guidance warning (on the UI thread): every guidance line shows it."""
        self.guidance_warning = warning
        self.guidance_warned.publish(warning)

    def set_sync(self, status: SyncStatus | None) -> None:
        """A new sync status (on the UI thread): every status line shows it."""
        self.sync = status
        self.sync_changed.publish(status)

    @property
    def settings(self) -> Settings:
        """The app's settings."""
        return self.service.settings

    @property
    def user(self) -> UserInfo | None:
        """Who is signed in."""
        return self.service.user

    def may(self, permission: str) -> bool:
        """Does the signed-in user hold ``permission``? (No I/O: the role is known.)"""
        return self.service.may(permission)

    def practice_name(self, ods: str) -> str:
        """A practice's name from the names read at start (the ODS code until they arrive, or
        for a practice added since, which has the names read again once)."""
        if self.practices is None:
            return ods
        name = self.practices.get(ods)
        if name is None:
            if ods not in self._unknown:  # new to us: read them again, in a worker
                self._unknown.add(ods)
                self.load_practices()
            return ods
        return name

    def title_line(self) -> Text:
        """Who is signed in, on which hub. A ``Text`` (add a str to it for more): the name is
        the hub's data, so "[/b]" in it is shown as written, never read as markup."""
        u = self.user
        # the role in words ("SOP author", not "sop_author": a new user read it as a code)
        name = short_name(u.display_name or u.username) if u else ""
        who = f"{name} ({role_words(u.role)})" if u else "system"
        where = "demo hub" if self.settings.is_embedded else "shared hub"
        return Text(f" ehub-tui · {who} · {where} · {local(self.now()).strftime('%a %d %b %Y')}")


class EhubScreen(ClosesOnce, Screen[ResultType]):
    """A screen of the app, working from a ``UiContext``."""

    def __init__(self, ctx: UiContext | None = None) -> None:
        super().__init__()
        self._ctx = ctx

    @property
    def ctx(self) -> UiContext:
        """The context this screen was given (a screen made without one uses the app's)."""
        if self._ctx is None:
            self._ctx = self.app.ctx  # type: ignore[attr-defined]
        return self._ctx

    def sync_line(self) -> StatusLines:
        """The sync status line for this screen (under its top bar; hidden while quiet), and
        under it the guidance warning line (hidden while every SOP is in use)."""
        return StatusLines(SyncLine(self.ctx), GuidanceLine(self.ctx))
