"""``ehub-tui export --format xlsx|html``: the daily return as a workbook or a printable report
(issue 16), written from the same return the CSV is written from."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from ehub_tui.cli.output import CliError
from ehub_tui.cli.returnfile import to_stdout, write_atomically, write_bytes_atomically

WORKBOOK_FORMATS = ("xlsx", "html")


def write_workbook(
    fmt: str,
    ret: Any,
    hours: dict[str, list[int]],
    path: Path | None,
    first: date,
    last: date,
) -> dict[str, Any]:
    """Write ``ret`` as xlsx or html to ``path`` (atomically), or to standard output when
    ``path`` is None (``--out -``); returns what was written (empty for standard output)."""
    from ehub_tui.export.sheets import ExportData

    data = ExportData(ret, hours)
    rows = len(ret.days) * len(ret.practices) * len(ret.metric_order())  # the CSV's rows
    info: dict[str, Any] = {
        "format": fmt,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "practices": len(ret.practices),
        "rows": rows,
    }
    if fmt == "xlsx":
        from ehub_tui.export.xlsx import workbook_bytes

        body, sheets = workbook_bytes(data)
        info["sheets"] = sheets
        if path is None:
            _bytes_to_stdout(body)
            return {}
        write_bytes_atomically(path, body)
    else:
        from ehub_tui.export.html_report import report_html

        page = report_html(data)

        def write(fh: Any) -> int:
            fh.write(page)
            return rows

        if path is None:
            to_stdout(write)
            return {}
        write_atomically(path, write)
    info["path"] = str(path)
    return info


def _bytes_to_stdout(body: bytes) -> None:
    """A workbook to standard output: only into a pipe or a file, never onto a terminal."""
    if sys.stdout.isatty():
        raise CliError(
            "an xlsx workbook is not text: give --out FILE.xlsx, or pipe --out - into a file"
        )
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        raise CliError("standard output cannot take bytes here: give --out FILE.xlsx")
    try:
        sys.stdout.flush()
        buffer.write(body)
        buffer.flush()
    except BrokenPipeError:  # the reader has gone: end quietly, as to_stdout does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
