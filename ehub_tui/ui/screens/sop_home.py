"""The SOP screen as the first screen of those who write SOPs but may not read patients' items
(SOP authors): the hub refuses them the patient queue, so the app opens here, and esc or q
quits (there is nothing underneath to go back to), as a manager's reports do."""

from __future__ import annotations

from textual.binding import Binding

from ehub_tui.ui.screens.sop_author import SopAuthorScreen
from ehub_tui.ui.screens.sop_view import INTRO

HOME_NOTE = (
    "\n\nYou are signed in as a SOP author: SOP authors do no queue work and never see the "
    "patient queue (the hub refuses it), so the SOPs are your first screen. Test an SOP on its "
    "test cases (v). esc or q quits the app."
)


class SopHomeScreen(SopAuthorScreen):
    """``SopAuthorScreen`` as the app's first screen: esc and q quit instead of going back."""

    BINDINGS = [Binding("escape,q", "quit_app", "Quit", id="sop_quit")]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # nothing underneath: esc is the quit binding's
            return False
        return super().check_action(action, parameters)

    def action_quit_app(self) -> None:
        """Quit the app (the app's own way out, as the queue's q)."""
        self.app.exit()

    def action_help(self) -> None:
        """The SOP screen's help, and why it comes first."""
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "SOPs",
                intro=INTRO + HOME_NOTE,
                extra=[("enter", "edit, as e"), ("↑ ↓ pgup pgdn home end", "move in the list")],
            )
        )
