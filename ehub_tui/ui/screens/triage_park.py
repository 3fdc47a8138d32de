"""Triage's ``w`` (park the item awaiting the patient's reply) and ``h`` (the item's history),
and the panels an item opens with (issue 15): its parking, when it was parked, and the last
return to the queue with its reason ("Returned by nav1 at 10:02: need senior look", trial 15b:
it was only in ``h``). Both are read in one worker when the screen opens; with the hub away
neither is shown (nothing is lost: ``h`` reads them when the hub is back).

A handed-over item shows the supervisor's note the same way ("↪ Handed over by sup1 at 10:02
from nav1: call after 2", trial 15d: once the toast faded only ``h`` had it), as long as the
reassign to this holder was the item's last move.

A mixin of ``TriageScreen`` (kept apart: the screen is at the module size limit). Parking is
refused at the red-flag step (session.allowed): a flag is dealt with first, never parked.
"""

from __future__ import annotations

import re
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


# the history's actions that change who holds an item (a handover counts until one of these)
_MOVES = (
    "claim",
    "release",
    "reassign",
    "force_release",
    "lease_expired",
    "park",
    "park_returned",
    "reply_linked",
    "cancel",
    "complete",
)
_REASSIGNED = re.compile(r"^Reassigned by .+ from (?P<from>.+) to (?P<to>.+)\.$")


class ParkingRead(Message):
    """The item's parking, last return and handover, read in a worker (None: none, or not
    read)."""

    def __init__(
        self, parking: Parking | None, returned: str | None = None, handed: str | None = None
    ) -> None:
        super().__init__()
        self.parking = parking
        self.returned = returned
        self.handed = handed


def handover_words(by: str, from_user: str | None, note: str, at: datetime, now: datetime) -> str:
    """ "Handed over by sup1 at 10:02 from nav1: call after 2"."""
    when = short_time(at, now)
    when = f"at {when}" if ":" in when and " " not in when else f"on {when}"
    came = f" from {from_user}" if from_user and from_user != "nobody" else ""
    note = note.strip()
    return (
        f"Handed over by {by} {when}{came}: {note}"
        if note
        else f"Handed over by {by} {when}{came}."
    )


def last_handover_words(entries: Sequence[HistoryEntry], owner: str, now: datetime) -> str | None:
    """The supervisor's handover note when the item's last move was a reassign to ``owner``
    (trial 15d: the note was only in ``h`` once the toast faded), else None."""
    last = next((e for e in reversed(entries) if e.action in _MOVES), None)
    if last is None or last.action != "reassign":
        return None
    moved = _REASSIGNED.match(last.words)
    if moved is None or moved.group("to") != owner:
        return None
    note = last.detail.removeprefix("Reason:")
    return handover_words(last.actor, moved.group("from"), note, last.at, now)


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

    def show(self, words: str | None, handed: str | None = None) -> None:
        """Show the handover and the return, each on its line (both None hide the panel);
        the supervisor's note and the reason are shown as written, never as markup."""
        lines = [(mark, text) for mark, text in (("↪ ", handed), ("↩ ", words)) if text]
        self.display = bool(lines)
        out = Text()
        for i, (mark, text) in enumerate(lines):
            out.append_text(Text.assemble(("\n" if i else "") + mark, literal(text)))
        self.update(out)


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
        returned = handed = None
        history = getattr(screen.ctx.service, "item_history", None)
        if callable(history):
            try:
                entries = history(item_id)
                returned = last_return_words(entries, screen.ctx.now())
                handed = last_handover_words(entries, screen.claim.owner, screen.ctx.now())
            except Exception:  # the hub away (offline: OFFLINE_HISTORY) or a refusal: hidden
                returned = handed = None
        screen.post_message(ParkingRead(parking, returned, handed))

    def on_parking_read(self, message: ParkingRead) -> None:
        screen: Any = self
        for panel in screen.query(ParkingPanel):
            panel.show(message.parking)
        handed = message.handed or self._handover_in_memory()
        for shown in screen.query(ReturnedPanel):
            shown.show(message.returned, handed)

    def _handover_in_memory(self) -> str | None:
        """The handover this app was told of (history not read: the hub away), if any."""
        screen: Any = self
        notices = getattr(screen.app, "handover_notices", None)
        told = getattr(notices, "current", {}).get(screen.claim.item_id)
        if told is None:
            return None
        return handover_words(told.by, told.from_user, told.note, told.at, screen.ctx.now())
