"""The triage screen's edits that change no step: the note (``n``), the message (``m``: an
edited message that no longer fits the outcome is offered a re-word first, and completing
with one asks first), an attribute stated in the text (``a``) and the help (``?``). A mixin of
``TriageScreen`` (kept apart: the screen is at the module size limit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ehub_tui.ui.format import notify
from ehub_tui.ui.screens.triage_view import HELP_INTRO, HELP_OFFLINE

REWORD = "reword"
REWORD_LABEL = "Re-word it for the outcome (your edits are lost)"


class TriageEdits:
    """``n``, ``m``, ``a`` and ``?`` for the triage screen (see the module docstring)."""

    def action_change_stated(self) -> None:
        """Change an attribute read from the text (pregnant, immunosuppressed…)."""
        screen: Any = self
        d = screen.decision
        if d is None or not d.stated:
            return
        from ehub_tui.ui.screens.dialogs import PickDialog

        def picked(choice: str | None) -> None:
            if choice:
                screen.session.change_stated(choice)
                screen._decided()

        screen.app.push_screen(
            PickDialog("What the patient says", screen.session.stated_options()), picked
        )

    def action_note(self) -> None:
        screen: Any = self
        from ehub_tui.ui.screens.dialogs import TextDialog

        def done(text: str | None) -> None:
            if text is not None:
                screen.session.set_note(text)
                screen._render_guidance()
                screen.draft_changed()

        screen.app.push_screen(TextDialog("Note for the record", screen.draft.note), done)

    def action_message(self) -> None:
        """Edit the message; when an edited one no longer fits the outcome (another urgency
        or team since), first offer to re-word it from the route (trial 15d)."""
        screen: Any = self
        warning = screen.session.message_warning()
        if not warning:
            self._edit_message(None)
            return
        from ehub_tui.ui.screens.dialogs import PickDialog

        def picked(choice: str | None) -> None:
            if choice == "reword":
                self._reword()
            elif choice == "edit":
                self._edit_message(warning)

        screen.app.push_screen(
            PickDialog(f"⚠ {warning}", [(REWORD, REWORD_LABEL), ("edit", "Edit it yourself")]),
            picked,
        )

    def _reword(self) -> None:
        screen: Any = self
        screen.session.reword()
        screen._render_guidance()
        screen.draft_changed()
        notify(screen, "The message was re-worded for the outcome.", timeout=4)

    def _edit_message(self, warning: str | None) -> None:
        screen: Any = self
        from ehub_tui.ui.screens.message_editor import MessageEditor

        def done(text: str | None) -> None:
            if text is not None:
                screen.session.set_message(text)
                screen._render_guidance()
                screen.draft_changed()

        title = "Message to the patient" + (f" — ⚠ {warning}" if warning else "")
        screen.app.push_screen(MessageEditor(title, screen.message_text()), done)

    def check_message(self, warning: str, then: Callable[[], None]) -> None:
        """Completing with an edited message that no longer fits: said first, with the choice
        to re-word it, send it as written, or go back (the first choice: nothing happens)."""
        screen: Any = self
        from ehub_tui.ui.screens.dialogs import PickDialog

        def picked(choice: str | None) -> None:
            if choice == REWORD:
                screen.session.reword()
                screen._render_guidance()
                then()
            elif choice == "send":
                then()

        screen.app.push_screen(
            PickDialog(
                f"⚠ {warning}",
                [
                    ("back", "Go back and check it (m)"),
                    (REWORD, f"{REWORD_LABEL}, and complete"),
                    ("send", "Complete with the message as it is"),
                ],
            ),
            picked,
        )

    def action_help(self) -> None:
        screen: Any = self
        from ehub_tui.ui.screens.help import HelpScreen

        screen.app.push_screen(
            HelpScreen(
                screen,
                "Triage",
                extra=[
                    ("1-9", "answer the question shown"),
                    ("u", "outcome panel: one step more urgent"),
                    ("t", "outcome panel: the next mode of contact"),
                    ("tab", "move between panels"),
                ],
                intro=HELP_INTRO + (HELP_OFFLINE if screen.ctx.syncs else ""),
            )
        )
