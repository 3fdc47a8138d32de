"""The triage screen's edits that change no step: the note (``n``), the message (``m``), an
attribute stated in the text (``a``) and the help (``?``). A mixin of ``TriageScreen`` (kept
apart: the screen is at the module size limit)."""

from __future__ import annotations

from typing import Any

from ehub_tui.ui.screens.triage_view import HELP_INTRO, HELP_OFFLINE


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
        screen: Any = self
        from ehub_tui.ui.screens.message_editor import MessageEditor

        def done(text: str | None) -> None:
            if text is not None:
                screen.session.set_message(text)
                screen._render_guidance()
                screen.draft_changed()

        screen.app.push_screen(MessageEditor("Message to the patient", screen.message_text()), done)

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
