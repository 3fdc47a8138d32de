"""The board's headline and its alerts line, in words (trial 15b).

- The headline's figures: "Due < 1 h" counts every emergency not yet breaching (store/board.py),
  and the items parked awaiting the patient's reply are counted there with how many come back
  within the hour (``w`` lists them).
- The alerts line over the open items: emergencies nobody holds yet, then claims nobody has
  worked for the set time, then items the supplier withdrew or amended after work began (issue
  16). Each says what it is in words (never colour alone).
- ``NewEmergencies``: which ‼EM items a refresh sees for the first time, so the board says so
  once per item (a toast naming the item and its practice). The first read only learns what is
  there: those are on the alerts line and at the top of the open items already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from rich.text import Text

from ehub_tui.domain.board import Board, OpenItem
from ehub_tui.domain.flags import EMERGENCY, flag_mark
from ehub_tui.ui.format import one_line, span

SHOWN = 4  # alerts of each kind named on the line; the rest are counted


def is_emergency(item: OpenItem) -> bool:
    """Does the item read ‼EM (domain.flags: priority 2, or an emergency red flag found)?"""
    return flag_mark(item.priority, item.sop_flags, item.status).level == EMERGENCY


def practice_words(board: Board, ods: str) -> str:
    """ "Z99001 Riverside Surgery", or the code alone when the practice is not known."""
    name = next((p.name for p in board.practices if p.ods_code == ods), "")
    return f"{ods} {name}".strip()


def emergency_words(board: Board, item: OpenItem, now: datetime) -> str:
    """One emergency in words: "‼EM #220 (Z99001 Riverside Surgery) waiting 3m"."""
    where = practice_words(board, item.practice_ods)
    if item.status == "claimed":
        state = f"held by {item.owner}"
    else:
        state = f"waiting {span(now - item.received_at)}, nobody holds it"
    return f"‼EM #{item.id} ({where}) {state}"


class NewEmergencies:
    """The ‼EM items this board has seen, to tell each new one once."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._primed = False  # the first read only learns what is there

    def new(self, items: Iterable[OpenItem]) -> list[OpenItem]:
        """The ‼EM items among ``items`` not seen before (none on the first read)."""
        found = [i for i in items if is_emergency(i)]
        fresh = [i for i in found if i.id not in self._seen]
        self._seen.update(i.id for i in found)
        if not self._primed:
            self._primed = True
            return []
        return fresh


def alerts_text(board: Board, now: datetime) -> Text | None:
    """The alerts line: emergencies nobody holds (first), then stale claims; None when none."""
    waiting = [i for i in board.items if i.status != "claimed" and is_emergency(i)]
    lines: list[Text] = []
    if waiting:
        t = Text("Emergency, due now: ", "bold")
        _listed(t, [emergency_words(board, i, now) for i in waiting], "bold red")
        lines.append(t)
    if board.alerts:
        t = Text(f"Not worked for {board.stale_minutes} min (s acts on the first): ", "bold")
        for i, a in enumerate(board.alerts[:SHOWN]):
            if i:
                t.append(" · ")
            t.append(one_line(a.words()), "bold red" if a.flag.startswith("‼") else "")
        if len(board.alerts) > SHOWN:
            t.append(f" · and {len(board.alerts) - SHOWN} more")
        lines.append(t)
    if board.supplier_alerts:  # issue 16: never changed by the hub; a person decides
        t = Text("Changed by the supplier after work began (see the quarantine): ", "bold")
        _listed(t, [a.words() for a in board.supplier_alerts], "bold red")
        lines.append(t)
    if not lines:
        return None
    return Text("\n").join(lines)


def _listed(t: Text, words: list[str], style: str) -> None:
    for i, w in enumerate(words[:SHOWN]):
        if i:
            t.append(" · ")
        t.append(one_line(w), style)
    if len(words) > SHOWN:
        t.append(f" · and {len(words) - SHOWN} more")


def headline_text(
    b: Board, refused: int, tone: Callable[[str], str], median: str | None = None
) -> Text:
    """The board's figures in one (wrapping) line: what waits, what is late, what is parked.
    ``tone(name)`` is the theme's colour for error, warning, success."""
    parts = [
        ("Queued", str(b.queued), ""),
        ("In progress", str(b.in_progress), ""),
        ("Completed today", str(b.completed_today), tone("success")),
        ("Breaching", str(b.breaching), f"bold {tone('error')}" if b.breaching else ""),
        (
            "Due < 1 h",
            str(b.due_within_hour),
            f"bold {tone('warning')}" if b.due_within_hour else "",
        ),
        ("Median wait", median or (span(b.median_wait) if b.median_wait else "—"), ""),
        (
            "Awaiting reply",
            f"{b.awaiting} ({b.awaiting_back_within_hour} back < 1 h; w lists)"
            if b.awaiting
            else "0",
            "",
        ),
    ]
    if refused:  # first: a narrow headline wraps, and this is the one to act on
        parts.insert(0, ("Not applied", str(refused), f"bold {tone('error')}"))
    t = Text()
    for i, (label, value, style) in enumerate(parts):
        if i:
            t.append(" · ")
        t.append(f"{label} ")
        t.append(value, style or "bold")
    return t
