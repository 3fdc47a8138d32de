"""The ? screen: every binding of the screen underneath, in words."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from ehub_tui.ui.format import literal, one_line
from ehub_tui.ui.once import ClosesOnce

GENERAL = [
    ("ctrl+p", "command palette: every action by name"),
    ("ctrl+q", "quit the app"),
]


def binding_lines(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(keys, description) for the screen's and the app's shown bindings (an app binding whose
    key the screen binds too is the screen's: listed once, as the screen's)."""
    seen: set[str] = set()
    keys_seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for node in (screen, screen.app):
        for b in node.BINDINGS:
            if not isinstance(b, Binding) or not b.description or b.description in seen:
                continue
            own = {k.strip() for k in b.key.split(",")}
            if node is screen.app and own & keys_seen:
                continue  # the screen's binding of the key wins (v on the board)
            if node is screen:
                keys_seen |= own
            if node is screen.app and b.key == "ctrl+q":
                continue  # listed with the general keys
            action = b.action.split("(", 1)[0]
            if node.check_action(action, ()) is False:
                continue  # not for this user, or not now (the footer hides it too)
            seen.add(b.description)
            keys = b.key_display or b.key.replace(",", " / ")
            out.append((keys, b.description))
    return out


class HelpScreen(ClosesOnce, ModalScreen[None]):
    """What every key does here."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(
        self,
        for_screen: Screen[Any],
        title: str,
        intro: str,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.for_screen = for_screen
        self.title_text = title
        self.intro = intro
        self.extra = extra or []

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog dialog-tall", id="help"):
            yield Label(literal(f"Help — {self.title_text}"), classes="dialog-title")
            # Text, not markup: the intro quotes commands and names ("[...]" is only text)
            yield Static(literal(self.intro, multiline=True), classes="help-intro")
            lines = binding_lines(self.for_screen) + self.extra + GENERAL
            width = max(len(k) for k, _ in lines) + 2
            body = Text()
            for i, (k, d) in enumerate(lines):
                if i:
                    body.append("\n")
                body.append(one_line(k).ljust(width), "bold")
                body.append(one_line(d))
            yield Static(body, id="help-keys")
            yield Label("escape to close", classes="dialog-help")

    def action_close(self) -> None:
        self.dismiss(None)
