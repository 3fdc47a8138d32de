"""What the reports screen shows, as ``rich`` renderables: the headline figures, the
per-practice table and the three charts (arrivals by hour, outcome mix, hub share against list
share). Pure functions of a ``Report``: no widgets, no I/O.

Names and codes are the hub's data: each is one visible line (``one_line``) or a ``Text`` made
visible (``literal``), never markup, so ``Castle [/b] Hill`` shows as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from ehub_tui.export.report import SUMMARY_COLUMNS, figure
from ehub_tui.ui.format import fit, literal, one_line, span

if TYPE_CHECKING:
    from ehub_tui.export.report import PracticeLine, Report

OVERUSE_RATIO = 1.5  # a practice using the hub at this many times its list share is marked
OVERUSE_MIN_REQUESTS = 10  # ... if it sent at least this many: small numbers accuse no one

HEADLINE = (
    ("Received", "OC_TOTAL_SUBMISSIONS"),
    ("Processed", "PROCESSED"),
    ("Backlog end", "BACKLOG_END"),
    ("Escalated", "ESCALATIONS"),
    ("Pharmacy First", "PHARMACY_FIRST_REFERRALS"),
    ("Median min to 1st action", "MINUTES_TO_FIRST_ACTION_MEDIAN"),
    ("Within standard", "PCT_COMPLETED_WITHIN_STANDARD"),
    ("Reassigned", "REASSIGNMENTS"),
)
CATEGORY_STYLE = {
    "signpost": "cyan",
    "clinical": "green",
    "admin": "blue",
    "escalate": "red",
    "other": "bright_black",
}
VBLOCKS = " ▁▂▃▄▅▆▇█"  # eighths of a cell, bottom up
HBLOCKS = " ▏▎▍▌▋▊▉"  # eighths of a cell, left to right


def hbar(units: float, width: int) -> str:
    """A horizontal bar ``units`` cells long (eighths drawn), padded to ``width``; a non-zero
    value always shows at least a sliver."""
    eighths = max(0, round(units * 8))
    if units > 0 and eighths == 0:
        eighths = 1
    full, part = divmod(min(eighths, width * 8), 8)
    bar = "█" * full + (HBLOCKS[part] if part else "")
    return bar.ljust(width)


def hours_chart(counts: Sequence[int], height: int = 5) -> Text:
    """24 vertical bars (one per UK-local hour), a scale on the left and the hours beneath."""
    peak = max(counts, default=0)
    if peak <= 0:
        return Text("No requests arrived in this period.", style="dim")
    label_w = len(str(peak))
    levels = [0 if n <= 0 else max(1, round(n / peak * height * 8)) for n in counts]
    t = Text()
    for row in range(height - 1, -1, -1):
        top = row == height - 1
        t.append(f"{peak:>{label_w}} ┤" if top else f"{'':>{label_w}} │", style="dim")
        for level in levels:
            fill = min(8, max(0, level - row * 8))
            t.append(VBLOCKS[fill] * 2, style="bold cyan")
            t.append(" ")
        t.append("\n")
    t.append(f"{0:>{label_w}} └" + "─" * 72 + "\n", style="dim")
    t.append(f"{'':>{label_w}}  " + " ".join(f"{h:02d}" for h in range(24)), style="dim")
    return t


def busiest_hour(counts: Sequence[int]) -> str:
    """e.g. "busiest 09:00–10:00 (18)"; empty when nothing arrived."""
    peak = max(counts, default=0)
    if peak <= 0:
        return ""
    h = list(counts).index(peak)
    return f"busiest {h:02d}:00–{(h + 1) % 24:02d}:00 ({peak:,})"


def outcomes_chart(mix: Sequence[tuple[str, int]], width: int = 36) -> Text:
    """A horizontal bar per outcome category with its number and share."""
    total = sum(n for _, n in mix)
    if total <= 0:
        return Text("No requests were completed in this period.", style="dim")
    most = max(n for _, n in mix)
    name_w = max(len(c) for c, _ in mix)
    t = Text()
    for i, (category, n) in enumerate(mix):
        if i:
            t.append("\n")
        t.append(f"{category:<{name_w}} ")
        t.append(hbar(n / most * width, width), style=CATEGORY_STYLE.get(category, "magenta"))
        t.append(f" {n:>5,} {100.0 * n / total:5.1f}%")
    return t


def overused(p: PracticeLine) -> bool:
    """Is the practice marked ▲: at least ``OVERUSE_RATIO`` times its list share, over at least
    ``OVERUSE_MIN_REQUESTS`` requests?"""
    ratio, sent = p.values.get("EQUITY_RATIO"), p.values.get("OC_TOTAL_SUBMISSIONS")
    return (
        isinstance(ratio, int | float)
        and ratio >= OVERUSE_RATIO
        and isinstance(sent, int | float)
        and sent >= OVERUSE_MIN_REQUESTS
    )


def share_chart(practices: Sequence[PracticeLine], width: int = 26) -> Text:
    """Per practice: its share of the hub's requests over its share of the registered patients,
    on one scale, so a practice using the hub well beyond its list size stands out."""
    if not practices:
        return Text("No practices in this hub yet.", style="dim")
    shares = [
        float(v)
        for p in practices
        for v in (p.values.get("HUB_SHARE_PCT"), p.values.get("LIST_SHARE_PCT"))
        if isinstance(v, int | float)
    ]
    scale = max(shares, default=0.0) or 100.0
    # names and codes are the hub's data: one visible line each, fitted by terminal cells
    names = {p.ods_code: one_line(p.name) for p in practices}
    codes = {p.ods_code: one_line(p.ods_code) for p in practices}
    name_w = min(20, max(cell_len(n) for n in names.values()))
    code_w = max(cell_len(c) for c in codes.values())
    t = Text()
    for i, p in enumerate(practices):
        hub, lst = p.values.get("HUB_SHARE_PCT"), p.values.get("LIST_SHARE_PCT")
        ratio = p.values.get("EQUITY_RATIO")
        over = overused(p)
        name = names[p.ods_code]
        name = name if cell_len(name) <= name_w else fit(name, name_w - 1) + "…"
        if i:
            t.append("\n")
        t.append(
            f"{fit(codes[p.ods_code], code_w)} {fit(name, name_w)} ",
            style="bold" if over else "",
        )
        t.append("hub  ", style="dim")
        hub_units = float(hub) / scale * width if isinstance(hub, int | float) else 0.0
        t.append(hbar(hub_units, width), style="bold red" if over else "cyan")
        t.append(f" {figure(hub):>5}%")
        if over and isinstance(ratio, int | float):
            t.append(f"  ▲ {ratio:.1f}×", style="bold red")
        t.append("\n")
        t.append(f"{'':<{code_w}} {'':<{name_w}} ")
        t.append("list ", style="dim")
        list_units = float(lst) / scale * width if isinstance(lst, int | float) else 0.0
        t.append(hbar(list_units, width), style="bright_black")
        t.append(f" {figure(lst):>5}%")
    return t


NO_PRACTICES = (
    "No practices in this hub yet: an admin adds them with `ehub-tui practices import FILE`."
)


def practice_table(report: Report) -> tuple[list[Text], list[list[Text]]]:
    """The CLI summary's table as (header, rows): a row per figure, the whole hub ("All"), then a
    column per practice (the hub comes first here, so a narrow window still shows it). Every
    cell is a ``Text``: an ODS code is the hub's data, never markup. Each figure (and heading)
    carries a space on its left, so the columns stand apart without padding the labels."""
    both = len(report.practices) > 1
    header = [Text("")]
    if both:
        header.append(Text(" All", style="bold", justify="right"))
    header += [literal(f" {p.ods_code}") for p in report.practices]
    for cell in header[1:]:
        cell.justify = "right"
    rows = []
    for label, key in SUMMARY_COLUMNS:
        cells = [Text(f" {figure(p.values.get(key))}", justify="right") for p in report.practices]
        if both:
            hub = f" {figure(report.hub.get(key))}" if key in report.hub else ""
            cells.insert(0, Text(hub, style="bold", justify="right"))
        rows.append([Text(label), *cells])
    return header, rows


class Parts:
    """Figures joined by " · ", a line broken only between two of them (never inside one)."""

    def __init__(self, parts: list[Text]) -> None:
        self.parts = parts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        sep = Text(" · ", style="dim")
        line = Text()
        for part in self.parts:
            if line and line.cell_len + sep.cell_len + part.cell_len > options.max_width:
                yield line
                line = Text()
            if line:
                line.append_text(sep)
            line.append_text(part)
        if line:
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((p.cell_len for p in self.parts), default=0)
        return Measurement(widest, options.max_width)


def headline(report: Report) -> Parts:
    """The period's main figures."""
    hub = report.hub
    parts = []
    for label, key in HEADLINE:
        value = hub.get(key)
        t = Text(f"{label} ")
        text = figure(value)
        if key.startswith("PCT_") and value is not None:
            text += "%"
        t.append(text, style="bold red" if key == "ESCALATIONS" and value else "bold")
        if key.startswith("MINUTES_") and isinstance(value, int | float) and value >= 60:
            t.append(f" ({span_minutes(float(value))})", style="dim")
        parts.append(t)
    return Parts(parts)


def span_minutes(minutes: float) -> str:
    """Minutes in larger units: ``1d 16h``, ``3h 05m``."""
    from datetime import timedelta

    return span(timedelta(minutes=minutes))
