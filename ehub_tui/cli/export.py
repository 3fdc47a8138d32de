"""``ehub-tui export``: the daily return as a file, or a summary table per practice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from ehub_tui.cli import connect
from ehub_tui.cli.export_workbook import WORKBOOK_FORMATS, write_workbook
from ehub_tui.cli.output import CliError, err, friendly_errors, out, print_json, progress_bar
from ehub_tui.cli.returnfile import to_stdout, write_atomically
from ehub_tui.textsafe import literal, one_line

LONG_RANGE_DAYS = 28  # a progress bar from four weeks on
FORMATS = ("csv", "json", *WORKBOOK_FORMATS)


def _parse_day(text: str, option: str, today: date) -> date:
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            f"{option} {text!r} is not a date: use YYYY-MM-DD (e.g. {today - timedelta(days=1)}), "
            "'today' or 'yesterday'"
        ) from None


def resolve_range(
    day: str | None, start: str | None, end: str | None, today: date
) -> tuple[date, date]:
    """The first and last day asked for (yesterday when nothing is given)."""
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


@contextmanager
def _progress(days: int) -> Iterator[Callable[[str], Callable[[int, int], None]] | None]:
    """On a terminal, for long ranges: one bar, per stage ("counting days", "writing")."""
    if days < LONG_RANGE_DAYS or not err.is_terminal:
        yield None
        return
    with progress_bar() as progress:
        task = progress.add_task("counting days", total=days)

        def stage(name: str) -> Callable[[int, int], None]:
            progress.update(task, description=name, completed=0, total=days)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            return on_progress

        yield stage


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


def summary_tables(ret: Any, width: int = 80) -> list[Table]:
    """The summary as Rich tables: the whole hub and a column per practice (ODS code; names in
    the caption), split into as many tables as it takes to fit ``width`` without cutting a
    figure short."""
    from ehub_tui.export.metrics import ALL_SUPPLIERS
    from ehub_tui.export.report import SUMMARY_COLUMNS, figure

    hub = ret.totals[ALL_SUPPLIERS]
    columns: list[tuple[str, list[str]]] = []
    if len(ret.practices) > 1:
        columns.append(
            ("All", [figure(hub.get(k)) if k in hub else "" for _, k in SUMMARY_COLUMNS])
        )
    for p in ret.practices:
        vals = ret.totals[p.ods_code]
        columns.append((p.ods_code, [figure(vals.get(k)) for _, k in SUMMARY_COLUMNS]))
    label_width = max(len(label) for label, _ in SUMMARY_COLUMNS)
    groups: list[list[tuple[str, list[str]]]] = [[]]
    used = label_width + 4  # the label column, its padding and the outer borders
    for col in columns:
        need = max(cell_len(one_line(col[0])), *(cell_len(c) for c in col[1])) + 3
        if groups[-1] and used + need > width:
            groups.append([])
            used = label_width + 4
        groups[-1].append(col)
        used += need
    span = (
        f"{ret.first:%a %d %b %Y}"
        if ret.first == ret.last
        else f"{ret.first:%a %d %b} – {ret.last:%a %d %b %Y}"
    )
    tables = []
    for i, group in enumerate(groups):
        shown = {code for code, _ in group}
        names = [p for p in ret.practices if p.ods_code in shown]
        title = f"Daily return summary, {span}"
        if i:
            title = f"… continued ({i + 1} of {len(groups)})"
        elif len(groups) > 1:
            title += f" (1 of {len(groups)})"
        t = Table(
            title=Text(title),
            title_justify="left",
            # practice names and codes are the hub's data: shown as written, controls visible
            caption=literal(" · ".join(f"{p.ods_code} {p.name}" for p in names)),
            caption_justify="left",
        )
        t.add_column("", no_wrap=True)
        for code, _ in group:
            t.add_column(
                literal(code), justify="right", no_wrap=True, style="bold" if code == "All" else ""
            )
        for row, (label, _) in enumerate(SUMMARY_COLUMNS):
            t.add_row(label, *(Text(cells[row]) for _, cells in group))
        tables.append(t)
    return tables


def export_cmd(
    day: Annotated[
        str | None, typer.Option("--date", help="One day (YYYY-MM-DD, today, yesterday).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day of a range.")] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day of a range (inclusive; default yesterday).")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, json, xlsx (a workbook with charts) or html (a printable report); "
            "default: from the --out file's extension, else csv.",
            case_sensitive=False,
        ),
    ] = None,
    out_path: Annotated[
        str | None,
        typer.Option(
            "--out",
            help="File or folder to write, or - for standard output "
            "(default: ehub-return-<dates>.<format> in this folder).",
        ),
    ] = None,
    practice: Annotated[
        str | None, typer.Option("--practice", help="Only this practice (ODS code).")
    ] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Print a table per practice instead of a file.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print what was written (or, with --summary, the summary) as JSON."
        ),
    ] = False,
) -> None:
    """Write the daily return (long form, no patient identifiers) for yesterday or given days.

    Columns: DATE, PCN_CODE, PCN_NAME, GP_CODE, GP_NAME, SUPPLIER, METRIC, VALUE; the metrics
    are described in docs/returns.md. --format xlsx writes the same figures as a workbook (a
    sheet per practice, charts); --format html as a printable report.
    """
    with friendly_errors():
        fmt = _choose_format(fmt, out_path, summary)
        if summary and out_path is not None:
            raise CliError("--summary prints a table instead of writing a file: drop --out")
        if as_json and out_path == "-":
            raise CliError(
                "--out - writes the return itself to standard output; drop --json "
                "(or use --format json for a JSON return)"
            )
        if practice is not None:
            practice = practice.strip().upper()
            if not practice:
                raise CliError("--practice needs an ODS code, e.g. --practice Z99001")
        service = connect.client()
        today = service.today()
        first, last = resolve_range(day, start, end, today)
        if last == today and not as_json:
            err.print(
                Text.assemble(("note:", "yellow"), " today is not over: its figures are so far.")
            )
        days = (last - first).days + 1
        path: Path | None = None
        if out_path not in (None, "-") and not summary:
            path = Path(str(out_path)).expanduser()
            if path.is_dir():
                path = path / default_name(first, last, fmt, practice)
        with _progress(days) as stage:
            ret = service.daily_return(
                first,
                last,
                practice,
                stage("counting days") if stage else None,
                purpose="summary" if summary else "export",
            )
            if summary:
                if as_json:
                    print_json(summary_dict(ret))
                else:
                    for table in summary_tables(ret, out.width):
                        out.print(table)
                return
            if fmt in WORKBOOK_FORMATS:
                hours = service.arrivals_by_hour(first, last)
                if out_path != "-":
                    path = path or Path(default_name(first, last, fmt, practice))
                written = write_workbook(fmt, ret, hours, path, first, last)
                _report_written(written, as_json)
                return
            from ehub_tui.export.writers import write_csv, write_json

            on_day = stage("writing") if stage else None

            def write(fh: IO[str]) -> int:
                if fmt == "csv":
                    return write_csv(ret, fh, on_day)
                return write_json(ret, fh, practice, on_day)

            if out_path == "-":
                to_stdout(write)
                return
            path = path or Path(default_name(first, last, fmt, practice))
            rows = write_atomically(path, write)
        _report_written(
            {
                "path": str(path),
                "format": fmt,
                "from": first.isoformat(),
                "to": last.isoformat(),
                "practices": len(ret.practices),
                "rows": rows,
            },
            as_json,
        )


def _report_written(info: dict[str, Any], as_json: bool) -> None:
    """Say what was written (``info`` as JSON with --json); nothing for standard output."""
    if not info:
        return
    if as_json:
        print_json(info)
        return
    sheets = f", {info['sheets']} sheets" if "sheets" in info else ""
    out.print(
        literal(
            f"Wrote {info['rows']:,} rows ({info['practices']} practice(s), {info['from']} to "
            f"{info['to']}{sheets}) to {info['path']}."
        ),
        soft_wrap=True,
    )


# spreadsheet and document kinds people may type that are not ours to write
_OTHER_DOCUMENTS = frozenset({"ods", "xls", "xlsm", "numbers", "pdf", "doc", "docx", "odt"})


def _choose_format(fmt: str | None, out_path: str | None, summary: bool) -> str:
    """--format, else the --out file's extension, else csv; a mismatch is refused."""
    if summary and fmt is not None:
        raise CliError("--summary prints a table, not a file: use --summary --json for data")
    suffix = Path(out_path).suffix.lower().lstrip(".") if out_path not in (None, "-") else ""
    suffix = "html" if suffix == "htm" else suffix
    if fmt is None:
        if suffix in _OTHER_DOCUMENTS:  # a CSV named .ods opens as garbage: say so instead
            raise CliError(
                f"{out_path}: ehub-tui writes csv, json, xlsx or html, not {suffix}; name the "
                "file .csv, .json, .xlsx or .html (LibreOffice and Numbers open .xlsx)"
            )
        return suffix if suffix in FORMATS else "csv"
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise CliError(f"--format {fmt!r} is not known: use csv, json, xlsx or html")
    if suffix in FORMATS and suffix != fmt:
        raise CliError(f"--format {fmt} does not match the file name {out_path}: choose one")
    return fmt
