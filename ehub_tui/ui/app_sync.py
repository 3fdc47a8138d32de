"""The app's side of a workstation's outbox (issue 14): sync status, the hub's answering, drafts.

``SyncApp`` is the base of ``EhubApp`` (``ui.app``), between it and ``AccountApp``. The client
service's sender reports each new sync status through ``on_sync_changed`` (from its own thread);
the app posts it to the UI thread and every screen's status line shows it. A hub that stops
answering is said once (a toast that says the work can go on), then only by that line: background
calls failing meanwhile raise nothing more. ``v`` opens the review of events the hub refused; the
drafts this workstation kept are restored at sign-in.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ehub_tui.errors import NotSignedIn, StoreError
from ehub_tui.triage.session import Draft
from ehub_tui.ui.account import AccountApp
from ehub_tui.ui.format import notify
from ehub_tui.ui.messages import DraftsRestored, HubAnswered, HubFailed, SyncChanged

if TYPE_CHECKING:
    from ehub_tui.domain.sync import SyncStatus

# the app's logger, as before these methods left ui.app (a log filter by name still finds them)
log = logging.getLogger("ehub_tui.ui.app")

KEEP_WORKING = (
    "You can finish the items you hold: what you save is kept on this workstation and sent "
    "when the hub is back."
)


class SyncApp(AccountApp):
    """The app's sync status, its word on the hub answering or not, and the restored drafts
    (the app sets ``hub_problem`` in its ``__init__``; its ``BINDINGS`` hold ``v``)."""

    hub_problem: str | None  # the hub's last failure, until it answers again

    # -- sync (issue 14) -------------------------------------------------------------------------

    def watch_sync(self) -> None:
        """Ask the client service to report its sync status (if it keeps an outbox)."""
        if self.ctx.syncs and hasattr(self.service, "on_sync_changed"):
            self.service.on_sync_changed = self._sync_hook
            self.ctx.set_sync(self.ctx.read_sync_status())

    def _sync_hook(self, status: SyncStatus) -> None:
        # called on the sender's thread: only a message crosses to the UI thread
        self.post_message(SyncChanged(status))

    def on_sync_changed(self, message: SyncChanged) -> None:
        was_offline = self.ctx.offline
        self.ctx.set_sync(message.status)
        if was_offline and message.status.online and self.hub_problem is not None:
            self.on_hub_answered(HubAnswered())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "review":
            return self.in_session and self.ctx.syncs
        return super().check_action(action, parameters)

    def action_review(self) -> None:
        """The events the hub refused from this workstation (``v``)."""
        from ehub_tui.ui.screens.review import ReviewScreen

        if not (self.in_session and self.ctx.syncs):
            return
        if isinstance(self.screen, ReviewScreen):
            return
        self.push_screen(ReviewScreen(self.ctx))

    def _restore_drafts(self) -> None:
        """The drafts this workstation kept for the signed-in user (read in a worker)."""
        if self.service.user is None or not callable(getattr(self.service, "drafts", None)):
            return
        username = self.service.user.username
        self.run_worker(
            lambda: self._restore_drafts_work(username),
            thread=True,
            exclusive=True,
            group="drafts",
        )

    def _restore_drafts_work(self, username: str) -> None:
        try:
            kept = self.service.drafts()
        except (StoreError, NotSignedIn):  # none restored: the items open without them
            log.warning("the drafts kept on this workstation could not be read")
            return
        self.post_message(DraftsRestored(username, dict(kept)))

    def on_drafts_restored(self, message: DraftsRestored) -> None:
        user = self.service.user
        if user is None or user.username != message.username:
            return  # another user signed in meanwhile: not theirs
        for item_id, values in message.drafts.items():
            # a draft in memory is newer than the saved one (it is saved a second after typing)
            if item_id not in self.ctx.drafts and isinstance(values, dict):
                self.ctx.drafts[int(item_id)] = Draft.from_dict(values)

    # -- the hub answering, or not ---------------------------------------------------------------

    def on_hub_failed(self, message: HubFailed) -> None:
        """Say once that the hub is not answering (the app keeps trying by itself). On a
        workstation with an outbox the status line says "offline" from then on, and the one
        toast says that the work can go on."""
        if self.hub_problem is None:
            text = message.problem
            if message.unreachable and self.ctx.syncs:
                text += " " + KEEP_WORKING
            notify(self, text, title="The hub is not answering", severity="error", timeout=15)
        self.hub_problem = message.problem

    def on_hub_answered(self, message: HubAnswered) -> None:
        if self.hub_problem is not None:
            self.hub_problem = None
            self.notify("The hub is answering again.", title="Hub back", timeout=6)
