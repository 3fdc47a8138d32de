"""One flag vocabulary for every screen: the queue, Mine, the board, the review and history.

Before this, the queue said ‼RF for a red flag the SOPs found and ‼EM for a supplier's or a
supervisor's emergency, and the board said ‼EM for both; a supervisor's "normal" left ‼RF showing
and nobody could tell why. Now every screen shows the same short mark for the same level, and
the words say where the flag came from. A red flag the SOPs found outranks a priority set by
hand: a supervisor can lower a priority, never hide a red flag (the words say so).
"""

from __future__ import annotations

from typing import NamedTuple

EMERGENCY = "emergency"
URGENT = "urgent"
UNSCREENED = "unscreened"


class FlagMark(NamedTuple):
    """How an item's flag reads: ``short`` for a column (never colour alone: the mark carries
    the level), ``level`` for styling, ``words`` for help, detail and screen readers."""

    short: str  # "‼EM", "!UR", "?" or ""
    level: str  # EMERGENCY, URGENT, UNSCREENED or ""
    words: str


# The column legend every help screen shows (so the marks are learnt once).
LEGEND = (
    "‼EM emergency · !UR urgent (a red flag the SOPs found, or marked by the supplier or a "
    "supervisor; the detail says which) · ? not yet screened for red flags"
)


def flag_mark(priority: int, sop_flags: tuple[str, ...] | None, status: str = "queued") -> FlagMark:
    """The mark for an item with ``priority`` (0 normal, 1 urgent, 2 emergency, set by the
    supplier or a supervisor) and the red flag levels the SOPs found (None: not screened yet)."""
    found = sop_flags or ()
    if EMERGENCY in found:
        return FlagMark("‼EM", EMERGENCY, "emergency — a red flag the SOPs found (stays shown)")
    if priority >= 2:
        return FlagMark("‼EM", EMERGENCY, "emergency — marked by the supplier or a supervisor")
    if URGENT in found:
        return FlagMark("!UR", URGENT, "urgent — a red flag the SOPs found (stays shown)")
    if priority == 1:
        return FlagMark("!UR", URGENT, "urgent — marked by the supplier or a supervisor")
    if sop_flags is None and status not in ("completed", "cancelled"):
        return FlagMark("?", UNSCREENED, "not yet screened for red flags")
    return FlagMark("", "", "")
