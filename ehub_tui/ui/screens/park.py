"""Parking an item "awaiting the patient's reply" (issue 15): the dialog, the worker that asks
the hub, and the panel an opened item shows once it has been parked.

The dialog asks for the question sent to the patient (one line) and a return time from a short
list (end of today, the next working day 10:00, in 2 or 5 working days, computed from the app's
clock, which follows the hub's); a time after the item's due time is warned about in words on
the dialog, never silently allowed. The hub judges the time again by its own clock (and refuses
one not ahead).

Wiring (a screen that holds a claim, e.g. triage on ``w``)::

    start_park(self, self.claim, self.item.due_by, on_parked=lambda text: ...)

``on_parked`` runs on the UI thread with the sentence to show (close the screen there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ehub_tui.domain.awaiting import (
    MAX_QUESTION_CHARS,
    Parking,
    ParkState,
    ReturnChoice,
    due_warning,
    return_choices,
    when,
)
from ehub_tui.domain.clock import CoreHours
from ehub_tui.domain.queue import Claim
from ehub_tui.errors import LostClaim, StoreError
from ehub_tui.ui.format import literal, notify, visible
from ehub_tui.ui.screens.dialogs import ClosingKey


@dataclass(frozen=True, slots=True)
class ParkRequest:
    """What the dialog answers: the question sent and when the item comes back."""

    question: str
    return_at: datetime
    choice: str  # the choice's words ("tomorrow 10:00", "Mon 10:00")


class ParkDialog(ClosingKey, ModalScreen[ParkRequest | None]):
    """Ask for the question sent and the return time: the question is one line (a sentence or
    two); enter there moves on to the return times, enter on a return time parks (tab moves
    too); escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, item_id: int, due_by: datetime, now: datetime, hours: CoreHours) -> None:
        super().__init__()
        self.item_id = item_id
        self.due_by = due_by
        self.choices: list[ReturnChoice] = return_choices(now, hours)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-tall", id="park-dialog"):
            yield Label(
                literal(f"Park #{self.item_id} awaiting the patient's reply"),
                classes="dialog-title",
            )
            yield Label("The question sent to the patient:", classes="dialog-help")
            yield Input(
                id="park-question",
                placeholder="e.g. Is the rash still spreading? A photo would help.",
                max_length=MAX_QUESTION_CHARS,
            )
            yield Label(
                literal(f"Back in the queue by (due {when(self.due_by)}):"), classes="dialog-help"
            )
            yield OptionList(
                *[Option(literal(f"{c.label} — {when(c.at)}"), id=c.key) for c in self.choices],
                id="park-when",
            )
            yield Static("", id="park-warning")
            yield Label(
                "enter: on to the times · enter on a time parks · escape cancels",
                classes="dialog-help",
            )

    def on_mount(self) -> None:
        box = self.query_one("#park-question", Input)
        box.cursor_blink = False
        box.focus()
        self._warn(0)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the question moves on to the return times (as the footer says); with no
        question yet it says so and stays."""
        event.stop()
        if not event.value.strip():
            notify(self, "Write the question sent to the patient first.", severity="warning")
            return
        self.query_one("#park-when", OptionList).focus()

    def _choice(self, key: str | None) -> ReturnChoice | None:
        return next((c for c in self.choices if c.key == key), None)

    def _warn(self, index: int | None) -> None:
        warning = self.query_one("#park-warning", Static)
        choice = self.choices[index] if index is not None and index < len(self.choices) else None
        text = due_warning(choice.at, self.due_by) if choice is not None else None
        warning.update(Text(f"⚠ {text}", style="bold") if text else "")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._warn(event.option_index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = self._choice(event.option.id)
        question = self.query_one("#park-question", Input).value.strip()
        if choice is None:
            return
        if not question:
            notify(self, "Write the question sent to the patient first.", severity="warning")
            self.query_one("#park-question", Input).focus()
            return
        if len(question) > MAX_QUESTION_CHARS:
            notify(
                self,
                f"The question is {len(question)} characters; at most {MAX_QUESTION_CHARS}.",
                severity="warning",
            )
            return
        self.dismiss(ParkRequest(question, choice.at, choice.label))

    def action_cancel(self) -> None:
        self.dismiss(None)


def start_park(
    screen: Any,
    claim: Claim,
    due_by: datetime,
    on_parked: Callable[[str], object],
    *,
    begin: Callable[[], bool] | None = None,
    failed: Callable[[], None] | None = None,
) -> None:
    """Ask (ParkDialog) and park ``claim``'s item in a worker; ``on_parked(sentence)`` on the
    UI thread when the hub has it. A refusal is a toast in words (the item stays held).

    ``begin`` (e.g. triage's ``session.begin_submit``) runs on the UI thread once the dialog is
    answered, before the hub is asked: False stops (something else is under way), and while
    the parking is under way the screen does not take the item's leaving for a loss.
    ``failed`` (e.g. ``session.submitted``) runs when the hub refused, to let the screen go on."""
    ctx = screen.ctx
    hours = CoreHours(
        start=ctx.settings.core_hours_start,
        end=ctx.settings.core_hours_end,
        extra_closed_days=frozenset(ctx.settings.closed_days),
    )

    def asked(request: ParkRequest | None) -> None:
        if request is None:
            return
        if begin is not None and not begin():
            return
        screen.run_worker(
            lambda: _park(screen, claim, request, on_parked, failed),
            thread=True,
            group="park",
            exclusive=True,
        )

    screen.app.push_screen(ParkDialog(claim.item_id, due_by, ctx.now(), hours), asked)


def _park(
    screen: Any,
    claim: Claim,
    request: ParkRequest,
    on_parked: Callable[[str], object],
    failed: Callable[[], None] | None,
) -> None:
    """The worker: one hub call, its answer handed back to the UI thread."""
    app = screen.app
    try:
        screen.ctx.service.park(claim, request.question, request.return_at)
    except StoreError as exc:
        # LostClaim (no longer ours), HubUnreachable (offline: OFFLINE_PARK) or the hub's
        # refusal of the time or the question: each is a sentence; the item stays as it was
        severity = "error" if isinstance(exc, LostClaim) else "warning"
        if failed is not None:
            app.call_from_thread(failed)
        app.call_from_thread(notify, screen, str(exc), severity=severity, timeout=8)
        return
    app.call_from_thread(on_parked, parked_words(claim.item_id, request.return_at))


def parked_words(item_id: int, return_at: datetime) -> str:
    """The toast once parked, naming the return time once (trial 15b read "Mon 07 Dec 10:00
    (Mon 10:00)": the choice's words beside the time they stand for)."""
    return (
        f"#{item_id} parked awaiting the patient's reply; back by {when(return_at)} or when "
        "they reply."
    )


def parking_text(parking: Parking) -> Text:
    """What an opened item shows once it was parked: how it came back, the question sent and
    the patient's reply (shown as written: never markup)."""
    out = Text()
    out.append(parking.banner(), style="bold")
    out.append("\n")
    out.append(f"Question sent by {parking.parked_by} ({when(parking.parked_at)}): ")
    out.append(visible(parking.question))
    out.append("\n")
    if parking.reply_text is not None:
        out.append(f"Patient's reply ({when(parking.reply_received_at)}): ")
        out.append(visible(parking.reply_text))
    elif parking.state is not ParkState.AWAITING:
        out.append("No reply from the patient yet.")
    return out


class ParkingPanel(Static):
    """The parking of an opened item (hidden until ``show`` is given one)."""

    DEFAULT_CSS = """
    ParkingPanel { height: auto; padding: 0 1; border: round $warning; display: none; }
    """

    def show(self, parking: Parking | None) -> None:
        """Show a parking (None hides the panel)."""
        self.display = parking is not None
        self.update(parking_text(parking) if parking is not None else "")
