"""Writing a return as CSV or JSON: deterministic bytes, text cells safe to open in a spreadsheet.

Same data, same bytes: rows come in a fixed order, numbers are written the same way every time,
nothing in the file says when it was made, lines end in ``\\n`` and the text is UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from typing import IO

from ehub_tui.export.metrics import COLUMNS
from ehub_tui.export.returns import DailyReturn, Value

FORMAT_VERSION = 1
DayFn = Callable[[int, int], None]  # (days written, days in all)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """Neutralise a spreadsheet formula: a text cell starting with = + - @ (or a tab / carriage
    return) gets a leading apostrophe, so a spreadsheet shows it as text instead of running it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def format_value(value: Value) -> str:
    """A VALUE cell: integers as they are, decimals as Python writes them, blank for none."""
    if value is None:
        return ""
    return str(value)


def _text_row(row: tuple[str, str, str, str, str, str, str, Value]) -> list[str]:
    *text, value = row
    return [safe_text(t) for t in text] + [format_value(value)]


def write_csv(ret: DailyReturn, out: IO[str], on_day: DayFn | None = None) -> int:
    """Write the return as CSV; returns the number of data rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for row in ret.rows(on_day):
        writer.writerow(_text_row(row))
        n += 1
    return n


def _json_rows(rows: Iterable[tuple[str, str, str, str, str, str, str, Value]]) -> Iterable[str]:
    for row in rows:
        *text, value = row
        obj: dict[str, object] = dict(zip(COLUMNS, [safe_text(t) for t in text], strict=False))
        obj["VALUE"] = value
        yield json.dumps(obj, ensure_ascii=False)


def write_json(
    ret: DailyReturn, out: IO[str], practice: str | None = None, on_day: DayFn | None = None
) -> int:
    """Write the return as one JSON document (one row per line); returns the number of rows."""
    head = {
        "return": "ehub-tui daily return",
        "format_version": FORMAT_VERSION,
        "from": ret.first.isoformat(),
        "to": ret.last.isoformat(),
        "practice": practice,
        "columns": list(COLUMNS),
    }
    text = json.dumps(head, ensure_ascii=False, indent=2)
    out.write(text[: text.rindex("}")].rstrip() + ',\n  "rows": [')
    n = 0
    for line in _json_rows(ret.rows(on_day)):
        out.write(("\n    " if n == 0 else ",\n    ") + line)
        n += 1
    out.write("\n  ]\n}\n" if n else "]\n}\n")
    return n


def render(ret: DailyReturn, fmt: str, practice: str | None = None) -> str:
    """The whole file as text (tests and small returns)."""
    buf = io.StringIO()
    if fmt == "csv":
        write_csv(ret, buf)
    else:
        write_json(ret, buf, practice)
    return buf.getvalue()
