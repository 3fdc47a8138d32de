"""Triage's ``w`` (park the item awaiting the patient's reply) and ``h`` (the item's history),
and the panels an item opens with (issue 15): its parking, when it was parked, and the last
return to the queue with its reason ("Returned by nav1 at 10:02: need senior look", trial 15b:
it was only in ``h``). Both are read in one worker when the screen opens; with the hub away
neither is shown (nothing is lost: ``h`` reads them when the hub is back).

A mixin of ``TriageScreen`` (kept apart: the screen is at the module size limit). Parking is
refused at the red-flag step (session.allowed): a flag is dealt with first, never parked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static

from ehub_tui.domain.awaiting import HistoryEntry, Parking
from ehub_tui.ui.format import literal, short_time
from ehub_tui.ui.messages import Saved
from ehub_tui.ui.screens.park import ParkingPanel, start_park

# the history's actions that return an item to the queue with a reason
_RETURNS = ("release", "force_release")


class ParkingRead(Message):
    """The item's parking and last return, read in a worker (None: none, or not read)."""

    def __init__(self, parking: Parking | None, returned: str | None = None) -> None:
        super().__init__()
        self.parking = parking
        self.returned = returned


def last_return_words(entries: Sequence[HistoryEntry], now: datetime) -> str | None:
    """The item's last return to the queue in words — "Returned by nav1 at 10:02: need senior
    look" (by a supervisor: "Returned to the queue by sup1 at 10:02: …") — or None."""
    last = next((e for e in reversed(entries) if e.action in _RETURNS), None)
    if last is None:
        return None
    at = short_time(last.at, now)
    at = f"at {at}" if ":" in at and " " not in at else f"on {at}"
    who = (
        f"Returned by {last.actor}"
        if last.action == "release"
        else f"Returned to the queue by {last.actor}"
    )
    reason = last.detail.removeprefix("Reason:").strip()
    return f"{who} {at}: {reason}" if reason else f"{who} {at}."


class ReturnedPanel(Static):
    """The last return of an opened item, with its reason (hidden when it was never returned)."""

    DEFAULT_CSS = """
    ReturnedPanel { height: auto; padding: 0 1; border: round $warning; display: none; }
    """

    def show(self, words: str | None) -> None:
        """Show the words (None hides the panel); the reason is shown as written."""
        self.display = words is not None
        self.update(Text.assemble(("↩ ", "bold"), literal(words)) if words else "")


class ParkActions:
    """``w``, ``h`` and the parking panel for the triage screen (see the module docstring)."""

    def action_park(self) -> None:
        screen: Any = self
        if screen.lost:
            screen.dismiss(None)
            return
        start_park(
            screen,
            screen.claim,
            screen.item.due_by,
            lambda text: screen.post_message(Saved(text)),  # on_saved closes the screen
            begin=screen.session.begin_submit,
            failed=screen.session.submitted,
        )

    def action_history(self) -> None:
        screen: Any = self
        from ehub_tui.ui.screens.history import HistoryScreen

        screen.app.push_screen(HistoryScreen(screen.claim.item_id, screen.ctx))

    def read_parking(self) -> None:
        """Read whether this item was parked (both texts shown when it was)."""
        self._parking_work()

    @work(thread=True, exclusive=True, group="parking")
    def _parking_work(self) -> None:
        screen: Any = self
        item_id = screen.claim.item_id
        try:
            parking = screen.ctx.service.parking(item_id)
        except Exception:  # the hub away or a refusal: the panel stays hidden, nothing lost
            parking = None
        returned = None
        history = getattr(screen.ctx.service, "item_history", None)
        if callable(history):
            try:
                returned = last_return_words(history(item_id), screen.ctx.now())
            except Exception:  # the hub away (offline: OFFLINE_HISTORY) or a refusal: hidden
                returned = None
        screen.post_message(ParkingRead(parking, returned))

    def on_parking_read(self, message: ParkingRead) -> None:
        screen: Any = self
        for panel in screen.query(ParkingPanel):
            panel.show(message.parking)
        for shown in screen.query(ReturnedPanel):
            shown.show(message.returned)
