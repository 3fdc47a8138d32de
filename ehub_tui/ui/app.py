"""The navigator app: ``make_app`` builds it for the CLI and for the tests.

While it is open it keeps every item its user holds alive (not only the one on screen) and
returns expired leases to the queue now and then, both in workers; a hub that stops answering is
said once, and again when it answers. Quitting while holding items asks whether to return them.
Given a client service nobody has signed in to, it opens on the sign-in screen (``ui.account``).

A workstation's client service keeps an outbox (issue 14): its sender reports each new sync
status through ``on_sync_changed`` (from its own thread); the app posts it to the UI thread and
every screen's status line shows it. A hub that stops answering is said once (a toast that says
the work can go on), then only by that line: background calls failing meanwhile raise nothing
more. ``v`` opens the review of events the hub refused; the drafts this workstation kept are
restored at sign-in. Those parts are the app's base, ``SyncApp`` (``ui.app_sync``).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import WorkerFailed

from ehub_tui.errors import HubUnreachable, NotSignedIn, StoreError
from ehub_tui.triage.guidance import shown_to
from ehub_tui.triage.session import Draft
from ehub_tui.ui.account import QuitDialog
from ehub_tui.ui.app_sync import SyncApp
from ehub_tui.ui.context import UiContext
from ehub_tui.ui.format import notify
from ehub_tui.ui.handover import start_notices
from ehub_tui.ui.messages import (
    GuidanceChanged,
    GuidanceReady,
    HubAnswered,
    HubFailed,
    PracticesLoaded,
)
from ehub_tui.ui.palette import palette_commands
from ehub_tui.ui.poller import PollDone
from ehub_tui.ui.prefs import load_theme, prefs_path, save_theme
from ehub_tui.ui.widgets.guidance_line import GuidanceWarnings

if TYPE_CHECKING:
    from ehub_tui.client.service import ClientService

__all__ = ["EhubApp", "QuitDialog", "make_app"]

log = logging.getLogger(__name__)

MIN_WIDTH, MIN_HEIGHT = 80, 24


class EhubApp(SyncApp, GuidanceWarnings):
    """Queue and triage for care navigators."""

    CSS_PATH = "app.tcss"
    TITLE = "ehub-tui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        # on every screen (the status line says "v to review"); not in the footers (80 columns)
        Binding("v", "review", "Review what the hub refused", show=False),
    ]

    def __init__(
        self,
        service: ClientService,
        *,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
        poll_interval: float = 1.0,
        heartbeat_interval: float | None = None,
        demo_hint: str | None = None,
        prefs: Path | None = None,
    ) -> None:
        super().__init__()
        # the theme chosen in an earlier run (ctrl+p → Theme), remembered in the user's
        # config dir (ui.prefs); a theme this Textual does not have is ignored
        self.prefs = prefs or prefs_path()
        saved = load_theme(self.prefs)
        if saved and saved in self.available_themes:
            self.theme = saved
        self.service = service
        self.demo_hint = demo_hint  # the sign-in screen's hint (a demo hub only)
        # wall time: the service's one clock unless a test freezes the screen's own
        self.now = clock or service.clock.now
        # durations and key timing: the service's one clock unless a test injects its own
        monotonic = monotonic or service.clock.monotonic
        self.poll_interval = poll_interval
        lease = service.settings.lease_minutes * 60
        self.heartbeat_interval = heartbeat_interval or max(5.0, min(60.0, lease / 3))
        # what every screen is given (the service, clocks, intervals, drafts, practices, SOPs)
        self.ctx = UiContext(
            self,
            service,
            now=self.now,
            monotonic=monotonic,
            poll_interval=poll_interval,
            heartbeat_interval=self.heartbeat_interval,
            start_guidance=self.start_sops,
            reload_guidance=self._reload_sops,
            load_practices=self._load_practices,
        )
        self._guidance_started = False
        self.hub_problem: str | None = None  # the hub's last failure, until it answers again
        self._keeping_alive = False
        self._upkeep_started = False
        self.offer_sign_out()

    @property
    def drafts(self) -> dict[int, Draft]:
        """Item id → the draft kept for it while the app runs."""
        return self.ctx.drafts

    def title_line(self) -> Text:
        """Who is signed in, on which hub (see ``UiContext.title_line``)."""
        return self.ctx.title_line()

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_chosen)
        self.watch_principal()
        self.watch_sync()
        if self.service.user is None:  # a client service nobody has signed in to yet
            self.show_sign_in()
        else:
            self.start_session()
        self._check_size()

    def start_session(self) -> None:
        """Signed in: the home screen, and (once) the upkeep timers."""
        self.session_started()
        self.push_home()
        if not self._upkeep_started:
            self._upkeep_started = True
            self.set_interval(30.0, self._check_sops)
            self.set_interval(30.0, self._touch)
            # every item this user holds is kept alive while the app is open (a draft left in
            # Mine too, not only the item on screen), and expired leases are returned
            self.set_interval(self.heartbeat_interval, self._keep_alive)
        self._touch()
        self._keep_alive()
        self._restore_drafts()
        start_notices(self, self.ctx)  # a reassigned item's receiver is told at once

    def _theme_chosen(self, theme: Any) -> None:
        """Remember the theme now shown (in a worker: the UI thread does no I/O)."""
        name = str(getattr(theme, "name", theme))
        self.run_worker(
            lambda: save_theme(self.prefs, name), thread=True, exclusive=True, group="prefs"
        )

    def push_home(self) -> None:
        """The home screen for the signed-in user's role: the queue; a manager's reports; a SOP
        author's SOPs (neither may read the patient queue: the hub refuses it)."""
        if self.sop_home():
            from ehub_tui.ui.screens.sop_home import SopHomeScreen

            self.push_screen(SopHomeScreen(self.ctx))
            self.set_timer(2.0, self.start_sops)
        elif self.manager_home():
            from ehub_tui.ui.screens.reports import ReportsScreen

            # managers do no queue work: they never see the patient queue (initials, request
            # text), only the figures; esc or q there quits
            self.push_screen(ReportsScreen(home=True, ctx=self.ctx))
        else:
            from ehub_tui.ui.screens.queue import QueueScreen

            self._load_practices()  # names for the detail line and the triage banner
            self.push_screen(QueueScreen(self.ctx))
            # Loading, validating and testing the SOPs takes a good part of a second: it starts
            # once the queue has painted (or after 2 s). A triage screen opened meanwhile waits.
            # (A manager triages nothing: no SOPs, and none of their notices.)
            self.set_timer(2.0, self.start_sops)

    def manager_home(self) -> bool:
        """Does this user start on the reports instead of the queue? Those who see reports but
        do no queue work (managers): they never see the patient queue."""
        return self.service.user is not None and (
            self.service.may("see_reports") and not self.service.may("work_items")
        )

    def sop_home(self) -> bool:
        """Does this user start on the SOPs? Those who write SOPs but may not read patients'
        items (SOP authors)."""
        return self.service.user is not None and (
            self.service.may("author_sops") and not self.service.may("see_patients")
        )

    def _touch(self) -> None:
        """Tell the hub this user is online (the supervisor board shows it)."""
        if not self.in_session:
            return
        self.run_worker(self._touch_work, thread=True, exclusive=True, group="touch")

    def _touch_work(self) -> None:
        try:
            self.service.touch()
        except Exception:  # presence is best effort
            return

    def _keep_alive(self) -> None:
        if (
            self._keeping_alive or not self.in_session
        ):  # the last round still waits for the hub: no pile of threads
            return
        self._keeping_alive = True
        self.run_worker(self._keep_alive_work, thread=True, group="keep-alive")

    def _keep_alive_work(self) -> None:
        try:
            self.service.heartbeat_held()
            self.service.rescue_if_due()
        except NotSignedIn:  # the sign-in ended: the client service has told the app already
            return
        except HubUnreachable as exc:  # offline: the status line says so, once
            self.post_message(HubFailed(str(exc), unreachable=True))
            return
        except StoreError as exc:
            self.post_message(HubFailed(str(exc)))
            return
        finally:
            self._keeping_alive = False
        self._upkeep_started = False
        self.offer_sign_out()
        self.post_message(HubAnswered())

    def _handle_exception(self, error: Exception) -> None:
        """A background worker that failed because the hub refused or did not answer never
        closes the app (a draft on screen would be lost): the sign-in screen or the "hub is not
        answering" notice has said so. Anything else is a real fault (see ``_fatal_error``)."""
        failed = error.error if isinstance(error, WorkerFailed) else None
        if isinstance(failed, NotSignedIn):
            log.info("a background call ended: not signed in")
            return
        if isinstance(failed, StoreError):
            log.warning("a background call failed: %s", type(failed).__name__)
            self.post_message(HubFailed(str(failed), isinstance(failed, HubUnreachable)))
            return
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Close after an unexpected fault WITHOUT Textual's traceback of local variables (they
        hold patient details and the sign-in token): the traceback goes to the app's log,
        scrubbed, and the terminal is told where."""
        exc = self._exception
        log.error("the app stopped after an unexpected error", exc_info=exc)
        self.bell()
        name = type(exc).__name__ if exc is not None else "error"
        self._exit_renderables.append(
            Text(
                f"ehub-tui stopped after an unexpected error ({name}). "
                "Details are in the app's log (see docs/settings.md: Logs)."
            )
        )
        self._close_messages_no_wait()

    def start_sops(self) -> None:
        """Load the SOPs in a worker (once)."""
        if not self._guidance_started:
            self._guidance_started = True
            self.run_worker(self._load_sops, thread=True, exclusive=True, group="sops")

    def _load_sops(self) -> None:
        # The load adds ~250,000 objects and triggers full collections, each walking every
        # object while holding the GIL (~110 ms: the event loop stalled; ui_latency.py). So no
        # collection until it is done, and what it built (it lives as long as the app) frozen.
        gc.disable()
        try:
            state = self.service.guidance_state()  # loads (in this worker) the first time
        except StoreError as exc:
            # the hub is away and nothing is cached: no guidance (the screens say so and a
            # later check loads it) rather than "Loading guidance…" for ever
            self._guidance_started = False
            self.post_message(GuidanceReady(False, str(exc)))
            return
        finally:
            gc.freeze()
            gc.enable()
        # a navigator is told to tell their SOP author; the loader's details are the author's
        problem = shown_to(state.problem, self.service.may("author_sops"))
        self.post_message(GuidanceReady(state.available, problem))

    def on_guidance_ready(self, message: GuidanceReady) -> None:
        """The SOPs are loaded: screens waiting for them (n, enter) go ahead."""
        if not message.available:
            notify(
                self,
                message.problem or "No SOPs loaded.",
                title="No SOP guidance",
                severity="error",
                timeout=20,
            )
        self.ctx.guidance_ready = True
        self.ctx.guidance_loaded.publish(message.problem)

    def _load_practices(self) -> None:
        """Read the member practices' names in a worker (never on the UI thread)."""
        self.run_worker(self._load_practices_work, thread=True, exclusive=True, group="practices")

    def _load_practices_work(self) -> None:
        try:
            names = {p.ods_code: p.name for p in self.service.list_practices()}
        except StoreError:  # the hub is not answering: codes stand in for names meanwhile
            return
        self.post_message(PracticesLoaded(names))

    def on_poll_done(self, message: PollDone) -> None:
        """A screen's poller finished a fetch: it shows the result (if still on screen)."""
        message.poller.done(message)

    def on_practices_loaded(self, message: PracticesLoaded) -> None:
        self.ctx.practices = message.names
        self.ctx.practices_loaded.publish(message.names)

    def on_resize(self, event: Any) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, w: int | None = None, h: int | None = None) -> None:
        if w is None or h is None:
            w, h = self.size
        if w < MIN_WIDTH or h < MIN_HEIGHT:
            self.notify(
                f"The window is {w}×{h}; ehub-tui needs at least {MIN_WIDTH}×{MIN_HEIGHT}. "
                "Make it larger to see every column.",
                severity="warning",
                timeout=6,
            )

    def _check_sops(self) -> None:
        if self._guidance_started and self.in_session:
            self._reload_sops()

    def _reload_sops(self) -> None:
        self.run_worker(self._reload_sops_work, thread=True, exclusive=True, group="sops")

    def _reload_sops_work(self) -> None:
        try:
            result = self.service.guidance_changes()
        except NotSignedIn:  # the sign-in ended: the app has been told and shows sign-in
            return
        except StoreError as exc:  # the hub is away: said once; the next check tries again
            self.post_message(HubFailed(str(exc), isinstance(exc, HubUnreachable)))
            return
        if result is not None:
            author = self.service.may("author_sops")
            text = result.message if result.taken else shown_to(result.message, author, kept=True)
            self.post_message(GuidanceChanged(text or "", result.taken))

    def on_guidance_changed(self, event: GuidanceChanged) -> None:
        notify(
            self,
            event.text,
            title="SOPs updated" if event.taken else "SOP change not taken",
            severity="information" if event.taken else "error",
            timeout=10,
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette: only what this user may do here (``ui.palette``)."""
        return palette_commands(self, screen)


def make_app(
    service: ClientService,
    *,
    clock: Callable[[], datetime] | None = None,
    monotonic: Callable[[], float] | None = None,
    poll_interval: float = 1.0,
    heartbeat_interval: float | None = None,
    demo_hint: str | None = None,
    prefs: Path | None = None,
) -> EhubApp:
    """Build the app (the CLI and the tests use this). ``clock``: wall time (UTC);
    ``monotonic``: for durations and key timing (default: the service's clock; a test may
    freeze both). ``demo_hint``: a line for the sign-in screen, given only for a demo hub
    (which users and password to try). ``prefs``: the display preferences file (default: the
    user's, see ``ui.prefs``)."""
    app = EhubApp(
        service,
        clock=clock,
        monotonic=monotonic,
        poll_interval=poll_interval,
        heartbeat_interval=heartbeat_interval,
        demo_hint=demo_hint,
        prefs=prefs,
    )
    # Everything imported and built so far lives as long as the app: frozen, the full
    # collections that building the first screen triggers no longer walk it while holding the
    # GIL (the worst start-up stall fell from ~90 to ~40 ms; benchmarks/ui_latency.py).
    gc.freeze()
    return app
