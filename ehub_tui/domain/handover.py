"""Handovers and stale claims: what a receiver is told when a supervisor reassigns an item to
them, and which claims the board alerts on.

A **handover** is made by every reassign: the supervisor's note (the reason they gave, which the
receiver needs: "she rang back, wants a call after 2"), who handed it from whom, and — when the
supervisor chose so — the previous holder's last draft (the one their workstation sent the hub on
leaving the item). The receiver's app asks for its unseen handovers every couple of seconds and
says so at once; the handover is seen when the receiver opens the item.

A **stale claim** is an item held but not being worked: no sign of it for
``stale_claim_minutes`` by the hub's clock. Activity is the claim itself (or the reassign that
gave it), and the heartbeat of the item's open triage screen — never the app's keep-alive of
every held item, which only says the app is running, not that anyone is looking at the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ehub_tui.domain.flags import EMERGENCY, URGENT, flag_mark

# The draft's values that are the previous holder's own timings, not their work: the receiver's
# handling time and first view are theirs (the triage session starts them afresh).
_TIMINGS = ("first_viewed_at", "seconds")


def carried_draft(draft: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of a previous holder's draft that travels to the receiver (their answers, flag
    handling, override, note and message; not their timings). None when there is nothing."""
    if not isinstance(draft, dict):
        return None
    kept = {k: v for k, v in draft.items() if k not in _TIMINGS}
    return kept or None


@dataclass(frozen=True, slots=True)
class Handover:
    """An item handed to someone by a supervisor's reassign, as the receiver is told of it."""

    item_id: int
    epoch: int  # the receiver's claim epoch
    from_user: str | None  # who held it before (None: it was waiting in the queue)
    to_user: str
    by: str  # the supervisor
    note: str  # the handover note: the reason the supervisor gave
    at: datetime  # hub time
    draft: dict[str, Any] | None = None  # the previous holder's last draft, when sent along
    seen_at: datetime | None = None

    def words(self) -> str:
        """The notice, in one sentence: "sam handed you #140 from amira: she rang back"."""
        came = f" from {self.from_user}" if self.from_user else " (it was waiting)"
        draft = f" {self.from_user}'s draft comes with it." if self.draft and self.from_user else ""
        return f"{self.by} handed you #{self.item_id}{came}: {self.note}.{draft}".replace("..", ".")


def reassign_words(actor: str, item_id: int | None, body: dict[str, Any]) -> str:
    """A reassign event as the board lists it, who-to-whom first so a narrow board cuts only
    the note: "sam: #140 amira → ben (with draft): note" ("queue → ben" when nobody held it)."""
    item = f"#{item_id} " if item_id else ""
    before = body.get("from") or "queue"
    note = body.get("reason")
    draft = " (with draft)" if body.get("draft_carried") else ""
    why = f": {note}" if note else ""
    return f"{actor}: {item}{before} → {body.get('to')}{draft}{why}"


@dataclass(frozen=True, slots=True)
class StaleClaim:
    """A claim with no activity for the board's set time (hub clock): who holds what, since when."""

    item_id: int
    owner: str
    priority: int
    sop_flags: tuple[str, ...] | None  # the red flag levels the prescreen found (None: not yet)
    claimed_at: datetime
    last_active: datetime  # the claim, or the open screen's last heartbeat
    idle: timedelta  # by the hub's clock at the board's read

    @property
    def flag(self) -> str:
        """The item's flag mark (domain.flags: the same on every screen)."""
        return flag_mark(self.priority, self.sop_flags, "claimed").short

    def words(self) -> str:
        """One line for the board: "‼EM #140 held by amira, nothing for 11 min"."""
        mins = int(self.idle.total_seconds() // 60)
        mark = f"{self.flag} " if self.flag else ""
        return f"{mark}#{self.item_id} held by {self.owner}, not worked for {mins} min"


def _rank(level: str) -> int:
    return {EMERGENCY: 0, URGENT: 1}.get(level, 2)


def order_alerts(alerts: list[StaleClaim]) -> list[StaleClaim]:
    """Red-flagged first (emergency, then urgent, by flag_mark), then the longest idle first."""
    return sorted(
        alerts,
        key=lambda a: (
            _rank(flag_mark(a.priority, a.sop_flags, "claimed").level),
            -a.idle.total_seconds(),
            a.item_id,
        ),
    )
