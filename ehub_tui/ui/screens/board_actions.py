"""The supervisor board's actions on what it shows: the open items and the refused events.

``BoardActions`` is the base of ``BoardScreen`` (``screens.board``), which shows the board and
holds the keys (its ``BINDINGS``). Every action on an open item (reassign, release, priority,
cancel) asks for a reason and runs in a worker; the screen is told with ``Saved`` or ``NotSaved``
and reads the board again. ``f`` resolves the highlighted refused event with a written
resolution, ``v`` reads them in full.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widgets import DataTable

from ehub_tui.domain.types import Priority
from ehub_tui.errors import StoreError
from ehub_tui.ui.context import EhubScreen
from ehub_tui.ui.format import notify
from ehub_tui.ui.messages import NotSaved, Saved

if TYPE_CHECKING:
    from ehub_tui.domain.board import Board, OpenItem
    from ehub_tui.domain.sync import RejectedEvent
    from ehub_tui.ui.poller import Poller

ONLINE = timedelta(minutes=2)


class BoardActions(EhubScreen[None]):
    """What the board's keys do to the highlighted open item or refused event (the board sets
    ``board``, ``refused`` and ``poller`` in its ``__init__``)."""

    board: Board | None
    refused: list[RejectedEvent]  # unresolved refused events (all workstations)
    poller: Poller[Any]

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return bool(self.refused)
        return True

    def action_resolve(self) -> None:
        """Resolve the highlighted refused event with a written resolution."""
        from ehub_tui.ui.screens.review import resolve_refused

        table = self.query_one("#refused", DataTable)
        if not self.refused or not table.row_count:
            notify(self, "No refused events to resolve.", severity="warning")
            return
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        event = next((e for e in self.refused if e.event_id == key), None)
        if event is not None:
            resolve_refused(self, event)

    def action_refused(self) -> None:
        """Every unresolved refused event, in full (resolve there with f)."""
        from ehub_tui.ui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.ctx, everyone=True), lambda _: self.poller.request())

    def _selected(self) -> OpenItem | None:
        table = self.query_one("#items", DataTable)
        if self.board is None or not table.row_count:
            notify(self, "No item selected.", severity="warning")
            return None
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        return next((i for i in self.board.items if str(i.id) == key), None)

    def _act(self, title: str, run: Any) -> None:
        from ehub_tui.ui.screens.dialogs import ReasonDialog

        def reasoned(reason: str | None) -> None:
            if reason:
                self._do(run, reason)

        self.app.push_screen(ReasonDialog(title), reasoned)

    @work(thread=True, group="board-action")
    def _do(self, run: Any, reason: str) -> None:
        try:
            message = run(reason)
        except StoreError as exc:
            self.post_message(NotSaved(str(exc)))
            return
        self.post_message(Saved(message))

    def on_saved(self, message: Saved) -> None:
        notify(self, message.text, timeout=4)
        self.poller.request()  # show the change now (a resolved refusal leaves the panel)

    def on_not_saved(self, message: NotSaved) -> None:
        notify(self, message.problem, severity="error", timeout=8)

    def action_reassign(self) -> None:
        item = self._selected()
        if item is None or self.board is None:
            return
        from ehub_tui.ui.screens.dialogs import PickDialog

        now = self.ctx.now()
        options = []
        for n in self.board.navigators:
            if n.username == item.owner:
                continue
            online = "online" if n.last_seen and now - n.last_seen <= ONLINE else "offline"
            options.append(
                (
                    n.username,
                    f"{n.display_name or n.username} ({n.role}, {online}, "
                    f"holding {len(n.holding)})",
                )
            )
        if not options:
            notify(self, "Nobody else can take it.", severity="warning")
            return

        def picked(user: str | None) -> None:
            if user:
                self._act(
                    f"Reassign #{item.id} to {user}: why?",
                    lambda why: (
                        self.ctx.service.reassign(item.id, user, why),
                        f"#{item.id} reassigned to {user}",
                    )[1],
                )

        self.app.push_screen(PickDialog(f"Reassign #{item.id} to", options), picked)

    def action_release(self) -> None:
        item = self._selected()
        if item is None:
            return
        if item.status != "claimed":
            notify(self, f"#{item.id} is not held by anyone.", severity="warning")
            return

        def run(why: str) -> str:
            self.ctx.service.force_release(item.id, why)
            return f"#{item.id} released to the queue"

        self._act(f"Release #{item.id} from {item.owner} back to the queue: why?", run)

    def action_priority(self, level: int) -> None:
        item = self._selected()
        if item is None:
            return
        name = Priority(level).label

        def run(why: str) -> str:
            self.ctx.service.set_priority(item.id, level, why)
            return f"#{item.id} is now {name}"

        self._act(f"Mark #{item.id} {name}: why?", run)

    def action_cancel_item(self) -> None:
        item = self._selected()
        if item is None:
            return

        def run(why: str) -> str:
            self.ctx.service.cancel(item.id, why)
            return f"#{item.id} cancelled"

        self._act(f"Cancel #{item.id} (e.g. a duplicate): why?", run)
