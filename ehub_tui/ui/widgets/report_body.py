"""The reports' scrolling body: the figures and charts, with the per-practice table scrolled
sideways a whole column at a time (its label column stays put)."""

from __future__ import annotations

from typing import Any

from textual.containers import ScrollableContainer
from textual.widgets import DataTable


def column_edge(table: DataTable[Any], step: int) -> int:
    """Where ← (step -1) or → (+1) scrolls the table to: the next edge between two of its
    scrolling columns, so a practice's column is never cut on the left (bar at the far end)."""
    edges, x = [0], 0
    for column in table.ordered_columns[table.fixed_columns :]:
        x += column.get_render_width(table)
        edges.append(x)
    now = round(table.scroll_x)
    if step > 0:
        target = next((e for e in edges if e > now), edges[-1])
    else:
        target = next((e for e in reversed(edges) if e < now), 0)
    return max(0, min(target, int(table.max_scroll_x)))


class ReportBody(ScrollableContainer):
    """The figures and charts, focused: ↑ ↓ scroll them; ← → scroll the per-practice table
    sideways a column at a time (its label column stays put) and, in a window too narrow for a
    chart, the rest."""

    SIDEWAYS = 8  # cells per ← → for the rest

    def action_scroll_left(self) -> None:
        self._sideways(-1)

    def action_scroll_right(self) -> None:
        self._sideways(1)

    def _sideways(self, step: int) -> None:
        table = self.query_one("#report-table", DataTable)
        if table.display and table.max_scroll_x > 0:
            table.scroll_to(x=column_edge(table, step), animate=False)
        if self.max_scroll_x > 0:
            self.scroll_to(x=self.scroll_x + step * self.SIDEWAYS, animate=False)
