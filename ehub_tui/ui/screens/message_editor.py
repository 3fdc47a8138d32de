"""The patient message editor: the filled-in template, ready to add to, count and copy.

It opens with the cursor at the END of the message (a navigator adds a sentence far more often
than they rewrite the greeting), shows what the message costs as SMS (GSM-7 160, or 153 per
segment once split; UCS-2 70/67 as soon as one character is outside GSM-7, naming it), and copies
the message to the clipboard for the system that sends it: ``c`` once editing has stopped
(escape), or ctrl+c with nothing selected while editing. The copy goes through Textual's
``App.copy_to_clipboard`` (OSC 52), which most terminals pass on to the system clipboard.

Nothing here does I/O: the text is the session's, and saving hands it back to the caller.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from ehub_tui.domain.sms import sms_count
from ehub_tui.ui.format import literal, notify, visible
from ehub_tui.ui.once import ClosesOnce

EDITING_HELP = "ctrl+s save · ctrl+c copy all · escape close (asks first if changed)"
READING_HELP = "c copy · e edit · ctrl+s save · escape close"


class MessageArea(TextArea):
    """The message's text area: ctrl+c with nothing selected copies the whole message."""

    def action_copy(self) -> None:
        if self.selected_text:
            super().action_copy()
            return
        screen = self.screen
        if isinstance(screen, MessageEditor):
            screen.action_copy()


class MessageEditor(ClosesOnce, ModalScreen[str | None]):
    """Edit the message to the patient; dismisses with the text (saved) or None (cancelled)."""

    DEFAULT_CSS = """
    MessageEditor #sms-count { color: $text-muted; height: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "escape", "Stop editing / close"),
        Binding("c", "copy", "Copy"),
        Binding("e", "edit", "Edit"),
    ]

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__()
        self.title_text = title
        # the text may hold the hub's data (a patient's name): its control characters are shown
        # (and kept, if saved) as visible symbols, never sent to the terminal
        self.text = visible(text)
        self._warned = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-tall"):
            yield Label(literal(self.title_text), classes="dialog-title")
            yield MessageArea(self.text, id="text", soft_wrap=True)
            yield Static(id="sms-count")
            yield Label(EDITING_HELP, id="editor-help", classes="dialog-help")

    def on_mount(self) -> None:
        area = self.query_one(MessageArea)
        area.cursor_blink = False
        self._show_count()
        self.action_edit()

    @property
    def message(self) -> str:
        """The message as it stands in the editor."""
        return self.query_one(MessageArea).text

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        self._show_count()

    def _show_count(self) -> None:
        self.query_one("#sms-count", Static).update(literal(sms_count(self.message).words()))

    def action_edit(self) -> None:
        """Edit, with the cursor at the end of the message."""
        area = self.query_one(MessageArea)
        area.move_cursor(area.document.end)
        area.focus()
        self.query_one("#editor-help", Label).update(EDITING_HELP)

    def action_copy(self) -> None:
        """Copy the whole message to the clipboard (OSC 52), and say so."""
        text = self.message
        if not text.strip():
            notify(self, "There is no message to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        notify(
            self,
            f"Message copied to the clipboard ({len(text)} characters). If it does not paste, "
            "your terminal does not pass copies on: select the text with the mouse instead.",
            timeout=6,
        )

    def action_save(self) -> None:
        self.dismiss(self.message)

    def action_escape(self) -> None:
        """Escape closes the editor when nothing was changed (trial 15c: an escape that only
        stopped editing left the dialog open, so the `e` meant to escalate edited the message
        again). With changes, the first escape stops editing (c copies) and warns; the next
        throws the changes away."""
        if self.message == self.text:
            self.dismiss(None)
            return
        if self.query_one(MessageArea).has_focus:
            self.set_focus(None)
            self.query_one("#editor-help", Label).update(READING_HELP)
            return
        if self.message != self.text and not self._warned:
            self._warned = True
            notify(
                self,
                "Press escape again to throw away your changes, or ctrl+s to save.",
                severity="warning",
                timeout=5,
            )
            return
        self.dismiss(None)
