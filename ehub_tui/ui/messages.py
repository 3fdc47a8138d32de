"""Typed messages that thread workers post back to the UI thread.

A worker never touches a widget: it does its I/O and posts one of these; the handler on the
UI thread changes the screen. Each carries only data (no callbacks), so what a worker can do to
the screen is exactly what its message says.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from rich.console import RenderableType

    from ehub_tui.client.protocol import Submitted
    from ehub_tui.domain.models import Consultation, SopPublished
    from ehub_tui.domain.queue import Claim
    from ehub_tui.domain.sync import RejectedEvent, SyncStatus
    from ehub_tui.sop.standing import Prepared, SopStatus


class GuidanceReady(Message):
    """The SOPs finished loading. ``available``: an engine is in use; ``problem``: what is
    wrong (why there is no guidance, or what did not load)."""

    def __init__(self, available: bool, problem: str | None) -> None:
        super().__init__()
        self.available = available
        self.problem = problem


class HubFailed(Message):
    """A background call to the hub failed (the app keeps trying by itself). ``unreachable``:
    the hub did not answer at all (offline: the sync status line says so, no toast needed)."""

    def __init__(self, problem: str, unreachable: bool = False) -> None:
        super().__init__()
        self.problem = problem
        self.unreachable = unreachable


class HubAnswered(Message):
    """A background call to the hub succeeded."""


class PracticesLoaded(Message):
    """The member practices were read: ODS code → name."""

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__()
        self.names = names


class Claimed(Message):
    """A claim (or the reopening of an item held already) succeeded."""

    def __init__(self, claim: Claim, item: Consultation) -> None:
        super().__init__()
        self.claim = claim
        self.item = item


class ClaimRefused(Message):
    """Nothing was claimed: the queue was empty, the item was taken, or the hub refused."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class Saved(Message):
    """A completion or release was stored; ``text`` says what happened. ``pending``: stored
    on this workstation only, waiting for the hub (offline)."""

    def __init__(self, text: str, pending: bool = False) -> None:
        super().__init__()
        self.text = text
        self.pending = pending


class NotApplied(Message):
    """The hub refused a completion or release this workstation saved (the item was
    reassigned, rescued or closed meanwhile): kept for review, never lost."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class LeaseRead(Message):
    """The lease left on the item on screen, read in a worker before completing it offline:
    ``left`` seconds by the hub's clock as estimated here (None: not known); ``purpose`` names
    the completion the screen was about to confirm ("accept", "escalate", "same_day")."""

    def __init__(self, left: float | None, purpose: str) -> None:
        super().__init__()
        self.left = left
        self.purpose = purpose


class NotSaved(Message):
    """A completion or release was not stored (the hub failed); the draft stays."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class ItemLost(Message):
    """The item is no longer this navigator's. ``ours``: the loss showed on our own completion
    or release (it counts even while that was under way)."""

    def __init__(self, message: str, ours: bool = False) -> None:
        super().__init__()
        self.message = message
        self.ours = ours


class ClaimRenewed(Message):
    """A heartbeat extended the lease: the claim to work under from now on."""

    def __init__(self, claim: Claim) -> None:
        super().__init__()
        self.claim = claim


# -- sync (issue 14) ----------------------------------------------------------------------------


class SyncChanged(Message):
    """The client service's sender has a new sync status (posted from its thread)."""

    def __init__(self, status: SyncStatus) -> None:
        super().__init__()
        self.status = status


class DraftsRestored(Message):
    """The drafts this workstation kept for the signed-in user: item id → draft values."""

    def __init__(self, username: str, drafts: dict[int, dict[str, object]]) -> None:
        super().__init__()
        self.username = username
        self.drafts = drafts


class LeasesKnown(Message):
    """Seconds left on the lease of each item this user holds (by the hub clock estimate)."""

    def __init__(self, left: dict[int, float]) -> None:
        super().__init__()
        self.left = left


class RefusedLoaded(Message):
    """Refused events read (this workstation's, or all unresolved for a supervisor); ``problem``
    says why they could not be read."""

    def __init__(self, events: list[RejectedEvent], problem: str | None = None) -> None:
        super().__init__()
        self.events = events
        self.problem = problem


# -- the app: quitting and the SOPs in use -------------------------------------------------------


class HeldBeforeQuit(Message):
    """Quitting: the items this user holds (empty: none, or the hub did not answer); the app
    asks whether to return them. ``return_code`` and ``message`` are the exit's own."""

    def __init__(self, held: list[int], return_code: int, message: RenderableType | None) -> None:
        super().__init__()
        self.held = held
        self.return_code = return_code
        self.message = message


class ReturnedBeforeQuit(Message):
    """The held items were returned to the queue: the app quits now."""

    def __init__(self, return_code: int, message: RenderableType | None) -> None:
        super().__init__()
        self.return_code = return_code
        self.message = message


class NotReturned(Message):
    """The held items could not be returned (the hub failed): the app stays open."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class GuidanceChanged(Message):
    """A newly published SOP set was found: taken (``taken``), or refused; ``text`` says which."""

    def __init__(self, text: str, taken: bool) -> None:
        super().__init__()
        self.text = text
        self.taken = taken


# -- the queue screen ----------------------------------------------------------------------------


class ViewCounts(Message):
    """How many items each tab holds (view → count)."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__()
        self.counts = counts


class QueueChanged(Message):
    """The hub's change cursor moved: the queue's rows and counts are read again."""


# -- the SOP screen ------------------------------------------------------------------------------


class SopsChecked(Message):
    """The authoring folder was loaded, validated and tested: its rows, who may publish, the
    folder; ``note`` and ``announce`` as the check was asked for."""

    def __init__(
        self,
        rows: list[SopStatus],
        approvers: list[str],
        folder: Path,
        note: tuple[Path, str] | None,
        announce: bool,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.approvers = approvers
        self.folder = folder
        self.note = note
        self.announce = announce


class SopsNotChecked(Message):
    """The SOPs could not be checked (a refusal by role, an unreadable folder…)."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class EditorClosed(Message):
    """The editor ran on ``path`` and exited with ``code``; ``before``: the file's digest."""

    def __init__(self, path: Path, before: str | None, code: int) -> None:
        super().__init__()
        self.path = path
        self.before = before
        self.code = code


class EditorFailed(Message):
    """The editor could not be run."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class SopSubmitDone(Message):
    """A submission for approval finished: ``prepared`` (None: refused, ``problem`` says why)."""

    def __init__(self, prepared: Prepared | Submitted | None, problem: str | None) -> None:
        super().__init__()
        self.prepared = prepared
        self.problem = problem


class SopPublishDone(Message):
    """A publish finished: ``result`` (None: refused, ``problem`` says why)."""

    def __init__(self, result: SopPublished | None, problem: str | None) -> None:
        super().__init__()
        self.result = result
        self.problem = problem
