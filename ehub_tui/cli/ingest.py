"""``ehub-tui ingest``: supplier files into the hub once, or an inbox folder watched for them;
new consultations are screened for red flags as they arrive."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from ehub_tui.cli import connect
from ehub_tui.cli.output import (
    CliError,
    JsonOpt,
    err,
    friendly_errors,
    out,
    print_json,
    progress_bar,
    say,
)
from ehub_tui.textsafe import dumps, literal, one_line

if TYPE_CHECKING:
    from ehub_tui.cli.connect import Workstation
    from ehub_tui.ingest.reports import IngestReport
    from ehub_tui.ingest.runner import Ingester


def ingest_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders of FHIR JSON, NDJSON or CSV.")
    ] = None,
    watch: Annotated[
        Path | None,
        typer.Option("--watch", help="Keep ingesting files dropped into this inbox folder."),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between inbox checks.")
    ] = 2.0,
    recursive: Annotated[
        bool, typer.Option("--recursive", help="With --watch: read sub-folders of the inbox too.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Read online consultations into the hub; bad records are quarantined with a reason."""
    with friendly_errors():
        if not paths and watch is None:
            raise CliError("name at least one file or folder to ingest, or --watch DIR")
        from ehub_tui.ingest.runner import Ingester

        # the service account (a token file) on a hub server; see connect.ingesting
        service = connect.ingesting()
        # each stored batch is screened for red flags at once, written in bulk (issue 18)
        ingester = Ingester(service, settings=service.settings, screen_batches=True)
        if watch is not None:
            _watch(ingester, watch, interval, as_json, recursive, ctx.find_root().obj or {})
            return
        assert paths is not None
        report = _ingest_with_progress(ingester, paths, show=not as_json)
        # always: a file of patients' replies adds nothing new, yet each reply is screened
        # with its request (store.awaiting); with nothing waiting this is one query
        screened = ingester.screened + prescreen(ingester.service, show=not as_json)
        if as_json:
            print_json({**report.as_dict(), "screened": screened})
        else:
            _print_report(report)
            if screened:
                say(f"{screened} new consultation(s) screened for red flags.")
        if report.failed_files:
            raise typer.Exit(2)
        if report.quarantined:
            raise typer.Exit(1)


def _ingest_with_progress(ingester: Ingester, paths: list[Path], show: bool) -> IngestReport:
    if not show or not err.is_terminal:
        return ingester.ingest_paths(paths)
    with progress_bar() as progress:
        task = progress.add_task("ingesting", total=None)

        def on_progress(event: str, path: Path, done: int, total: int) -> None:
            if event in ("file", "file-bytes"):  # a streamed file's progress is in bytes
                progress.update(
                    task, description=f"ingesting {one_line(path.name)}", total=total, completed=0
                )
            else:
                progress.update(task, completed=done)

        return ingester.ingest_paths(paths, on_progress)


def prescreen(service: Workstation, show: bool) -> int:
    """Screen every new consultation for SOP red flags (raises their priority)."""
    guidance = service.guidance_state()
    if not guidance.available:
        say(("not screened for red flags:", "yellow"), " ", guidance.problem or "", console=err)
        return 0
    total = 0
    while True:
        n = service.prescreen(1000)
        total += n
        if n == 0:
            return total


def _print_report(report: IngestReport) -> None:
    t = Table(title="Ingest", title_justify="left")
    for col in ("file", "format", "records", "new", "duplicate", "quarantined"):
        t.add_column(col, justify="left" if col in ("file", "format") else "right")
    for f in report.files:
        # file names are whatever the sender chose: Text, never markup
        if f.error:
            t.add_row(literal(f.path), Text("unreadable", "red"), "-", "-", "-", "-")
        else:
            t.add_row(
                literal(f.path),
                literal(f.fmt),
                str(f.records),
                str(f.new),
                str(f.duplicate),
                str(f.quarantined),
            )
    d = report.as_dict()["totals"]
    t.add_row(
        Text("total", "bold"),
        "",
        str(d["records"]),
        str(d["new"]),
        str(d["duplicate"]),
        str(d["quarantined"]),
        end_section=True,
    )
    out.print(t)
    for f in report.failed_files:
        say(("not ingested:", "red"), " ", f.error or "", console=err)
    if report.quarantined:
        say(
            f"{report.quarantined} record(s) quarantined: see `ehub-tui quarantine list`.",
            console=err,
        )
    if report.conflicting:
        say(
            f"{report.conflicting} of them re-send a stored (source, id) with a different "
            "patient or request (conflicting duplicates): both are shown in `quarantine show`.",
            console=err,
        )
    _print_statuses(report)
    unknown = report.unknown_suppliers
    if unknown:
        # the names are supplier-sent text: shown literally here, never written into a return
        names = ", ".join(f"{name} ({n})" for name, n in sorted(unknown.items()))
        say(
            f"Suppliers not on the hub's list (returns count them as OTHER): {names}. Add real "
            "ones to `suppliers` in the settings.",
            console=err,
        )


def _print_statuses(report: IngestReport) -> None:
    """What the responses' statuses did (issue 16), one line of counts when any happened."""
    from ehub_tui.ingest.reports import STATUS_WORDS

    counts = {k: n for k, n in report.status_counts().items() if n}
    if not counts:
        return
    say("Response statuses: " + ", ".join(f"{n} {STATUS_WORDS[k]}" for k, n in counts.items()))
    if counts.get("flagged"):
        say(
            f"{counts['flagged']} item(s) the supplier withdrew after work began: nothing was "
            "changed; the board lists them and `quarantine list` holds each, to deal with.",
            console=err,
        )


def _watch(
    ingester: Ingester,
    inbox: Path,
    interval: float,
    as_json: bool,
    recursive: bool,
    log_options: dict[str, str | None],
) -> None:
    """Ingest files dropped into ``inbox`` as each becomes complete; see ehub_tui.ingest.watch.

    A file's outcome goes to standard output (a JSON line with ``--json``, the keys as before);
    notes (waiting, unfinished, not read, hub unavailable) go to standard error.
    """
    from ehub_tui.cli.start import configure_from_options
    from ehub_tui.ingest.watch import InboxError, run_watch
    from ehub_tui.ingest.watch_events import FileDone, WatchEvent

    settings = ingester.service.settings
    # a long-running watcher keeps its own log file (and JSON lines on stderr with
    # --log-format json), from the global options
    configure_from_options("watch", log_options)

    def emit(event: WatchEvent) -> None:
        if isinstance(event, FileDone) and as_json:
            sys.stdout.write(dumps(event.as_dict(), default=str) + "\n")
            sys.stdout.flush()
        elif isinstance(event, FileDone) and event.error:
            say(("failed:", "red"), " ", f"{event.error} → {event.moved_to}", console=err)
        elif isinstance(event, FileDone):
            say(event.message())
        else:
            say(event.message(), console=err)

    try:
        run_watch(
            ingester,
            inbox,
            settle_seconds=settings.watch_settle_seconds,
            interval=interval,
            emit=emit,
            recursive=recursive,
            max_file_bytes=settings.max_file_bytes,
            after_store=lambda: prescreen(ingester.service, show=False),
            # a long-running process returns expired claims too (at most every 30 s)
            every_poll=ingester.service.rescue_if_due,
        )
    except InboxError as exc:
        raise CliError(str(exc)) from None
