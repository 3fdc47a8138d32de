"""The daily return as an Excel workbook (``export --format xlsx``, issue 16): a hub sheet (the
summary table and the share chart) and one sheet per practice (its period figures, its figures
day by day, and native charts of arrivals by hour and outcome mix).

Nothing in the workbook is a formula. Every cell is written as what it is — ``write_string`` for
text, ``write_number`` for a figure, ``write_datetime`` for a day — and the workbook is told never
to turn a string into a formula, a number or a link, so a practice called ``=HYPERLINK(…)`` is
only ever text. Charts point at cell ranges (a chart's reference, not a cell formula). The same
return gives the same workbook: its creation time is the range's first day, not the clock.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import xlsxwriter

from ehub_tui.export.metrics import ALL_SUPPLIERS
from ehub_tui.export.report import SUMMARY_COLUMNS
from ehub_tui.export.returns import PracticeRef, Value
from ehub_tui.export.sheets import (
    HUB_LABEL,
    ExportData,
    day_rows,
    outcome_mix,
    period_metrics,
    sheet_names,
    span,
    summary_row,
    text,
)

HUB_SHEET = "Hub"
WORKBOOK_OPTIONS = {
    # data is only ever data: no "=..." string becomes a formula, "123" a number, a URL a link
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "in_memory": True,
}
TOP = 5  # the first table's header row (rows above: the title block)
CHART_COL = 10  # column K: a practice's charts sit right of its tables
CHART_ROWS = 16  # rows a chart covers (xlsxwriter's default 480 x 288 pixels), and a gap


def _value(ws: Any, row: int, col: int, value: Value, fmt: Any = None) -> None:
    """A figure as a number; nothing to measure (None) as an empty cell, as the CSV's blank."""
    if value is not None:
        ws.write_number(row, col, value, fmt)


