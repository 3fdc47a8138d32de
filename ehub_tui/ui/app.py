"""The navigator app: ``make_app`` builds it for the CLI and for the tests."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from ehub_tui.service import HubService
from ehub_tui.ui.format import local

MIN_WIDTH, MIN_HEIGHT = 80, 24


class EhubApp(App[None]):
    """Queue and triage for care navigators."""

    CSS_PATH = "app.tcss"
    TITLE = "ehub-tui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(
        self,
        service: HubService,
        *,
        clock: Callable[[], datetime] | None = None,
        poll_interval: float = 1.0,
        heartbeat_interval: float | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.now = clock or (lambda: datetime.now(UTC))
        self.poll_interval = poll_interval
        lease = service.settings.lease_minutes * 60
        self.heartbeat_interval = heartbeat_interval or max(5.0, min(60.0, lease / 3))
        self.drafts: dict[int, Any] = {}  # item id → Draft, kept while the app runs
        self._sops_started = False

    def title_line(self) -> Text:
        """Who is signed in, on which hub. A ``Text`` (add a str to it for more): the name is
        the hub's data, so "[/b]" in it is shown as written, never read as markup."""
        u = self.service.user
        who = f"{u.display_name or u.username} ({u.role})" if u else "system"
        where = "demo hub" if self.service.settings.is_embedded else "shared hub"
        return Text(f" ehub-tui · {who} · {where} · {local(self.now()).strftime('%a %d %b %Y')}")

    def on_mount(self) -> None:
        if self.manager_home():
            from ehub_tui.ui.screens.reports import ReportsScreen

            # managers do no queue work: they never see the patient queue (initials, request
            # text), only the figures; esc or q there quits
            self.push_screen(ReportsScreen(home=True))
        else:
            from ehub_tui.ui.screens.queue import QueueScreen

            self.push_screen(QueueScreen())
            # Loading, validating and testing the SOPs takes a good part of a second: it starts
            # once the queue has painted (or after 2 s). A triage screen opened meanwhile waits.
            # (A manager triages nothing: no SOPs, and none of their notices.)
            self.set_timer(2.0, self.start_sops)
        self.set_interval(30.0, self._check_sops)
        self.set_interval(30.0, self._touch)
        self._touch()
        self._check_size()

    def manager_home(self) -> bool:
        """Does this user start on the reports instead of the queue? Those who see reports but
        do no queue work (managers): they never see the patient queue."""
        return self.service.user is not None and (
            self.service.may("see_reports") and not self.service.may("work_items")
        )

    def _touch(self) -> None:
        """Tell the hub this user is online (the supervisor board shows it)."""
        self.run_worker(self._touch_work, thread=True, exclusive=True, group="touch")

    def _touch_work(self) -> None:
        try:
            self.service.touch()
        except Exception:  # presence is best effort
            return

    def start_sops(self) -> None:
        """Load the SOPs in a worker (once)."""
        if not self._sops_started:
            self._sops_started = True
            self.run_worker(self._load_sops, thread=True, exclusive=True, group="sops")

    def _load_sops(self) -> None:
        sops = self.service.sops
        if sops.engine is None:
            self.call_from_thread(
                self.notify,
                sops.last_problem or "No SOPs loaded.",
                title="No SOP guidance",
                severity="error",
                timeout=20,
            )
        # Start-up objects live as long as the app: keep the collector from re-walking them
        # (full collections otherwise pause key presses by ~100 ms).
        gc.freeze()

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
        if self._sops_started:
            self._reload_sops()

    def _reload_sops(self) -> None:
        self.run_worker(self._reload_sops_work, thread=True, exclusive=True, group="sops")

    def _reload_sops_work(self) -> None:
        result = self.service.sops.check_for_changes()
        if result is not None:
            self.call_from_thread(
                self.notify,
                result.message,
                title="SOPs updated" if result.taken else "SOP change not taken",
                severity="information" if result.taken else "error",
                timeout=10,
            )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every binding of the current screen as a palette command."""
        yield from super().get_system_commands(screen)
        for b in screen.BINDINGS:
            if isinstance(b, Binding) and b.show and b.description:
                action = b.action

                def run(action: str = action) -> None:
                    self.call_later(screen.run_action, action)

                yield SystemCommand(b.description, f"key: {b.key_display or b.key}", run)


def make_app(
    service: HubService,
    *,
    clock: Callable[[], datetime] | None = None,
    poll_interval: float = 1.0,
    heartbeat_interval: float | None = None,
) -> EhubApp:
    """Build the app (the CLI and the tests use this)."""
    return EhubApp(
        service, clock=clock, poll_interval=poll_interval, heartbeat_interval=heartbeat_interval
    )
