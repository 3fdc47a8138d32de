"""The supervisors' reports: the return's figures for today, yesterday or this week, plus the
series the charts draw (arrivals by hour, outcome mix, share by practice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ehub_tui.export import metrics as M
from ehub_tui.export.returns import DailyReturn, Value

PERIODS = ("today", "yesterday", "week", "last_week")
PERIOD_LABELS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "week": "This week",
    "last_week": "Last week",
}

# The figures the CLI summary and the reports screen show, with their labels, in order.
SUMMARY_COLUMNS = (
    ("Received", "OC_TOTAL_SUBMISSIONS"),
    ("Processed", "PROCESSED"),
    ("Cancelled", "CANCELLED"),
    ("Backlog start", "BACKLOG_START"),
    ("Backlog end", "BACKLOG_END"),
    ("Escalated", "ESCALATIONS"),
    ("Pharmacy First", "PHARMACY_FIRST_REFERRALS"),
    ("Reassigned", "REASSIGNMENTS"),
    ("Median min to 1st action", "MINUTES_TO_FIRST_ACTION_MEDIAN"),
    ("Median min to done", "MINUTES_TO_COMPLETION_MEDIAN"),
    ("P90 min to done", "MINUTES_TO_COMPLETION_P90"),
    ("Within standard %", "PCT_COMPLETED_WITHIN_STANDARD"),
    ("Hub share %", "HUB_SHARE_PCT"),
    ("List share %", "LIST_SHARE_PCT"),
)


def figure(value: object) -> str:
    """A figure as people read it: "–" for nothing to measure, 1,234 or 12.3."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def period_days(period: str, today: date) -> tuple[date, date]:
    """The first and last UK-local day of a period (this week runs Monday to today; last week
    Monday to Sunday before it)."""
    if period == "today":
        return today, today
    if period == "yesterday":
        y = today - timedelta(days=1)
        return y, y
    monday = today - timedelta(days=today.weekday())
    if period == "week":
        return monday, today
    if period == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    raise ValueError(f"unknown period {period!r}: choose one of {', '.join(PERIODS)}")


@dataclass(frozen=True)
class PracticeLine:
    """One practice's figures for the period."""

    ods_code: str
    name: str
    values: dict[str, Value]


@dataclass(frozen=True)
class Report:
    """Everything the reports screen shows for one period."""

    period: str
    first: date
    last: date
    as_of: datetime
    hub: dict[str, Value]
    practices: list[PracticeLine]
    arrivals_by_hour: list[int]  # 24 UK-local hours, summed over the period's days
    outcome_mix: list[tuple[str, int]]  # (category, n) in catalogue order

    @property
    def label(self) -> str:
        """e.g. "This week (Mon 23 Nov – Sun 29 Nov)"."""
        name = PERIOD_LABELS[self.period]
        if self.first == self.last:
            return f"{name} ({self.first:%a} {self.first.day} {self.first:%b})"
        return (
            f"{name} ({self.first:%a} {self.first.day} {self.first:%b} – "
            f"{self.last:%a} {self.last.day} {self.last:%b})"
        )


def build_report(
    period: str,
    ret: DailyReturn,
    hours: list[tuple[str, str, int]],
    as_of: datetime,
) -> Report:
    """Shape a return (over the period's days) and the hourly arrivals into a report."""
    by_hour = [0] * 24
    for stamp, _practice, n in hours:
        by_hour[int(stamp[11:13])] += n
    hub = ret.totals[M.ALL_SUPPLIERS]
    mix = [(c, int(hub.get(f"OUTCOME_CATEGORY_{c.upper()}") or 0)) for c in M.CATEGORIES]
    other = int(hub.get(M.OTHER_CATEGORY_METRIC) or 0)
    if other:
        mix.append(("other", other))
    lines = [PracticeLine(p.ods_code, p.name, ret.totals[p.ods_code]) for p in ret.practices]
    return Report(period, ret.first, ret.last, as_of, hub, lines, by_hour, mix)
