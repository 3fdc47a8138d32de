"""The pieces a triage session is made of: the draft, the key guard, and the shapes of the
claim and route it works with (kept apart from the session's steps and outcomes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

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
    urgency: str | None = None  # the outcome panel's urgency (None: the route's own)
    contact: str | None = None  # the outcome panel's mode of contact (None: the route's usual)
    note: str = ""
    message: str | None = None
    # what an edited message was written for (destination, urgency, timescale words): a later
    # change is warned of (triage/message.py); None for an unedited one or an older draft
    message_basis: dict[str, str] | None = None
    first_viewed_at: datetime | None = None
    seconds: float = 0.0

    def has_work(self) -> bool:
        """Has the navigator decided anything yet (not only looked at the item)?"""
        return bool(
            self.answers
            or self.flags
            or self.override
            or self.pathway
            or self.urgency
            or self.contact
            or self.note
            or self.message is not None
        )

    def to_dict(self) -> dict[str, Any]:
        """The draft as plain JSON values (what the workstation's store and the hub keep)."""
        return {
            "answers": dict(self.answers),
            "order": list(self.order),
            "flags": {fid: [how, why] for fid, (how, why) in self.flags.items()},
            "override": list(self.override) if self.override else None,
            "pathway": self.pathway,
            "urgency": self.urgency,
            "contact": self.contact,
            "note": self.note,
            "message": self.message,
            "message_basis": dict(self.message_basis) if self.message_basis else None,
            "first_viewed_at": (
                self.first_viewed_at.isoformat() if self.first_viewed_at is not None else None
            ),
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        """A draft from ``to_dict``'s values. Forgiving: a value of the wrong shape (a draft
        saved by another version) is left at its default rather than refusing the whole draft,
        since what the navigator typed is worth keeping."""
        answers = data.get("answers")
        answers = {str(k): str(v) for k, v in answers.items()} if isinstance(answers, dict) else {}
        # only answered questions can be taken back in order (a stray id would break back)
        order = [str(q) for q in data.get("order") or [] if str(q) in answers]
        flags: dict[str, tuple[str, str]] = {}
        raw_flags = data.get("flags")
        if isinstance(raw_flags, dict):
            for fid, pair in raw_flags.items():
                if isinstance(pair, (list, tuple)) and len(pair) == 2:
                    flags[str(fid)] = (str(pair[0]), str(pair[1]))
        raw_override = data.get("override")
        override = (
            (str(raw_override[0]), str(raw_override[1]))
            if isinstance(raw_override, (list, tuple)) and len(raw_override) == 2
            else None
        )
        viewed = data.get("first_viewed_at")
        first_viewed_at: datetime | None = None
        if isinstance(viewed, str):
            try:
                first_viewed_at = datetime.fromisoformat(viewed)
            except ValueError:
                first_viewed_at = None
        elif isinstance(viewed, datetime):
            first_viewed_at = viewed
        seconds = data.get("seconds")
        pathway = data.get("pathway")
        message = data.get("message")
        note = data.get("note")
        urgency, contact = data.get("urgency"), data.get("contact")
        raw_basis = data.get("message_basis")
        basis = (
            {str(k): str(v) for k, v in raw_basis.items()} if isinstance(raw_basis, dict) else None
        )
        return cls(
            answers=answers,
            order=order,
            flags=flags,
            override=override,
            pathway=str(pathway) if isinstance(pathway, str) and pathway else None,
            urgency=urgency if isinstance(urgency, str) and urgency else None,
            contact=contact if isinstance(contact, str) and contact else None,
            note=note if isinstance(note, str) else "",
            message=message if isinstance(message, str) else None,
            message_basis=basis if isinstance(message, str) else None,
            first_viewed_at=first_viewed_at,
            seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0,
        )


# how a guarded key is named when it is swallowed ("That ⏎ came straight after…")
KEY_WORDS = {"enter": "⏎", "escape": "esc", "backspace": "⌫"}


def key_words(key: str) -> str:
    """A key as the screens name it (``enter`` → ``⏎``)."""
    return KEY_WORDS.get(key, key)


class KeyGuard:
    """Swallows the key that closed a dialog when it is pressed again at once (a repeated ⏎ that
    confirmed a dialog must not complete the item behind it). Only that key, only just after:
    a dialog or view closed with escape (or by a typed digit, or a view with no closing key
    known) arms nothing — the trial found "press the key again" after esc from ``h`` then ⏎,
    and after x→esc then ``e``. Timed by an injected monotonic clock."""

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, window: float = KEY_GUARD_SECONDS
    ) -> None:
        self.monotonic = monotonic
        self.window = window
        self._armed_at: float | None = None
        self._key: str | None = None

    def arm(self, key: str | None = "enter") -> None:
        """A dialog just closed with ``key`` (None or escape: cancelled, or not known — nothing
        is swallowed then, and an earlier arming is forgotten)."""
        if key is None or key == "escape":
            self._armed_at, self._key = None, None
            return
        self._armed_at, self._key = self.monotonic(), key

    def too_soon(self, key: str | None = None) -> bool:
        """Is ``key`` the key that closed a dialog, pressed again too soon after it? (None: any
        key counts.)"""
        if self._armed_at is None or (key is not None and key != self._key):
            return False
        return self.monotonic() - self._armed_at < self.window

    @staticmethod
    def words(key: str) -> str:
        """What the screen says when it swallowed ``key``."""
        shown = key_words(key)
        return (
            f"That {shown} came straight after the dialog closed, so nothing was done — "
            f"press {shown} again to go ahead."
        )


# A draft being worked goes to the hub as well as this workstation's store (issue 15, trial
# 15b: a reassign 13 s after a note found no draft on the hub, since it was sent only on leaving
# the item). Sends are throttled: at most one every DRAFT_SEND_SECONDS, the last change always.
DRAFT_SEND_SECONDS = 5.0


class DraftSends:
    """When a saved draft also goes to the hub: at once if nothing was sent for ``every``
    seconds, else held back until then (the screen saves it on the workstation meanwhile and
    sends it when ``take`` says so). Timed by an injected monotonic clock."""

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, every: float = DRAFT_SEND_SECONDS
    ) -> None:
        self.monotonic = monotonic
        self.every = every
        self.sent_at: float | None = None  # monotonic seconds of the last send
        self.held = False  # a change saved here waits to be sent

    def take(self) -> float:
        """A draft is saved now: 0.0 when it goes to the hub too (noted as sent), else the
        seconds until it may (noted as held: ask again then, and it goes)."""
        now = self.monotonic()
        if self.sent_at is not None and now - self.sent_at < self.every:
            self.held = True
            return self.every - (now - self.sent_at)
        self.sent_at, self.held = now, False
        return 0.0
