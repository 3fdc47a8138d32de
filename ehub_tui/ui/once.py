"""A screen closes once.

Textual's ``Screen.dismiss`` calls the result callback and pops the top screen every time it is
called. Two closing keys read together (a fast ⏎⏎, or a terminal that delivers both in one read,
as tmux does) reach the dialog before its pop completes, so the second ``dismiss`` popped the
screen *under* it: trial 15c lost an emergency's triage screen, and the red-flag dismissal with
it, to a double ⏎ in the reason dialog. With this mixin the second call does nothing; the key
then reaches the screen underneath, whose own guard (triage: the key that closed a dialog) says
what it did with it.
"""

from __future__ import annotations

from typing import Any

from textual.await_complete import AwaitComplete


class ClosesOnce:
    """Mixin for a Screen (put it first in the bases): ``dismiss`` acts once per showing."""

    _ehub_dismissed = False

    def dismiss(self, result: Any = None) -> AwaitComplete:
        """Dismiss the screen with ``result``, unless it already was and is no longer on top
        (its pop takes it off the stack at once: a second call would pop the screen under it)."""
        if self._ehub_dismissed and self.app.screen is not self:  # type: ignore[attr-defined]
            return AwaitComplete.nothing()  # type: ignore[no-untyped-call,no-any-return]
        self._ehub_dismissed = True
        return super().dismiss(result)  # type: ignore[misc,no-any-return]
