"""Typed messages that thread workers post back to the UI thread.

A worker never touches a widget: it does its I/O and posts one of these; the handler on the
UI thread changes the screen. Each carries only data (no callbacks), so what a worker can do to
the screen is exactly what its message says.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from ehub_tui.domain.models import Consultation
    from ehub_tui.service import Claim
    from ehub_tui.ui.poller import Poller


class GuidanceReady(Message):
    """The SOPs finished loading. ``available``: an engine is in use; ``problem``: what is
    wrong (why there is no guidance, or what did not load)."""

    def __init__(self, available: bool, problem: str | None) -> None:
        super().__init__()
        self.available = available
        self.problem = problem


class HubFailed(Message):
    """A background call to the hub failed (the app keeps trying by itself)."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


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
    """A completion or release was stored; ``text`` says what happened."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


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


class PollDone(Message):
    """A poller's fetch finished: ``value`` or ``error`` for the data wanted under ``key``."""

    def __init__(
        self, poller: Poller[Any], key: Hashable, value: Any = None, error: Exception | None = None
    ) -> None:
        super().__init__()
        self.poller = poller
        self.key = key
        self.value = value
        self.error = error
