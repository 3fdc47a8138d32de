"""The guidance warning line under every screen's top bar (trial 15d).

When a published SOP cannot be used here (its text no longer matches its checksum, or it does
not load) the line says so in plain words — "Guidance incomplete — the … SOP could not be loaded;
its routes are not offered. Tell your SOP author." — or which earlier version stands in. Hidden
while every SOP is in use at its newest version. The words come from the app's SOP worker through
``UiContext.guidance_warned``, set by the app's ``GuidanceWarnings`` part once the SOPs are
loaded (no I/O here); shown as plain text, never read as markup.
"""

from __future__ import annotations

from typing import Any, Protocol

from textual.containers import Vertical
from textual.signal import Signal
from textual.widgets import Static

from ehub_tui.ui.format import literal


class WarningSource(Protocol):
    """What the line needs of the app's context (named by shape, as ``SyncSource``)."""

    guidance_warning: str | None
    guidance_warned: Signal[str | None]


class GuidanceWarnings:
    """The app's part (a base of the app): once the SOPs have loaded, and whenever another set
    comes into use, every guidance line is given the word. Textual runs these handlers besides
    the app's own of the same name (each class in the method resolution order has its turn)."""

    service: Any
    ctx: Any

    def on_guidance_ready(self, message: Any) -> None:
        if getattr(message, "available", False):  # loaded: the state is read from memory
            self._warn()

    def on_guidance_changed(self, message: Any) -> None:
        self._warn()  # the worker has just reloaded: memory only

    def _warn(self) -> None:
        from ehub_tui.triage.guidance import incomplete_for_navigator

        unloaded = getattr(self.service.guidance_state(), "unloaded", ())
        self.ctx.set_guidance_warning(incomplete_for_navigator(unloaded))


class GuidanceLine(Static):
    """The guidance warning (hidden while there is none)."""

    DEFAULT_CSS = """
    GuidanceLine {
        height: auto;
        padding: 0 1;
        display: none;
        background: $error 60%;
        text-style: bold;
    }
    """

    def __init__(self, ctx: WarningSource) -> None:
        super().__init__("", id="guidance-line")
        self._ctx = ctx

    def on_mount(self) -> None:
        self._ctx.guidance_warned.subscribe(self, self.show_warning)
        self.show_warning(self._ctx.guidance_warning)

    def show_warning(self, warning: str | None) -> None:
        """Show ``warning`` (on the UI thread); None hides the line."""
        self.update(literal(warning or ""))
        self.display = bool(warning)


class StatusLines(Vertical):
    """The lines under a screen's top bar: sync status, then the guidance warning."""

    DEFAULT_CSS = """
    StatusLines {
        height: auto;
    }
    """
