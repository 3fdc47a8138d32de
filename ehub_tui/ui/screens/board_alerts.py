"""The board's headline and its alerts line, in words (trial 15b).

- The headline's figures: "Due < 1 h" counts every emergency not yet breaching (store/board.py),
  and the items parked awaiting the patient's reply are counted there with how many come back
  within the hour (``w`` lists them).
- The alerts line over the open items: emergencies nobody holds yet, then emergencies held but
  not worked for ``EMERGENCY_IDLE_MINUTES`` (trial 15d: a held ‼EM item left on Mine vanished
  from the line and waited for the 10-minute stale claim), then the other claims nobody has
  worked for the set time, then items the supplier withdrew or amended after work began (issue
  16). Each says what it is in words (never colour alone). ``s`` acts on the first held one.
- ``NewEmergencies``: which ‼EM items a refresh sees for the first time, so the board says so
  once per item (a toast naming the item and its practice). The first read only learns what is
  there: those are on the alerts line and at the top of the open items already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from rich.text import Text

from ehub_tui.domain.board import Board, OpenItem
from ehub_tui.domain.flags import EMERGENCY, flag_mark
from ehub_tui.domain.handover import StaleClaim, order_alerts
from ehub_tui.ui.format import one_line, span

SHOWN = 4  # alerts of each kind named on the line; the rest are counted
# A held emergency with no sign of work for this long is alerted on (an open triage screen
# beats every minute at most, so a screen in use never trips it). docs/supervisor-guide.md.
EMERGENCY_IDLE_MINUTES = 2


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


def held_emergencies(board: Board, now: datetime) -> list[StaleClaim]:
    """Held ‼EM items with no sign of work (the claim, or the open screen's heartbeat) for
    ``EMERGENCY_IDLE_MINUTES`` or more, longest idle first (those past the stale time too)."""
    out: list[StaleClaim] = []
    for i in board.items:
        if i.status != "claimed" or i.claimed_at is None or not is_emergency(i):
            continue
        last = max(t for t in (i.claimed_at, i.active_at) if t is not None)
        idle = now - last
        if idle >= timedelta(minutes=EMERGENCY_IDLE_MINUTES):
            owner = i.owner or "someone"
            out.append(StaleClaim(i.id, owner, i.priority, i.sop_flags, i.claimed_at, last, idle))
    stale = {a.item_id: a for a in board.alerts}
    # the hub's own reading of a stale claim wins for an item it lists
    return order_alerts([stale.get(a.item_id, a) for a in out])


def not_worked(board: Board, now: datetime) -> list[StaleClaim]:
    """What ``s`` acts on, in the order the alerts line names them: the held emergencies, then
    the other stale claims (red-flagged first)."""
    held = held_emergencies(board, now)
    ids = {a.item_id for a in held}
    return held + [a for a in board.alerts if a.item_id not in ids]


def alerts_text(board: Board, now: datetime) -> Text | None:
    """The alerts line: emergencies nobody holds (first), held emergencies not worked, then
    stale claims; None when none."""
    waiting = [i for i in board.items if i.status != "claimed" and is_emergency(i)]
    lines: list[Text] = []
    if waiting:
        t = Text("Emergency, due now: ", "bold")
        _listed(t, [emergency_words(board, i, now) for i in waiting], "bold red")
        lines.append(t)
    held = held_emergencies(board, now)
    if held:
        t = Text(
            f"Emergency held, not worked for {EMERGENCY_IDLE_MINUTES} min (s acts on the first): ",
            "bold",
        )
        _listed(t, [a.words() for a in held], "bold red")
        lines.append(t)
    ids = {a.item_id for a in held}
    others = [a for a in board.alerts if a.item_id not in ids]
    if others:
        first = "" if held else " (s acts on the first)"
        t = Text(f"Not worked for {board.stale_minutes} min{first}: ", "bold")
        for i, a in enumerate(others[:SHOWN]):
            if i:
                t.append(" · ")
            t.append(one_line(a.words()), "bold red" if a.flag.startswith("‼") else "")
        if len(others) > SHOWN:
            t.append(f" · and {len(others) - SHOWN} more")
        lines.append(t)
    if board.sop_alerts:  # trial 15d: a published SOP that does not load guides nobody
        t = Text("SOP guidance incomplete (tell the SOP author): ", "bold")
        _listed(t, board.sop_alerts, "bold red")
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