class _Book:
    """One workbook being written, with its formats."""

    def __init__(self, data: ExportData, target: io.BytesIO) -> None:
        self.data = data
        self.wb = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
        first = data.ret.first
        self.wb.set_properties(
            {
                "title": f"eHub daily return, {span(first, data.ret.last)}",
                "created": datetime(first.year, first.month, first.day),
            }
        )
        self.bold = self.wb.add_format({"bold": True})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.head = self.wb.add_format({"bold": True, "bottom": 1, "text_wrap": True})
        self.day = self.wb.add_format({"num_format": "yyyy-mm-dd"})

    def header(self, ws: Any, title: str, lines: Sequence[tuple[str, str]]) -> None:
        """The title block: a title and (label, text) lines, all strings."""
        ws.write_string(0, 0, title, self.title)
        for i, (label, value) in enumerate(lines, start=1):
            ws.write_string(i, 0, label, self.bold)
            ws.write_string(i, 1, value)

    def hours_and_mix(
        self, ws: Any, sheet: str, code: str, col: int, charts: tuple[int, int, int, int]
    ) -> None:
        """The arrivals-by-hour and outcome-mix tables from column ``col``, and their charts
        at ``charts`` (arrivals' row and column, then the outcome mix's)."""
        ws.write_string(TOP, col, "Hour", self.head)
        ws.write_string(TOP, col + 1, "Arrivals", self.head)
        for hour, n in enumerate(self.data.hours_of(code)):
            ws.write_string(TOP + 1 + hour, col, f"{hour:02d}:00")
            ws.write_number(TOP + 1 + hour, col + 1, n)
        mix = outcome_mix(self.data.ret, code)
        ws.write_string(TOP, col + 3, "Outcome", self.head)
        ws.write_string(TOP, col + 4, "Items", self.head)
        for i, (category, n) in enumerate(mix):
            ws.write_string(TOP + 1 + i, col + 3, category)
            ws.write_number(TOP + 1 + i, col + 4, n)
        arrivals = self.wb.add_chart({"type": "column"})
        arrivals.add_series(
            {
                "name": "Arrivals",
                "categories": [sheet, TOP + 1, col, TOP + 24, col],
                "values": [sheet, TOP + 1, col + 1, TOP + 24, col + 1],
            }
        )
        arrivals.set_title({"name": "Arrivals by hour of day (UK time)"})
        arrivals.set_legend({"none": True})
        ws.insert_chart(charts[0], charts[1], arrivals)
        chart = self.wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "Items",
                "categories": [sheet, TOP + 1, col + 3, TOP + len(mix), col + 3],
                "values": [sheet, TOP + 1, col + 4, TOP + len(mix), col + 4],
            }
        )
        chart.set_title({"name": "Outcome mix"})
        chart.set_legend({"none": True})
        ws.insert_chart(charts[2], charts[3], chart)

    def hub_sheet(self) -> None:
        """The summary table (a row per practice, then the whole hub) and the share chart."""
        ret = self.data.ret
        ws = self.wb.add_worksheet(HUB_SHEET)
        self.header(
            ws,
            f"Daily return summary, {span(ret.first, ret.last)}",
            [("From", ret.first.isoformat()), ("To", ret.last.isoformat())],
        )
        heads = ["ODS code", "Practice", "PCN", *(label for label, _ in SUMMARY_COLUMNS)]
        for c, head in enumerate(heads):
            ws.write_string(TOP, c, head, self.head)
        rows = [(p.ods_code, text(p.name), text(p.pcn_name)) for p in ret.practices]
        for r, (code, name, pcn) in enumerate(rows, start=TOP + 1):
            for c, value in enumerate((code, name, pcn)):
                ws.write_string(r, c, text(value))
            for c, figure in enumerate(summary_row(ret, code), start=3):
                _value(ws, r, c, figure)
        hub_row = TOP + 1 + len(rows)
        ws.write_string(hub_row, 0, ALL_SUPPLIERS, self.bold)
        ws.write_string(hub_row, 1, HUB_LABEL, self.bold)
        for c, figure in enumerate(summary_row(ret, ALL_SUPPLIERS), start=3):
            _value(ws, hub_row, c, figure, self.bold)
        ws.set_column(0, 0, 10)
        ws.set_column(1, 2, 28)
        ws.set_column(3, 2 + len(SUMMARY_COLUMNS), 11)
        ws.freeze_panes(TOP + 1, 2)
        metrics = [m for _, m in SUMMARY_COLUMNS]
        share = self.wb.add_chart({"type": "bar"})
        for metric in ("HUB_SHARE_PCT", "LIST_SHARE_PCT"):
            col = 3 + metrics.index(metric)
            share.add_series(
                {
                    "name": [HUB_SHEET, TOP, col],
                    "categories": [HUB_SHEET, TOP + 1, 0, TOP + len(rows), 0],
                    "values": [HUB_SHEET, TOP + 1, col, TOP + len(rows), col],
                }
            )
        share.set_title({"name": "Hub share vs list share (%)"})
        ws.insert_chart(hub_row + 2, 1, share)
        # the whole hub's arrivals and outcome mix: tables right of the summary table, charts
        # beside the share chart
        charts = (hub_row + 2, 4, hub_row + 2, 10)
        self.hours_and_mix(ws, HUB_SHEET, ALL_SUPPLIERS, 4 + len(SUMMARY_COLUMNS), charts)

    def practice_sheet(self, pr: PracticeRef, sheet: str) -> None:
        """A practice's period figures, its arrivals and outcome mix (charted), and its figures
        day by day (a row per day, a column per supplier and metric, as the CSV's rows)."""
        ret = self.data.ret
        ws = self.wb.add_worksheet(sheet)
        self.header(
            ws,
            f"{text(pr.name)} ({text(pr.ods_code)})",
            [
                ("PCN", f"{text(pr.pcn_name)} ({text(pr.pcn_code)})"),
                ("From", ret.first.isoformat()),
                ("To", ret.last.isoformat()),
            ],
        )
        for c, head in enumerate(("Figure", "Metric", "Value")):
            ws.write_string(TOP, c, head, self.head)
        figures = period_metrics(ret, pr.ods_code)
        for r, (label, metric, value) in enumerate(figures, start=TOP + 1):
            ws.write_string(r, 0, label)
            ws.write_string(r, 1, metric)
            _value(ws, r, 2, value)
        ws.set_column(0, 1, 30)
        self.hours_and_mix(ws, sheet, pr.ods_code, 4, (TOP, CHART_COL, TOP + CHART_ROWS, CHART_COL))
        # the day-by-day table starts below the figures and both charts
        start = max(TOP + 2 * CHART_ROWS, TOP + 1 + len(figures)) + 2
        ws.write_string(start, 0, "Day by day (as the CSV return)", self.bold)
        ws.write_string(start + 1, 0, "SUPPLIER", self.head)
        ws.write_string(start + 2, 0, "DATE", self.head)
        for c, (supplier, metric) in enumerate(ret.metric_order(), start=1):
            ws.write_string(start + 1, c, text(supplier), self.head)
            ws.write_string(start + 2, c, metric, self.head)
        for r, (day, values) in enumerate(day_rows(ret, pr), start=start + 3):
            ws.write_datetime(r, 0, datetime(day.year, day.month, day.day), self.day)
            for c, value in enumerate(values, start=1):
                _value(ws, r, c, value)

    def close(self) -> None:
        """Finish the workbook (written into the target)."""
        self.wb.close()


def workbook_bytes(data: ExportData) -> tuple[bytes, int]:
    """The whole workbook as bytes, and how many sheets it has."""
    target = io.BytesIO()
    book = _Book(data, target)
    book.hub_sheet()
    names = sheet_names(data.ret.practices, HUB_SHEET)
    for pr, name in zip(data.ret.practices, names, strict=True):
        book.practice_sheet(pr, name)
    book.close()
    return target.getvalue(), 1 + len(names)
