"""The `ehub-tui` command line. Textual is imported only by the commands that open the app."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ehub_tui import __version__
from ehub_tui.domain.types import Role
from ehub_tui.textsafe import dumps, literal, one_line

app = typer.Typer(
    name="ehub-tui",
    help="A terminal app for PCN eHubs: a shared queue of online consultations, "
    "SOP-guided triage, and daily returns.",
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    add_completion=False,
)
quarantine_app = typer.Typer(help="Records that could not be stored, with their reasons.")
audit_app = typer.Typer(help="The append-only audit chain.")
practices_app = typer.Typer(help="The PCN's member practices.")
users_app = typer.Typer(help="Hub users and their roles.")
fixtures_app = typer.Typer(help="Synthetic consultations for demos and benchmarks.")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(audit_app, name="audit")
app.add_typer(practices_app, name="practices")
app.add_typer(users_app, name="users")
app.add_typer(fixtures_app, name="fixtures")


def _register_sops() -> None:
    from ehub_tui.sop.cli import sops_app

    app.add_typer(sops_app, name="sops")


_register_sops()


def _register_export() -> None:
    from ehub_tui.export.command import export_cmd

    app.command("export")(export_cmd)


_register_export()

out = Console()
err = Console(stderr=True)

REPO_ROOT = Path(__file__).resolve().parent.parent
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ROLES_HELP = "|".join(r.value for r in Role)


class CliError(Exception):
    """A problem to report in one plain sentence, with an exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error and exit non-zero."""
    # a Text, never markup: a message may quote input or hub data holding [brackets] or escape
    # sequences, and is shown as written
    err.print(
        Text.assemble(("error:", "bold red"), " ", literal(message, multiline=True)), soft_wrap=True
    )
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn the errors a person can act on into one message and an exit code; never a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from ehub_tui.config import ConfigError
    from ehub_tui.ingest.parsers import FileError
    from ehub_tui.practices import PracticesFileError
    from ehub_tui.store.engine import StoreError

    try:
        yield
    except typer.Exit:
        raise
    except CliError as exc:
        fail(str(exc), exc.code)
    except (ConfigError, StoreError, FileError, PracticesFileError) as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        fail(f"the hub store refused the operation: {text[0] if text else type(exc).__name__}")
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        fail(f"{where}{exc.strerror or exc}")
    except Exception as exc:  # last resort: still no traceback unless asked for
        if os.environ.get("EHUB_TUI_DEBUG"):
            raise
        fail(f"unexpected {type(exc).__name__}: {exc} (set EHUB_TUI_DEBUG=1 for details)", 70)


def _settings(config: Path | None = None, **overrides: Any) -> Any:
    from ehub_tui.config import load_settings

    return load_settings(config, **overrides)


def _service(user: str | None = None, *, bootstrap: bool = False) -> Any:
    """The hub service for a CLI command.

    On an embedded (SQLite) hub the command acts as the system principal: whoever can write the
    file controls the hub anyway. On a shared hub the command signs in as the OS user (or
    ``user``), so roles apply; ``bootstrap`` lets the very first admin be created.
    """
    from ehub_tui.service import HubService, PermissionDenied

    settings = _settings()
    if settings.is_embedded and user is None:
        return HubService.open(settings)
    who = user or HubService.os_username()
    try:
        return HubService.open(settings, who)
    except PermissionDenied:
        if bootstrap:
            service = HubService.open(settings)
            if not service.has_users():
                return service
            service.close()
        raise


def _local(value: Any) -> str:
    """A stored UTC time as UK local time for people (JSON output keeps ISO UTC)."""
    from datetime import datetime

    from ehub_tui.domain.clock import LONDON

    if isinstance(value, datetime):
        return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S %Z")
    return "" if value is None else str(value)


def _print_json(data: Any) -> None:
    # textsafe.dumps: readable UTF-8, but C1 controls and bidi marks as \u escapes
    sys.stdout.write(dumps(data, indent=2, default=str) + "\n")


def say(*parts: str | tuple[str, str] | Text, console: Console | None = None) -> None:
    """Print one message built of plain strings (hub text allowed: shown as written, control
    characters visible), (text, style) pairs and Texts; never read as markup."""
    line = Text()
    for part in parts:
        if isinstance(part, Text):
            line.append_text(part)
        elif isinstance(part, tuple):
            line.append_text(literal(part[0], part[1], multiline=True))
        else:
            line.append_text(literal(part, multiline=True))
    (console or out).print(line, soft_wrap=True)


# -- default: open the app ---------------------------------------------------------------------


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="Hub user (embedded demo hub only).")
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False,
) -> None:
    """Open the app for the signed-in user (with no sub-command)."""
    if version:
        say(f"ehub-tui {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is not None:
        return
    with friendly_errors():
        settings = _settings()
        if user and not settings.is_embedded:
            raise CliError(
                "--user is only allowed on an embedded (SQLite) hub; "
                "on a shared hub you are your OS login"
            )
        from ehub_tui.service import HubService

        who = user or settings.user or HubService.os_username()
        service = _service(who)
        if not sys.stdout.isatty():
            raise CliError("the app needs a terminal; for a summary use `ehub-tui queue`")
        from ehub_tui.ui.app import make_app  # Textual is imported only here

        make_app(service).run()


def _show_queue(service: Any, as_json: bool) -> None:
    summary = service.queue_summary()
    practices = {p.ods_code: p.name for p in service.list_practices()}
    if as_json:
        _print_json(summary.as_dict())
        return
    t = Table(title="Hub queue", title_justify="left")
    t.add_column("status")
    t.add_column("items", justify="right")
    for st, n in summary.by_status.items():
        t.add_row(literal(st), str(n))
    out.print(t)
    if summary.queued_by_practice:
        p = Table(title="Queued by practice", title_justify="left")
        p.add_column("ODS")
        p.add_column("practice")
        p.add_column("queued", justify="right")
        for ods, n in sorted(summary.queued_by_practice.items()):
            p.add_row(literal(ods), literal(practices.get(ods, "?")), str(n))
        out.print(p)
    pr = summary.queued_by_priority
    say(
        f"Queued: {pr.get(2, 0)} emergency, {pr.get(1, 0)} urgent, {pr.get(0, 0)} routine. "
        f"Open quarantine: {summary.quarantined_open}."
    )


@app.command("queue")
def queue_cmd(as_json: JsonOpt = False) -> None:
    """Print a summary of the hub's queue."""
    with friendly_errors():
        _show_queue(_service(), as_json)


