"""The pieces a triage session is made of: the draft, the key guard, and the shapes of the
claim and route it works with (kept apart from the session's steps and outcomes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

KEY_GUARD_SECONDS = 0.4  # after a dialog closes, a key within this long is not acted on


class ClaimLike(Protocol):
    """What a session needs of the claim it works under (``store.queue.Claim``)."""

    @property
    def item_id(self) -> int: ...

    @property
    def epoch(self) -> int: ...

    @property
    def owner(self) -> str: ...


class RouteLike(Protocol):
    """A route as shown and recorded: the engine's suggestion or an SOP route chosen by hand."""

    @property
    def id(self) -> str: ...

    @property
    def category(self) -> str: ...

    @property
    def destination(self) -> str: ...

    @property
    def urgency(self) -> str: ...

    @property
    def snomed(self) -> str | None: ...

    @property
    def message(self) -> str | None: ...

    @property
    def because(self) -> str: ...


class NotAllowed(Exception):
    """The step the session is at does not allow this (the screen hides the key that asks)."""


@dataclass
class Draft:
    """Everything the navigator has decided so far (kept while the app runs, and shown if the
    item is lost)."""

    answers: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # questions answered, in order (for back)
    flags: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # id → (escalated|dismissed|same_day, why)
    override: tuple[str, str] | None = None  # (route id, reason)
    pathway: str | None = None  # a pathway taken from the text's proposal (p)
    note: str = ""
    message: str | None = None
    first_viewed_at: datetime | None = None
    seconds: float = 0.0


class KeyGuard:
    """Swallows a key pressed just after a dialog closed (the key that closed it, repeated):
    it must not complete the item behind the dialog. Timed by an injected monotonic clock."""

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, window: float = KEY_GUARD_SECONDS
    ) -> None:
        self.monotonic = monotonic
        self.window = window
        self._armed_at: float | None = None

    def arm(self) -> None:
        """A dialog just closed."""
        self._armed_at = self.monotonic()

    def too_soon(self) -> bool:
        """Is it too soon after a dialog closed to act on a key?"""
        return self._armed_at is not None and self.monotonic() - self._armed_at < self.window
