"""Typed modal dialogs: each asks one question and dismisses with the answer (None = cancel).

Titles, bodies and options often quote the hub's text (a flag's words, a user's name, a route):
each is put on screen as a ``Text`` through ``literal`` (never markup, controls visible)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from ehub_tui.ui.format import literal, notify, visible
from ehub_tui.ui.once import ClosesOnce


class ClosingKey(ClosesOnce):
    """Notes the last key a dialog saw, so the screen under it knows which key closed it
    (``closed_by``): the triage screen guards that key for a moment — a repeated ⏎ must not
    complete the item — and nothing after escape. A key a text box takes for itself (a letter,
    a digit) does not reach here: a dialog that closes on one sets ``closed_by`` itself."""

    closed_by: str | None = None

    def on_key(self, event: events.Key) -> None:
        self.closed_by = event.key


class ReasonDialog(ClosingKey, ModalScreen[str | None]):
    """Ask for a short reason (required)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        placeholder: str = "Reason",
        initial: str = "",
        quick: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.initial = initial
        # common reasons one digit picks while nothing is typed (the reason is still required)
        self.quick = quick[:9]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.title_text), classes="dialog-title")
            if self.quick:
                yield Label(
                    literal(
                        " · ".join(f"{i} {q}" for i, q in enumerate(self.quick, 1))
                        + " — or type a reason"
                    ),
                    classes="dialog-help",
                )
            yield Input(
                value=visible(self.initial, multiline=False),
                placeholder=visible(self.placeholder, multiline=False),
                id="reason",
            )
            yield Label("enter to confirm · escape to cancel", classes="dialog-help")

    def on_input_changed(self, event: Input.Changed) -> None:
        """A digit typed into the empty box picks that common reason (the Input takes the key
        itself, so the dialog sees the value)."""
        value = event.value
        if self.quick and len(value) == 1 and value.isdigit():
            i = int(value) - 1
            if 0 <= i < len(self.quick):
                self.closed_by = value  # the digit: not a key that completes anything
                self.dismiss(self.quick[i])

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            notify(self, "A reason is needed.", severity="warning")
            return
        # the text box took the ⏎ for itself: name it, so the screen below guards a repeat
        # (trial 15c: a ⏎ 0.15 s later completed the item behind the dialog)
        self.closed_by = "enter"
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickDialog(ClosingKey, ModalScreen[str | None]):
    """Pick one of several options by id."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-tall"):
            yield Label(literal(self.title_text), classes="dialog-title")
            yield OptionList(*[Option(literal(label), id=oid) for oid, label in self.options])
            yield Label("↑↓ to choose · enter to pick · escape to cancel", classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextDialog(ClosingKey, ModalScreen[str | None]):
    """Edit a longer text (a note, the patient message)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__()
        self.title_text = title
        # the text may hold the hub's data (a patient's name in a message): its control
        # characters are shown (and kept, if saved) as visible symbols, never sent to the terminal
        self.text = visible(text)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-tall"):
            yield Label(literal(self.title_text), classes="dialog-title")
            yield TextArea(self.text, id="text", soft_wrap=True)
            yield Label("ctrl+s to save · escape to cancel", classes="dialog-help")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.cursor_blink = False
        area.focus()
        self._warned = False

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        if self.query_one(TextArea).text != self.text and not self._warned:
            self._warned = True
            notify(
                self,
                "Press escape again to throw away your changes, or ctrl+s to save.",
                severity="warning",
                timeout=5,
            )
            return
        self.dismiss(None)


class ConfirmDialog(ClosingKey, ModalScreen[bool]):
    """Ask before something that cannot be undone."""

    BINDINGS = [
        Binding("enter,y", "yes", "Confirm"),
        Binding("escape,n", "no", "Cancel"),
    ]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.title_text), classes="dialog-title")
            yield Label(literal(self.body, multiline=True))
            yield Label("enter to confirm · escape to cancel", classes="dialog-help")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
