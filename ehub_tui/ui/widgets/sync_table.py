"""Updating a DataTable from fresh rows without flicker (the supervisor board's tables)."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from ehub_tui.ui.format import literal


def sync_table(table: DataTable[Any], rows: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Make the table show ``rows`` (key, cells): cells update in place when the keys and their
    order are unchanged; otherwise the rows are rebuilt, keeping the cursor on the same key.

    A str cell would be read as markup by the DataTable (``[/b]`` in a username or a practice
    code raised an error): every str becomes a ``Text`` of one visible line first."""
    rows = [(k, tuple(literal(c) if isinstance(c, str) else c for c in cells)) for k, cells in rows]
    keys = [k for k, _ in rows]
    current = [str(r.value) for r in table.rows]
    if keys == current:
        columns = list(table.columns)
        for key, cells in rows:
            for col, value in zip(columns, cells, strict=False):
                if table.get_cell(key, col) != value:
                    table.update_cell(key, col, value)
        return
    selected = None
    if table.row_count and table.cursor_row < table.row_count:
        selected = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if selected in keys:
        table.move_cursor(row=keys.index(selected), animate=False)
