"""Triage's ``w`` (park the item awaiting the patient's reply) and ``h`` (the item's history),
and the parking panel an item that was parked opens with (issue 15).

A mixin of ``TriageScreen`` (kept apart: the screen is at the module size limit). Parking is
refused at the red-flag step (session.allowed): a flag is dealt with first, never parked.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.message import Message

from ehub_tui.domain.awaiting import Parking
from ehub_tui.ui.messages import Saved
from ehub_tui.ui.screens.park import ParkingPanel, start_park


class ParkingRead(Message):
    """The item's parking, read in a worker (None: never parked, or not read)."""

    def __init__(self, parking: Parking | None) -> None:
        super().__init__()
        self.parking = parking


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
        try:
            parking = screen.ctx.service.parking(screen.claim.item_id)
        except Exception:  # the hub away or a refusal: the panel stays hidden, nothing lost
            parking = None
        screen.post_message(ParkingRead(parking))

    def on_parking_read(self, message: ParkingRead) -> None:
        screen: Any = self
        for panel in screen.query(ParkingPanel):
            panel.show(message.parking)
