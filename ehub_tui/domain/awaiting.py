"""Awaiting the patient: an item parked while the patient answers a question, and the per-item
history. Typed values only (no I/O): the hub stores and returns them (store/awaiting.py,
service/awaiting.py), the screens show them (ui/screens/park.py, ui/screens/history.py).

A parked item leaves the queue (status ``awaiting``, nobody holds it, the epoch moves on) and
comes back, by the hub's clock, at its return time ("no reply by …") or at once when the
patient's reply for the same supplier thread is ingested ("reply received"). A reply is
recognised by its answers naming the original: ``answers["in_reply_to"]`` is the external id of
the parked consultation, from the same ``source``, for the same NHS number (docs/formats.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ehub_tui.domain.clock import LONDON, CoreHours

# the answer key a supplier's reply record names the original consultation's external id by
REPLY_KEY = "in_reply_to"
# a question or a reply is short free text: bounded so a pasted document is refused in words
MAX_QUESTION_CHARS = 2000
# how far ahead an item may be parked: longer than this, it is not "awaiting a reply" any more
MAX_PARK = timedelta(days=14)


class ParkState(StrEnum):
    """Where a parking stands: still waiting, or back in the queue and why."""

    AWAITING = "awaiting"
    REPLIED = "replied"  # the patient's reply was ingested: back at once
    TIMED_OUT = "timed_out"  # the return time passed with no reply


class Parking(BaseModel):
    """One parking of an item (the newest is what an opened item shows)."""

    model_config = ConfigDict(frozen=True)

    id: int
    item_id: int
    parked_by: str
    parked_at: datetime  # hub time
    question: str  # the question sent to the patient
    return_at: datetime  # when it comes back without a reply (hub time)
    due_by: datetime  # the item's response standard when it was parked
    state: ParkState
    returned_at: datetime | None = None
    reply_text: str | None = None  # the patient's reply (its free text), once linked
    reply_received_at: datetime | None = None

    @property
    def past_due(self) -> bool:
        """Was it parked to come back after its due time (the warning the navigator saw)?"""
        return self.return_at > self.due_by

    def banner(self) -> str:
        """One line for an opened item: how it came back (or that it is still waiting)."""
        if self.state is ParkState.REPLIED:
            return f"Reply received {_when(self.reply_received_at or self.returned_at)}."
        if self.state is ParkState.TIMED_OUT:
            return f"No reply by {_when(self.return_at)}."
        return f"Awaiting the patient's reply until {_when(self.return_at)}."


class HistoryEntry(BaseModel):
    """One thing that happened to an item, in words, at the hub's time."""

    model_config = ConfigDict(frozen=True)

    at: datetime  # hub time
    actor: str  # a username, "system", or the supplier for "received"
    action: str  # the audit action (received, screened, claim, reassign, park, complete, …)
    words: str  # what happened, in a sentence
    detail: str = ""  # a note, a question, a reply or the message sent (may be several lines)


@dataclass(frozen=True, slots=True)
class ReturnChoice:
    """A return time a navigator may pick: its words and its instant (aware UTC)."""

    key: str
    label: str
    at: datetime


def _when(at: datetime | None) -> str:
    if at is None:
        return "(time unknown)"
    local = at.astimezone(LONDON)
    return local.strftime("%a %d %b %H:%M")


def when(at: datetime | None) -> str:
    """A hub time as the screens write it, in UK time (``Mon 23 Nov 14:00``)."""
    return _when(at)


def _at_local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def return_choices(now: datetime, hours: CoreHours) -> list[ReturnChoice]:
    """The return times offered at ``now`` (the hub's time): end of today's core hours (while
    still ahead), the next working day at 10:00 ("tomorrow 10:00", or its weekday's name when
    that is not tomorrow: "Mon 10:00" on a Saturday), in 2 working days (at the same time of
    day, within core hours), in 5 working days. Working days follow ``hours`` (weekends, bank
    holidays, closures). Each is in the future; none is beyond MAX_PARK."""
    local = now.astimezone(LONDON)
    today = local.date()
    out: list[ReturnChoice] = []
    end_today = hours.close_of(today)
    if hours.is_working_day(today) and end_today > now:
        out.append(ReturnChoice("today", "end of today", end_today))
    # the patient's reply is read on a working day: never offer a Sunday morning
    next_day = hours.next_working_day(today)
    name = "tomorrow" if next_day == today + timedelta(days=1) else next_day.strftime("%a")
    out.append(ReturnChoice("tomorrow", f"{name} 10:00", _at_local(next_day, time(10, 0))))
    clock_time = min(max(local.time().replace(second=0, microsecond=0), hours.start), hours.end)
    for n in (2, 5):
        day = today
        for _ in range(n):
            day = hours.next_working_day(day)
        label = f"in {n} working days"
        out.append(ReturnChoice(f"days{n}", label, _at_local(day, clock_time)))
    return [c for c in out if now < c.at <= now + MAX_PARK]


def park_problem(question: str, return_at: datetime, now: datetime) -> str | None:
    """Why a parking cannot be made (None: it can): the hub and the dialog ask the same."""
    if not question.strip():
        return "write the question sent to the patient (it is shown when the item comes back)"
    if len(question) > MAX_QUESTION_CHARS:
        return f"the question is {len(question)} characters; at most {MAX_QUESTION_CHARS}"
    if return_at.tzinfo is None:
        return "the return time needs a time zone"
    if return_at <= now:
        return f"the return time {_when(return_at)} is not in the future (hub time {_when(now)})"
    if return_at > now + MAX_PARK:
        days = MAX_PARK.days
        return f"the return time is more than {days} days ahead; pick one within {days} days"
    return None


def due_warning(return_at: datetime, due_by: datetime) -> str | None:
    """The warning for a return time after the item's due time (None when it is before)."""
    if return_at <= due_by:
        return None
    return (
        f"It would come back after its due time ({_when(due_by)}): the response standard "
        "will be missed unless the patient replies sooner."
    )
