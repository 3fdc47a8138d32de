"""A capacity plan as an Excel workbook for the rota planner (``ehub-tui capacity --format xlsx``,
issue 17).

Sheets: **Need** (days by open hours: navigators needed, and with a rota what it puts on and
how many are short, the short ones filled red *and* shown as "SHORT n" with the hours listed in
words beside them, so no one needs colour to see them), **Hours** (all 168 hours of the week),
**Days** (how each day would end), **Handling** (handling times), **Forecast** (the week's
requests by day, type and practice, and the back-test) and **Notes** (the plan's limits and how
it was made).

As the daily return's workbook (``export/xlsx.py``, which this package may not import: the two
are siblings): nothing is a formula, every cell is written as what it is, and the workbook is
told never to turn a string into a formula, a number or a link, so a request type called
``=HYPERLINK(…)`` is only text. The same plan gives the same bytes (the creation time is the
plan's, not the clock's). The file is replaced atomically: never half written.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from ehub_tui.domain.capacity import CapacityPlan, ForecastScore, HourPlan
from ehub_tui.domain.clock import LONDON
from ehub_tui.textsafe import one_line

SHEETS = ("Need", "Hours", "Days", "Handling", "Forecast", "Notes")
WORKBOOK_OPTIONS = {
    # data is only ever data: no "=..." string becomes a formula, "123" a number, a URL a link
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "in_memory": True,
}
TOP = 5  # the first table's heading row (rows above: the title block)
SHORT_FORMAT = '"SHORT "0;-0;""'  # a short count reads "SHORT 2"; none reads as an empty cell


def hour_status(h: HourPlan) -> str:
    """An hour in a word: closed, short, over, ok (against a rota) or open (no rota)."""
    if not h.open:
        return "closed"
    if h.rota is None:
        return "open"
    if h.short:
        return "short"
    return "over" if h.rota > h.need else "ok"


def backtest_verdict(method: str, scores: Sequence[ForecastScore]) -> str:
    """Which of the forecast method and the naive baseline erred less, in a sentence."""
    if not scores:
        return "Back-test: too little history yet to measure the forecast's error."
    if not any(s.mae for s in scores):
        return "Back-test: no requests in the weeks it looks at, so no error to measure yet."
    ours = next((s for s in scores if s.method == method), scores[0])
    others = [s for s in scores if s is not ours]
    if not others:
        return f"The forecast was off by {ours.wape:.1%} of the arrivals (WAPE)."
    naive = others[0]
    word = (
        "better than"
        if ours.wape < naive.wape
        else "worse than"
        if ours.wape > naive.wape
        else "as good as"
    )
    return (
        f'The forecast is {word} "{one_line(naive.method)}": off by {ours.wape:.1%} of the '
        f"arrivals against {naive.wape:.1%} (WAPE: the hourly errors added up, as a share of "
        "all arrivals)."
    )


def _day(value: date) -> datetime:
    return datetime(value.year, value.month, value.day)


class _Book:
    """One workbook being written, with its formats."""

    def __init__(self, plan: CapacityPlan, target: io.BytesIO) -> None:
        self.plan = plan
        self.wb = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
        self.wb.set_properties(
            {
                "title": f"eHub capacity plan, week of {plan.week_of:%a %d %b %Y}",
                "created": plan.as_of.astimezone(LONDON).replace(tzinfo=None),
            }
        )
        add = self.wb.add_format
        self.bold = add({"bold": True})
        self.title = add({"bold": True, "font_size": 14})
        self.head = add({"bold": True, "bottom": 1, "text_wrap": True})
        self.date = add({"num_format": "ddd dd mmm yyyy"})
        self.stamp = add({"num_format": "yyyy-mm-dd hh:mm"})
        self.one = add({"num_format": "0.0"})
        self.two = add({"num_format": "0.00"})
        self.pct = add({"num_format": "0.0%"})
        self.shut = add({"bg_color": "#D9D9D9"})
        self.short = add({"num_format": SHORT_FORMAT, "bold": True})
        self.red = add({"bg_color": "#F4B6B6", "font_color": "#7F0000", "bold": True})

    def sheet(self, name: str, title: str, lines: Sequence[tuple[str, str]] = ()) -> Any:
        """A new sheet with its title block: a title and (label, text) lines, all strings."""
        ws = self.wb.add_worksheet(name)
        ws.write_string(0, 0, title, self.title)
        for i, (label, value) in enumerate(lines[: TOP - 2], start=1):
            ws.write_string(i, 0, label, self.bold)
            ws.write_string(i, 1, one_line(value))
        return ws

    def table(
        self, ws: Any, row: int, col: int, heads: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> int:
        """A heading row and rows of values (str as text, numbers as numbers, dates as dates,
        None empty, a (value, format) pair formatted); returns the row after it."""
        for c, head in enumerate(heads):
            ws.write_string(row, col + c, head, self.head)
        for r, values in enumerate(rows, start=row + 1):
            for c, value in enumerate(values, start=col):
                self.cell(ws, r, c, value)
        return row + 1 + len(rows)

    def cell(self, ws: Any, row: int, col: int, value: Any) -> None:
        """One typed cell (see :meth:`table`)."""
        fmt = None
        if isinstance(value, tuple):
            value, fmt = value
        if value is None:
            return
        if isinstance(value, str):
            ws.write_string(row, col, one_line(value), fmt)
        elif isinstance(value, datetime):
            ws.write_datetime(row, col, value, fmt or self.stamp)
        elif isinstance(value, date):
            ws.write_datetime(row, col, _day(value), fmt or self.date)
        elif isinstance(value, bool):
            ws.write_string(row, col, "Yes" if value else "No", fmt)
        else:
            ws.write_number(row, col, value, fmt)

    # -- the sheets ----------------------------------------------------------------------------

    def need(self) -> None:
        """Days by open hours: needed; with a rota, on the rota and short (red and in words)."""
        plan = self.plan
        ws = self.sheet(
            "Need",
            f"Navigators needed each hour, week of {plan.week_of:%a %d %b %Y} (UK time)",
            [
                ("Target", f"{plan.share:.0%} of requests within their response standard"),
                ("Rota", "none checked" if plan.rota_name is None else plan.rota_name),
                ("Cells", "the hour starting at the column's time; grey: closed"),
            ],
        )
        columns = sorted({h.hour for h in plan.hours if h.open}) or list(range(8, 18))
        by_day: dict[date, dict[int, HourPlan]] = {}
        for h in plan.hours:
            by_day.setdefault(h.day, {})[h.hour] = h
        grids: list[tuple[str, Callable[[HourPlan], int]]] = [("Needed", lambda h: h.need)]
        if plan.rota_name is not None:
            grids += [
                ("On the rota", lambda h: h.rota or 0),
                ("Short (needed minus on the rota)", lambda h: h.short),
            ]
        row = TOP
        for name, value in grids:
            ws.write_string(row, 0, name, self.bold)
            heads = ["Day", *(f"{c:02d}:00" for c in columns)]
            short = name.startswith("Short")
            if short:
                heads.append("Short at")
            for c, head in enumerate(heads):
                ws.write_string(row + 1, c, head, self.head)
            first = row + 2
            for r, day in enumerate(sorted(by_day), start=first):
                ws.write_datetime(r, 0, _day(day), self.date)
                hours = by_day[day]
                for c, hour in enumerate(columns, start=1):
                    at = hours.get(hour)
                    if at is None or not at.open:
                        ws.write_blank(r, c, None, self.shut)
                    else:
                        ws.write_number(r, c, value(at), self.short if short else None)
                if short:
                    gaps = [f"{k:02d}:00" for k in columns if k in hours and hours[k].short]
                    shut = not any(h.open for h in hours.values())
                    words = "closed" if shut else ", ".join(gaps) or "none"
                    ws.write_string(r, len(columns) + 1, words)
            last = first + len(by_day) - 1
            if short:
                ws.conditional_format(
                    first, 1, last, len(columns),
                    {"type": "cell", "criteria": ">", "value": 0, "format": self.red},
                )  # fmt: skip
            elif name == "Needed":
                ws.conditional_format(
                    first, 1, last, len(columns),
                    {"type": "2_color_scale", "min_color": "#FFFFFF", "max_color": "#F8A05A"},
                )  # fmt: skip
            row = last + 3
        ws.set_column(0, 0, 16)
        ws.set_column(1, len(columns), 9)
        ws.set_column(len(columns) + 1, len(columns) + 1, 30)

    def hours(self) -> None:
        """All 168 hours of the week, one a row."""
        plan = self.plan
        ws = self.sheet("Hours", f"Every hour of the week of {plan.week_of:%a %d %b %Y}")
        heads = [
            "Day", "Hour (UK)", "Start (UTC)", "Open", "Requests (forecast)", "Needed",
            "Erlang C", "On the rota", "Short", "Status",
        ]  # fmt: skip
        rows = [
            (
                h.day,
                f"{h.hour:02d}:00",
                h.start.replace(tzinfo=None),
                h.open,
                (h.arrivals, self.two),
                h.need,
                h.erlang,
                h.rota,
                None if h.rota is None else h.short,
                hour_status(h),
            )
            for h in plan.hours
        ]
        end = self.table(ws, TOP, 0, heads, rows)
        ws.autofilter(TOP, 0, end - 1, len(heads) - 1)
        ws.freeze_panes(TOP + 1, 2)
        ws.set_column(0, 0, 16)
        ws.set_column(2, 2, 17)
        ws.set_column(3, len(heads) - 1, 11)

    def days(self) -> None:
        """How each day would end (under the rota, else with the need staffed)."""
        plan = self.plan
        how = "with the need staffed" if plan.rota_name is None else "under the rota"
        ws = self.sheet(
            "Days",
            f"How the week would run {how} (mean of {plan.replications} simulated run(s))",
            [("Rota", "none: the need is staffed" if plan.rota_name is None else plan.rota_name)],
        )
        heads = ["Day", "Working day", "Requests", "Completed", "Waiting at close", "Late"]
        rows = [
            (
                d.day, d.working, (d.arrivals, self.one), (d.completed, self.one),
                (d.backlog_end, self.one), (d.breaches, self.one),
            )
            for d in plan.days
        ]  # fmt: skip
        self.table(ws, TOP, 0, heads, rows)
        ws.set_column(0, 0, 16)
        ws.set_column(1, len(heads) - 1, 13)

    def handling(self) -> None:
        """Handling time (active minutes) by request type and route category."""
        ws = self.sheet(
            "Handling",
            "Handling time: active time on screen, in minutes",
            [("Items", "completed requests with an active time, in the history")],
        )
        heads = ["Request type", "Route category", "Items", "Mean", "Median", "9 in 10 within"]
        rows = [
            (
                s.request_type, s.category, s.count, (s.mean_seconds / 60, self.one),
                (s.median_seconds / 60, self.one), (s.p90_seconds / 60, self.one),
            )
            for s in self.plan.handling
        ]  # fmt: skip
        self.table(ws, TOP, 0, heads, rows)
        ws.set_column(0, 1, 16)
        ws.set_column(2, 5, 12)

    def forecast(self) -> None:
        """The week's requests (in all, by day, type and practice) and the back-test."""
        plan = self.plan
        ws = self.sheet(
            "Forecast",
            f"Forecast for the week of {plan.week_of:%a %d %b %Y}",
            [
                ("Method", plan.forecast_method),
                ("History", f"{plan.history_weeks} week(s) from {plan.history_first_monday}"),
            ],
        )
        summary = [
            ("Requests in the week", (plan.arrivals_per_week, self.one)),
            ("Urgent or emergency", (plan.urgent_share, self.pct)),
        ]
        row = self.table(ws, TOP, 0, ["Figure", "Value"], summary) + 1
        per_day: dict[date, float] = {}
        for h in plan.hours:
            per_day[h.day] = per_day.get(h.day, 0.0) + h.arrivals
        days = [(d, (n, self.one)) for d, n in sorted(per_day.items())]
        row = self.table(ws, row, 0, ["Day", "Requests"], days) + 1
        ranked = sorted(plan.by_type.items(), key=lambda kv: (-kv[1], kv[0]))
        types = [(k, (v, self.one)) for k, v in ranked]
        row = self.table(ws, row, 0, ["Request type", "Requests a week"], types) + 1
        ranked = sorted(plan.by_practice.items(), key=lambda kv: (-kv[1], kv[0]))
        practices = [(k, (v, self.one)) for k, v in ranked]
        row = self.table(ws, row, 0, ["Practice (ODS code)", "Requests a week"], practices) + 1
        ws.write_string(row, 0, "Back-test on the hub's own history", self.bold)
        scores = [
            (s.method, (s.mae, self.two), (s.wape, self.pct), s.hours, s.weeks)
            for s in plan.backtest
        ]
        heads = ["Method", "Mean error (requests an hour)", "WAPE", "Hours", "Weeks"]
        row = self.table(ws, row + 1, 0, heads, scores)
        ws.write_string(row, 0, backtest_verdict(plan.forecast_method, plan.backtest))
        ws.set_column(0, 0, 30)
        ws.set_column(1, 4, 16)

    def notes(self) -> None:
        """The plan's notes (its limits), then how it was made."""
        plan = self.plan
        ws = self.sheet("Notes", "Notes: the limits of this plan, and how it was made")
        row = self.table(ws, TOP, 0, ["Note"], [(n,) for n in plan.notes] or [("none",)]) + 1
        made = [
            ("Made (UK time)", plan.as_of.astimezone(LONDON).replace(tzinfo=None)),
            ("Week of", plan.week_of),
            ("History from", plan.history_first_monday),
            ("History weeks", plan.history_weeks),
            ("Left out of the history", ", ".join(map(str, plan.excluded_days)) or "none"),
            ("Closed in the week", ", ".join(map(str, plan.closed_days)) or "none"),
            ("Target share", (plan.share, self.pct)),
            ("Seed", plan.seed),
            ("Simulated runs", plan.replications),
            ("Navigator-hours needed", plan.need_hours),
            ("Share met, need staffed", (plan.need_share_met, self.pct)),
            ("Rota", plan.rota_name or "none"),
            ("Rota navigator-hours", plan.rota_hours),
            ("Share met, under the rota", (plan.rota_share_met, self.pct)),
            ("Under-staffed open hours", plan.under_hours if plan.rota_name else None),
            ("Over-staffed open hours", plan.over_hours if plan.rota_name else None),
        ]
        self.table(ws, row, 0, ["Figure", "Value"], made)
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 60)


def plan_workbook_bytes(plan: CapacityPlan) -> bytes:
    """The whole workbook as bytes (:data:`SHEETS` in order)."""
    target = io.BytesIO()
    book = _Book(plan, target)
    book.need()
    book.hours()
    book.days()
    book.handling()
    book.forecast()
    book.notes()
    book.wb.close()
    return target.getvalue()


def write_plan_xlsx(plan: CapacityPlan, path: Path) -> int:
    """Write the plan's workbook to ``path``, replacing it atomically (a temporary file beside
    it, renamed; a new file gets the usual permissions, a replaced one keeps its own); returns
    the number of sheets. ``OSError`` (naming the file) if it cannot be written."""
    body = plan_workbook_bytes(plan)
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else None
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:  # name the file asked for, not a hidden temporary one
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes 0600; a new workbook gets 0666 less the umask (read, not set: see _umask)
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(SHEETS)


def _umask() -> int:
    """The umask from /proc (Linux); else set and reset it (process-wide: not thread-safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):  # not Linux: the old way
        pass
    os.umask(umask := os.umask(0o022))
    return umask
