"""``ehub-tui export``: the daily return as a file, or a summary table per practice."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

LONG_RANGE_DAYS = 31  # a progress bar from here on


def _parse_day(text: str, option: str, today: date) -> date:
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        from ehub_tui.cli import CliError

        raise CliError(
            f"{option} {text!r} is not a date: use YYYY-MM-DD (e.g. {today - timedelta(days=1)}), "
            "'today' or 'yesterday'"
        ) from None


def resolve_range(
    day: str | None, start: str | None, end: str | None, today: date
) -> tuple[date, date]:
    """The first and last day asked for (yesterday when nothing is given)."""
    from ehub_tui.cli import CliError

    if day is not None and (start is not None or end is not None):
        raise CliError("give either --date, or --from and --to, not both")
    if day is not None:
        first = last = _parse_day(day, "--date", today)
    elif start is not None:
        first = _parse_day(start, "--from", today)
        yesterday = today - timedelta(days=1)
        last = _parse_day(end, "--to", today) if end is not None else max(first, yesterday)
    elif end is not None:
        raise CliError("--to needs --from (or use --date for one day)")
    else:
        first = last = today - timedelta(days=1)
    if last < first:
        raise CliError(f"--to {last} is before --from {first}")
    if last > today:
        raise CliError(f"{last} is in the future: a return can cover days up to today ({today})")
    return first, last


def default_name(first: date, last: date, fmt: str, practice: str | None) -> str:
    """e.g. ``ehub-return-2026-11-22.csv`` or ``ehub-return-Z99001-2026-11-16_2026-11-22.json``."""
    days = first.isoformat() if first == last else f"{first}_{last}"
    who = f"{practice}-" if practice else ""
    return f"ehub-return-{who}{days}.{fmt}"


def _write_atomically(path: Path, write: Any) -> int:
    """Write through a temporary file beside ``path`` and rename it, so no half file is left."""
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        from ehub_tui.cli import CliError

        raise CliError(f"{folder}: no such folder to write the return in")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            n = int(write(fh))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def _build(service: Any, first: date, last: date, practice: str | None, purpose: str) -> Any:
    from ehub_tui.cli import err

    days = (last - first).days + 1
    if days < LONG_RANGE_DAYS or not err.is_terminal:
        return service.daily_return(first, last, practice, purpose=purpose)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("counting days"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("days", total=days)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return service.daily_return(first, last, practice, on_progress, purpose=purpose)


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


def summary_dict(ret: Any) -> dict[str, Any]:
    """The per-practice summary as plain data (``--summary --json``)."""
    from ehub_tui.export.metrics import ALL_SUPPLIERS

    return {
        "from": ret.first.isoformat(),
        "to": ret.last.isoformat(),
        "practices": [
            {"ods_code": p.ods_code, "name": p.name, **ret.totals[p.ods_code]}
            for p in ret.practices
        ],
        "hub": ret.totals[ALL_SUPPLIERS],
    }


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}"


def summary_table(ret: Any) -> Table:
    """A Rich table: a column per practice (ODS code; names in the caption), then the hub."""
    from ehub_tui.export.metrics import ALL_SUPPLIERS

    span = (
        f"{ret.first:%a %d %b %Y}"
        if ret.first == ret.last
        else f"{ret.first:%a %d %b} – {ret.last:%a %d %b %Y}"
    )
    caption = " · ".join(f"{p.ods_code} {p.name}" for p in ret.practices)
    t = Table(
        title=f"Daily return summary, {span}",
        title_justify="left",
        caption=caption,
        caption_justify="left",
    )
    t.add_column("", no_wrap=True)
    for p in ret.practices:
        t.add_column(p.ods_code, justify="right", no_wrap=True)
    both = len(ret.practices) > 1
    if both:
        t.add_column("All", justify="right", style="bold", no_wrap=True)
    hub = ret.totals[ALL_SUPPLIERS]
    for label, key in SUMMARY_COLUMNS:
        cells = [_cell(ret.totals[p.ods_code].get(key)) for p in ret.practices]
        if both:
            cells.append(_cell(hub.get(key)) if key in hub else "")
        t.add_row(label, *cells)
    return t


def export_cmd(
    day: Annotated[
        str | None, typer.Option("--date", help="One day (YYYY-MM-DD, today, yesterday).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day of a range.")] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day of a range (inclusive; default yesterday).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="csv (default) or json.", case_sensitive=False)
    ] = "csv",
    out_path: Annotated[
        str | None,
        typer.Option(
            "--out",
            help="File to write, or - for standard output "
            "(default: ehub-return-<dates>.<format> in this folder).",
        ),
    ] = None,
    practice: Annotated[
        str | None, typer.Option("--practice", help="Only this practice (ODS code).")
    ] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Print a table per practice instead of a file.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Write the daily return (long form, no patient identifiers) for yesterday or given days.

    Columns: DATE, PCN_CODE, PCN_NAME, GP_CODE, GP_NAME, SUPPLIER, METRIC, VALUE; the metrics
    are described in docs/returns.md.
    """
    from ehub_tui.cli import CliError, _print_json, _service, err, friendly_errors, out

    with friendly_errors():
        fmt = fmt.lower()
        if fmt not in ("csv", "json"):
            raise CliError(f"--format {fmt!r} is not known: use csv or json")
        if summary and out_path is not None:
            raise CliError("--summary prints a table instead of writing a file: drop --out")
        if as_json and out_path == "-":
            raise CliError(
                "--out - writes the return itself to standard output; drop --json "
                "(or use --format json for a JSON return)"
            )
        practice = practice.strip().upper() if practice else None
        service = _service()
        first, last = resolve_range(day, start, end, service.today())
        if last == service.today() and not as_json:
            err.print("[yellow]note:[/] today is not over: its figures are so far.")
        ret = _build(service, first, last, practice, "summary" if summary else "export")
        if summary:
            if as_json:
                _print_json(summary_dict(ret))
            else:
                out.print(summary_table(ret))
            return
        from ehub_tui.export.writers import write_csv, write_json

        def write(fh: Any) -> int:
            return write_csv(ret, fh) if fmt == "csv" else write_json(ret, fh, practice)

        if out_path == "-":
            try:
                write(sys.stdout)
                sys.stdout.flush()
            except BrokenPipeError:  # e.g. `| head`: the reader has all it wanted
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return
        path = Path(out_path or default_name(first, last, fmt, practice))
        rows = _write_atomically(path, write)
        info = {
            "path": str(path),
            "format": fmt,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "practices": len(ret.practices),
            "rows": rows,
        }
        if as_json:
            _print_json(info)
        else:
            out.print(
                f"Wrote {rows:,} rows ({len(ret.practices)} practice(s), {first} to {last}) "
                f"to {path}.",
                highlight=False,
                soft_wrap=True,
            )
