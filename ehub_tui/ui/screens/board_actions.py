"""The supervisor board's actions on what it shows: the open items and the refused events.

``BoardActions`` is the base of ``BoardScreen`` (``screens.board``), which shows the board and
holds the keys (its ``BINDINGS``). Every action on an open item (reassign, release, priority,
cancel) asks for a reason and runs in a worker; the screen is told with ``Saved`` or ``NotSaved``
and reads the board again. ``f`` resolves the highlighted refused event with a written
resolution, ``k`` applies a refused completion's kept outcome, ``v`` reads them in full (opened on
the highlighted one). With the hub away every action is refused before it asks for anything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widgets import DataTable

from ehub_tui.domain.sync import OFFLINE_ACTION
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
    unreachable: bool  # the board's last read found the hub not answering

    @property
    def hub_away(self) -> bool:
        """Is the hub known to be away (this workstation's sync status, or the board's last
        read)? Then nothing shown is live and no action can be taken."""
        return self.ctx.offline or self.unreachable

    def _refuse_offline(self) -> bool:
        """Say (before asking for anything) that an action needs the hub, when it is away."""
        if self.hub_away:
            notify(self, OFFLINE_ACTION, severity="warning", timeout=6)
            return True
        return False

    def highlighted_refused(self) -> RejectedEvent | None:
        """The refused event highlighted in the board's panel."""
        table = self.query_one("#refused", DataTable)
        if not self.refused or not table.row_count:
            return None
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        return next((e for e in self.refused if e.event_id == key), None)

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return bool(self.refused)
        if action == "apply_kept":
            from ehub_tui.ui.screens.review import applies_kept

            return bool(self.refused) and applies_kept(self.ctx.service)
        return True

    def action_resolve(self) -> None:
        """Resolve the highlighted refused event with a written resolution."""
        from ehub_tui.ui.screens.review import resolve_refused

        if not self.refused:
            notify(self, "No refused events to resolve.", severity="warning")
            return
        if self._refuse_offline():
            return
        event = self.highlighted_refused()
        if event is not None:
            resolve_refused(self, event)

    def action_apply_kept(self) -> None:
        """Apply the highlighted refused completion's kept outcome (the hub completes the item
        with it when it is queued and unclaimed), with a written resolution."""
        from ehub_tui.ui.screens.review import apply_kept

        if not self.refused:
            notify(self, "No refused events.", severity="warning")
            return
        if self._refuse_offline():
            return
        event = self.highlighted_refused()
        if event is not None:
            apply_kept(self, event)

    def action_refused(self) -> None:
        """Every unresolved refused event, in full, opened on the highlighted one."""
        from ehub_tui.ui.screens.review import ReviewScreen

        e = self.highlighted_refused()
        self.app.push_screen(
            ReviewScreen(self.ctx, everyone=True, select=e.event_id if e is not None else None),
            lambda _: self.poller.request(),
        )

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
        if self._refuse_offline():  # before asking for a person and a reason
            return
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
        if self._refuse_offline():
            return
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
        if self._refuse_offline():
            return
        item = self._selected()
        if item is None:
            return
        name = Priority(level).label

        def run(why: str) -> str:
            self.ctx.service.set_priority(item.id, level, why)
            return f"#{item.id} is now {name}"

        self._act(f"Mark #{item.id} {name}: why?", run)

    def action_cancel_item(self) -> None:
        if self._refuse_offline():
            return
        item = self._selected()
        if item is None:
            return

        def run(why: str) -> str:
            self.ctx.service.cancel(item.id, why)
            return f"#{item.id} cancelled"

        self._act(f"Cancel #{item.id} (e.g. a duplicate): why?", run)

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Supervisor board",
                intro="The board shows the whole hub, refreshed every second. Open items lists "
                "what navigators hold (a stale claim's lease has run out) and then the most "
                "urgent waiting items. Move with ↑↓ and act on the highlighted item: every "
                "action asks for a reason and is audited. The navigator holding an item sees "
                "a change within 2 seconds and keeps their draft.\n\nNot applied lists what "
                "the hub refused from a workstation: most often a completion saved while the "
                "hub was away, for an item that meanwhile went to someone else. The outcome is "
                "kept whole: v reads each one in full; f (on the highlighted one, tab moves to "
                "the list) records what was done about it; k applies a refused completion's "
                "kept outcome to its item (the hub completes the item with it only when it is "
                "waiting in the queue with nobody holding it, else it says why not). An "
                "escalation is marked ‼ emergency in the Outcome column.\n\nWhen the hub is "
                'not answering the headline says "offline — last read" and the time the '
                "board was read: nothing shown is live, the navigators' presence shows ?, and "
                "the actions (they need the hub) are refused until it is back.",
                extra=[("↑ ↓", "move in the open items"), ("tab", "move between the lists")],
            )
        )
