"""The command palette's commands (ctrl+p): only what the signed-in user may do here.

The theme, the keys panel, quitting (once), signing out and changing the password, and every
binding of the current screen this user may use now: what the footer offers, plus the useful
keys kept out of a crowded footer (``PALETTE_KEYS``: triage's w await patient, h history,
u urgency, t contact; the queue's f filters, h history), so a navigator is offered no Board or
Reports and a SOP author no queue. Textual's own Screenshot is left out on purpose: it saved
the screen, patient details and all, to a file, unaudited.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from textual.actions import parse as parse_action
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

# bindings (by id) hidden from the footer for room but worth finding in the palette; each is
# still offered only when the screen's check_action allows it (the footer's own rule)
PALETTE_KEYS = frozenset({"park", "history", "urgency", "contact", "filters"})


class PaletteApp(Protocol):
    """What the palette needs of the app (the app's module imports this one, not back)."""

    def action_change_theme(self) -> None: ...
    def action_show_help_panel(self) -> None: ...
    async def action_quit(self) -> None: ...
    def account_commands(self) -> Iterable[SystemCommand]: ...
    def call_later(self, callback: Any, *args: Any, **kwargs: Any) -> bool: ...


def palette_commands(app: PaletteApp, screen: Screen[Any]) -> Iterator[SystemCommand]:
    """The palette's commands for ``screen`` (see the module docstring)."""
    yield SystemCommand("Theme", "change the colours (remembered)", app.action_change_theme)
    yield SystemCommand("Keys", "show the keys of this screen", app.action_show_help_panel)
    yield SystemCommand("Quit", "quit the app (key: ctrl+q)", app.action_quit)
    seen = {"Theme", "Keys", "Quit"}
    for command in app.account_commands():
        seen.add(command.title)
        yield command
    for b in screen.BINDINGS:
        if not (isinstance(b, Binding) and b.description):
            continue
        if not (b.show or b.id in PALETTE_KEYS):
            continue
        if b.description in seen:  # the screen's own q "Quit": listed once
            continue
        _, name, params = parse_action(b.action)
        if screen.check_action(name, params) is not True:
            continue  # not for this user, or not now (the footer hides it too)
        seen.add(b.description)
        action = b.action

        def run(action: str = action) -> None:
            app.call_later(screen.run_action, action)

        yield SystemCommand(b.description, f"key: {b.key_display or b.key}", run)
