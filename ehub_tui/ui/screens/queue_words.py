"""What the queue screen says in words (trial 15b), kept apart from the widgets so each sentence
is tested without a screen: the Queue tab's label (waiting, emergencies waiting, in hand), what
⏎ says on an item that is not waiting (held, parked, done, cancelled: a search finds any state),
what a held row shows, and the emergency alert. Times are UK local, by the hub's clock."""

from __future__ import annotations

from datetime import datetime

from ehub_tui.domain.queue import QueueRow
from ehub_tui.domain.types import Status
from ehub_tui.ui.format import local, short_time, span

HISTORY = "h shows its history."


def queue_label(counts: dict[str, int]) -> str:
    """``Queue (36 · ‼2 EM · 4 in hand)``: the count is what waits; the rest only when any."""
    parts = [str(counts.get("queue", 0))]
    em = counts.get("emergencies", 0)
    if em:
        parts.append(f"‼{em} EM")
    held = counts.get("in_hand", 0)
    if held:
        parts.append(f"{held} in hand")
    return f"Queue ({' · '.join(parts)})"


def held_for(row: QueueRow, now: datetime) -> str:
    """``held by Tom Fletcher · 12m`` for an item someone holds (their name, how long)."""
    who = row.holder or row.owner or "someone"
    return f"held by {who}" + (f" · {span(now - row.since)}" if row.since else "")


def _at(when: datetime | None, now: datetime) -> str:
    return "" if when is None else f" {'at' if _today(when, now) else 'on'} {short_time(when, now)}"


def _today(when: datetime, now: datetime) -> bool:
    return local(when).date() == local(now).date()


def state_words(row: QueueRow, now: datetime, *, supervisor: bool = False) -> str:
    """What ⏎ says of an item that is not waiting (it is not claimed): where it is, since when,
    who may change that, and that ``h`` shows its history."""
    n = f"#{row.id}"
    if row.status == Status.CLAIMED:
        since = ""
        if row.since is not None:
            since = f" since {short_time(row.since, now)} ({span(now - row.since)})"
        who = row.holder or row.owner or "someone"
        act = (
            "you can reassign it from the board (b)"
            if supervisor
            else "a supervisor can reassign it"
        )
        return f"{n} is held by {who}{since}: {act}. {HISTORY}"
    if row.status == Status.AWAITING:
        since = "" if row.since is None else f" since {short_time(row.since, now)}"
        back = "" if row.until is None else f"; it comes back by {short_time(row.until, now)}"
        return f"{n} is awaiting the patient's reply{since}{back} (or when they reply). {HISTORY}"
    if row.status == Status.COMPLETED:
        where = f" → {row.route}" if row.route else ""
        return f"{n} was completed{_at(row.since or row.completed_at, now)}{where}. {HISTORY}"
    if row.status == Status.CANCELLED:
        return f"{n} was cancelled{_at(row.since, now)}. {HISTORY}"
    return f"{n} is {row.status}. {HISTORY}"


def emergency_words(new: list[int]) -> str:
    """The alert for emergencies that arrived since the last look."""
    if len(new) == 1:
        return f"‼ Emergency #{new[0]} arrived — n takes it now."
    shown = ", ".join(f"#{i}" for i in new[:4]) + (" …" if len(new) > 4 else "")
    return f"‼ {len(new)} emergencies arrived ({shown}) — n takes the first now."


NOTHING_FOR_YOU = (
    "Nothing else waits for you: what you returned waits for someone else. "
    "⏎ on it in the list opens it if you mean to."
)
