"""``sync verify``: the local outbox reconciled with what the hub recorded.

Every row the workstation holds as answered (acked or refused) must be known to the hub with the
same answer: an acked row the hub never heard of, or one it answered otherwise (refused where
this workstation has it accepted, another outcome id), is a difference, named in a sentence.
Pending rows are only counted (the hub may rightly not have them yet). The hub answers only for
the events of the user asking (its ledger is per user), so rows of other users who worked on
this workstation are counted as not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ehub_tui.client.local import LocalStore
from ehub_tui.client.local.outbox import OutboxRow, is_refusal
from ehub_tui.domain.sync import EventResult

ASK_AT_ONCE = 500  # event ids per question to the hub (its limit is 1000)

# username, event ids -> the hub's stored answers for those it has (None: this user's events
# cannot be asked about here)
ResultsFor = Callable[[str, Sequence[str]], list[EventResult] | None]


@dataclass
class VerifyReport:
    """What ``sync verify`` found."""

    checked: int = 0  # answered rows compared with the hub
    pending: int = 0  # rows not sent yet (not compared)
    not_checked: int = 0  # rows of users the hub was not asked about
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every compared row matches the hub."""
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "pending": self.pending,
            "not_checked": self.not_checked,
            "differences": list(self.differences),
        }


def verify(store: LocalStore, results_for: ResultsFor) -> VerifyReport:
    """Compare every answered outbox row with the hub's answer (see the module docstring)."""
    report = VerifyReport()
    rows = store.rows()
    report.pending = sum(r.state == "pending" for r in rows)
    answered: dict[str, list[OutboxRow]] = {}
    for row in rows:
        if row.state != "pending":
            answered.setdefault(row.username, []).append(row)
    for username, mine in answered.items():
        hub: dict[str, EventResult] = {}
        for start in range(0, len(mine), ASK_AT_ONCE):
            chunk = [r.event_id for r in mine[start : start + ASK_AT_ONCE]]
            found = results_for(username, chunk)
            if found is None:
                report.not_checked += len(mine)
                break
            hub.update((r.event_id, r) for r in found)
        else:
            report.checked += len(mine)
            report.differences += [d for r in mine if (d := _differs(r, hub.get(r.event_id)))]
    return report


def _differs(row: OutboxRow, hub: EventResult | None) -> str | None:
    what = f"event {row.event_id} ({row.kind} of item {row.item_id}, #{row.device_seq})"
    here = "refused" if row.state == "rejected" else "accepted"
    if hub is None:
        return f"{what} is {here} on this workstation but the hub has no record of it"
    there = "refused" if is_refusal(hub) else "accepted"
    if here != there:
        return f"{what} is {here} on this workstation but {there} on the hub"
    mine = row.result
    if mine is not None and mine.outcome_id != hub.outcome_id:
        return (
            f"{what} is outcome {mine.outcome_id} on this workstation but outcome "
            f"{hub.outcome_id} on the hub"
        )
    return None
