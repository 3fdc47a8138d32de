"""``ehub-tui outbox write``: each completed outcome as a FHIR R4 Bundle and an HTML consultation
summary, with MESH-style ``.ctl`` markers, in the outbox folder an integration engine or a MESH
client collects (export/outbox.py says how the folder is laid out and written).

The outcomes come from the hub through the client service (an admin, or the service account a
timer runs it as: ``EHUB_TUI_SERVICE_TOKEN_FILE``, as ``ingest --watch``), a page at a time; the
hub audits each page read. The folder is ``--to`` or the ``outbox_dir`` setting, never the
current folder by default (the files hold patient data). Nothing of a record reaches the
terminal or a log: the summary gives counts and file stems (practice ODS code, item and outcome
ids) only. A re-run writes nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from ehub_tui.cli import connect
from ehub_tui.cli.output import CliError, JsonOpt, emit, err, friendly_errors, progress_bar, say

if TYPE_CHECKING:
    from ehub_tui.export.outbox import WriteResult

outbox_app = typer.Typer(help="The FHIR outbox: completed outcomes for the practices' systems.")

DEFAULT_DAYS = 7  # without --since: outcomes completed in the last week (a re-run skips them)
PAGE = 200
PROGRESS_FROM = 50  # a progress bar on a terminal from this many outcomes on
NO_FOLDER = (
    "no outbox folder: give --to DIR, or set outbox_dir in the settings "
    "(docs/settings.md); the outbox is never the current folder by default"
)


def _since(text: str | None, today: date) -> date:
    if text is None:
        return today - timedelta(days=DEFAULT_DAYS)
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        return today - timedelta(days=1 if word == "yesterday" else 0)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            f"--since {text!r} is not a date: use YYYY-MM-DD (e.g. {today - timedelta(days=7)}), "
            "'today' or 'yesterday'"
        ) from None
    if day > today:
        raise CliError(f"--since {day} is in the future (today is {today})")
    return day


def _folder(to: str | None, configured: Path | None) -> Path:
    if to is not None:
        if not to.strip():
            raise CliError("--to needs a folder, e.g. --to /var/spool/ehub/outbox")
        return Path(to).expanduser()
    if configured is None:
        raise CliError(NO_FOLDER)
    return configured


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[], None] | None]:
    """On a terminal, for a long run: a bar that moves once per outcome."""
    if quiet or total < PROGRESS_FROM or not err.is_terminal:
        yield None
        return
    with progress_bar() as bar:
        task = bar.add_task("writing the outbox", total=total)
        yield lambda: bar.advance(task)


def summary(result: WriteResult, folder: Path, since: date) -> dict[str, Any]:
    """What a run did, as plain data (``--json``): counts, and the stems by how they went."""
    return {
        "outbox": str(folder),
        "since": since.isoformat(),
        "written": len(result.written),
        "already_there": len(result.already),
        "failed": len(result.failed),
        "written_files": result.written,
        "failures": [{"file": stem, "reason": why} for stem, why in result.failed],
    }


def _render(data: dict[str, Any]) -> None:
    say(
        f"outbox {data['outbox']}: {data['written']} written, {data['already_there']} already "
        f"there, {data['failed']} failed (outcomes completed since {data['since']})"
    )
    for f in data["failures"]:
        err.print(Text.assemble(("failed:", "red"), f" {f['file']}: {f['reason']}"))


@outbox_app.command("write")
def write_cmd(
    to: Annotated[
        str | None,
        typer.Option("--to", help="The outbox folder (default: the outbox_dir setting)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help=f"Outcomes completed since this day (YYYY-MM-DD, today, yesterday; "
            f"default: {DEFAULT_DAYS} days ago).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write each completed outcome as a FHIR Bundle and an HTML summary, each with a .ctl."""
    from ehub_tui.export.outbox import Outbox, WriteResult

    with friendly_errors():
        current = connect.settings()
        folder = _folder(to, current.outbox_dir)
        svc = connect.ingesting()  # a person signs in, or the service account's token file
        try:
            first = _since(since, svc.today())
            outbox = Outbox(folder)
            outbox.prepare()
            result = WriteResult()
            page = svc.outbox_outcomes(first, 0, PAGE)
            with _progress(page.total, as_json) as tick:
                while True:
                    outbox.write(page.records, result, tick)
                    if page.next_after is None:
                        break
                    page = svc.outbox_outcomes(first, page.next_after, PAGE)
        finally:
            svc.close()
        data = summary(result, folder, first)
        emit(data, _render, as_json)
        if result.failed:
            raise typer.Exit(1)