# -- demo hub ----------------------------------------------------------------------------------

DEMO_USERS = [
    ("nav1", "navigator", "Priya Shah"),
    ("nav2", "navigator", "Tom Fletcher"),
    ("nav3", "navigator", "Aisha Bello"),
    ("sup1", "supervisor", "Grace O'Neill"),
    ("author1", "sop_author", "Dr Ewan Price"),
    ("clin1", "clinical_approver", "Dr Nadia Rahman"),
    ("admin1", "admin", "Hub Admin"),
    ("mgr1", "manager", "Sam Okoro"),
]


@app.command("demo")
def demo_cmd(
    reset: Annotated[bool, typer.Option("--reset", help="Start the demo hub afresh.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build the embedded demo hub: practices, demo users and the fixture consultations."""
    with friendly_errors():
        settings = _settings()
        if not settings.is_embedded:
            raise CliError("the demo hub is embedded (SQLite): unset hub_url / EHUB_TUI_HUB_URL")
        if not os.environ.get("EHUB_TUI_HOME"):
            raise CliError(
                "the demo hub is built in a folder of its own, never in your real hub: set "
                "EHUB_TUI_HOME=DIR first (make run uses .demo/)"
            )
        db = Path(settings.database_url.removeprefix("sqlite:///"))
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
        result = build_demo(_service())
        if as_json:
            _print_json(result)
        else:
            say(
                f"Demo hub at {db}: {result['practices']} practices, {result['users']} users, "
                f"{result['new']} new consultations ({result['duplicate']} already there, "
                f"{result['quarantined']} quarantined)."
            )


def build_demo(service: Any) -> dict[str, Any]:
    """Load practices, users and fixtures into a hub (idempotent)."""
    from ehub_tui.ingest.runner import Ingester
    from ehub_tui.practices import load_practices

    fixtures = REPO_ROOT / "fixtures"
    n_practices = service.import_practices(load_practices(fixtures / "practices.yaml"))
    existing = {u.username for u in service.list_users()}
    users = list(DEMO_USERS)
    me = service.os_username()
    if me not in {u for u, _, _ in users}:
        users.append((me, "navigator", f"{me} (this computer's user)"))
    for username, role, name in users:
        if username not in existing:
            service.add_user(username, role, name)
    report = Ingester(service, settings=service.settings).ingest_paths([fixtures / "oc"])
    _prescreen(service, show=False)
    return {
        "practices": n_practices,
        "users": len(users),
        "new": report.new,
        "duplicate": report.duplicate,
        "quarantined": report.quarantined,
    }


# -- ingest ------------------------------------------------------------------------------------


@app.command("ingest")
def ingest_cmd(
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

        service = _service()
        ingester = Ingester(service, settings=service.settings)
        if watch is not None:
            _watch(ingester, watch, interval, as_json, recursive)
            return
        assert paths is not None
        report = _ingest_with_progress(ingester, paths, show=not as_json)
        screened = _prescreen(ingester.service, show=not as_json) if report.new else 0
        if as_json:
            _print_json({**report.as_dict(), "screened": screened})
        else:
            _print_report(report)
            if screened:
                say(f"{screened} new consultation(s) screened for red flags.")
        if report.failed_files:
            raise typer.Exit(2)
        if report.quarantined:
            raise typer.Exit(1)


def progress_bar() -> Any:
    """The CLI's progress bar on standard error (description, bar, n/total, time); it goes
    when done."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}", markup=False),  # descriptions name files: not markup
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _ingest_with_progress(ingester: Any, paths: list[Path], show: bool) -> Any:
    if not show or not err.is_terminal:
        return ingester.ingest_paths(paths)
    with progress_bar() as progress:
        task = progress.add_task("ingesting", total=None)

        def on_progress(event: str, path: Path, done: int, total: int) -> None:
            if event == "file":
                progress.update(
                    task, description=f"ingesting {one_line(path.name)}", total=total, completed=0
                )
            else:
                progress.update(task, completed=done)

        return ingester.ingest_paths(paths, on_progress)


def _prescreen(service: Any, show: bool) -> int:
    """Screen every new consultation for SOP red flags (raises their priority)."""
    if service.sops.engine is None:
        say(
            ("not screened for red flags:", "yellow"),
            " ",
            service.sops.last_problem or "",
            console=err,
        )
        return 0
    total = 0
    while True:
        n = service.prescreen(1000)
        total += n
        if n == 0:
            return total


def _print_report(report: Any) -> None:
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
    unknown = report.unknown_suppliers
    if unknown:
        # the names are supplier-sent text: shown literally here, never written into a return
        names = ", ".join(f"{name} ({n})" for name, n in sorted(unknown.items()))
        say(
            f"Suppliers not on the hub's list (returns count them as OTHER): {names}. Add real "
            "ones to `suppliers` in the settings.",
            console=err,
        )


def _watch(ingester: Any, inbox: Path, interval: float, as_json: bool, recursive: bool) -> None:
    """Ingest files dropped into ``inbox`` as each becomes complete; see ehub_tui.ingest.watch.

    A file's outcome goes to standard output (a JSON line with ``--json``, the keys as before);
    notes (waiting, unfinished, not read, hub unavailable) go to standard error.
    """
    from ehub_tui.ingest.watch import FileDone, InboxError, WatchEvent, run_watch

    settings = ingester.service.settings

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
            after_store=lambda: _prescreen(ingester.service, show=False),
            # a long-running process returns expired claims too (at most every 30 s)
            every_poll=ingester.service.rescue_if_due,
        )
    except InboxError as exc:
        raise CliError(str(exc)) from None


# -- quarantine --------------------------------------------------------------------------------


@quarantine_app.command("list")
def quarantine_list(
    all_: Annotated[bool, typer.Option("--all", help="Include released and discarded.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List quarantined records and why they were kept aside."""
    with friendly_errors():
        rows = _service().list_quarantine(None if all_ else "open")
        if as_json:
            _print_json(rows)
            return
        if not rows:
            say("No quarantined records." if not all_ else "Quarantine is empty.")
            return
        t = Table(title="Quarantine", title_justify="left")
        for col in ("id", "status", "file", "where", "reason"):
            t.add_column(col, overflow="fold")
        for r in rows:
            # a reason quotes the record (an id, a practice code): Text, never markup
            t.add_row(
                str(r["id"]),
                literal(r["status"]),
                literal(r["source_file"]),
                literal(r["location"]),
                literal(r["reason"]),
            )
        out.print(t)


@quarantine_app.command("show")
def quarantine_show(
    qid: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="Quarantine id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one quarantined record with its raw text."""
    with friendly_errors():
        row = _service().get_quarantine(qid)
        if as_json:
            _print_json(row)
            return
        for key in (
            "id",
            "status",
            "source_file",
            "location",
            "reason",
            "fmt",
            "source",
            "external_id",
            "created_at",
            "resolved_at",
            "consultation_id",
        ):
            say((f"{key}:", "bold"), " ", one_line(_local(row[key])))
        say(("raw:", "bold"))
        # the raw record as received: every line of it, its escape sequences shown (␛[2J),
        # never sent to the terminal
        say(row["raw"] or "")


@quarantine_app.command("retry")
def quarantine_retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Quarantine ids (default: all open).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Try quarantined records again, e.g. after adding a missing practice."""
    with friendly_errors():
        from ehub_tui.ingest.runner import Ingester

        service = _service()
        targets = ids or [r["id"] for r in service.list_quarantine("open")]
        ing = Ingester(service, settings=service.settings)
        results: list[dict[str, Any]] = []
        for qid in targets:
            outcome, problems = ing.retry_quarantined(qid)
            results.append({"id": qid, "result": outcome, "problems": problems})
        if as_json:
            _print_json(results)
        else:
            if not results:
                say("Nothing to retry.")
            for r in results:
                extra = f": {'; '.join(r['problems'])}" if r["problems"] else ""
                say(f"{r['id']}: {r['result']}{extra}")
        if any(r["result"] == "still_bad" for r in results):
            raise typer.Exit(1)


@quarantine_app.command("discard")
def quarantine_discard(
    qid: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="Quarantine id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is not to be stored.")],
    as_json: JsonOpt = False,
) -> None:
    """Close a quarantined record without storing it (e.g. a supplier's test message)."""
    with friendly_errors():
        _service().discard_quarantined(qid, reason)
        if as_json:
            _print_json({"id": qid, "result": "discarded"})
        else:
            say(f"Quarantined record {qid} discarded.")


# -- audit -------------------------------------------------------------------------------------


def _hub_settings(hub: str | None) -> Any:
    """Settings for a command that reads a named hub: a path is a SQLite hub file (a backup)."""
    if hub is None:
        return _settings()
    if "://" in hub:
        return _settings(hub_url=hub)
    return _settings(hub_url=f"sqlite:///{Path(hub).expanduser().resolve()}")


HubOpt = Annotated[
    str | None,
    typer.Option(
        "--hub",
        help="Check this hub instead: a SQLite file (e.g. a backup) or a database URL.",
        show_default=False,
    ),
]


@audit_app.command("verify")
def audit_verify(
    hub: HubOpt = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            help="The hub's public key (from `ehub-tui audit key`; repeat for an old and a new "
            "key); default: the hub machine's own key file.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the audit: the chain, every signed checkpoint, and every row against the chain.

    Exit 0 intact, 1 something does not hold (each problem named), 2 no such hub.
    """
    from ehub_tui.service import HubMissing, HubService

    with friendly_errors():
        settings = _hub_settings(hub)
        try:
            who = None if settings.is_embedded else HubService.os_username()
            service = HubService.open(settings, who, create=False)
        except HubMissing as exc:
            fail(str(exc), 2)
        try:
            # a copy named with --hub is checked without the live hub's anchor
            result = service.verify_audit(public_key or [], use_anchor=hub is None)
        finally:
            service.close()
        if as_json:
            _print_json(result.as_dict())
        elif result.ok:
            out.print(
                f"Audit intact: {result.events} events, {result.checkpoints} signed "
                f"checkpoints, {result.rows} rows match the chain.",
                highlight=False,
            )
        else:
            at = f" at event {result.first_bad_seq}" if result.first_bad_seq else ""
            err.print(
                Text.assemble((f"Audit broken{at}:", "bold red"), " ", literal(result.reason)),
                soft_wrap=True,
            )
            count = len(result.problems) + result.more_problems
            err.print(f"{count} problem(s) found:", highlight=False)
            for problem in result.problems:
                err.print(Text.assemble(f"  [{problem.check}] ", literal(str(problem))))
            if result.more_problems:
                err.print(f"  … and {result.more_problems} more", highlight=False)
        if not as_json:
            for warning in result.warnings:
                err.print(Text.assemble(("note:", "yellow"), " ", literal(warning)))
        if not result.ok:
            raise typer.Exit(1)


@audit_app.command("key")
def audit_key(
    create: Annotated[
        bool,
        typer.Option("--create", help="Make the hub's signing key (on the hub machine, once)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Print the hub's audit public key (give it to whoever verifies the audit)."""
    from ehub_tui.store import checkpoints

    with friendly_errors():
        service = _service()
        try:
            signer = service.audit_key(create=create)
        finally:
            service.close()
        pem = checkpoints.public_pem(signer.public)
        if as_json:
            _print_json({"key_id": signer.key_id, "public_key": pem, "path": str(signer.path)})
            return
        err.print(
            Text(
                f"Audit signing key {signer.key_id} (private key: {signer.path}, never "
                "copy it off the hub machine). The public key:"
            )
        )
        out.print(Text(pem.rstrip("\n")))


@audit_app.command("checkpoint")
def audit_checkpoint(as_json: JsonOpt = False) -> None:
    """Sign the audit chain's head now (run daily on the hub machine, e.g. from a timer)."""
    with friendly_errors():
        service = _service()
        try:
            row = service.audit_checkpoint()
        finally:
            service.close()
        if as_json:
            _print_json({"seq": row.seq, "hash": row.hash, "key_id": row.key_id})
        else:
            out.print(f"Signed the audit chain at event {row.seq} with key {row.key_id}.")


@audit_app.command("log")
def audit_log(
    item: Annotated[int | None, typer.Option("--item", help="Only this consultation.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show recent audit events, newest first."""
    with friendly_errors():
        rows = _service().audit_events(item, limit)
        if as_json:
            _print_json(rows)
            return
        t = Table(title="Audit", title_justify="left")
        for col in ("seq", "at", "actor", "action", "item", "detail"):
            t.add_column(col, overflow="fold")
        for r in rows:
            # every cell a Text: actors, ids and reasons are hub data, never markup
            t.add_row(
                str(r["seq"]),
                _local(r["at"]),
                literal(r["actor"]),
                literal(r["action"]),
                str(r["consultation_id"] or ""),
                literal(dumps(r["body"])),
            )
        out.print(t)


# -- practices and users -----------------------------------------------------------------------


@practices_app.command("import")
def practices_import(path: Path, as_json: JsonOpt = False) -> None:
    """Add or update practices from a YAML file (see fixtures/practices.yaml)."""
    with friendly_errors():
        from ehub_tui.practices import load_practices

        n = _service().import_practices(load_practices(path))
        if as_json:
            _print_json({"imported": n})
        else:
            say(f"{n} practices imported.")


@practices_app.command("list")
def practices_list(as_json: JsonOpt = False) -> None:
    """List the member practices."""
    with friendly_errors():
        rows = _service().list_practices()
        if as_json:
            _print_json([r.__dict__ if hasattr(r, "__dict__") else _slots(r) for r in rows])
            return
        t = Table(title="Practices", title_justify="left")
        for col in ("ODS", "name", "PCN", "list size"):
            t.add_column(col)
        for r in rows:
            t.add_row(literal(r.ods_code), literal(r.name), literal(r.pcn_name), f"{r.list_size:,}")
        out.print(t)


def _slots(obj: Any) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in obj.__slots__}


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option("--role", help=ROLES_HELP)] = "navigator",
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Add a hub user."""
    with friendly_errors():
        service = _service(bootstrap=True)
        if service.user is None and not service.settings.is_embedded and role != "admin":
            raise CliError("the first user of a shared hub must be an admin: add --role admin")
        u = service.add_user(username, role, name)
        if as_json:
            _print_json(_slots(u))
        else:
            say(f"Added {u.username} ({u.role}).")


@users_app.command("set-role")
def users_set_role(
    username: str,
    role: Annotated[str, typer.Argument(help=ROLES_HELP)],
    as_json: JsonOpt = False,
) -> None:
    """Change a hub user's role (admins)."""
    with friendly_errors():
        u = _service().set_role(username, role)
        if as_json:
            _print_json(_slots(u))
        else:
            say(f"{u.username} is now a {u.role}.")


@users_app.command("disable")
def users_disable(
    username: str,
    enable: Annotated[bool, typer.Option("--enable", help="Enable again instead.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Disable a hub user (they can no longer sign in); --enable to undo (admins)."""
    with friendly_errors():
        u = _service().set_active(username, enable)
        if as_json:
            _print_json(_slots(u))
        else:
            say(f"{u.username} is {'enabled' if u.active else 'disabled'}.")


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List hub users."""
    with friendly_errors():
        rows = _service().list_users()
        if as_json:
            _print_json([_slots(u) for u in rows])
            return
        t = Table(title="Users", title_justify="left")
        for col in ("user", "name", "role", "active"):
            t.add_column(col)
        for u in rows:
            t.add_row(
                literal(u.username),
                literal(u.display_name),
                literal(u.role),
                "yes" if u.active else "no",
            )
        out.print(t)


# -- login -------------------------------------------------------------------------------------


@app.command("login")
def login_cmd(
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    forget: Annotated[bool, typer.Option("--forget", help="Remove the stored password.")] = False,
) -> None:
    """Keep the shared hub's password in the OS keyring (never in a file)."""
    with friendly_errors():
        from ehub_tui import secrets

        settings = _settings()
        if settings.is_embedded:
            raise CliError("this hub is an embedded SQLite file: it needs no password")
        url = settings.database_url
        if forget:
            gone = secrets.forget_password(url)
            say("Password removed." if gone else "No password was stored.")
            return
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("Hub password", hide_input=True)
        if not password:
            raise CliError("an empty password was not stored")
        try:
            secrets.store_password(url, password)
        except Exception as exc:
            raise CliError(f"the OS keyring could not store the password: {exc}") from exc
        say(f"Password stored in the OS keyring for {secrets.account_for(url)}.")


# -- fixtures ----------------------------------------------------------------------------------


@fixtures_app.command("generate")
def fixtures_generate(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many OCs.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same file).")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="ndjson | csv | bundle")] = "ndjson",
    out_path: Annotated[Path, typer.Option("--out", "-o", help="File to write.")] = Path(
        "generated.ndjson"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Write a large deterministic set of synthetic OCs for demos and benchmarks."""
    with friendly_errors():
        from ehub_tui.ingest import generate

        writers = {
            "ndjson": generate.write_ndjson,
            "csv": generate.write_csv,
            "bundle": generate.write_bundle,
        }
        if fmt not in writers:
            raise CliError(f"unknown format {fmt!r}: use ndjson, csv or bundle")
        if out_path.is_dir():
            raise CliError(f"{out_path}: is a folder; name a file to write")
        if out_path.parent and not out_path.parent.exists():
            raise CliError(f"{out_path.parent}: folder does not exist")
        n = writers[fmt](generate.generate_records(count, seed), out_path)
        if as_json:
            _print_json({"written": n, "path": str(out_path), "format": fmt, "seed": seed})
        else:
            say(f"Wrote {n} consultations to {out_path} ({fmt}, seed {seed}).")


@app.command("upgrade")
def upgrade_cmd(as_json: JsonOpt = False) -> None:
    """Bring the hub's schema up to date (also done automatically at start-up)."""
    with friendly_errors():
        from ehub_tui.store.engine import Timeouts, create_hub_engine
        from ehub_tui.store.migrate import HEAD, upgrade

        settings = _settings()
        # a migration may rightly run for minutes on a large hub: no statement timeout (a hub
        # that stops answering is still noticed)
        timeouts = Timeouts(
            connect_seconds=settings.connect_timeout_seconds,
            statement_seconds=None,
            sqlite_busy_seconds=settings.sqlite_busy_timeout_seconds,
        )
        engine = create_hub_engine(settings.database_url, timeouts=timeouts)
        try:
            changed = upgrade(engine)
        finally:
            engine.dispose()
        if as_json:
            _print_json({"upgraded": changed, "revision": HEAD})
        else:
            say(f"Schema {'upgraded to' if changed else 'already at'} revision {HEAD}.")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
