"""The sync status line every screen shows under its top bar (issue 14).

Offline it reads "offline — 3 waiting to send · last synced 10:05" (UK local time of the last
time the hub answered); any event the hub refused adds "2 not applied — v to review"; online
with nothing waiting it is hidden, and while events are on their way it says "sending 2…".

The text is built from a ``SyncStatus`` alone (``sync_text``: no I/O, no clock), which the client
service keeps in memory; the app hands each new status to every line through
``UiContext.sync_changed`` on the UI thread. Plain text only: nothing in it is read as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from textual.signal import Signal
from textual.widgets import Static

from ehub_tui.domain.sync import NOT_APPLIED
from ehub_tui.ui.format import literal, local

if TYPE_CHECKING:
    from ehub_tui.domain.sync import SyncStatus


class SyncSource(Protocol):
    """What the line needs of the app's context (``UiContext`` is one; named by shape so the
    widgets do not import the context, which imports them)."""

    sync: SyncStatus | None
    sync_changed: Signal[SyncStatus | None]


def sync_text(status: SyncStatus | None) -> str:
    """The status line's words for ``status`` ("" when there is nothing to say, or no sync)."""
    if status is None:
        return ""
    parts: list[str] = []
    if not status.online:
        synced = (
            f"last synced {local(status.last_synced).strftime('%H:%M')}"
            if status.last_synced is not None
            else "not synced yet"
        )
        parts.append(f"offline — {status.pending} waiting to send · {synced}")
    elif status.pending:
        parts.append(f"sending {status.pending}…")
    if status.rejected:
        parts.append(f"{status.rejected} {NOT_APPLIED}")
    return " · ".join(parts)


def signed_out_text(status: SyncStatus | None) -> str:
    """The sign-in screen's words: only what waits on this workstation. Whether the hub
    answers is not said there: with nobody signed in the sender asks the hub nothing, so an
    "offline" read earlier would stay on screen after the hub is back (the sign-in itself says
    when the hub does not answer)."""
    if status is None:
        return ""
    parts: list[str] = []
    if status.pending:
        parts.append(f"{status.pending} waiting to send from this workstation (sent after sign-in)")
    if status.rejected:
        parts.append(f"{status.rejected} not applied (v to review after sign-in)")
    return " · ".join(parts)


def sync_level(status: SyncStatus | None) -> str:
    """How loud the line is: "" (hidden), "busy" (sending), "offline" or "refused"."""
    if status is None:
        return ""
    if status.rejected:
        return "refused"
    if not status.online:
        return "offline"
    return "busy" if status.pending else ""


class SyncLine(Static):
    """One line saying whether this workstation's work has reached the hub (hidden when it
    has and the hub is answering)."""

    DEFAULT_CSS = """
    SyncLine {
        height: 1;
        padding: 0 1;
        display: none;
        background: $boost;
    }
    SyncLine.-offline { background: $warning 40%; text-style: bold; }
    SyncLine.-refused { background: $error 60%; text-style: bold; }
    """

    def __init__(self, ctx: SyncSource, *, signed_out: bool = False) -> None:
        super().__init__("", id="sync-line")
        self._ctx = ctx
        self._signed_out = signed_out  # the sign-in screen: what waits here, nothing more

    def on_mount(self) -> None:
        self._ctx.sync_changed.subscribe(self, self.show_status)
        self.show_status(self._ctx.sync)

    def show_status(self, status: SyncStatus | None) -> None:
        """Show ``status`` (on the UI thread)."""
        text = signed_out_text(status) if self._signed_out else sync_text(status)
        level = sync_level(status)
        if self._signed_out and level == "offline":
            level = "busy"  # not said to be offline there (see signed_out_text)
        self.update(literal(text))
        for name in ("busy", "offline", "refused"):
            self.set_class(level == name, f"-{name}")
        self.display = bool(text)
