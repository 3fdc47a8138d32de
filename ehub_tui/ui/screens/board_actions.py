"""The supervisor board's actions on what it shows: the open items and the refused events.

``BoardActions`` is the base of ``BoardScreen`` (``screens.board``), which shows the board and
holds the keys (its ``BINDINGS``). Every action on an open item (reassign, release, priority,
cancel) asks for a reason and runs in a worker; the screen is told with ``Saved`` or ``NotSaved``
and reads the board again. ``f`` resolves the highlighted refused event with a written
resolution, ``k`` applies a refused completion's kept outcome, ``v`` reads them in full (opened on
the highlighted one). With the hub away every action is refused before it asks for anything.

Reassigning (issue 15) asks, after the person, for a confirmation naming both people by name and
username ("Reassign #140 from Amira Khan (amira) to Ben Lee (ben)?"), then — for an item someone
holds whose draft for this claim the hub holds — whether it goes too ("saved 40 s ago"), then the
handover note the receiver is shown at once (screens.board_reassign). ``s`` acts on the first
stale-claim alert (red-flagged first): it moves to the item and offers reassign or release.
Home/End move to the first/last row of a list (``RowTable``), never sideways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding
from textual.widgets import DataTable

from ehub_tui.domain.flags import LEGEND
from ehub_tui.domain.sync import OFFLINE_ACTION
from ehub_tui.domain.types import Priority
from ehub_tui.errors import StoreError
from ehub_tui.ui.context import EhubScreen
from ehub_tui.ui.format import notify, one_line
from ehub_tui.ui.messages import NotSaved, Saved
from ehub_tui.ui.screens.board_alerts import not_worked
from ehub_tui.ui.screens.board_reassign import ONLINE

__all__ = ["ONLINE", "BoardActions", "RowTable"]

if TYPE_CHECKING:
    from ehub_tui.domain.board import Board, OpenItem
    from ehub_tui.domain.sync import RejectedEvent
    from ehub_tui.ui.poller import Poller


class RowTable(DataTable[Any]):
    """A row-cursor table whose Home/End go to the first/last row. DataTable's own Home/End
    scroll sideways and leave the cursor where it was: on the board that once left the
    cursor on another item than the supervisor meant, and they reassigned the wrong one."""

    BINDINGS = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]


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

    def act(self, title: str, run: Any) -> None:
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
        """Reassign the highlighted item (screens.board_reassign: the person, both named, the
        holder's draft only when the hub holds it for this claim, the handover note)."""
        if self._refuse_offline():  # before asking for a person and a reason
            return
        item = self._selected()
        if item is None or self.board is None:
            return
        from ehub_tui.ui.screens.board_reassign import start

        start(self, item)

    def action_stale(self) -> None:
        """Act on the first stale-claim alert (red-flagged first): move to it, then reassign
        or release it."""
        if self._refuse_offline():
            return
        # held emergencies not worked for a couple of minutes first, then the stale claims
        alerts = not_worked(self.board, self.ctx.now()) if self.board is not None else []
        if not alerts:
            notify(self, "No stale claims: every held item is being worked.", timeout=4)
            return
        alert = alerts[0]
        table = self.query_one("#items", DataTable)
        try:
            table.move_cursor(row=table.get_row_index(str(alert.item_id)))
        except Exception:  # not among the items shown (the list is cut): said, not acted on
            notify(self, f"#{alert.item_id} is not in the list shown.", severity="warning")
            return
        table.focus()
        from ehub_tui.ui.screens.dialogs import PickDialog

        options = [
            ("reassign", "Reassign it to someone else (with a handover note)"),
            ("release", f"Release it from {alert.owner} back to the queue"),
        ]

        def chosen(choice: str | None) -> None:
            if choice == "reassign":
                self.action_reassign()
            elif choice == "release":
                self.action_release()

        self.app.push_screen(PickDialog(one_line(alert.words()) + " — what now?", options), chosen)

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

        self.act(f"Release #{item.id} from {item.owner} back to the queue: why?", run)

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

        self.act(f"Mark #{item.id} {name}: why?", run)

    def action_cancel_item(self) -> None:
        if self._refuse_offline():
            return
        item = self._selected()
        if item is None:
            return

        def run(why: str) -> str:
            self.ctx.service.cancel(item.id, why)
            return f"#{item.id} cancelled"

        self.act(f"Cancel #{item.id} (e.g. a duplicate): why?", run)

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Supervisor board",
                intro="The board shows the whole hub, refreshed every second. Open items lists "
                "what navigators hold (a stale claim's lease has run out) and then the most "
                "urgent waiting items. Move with ↑↓ (home/end: first/last row) and act on the "
                "highlighted item: every action asks for a reason and is audited. The navigator "
                "holding an item sees a change within 2 seconds and keeps their draft. A "
                "reassign names both people before it happens; when the hub holds the "
                "holder's draft of it, it asks whether that goes too (saying when it was "
                "saved), and its note is shown to the receiver at once.\n\nOver the list: "
                "emergencies nobody holds yet (a new one is also said in a message, once), "
                "then claims nobody has worked for a while (not open on the holder's screen; "
                "red flags first): s moves to the first and offers reassign or release. "
                "h reads the highlighted item's history. Due < 1 h counts every emergency: it "
                "is due now.\n\nAwaiting reply counts the items parked for a patient's reply "
                "and how many come back within the hour; w lists them (h on one reads its "
                "history).\n\nUnder 120 columns the lists stack under the open items and the "
                "hourly charts are left out.\n\nFlags: " + LEGEND + "."
                "\n\nNot applied lists what the hub refused from a workstation: most often a "
                "completion saved while the hub was away, for an item that meanwhile went to "
                "someone else. The outcome is "
                "kept whole: v reads each one in full; f (on the highlighted one, tab moves to "
                "the list) records what was done about it; k applies a refused completion's "
                "kept outcome to its item (the hub completes the item with it only when it is "
                "waiting in the queue with nobody holding it, else it says why not). An "
                "escalation is marked ‼ emergency in the Outcome column.\n\nWhen the hub is "
                'not answering the headline says "offline — last read" and the time the '
                "board was read: nothing shown is live, the navigators' presence shows ?, and "
                "the actions (they need the hub) are refused until it is back.",
                extra=[
                    ("↑ ↓", "move in the open items"),
                    ("home end", "first / last row"),
                    ("s", "act on the first stale claim"),
                    ("w", "items awaiting the patient's reply"),
                    ("tab", "move between the lists"),
                ],
            )
        )
