"""The Capacity view's heat map: the navigators each open hour of the planned week needs, a row
per day (Monday to Sunday, with dates) and a column per hour the hub is open on any day.

Shading comes from the theme (component classes styled in app.tcss with the theme's variables),
so it reads in light and dark themes alike; nothing is told by colour alone: with a rota each
cell reads ``need/rota`` and an under-staffed hour carries ``▲`` (an over-staffed one ``+``),
explained in the legend under the map. A closed hour shows ``·``, a closed day says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

if TYPE_CHECKING:
    from ehub_tui.domain.capacity import CapacityPlan, HourPlan

MARK_UNDER = "▲"  # fewer on the rota than the hour needs
MARK_OVER = "+"  # more on the rota than the hour needs
CLOSED = "·"  # the hub is shut that hour
LEVELS = 4  # shades of need (0: open, none needed)
DAY_WIDTH = 10  # "Mon 30 Nov"


@dataclass(frozen=True)
class Day:
    """One row of the map: the day, its label, and why it is closed (None: open some hours)."""

    day: date
    label: str
    closed: str | None


def _label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def grid(plan: CapacityPlan) -> tuple[list[Day], list[int], dict[tuple[date, int], HourPlan]]:
    """The map's rows, its columns (UK hours open on some day) and the open cells by (day, hour).

    An hour repeated on the autumn clock change is one cell: the busier of the two."""
    cells: dict[tuple[date, int], HourPlan] = {}
    for h in plan.hours:
        if not h.open:
            continue
        key = (h.day, h.hour)
        seen = cells.get(key)
        if seen is None or h.need > seen.need:
            cells[key] = h
    hours = sorted({hour for _, hour in cells})
    closed = set(plan.closed_days)
    days = []
    for i in range(7):
        day = plan.week_of + timedelta(days=i)
        why = None
        if not any((day, hour) in cells for hour in hours):
            if day in closed and day.weekday() < 5:
                why = "closed (bank holiday or closure)"
            elif day.weekday() >= 5:
                why = "closed (weekend)"
            else:
                why = "closed"
        days.append(Day(day, _label(day), why))
    return days, hours, cells


def level(need: int, peak: int) -> int:
    """The shade of a cell: 0 for none needed, else 1..LEVELS by its share of the busiest."""
    if need <= 0 or peak <= 0:
        return 0
    return max(1, min(LEVELS, math.ceil(need / peak * LEVELS)))


def cell_text(h: HourPlan) -> tuple[str, str]:
    """A cell's words and its mark: ``3`` without a rota; ``3/2`` and ``▲`` (or ``+``, or "")."""
    if h.rota is None:
        return str(h.need), ""
    mark = MARK_UNDER if h.rota < h.need else MARK_OVER if h.rota > h.need else ""
    return f"{h.need}/{h.rota}", mark


def legend(plan: CapacityPlan) -> Text:
    """What the cells, marks and shades mean (the rota's marks only when there is a rota)."""
    t = Text(style="dim")
    if plan.rota_name is not None or any(h.rota is not None for h in plan.hours):
        t.append("3/2 = 3 navigators needed, 2 on the rota · darker = more needed\n")
        t.append(MARK_UNDER, style="bold")
        t.append(" under-staffed: fewer on the rota than needed\n")
        t.append(MARK_OVER, style="bold")
        t.append(" more on the rota than needed\n")
    else:
        t.append("Each number: the fewest navigators the hour needs · darker = more needed\n")
    t.append(f"{CLOSED} closed · hours are UK time")
    return t


class CapacityHeatmap(Widget):
    """The need (and the rota) by hour of the planned week; ``show(plan)`` fills it."""

    COMPONENT_CLASSES = {
        "capacity-heatmap--head",
        "capacity-heatmap--closed",
        "capacity-heatmap--under",
        *(f"capacity-heatmap--level-{n}" for n in range(LEVELS + 1)),
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.plan: CapacityPlan | None = None

    def show(self, plan: CapacityPlan | None) -> None:
        """Draw ``plan`` (None: empty)."""
        self.plan = plan
        self.refresh(layout=True)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"capacity-heatmap--{name}", partial=True)

    def render(self) -> Text:
        plan = self.plan
        if plan is None:
            return Text("")
        days, hours, cells = grid(plan)
        if not hours:
            return Text("The hub is closed all of the planned week: nothing is needed.")
        words = {key: cell_text(h) for key, h in cells.items()}
        # with a rota every cell keeps a place for its mark after the figures
        marked = any(h.rota is not None for h in cells.values())
        width = max(2, *(len(w) for w, _ in words.values()))
        peak = max((h.need for h in cells.values()), default=0)
        head, shut, under = self._style("head"), self._style("closed"), self._style("under")
        t = Text(no_wrap=True, overflow="ignore")
        t.append(" " * DAY_WIDTH, style=head)
        for hour in hours:
            t.append(" " + f"{hour:02d}".rjust(width) + (" " if marked else ""), style=head)
        for row in days:
            t.append("\n")
            t.append(row.label.ljust(DAY_WIDTH), style=head)
            if row.closed:
                t.append(" " + row.closed, style=shut)
                continue
            for hour in hours:
                t.append(" ")
                h = cells.get((row.day, hour))
                if h is None:
                    t.append(CLOSED.rjust(width) + (" " if marked else ""), style=shut)
                    continue
                text, mark = words[(row.day, hour)]
                shade = self._style(f"level-{level(h.need, peak)}")
                t.append(text.rjust(width), style=shade)
                if marked:
                    t.append(mark or " ", style=shade + under if mark == MARK_UNDER else shade)
        t.append("\n\n")
        t.append_text(legend(plan))
        return t
