"""``ehub-tui`` with no command (open the app) and ``ehub-tui queue`` (the queue's summary).

Textual is imported only when the app is opened.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ehub_tui import __version__
from ehub_tui.cli import connect
from ehub_tui.cli.output import CliError, JsonOpt, fail, friendly_errors, out, print_json, say
from ehub_tui.textsafe import literal

if TYPE_CHECKING:
    from ehub_tui.logs import Kind
    from ehub_tui.service import HubService

log = logging.getLogger(__name__)


def main_callback(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="Hub user (embedded demo hub only).")
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False,
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level",
            help="debug, info, warning or error (default: warning for commands, info for the app"
            " and the watcher).",
        ),
    ] = None,
    log_format: Annotated[
        str,
        typer.Option("--log-format", help="text, or json (one object a line, for journald)."),
    ] = "text",
) -> None:
    """Open the app for the signed-in user (with no sub-command)."""
    if version:
        say(f"ehub-tui {__version__}")
        raise typer.Exit(0)
    ctx.obj = {"log_level": log_level, "log_format": log_format}
    # a command logs to stderr; the app (below) and the watcher (cli/ingest.py) to their files
    configure_from_options("cli" if ctx.invoked_subcommand is not None else "app", ctx.obj)
    if ctx.invoked_subcommand is not None:
        return
    with friendly_errors():
        settings = connect.settings()
        if user and not settings.is_embedded:
            raise CliError(
                "--user is only allowed on an embedded (SQLite) hub; "
                "on a shared hub you are your OS login"
            )
        from ehub_tui.service import HubService

        who = user or settings.user or HubService.os_username()
        service = connect.service(who)
        if not sys.stdout.isatty():
            raise CliError("the app needs a terminal; for a summary use `ehub-tui queue`")
        from ehub_tui.ui.app import make_app  # Textual is imported only here

        log.info(
            "app started: ehub-tui %s, user %s, %s hub",
            __version__,
            who,
            "embedded" if settings.is_embedded else "shared",
        )
        make_app(service).run()
        log.info("app stopped")


def configure_from_options(kind: Kind, options: dict[str, str | None]) -> None:
    """Logging for this process from the global --log-level/--log-format (exit 2 if unknown)."""
    from ehub_tui.logs import configure_logging

    fmt = (options.get("log_format") or "text").lower()
    level = options.get("log_level")
    try:
        if fmt not in ("text", "json"):
            raise ValueError(f"--log-format must be text or json (got {fmt!r})")
        configure_logging(kind, level=level.lower() if level else None, fmt=fmt)  # type: ignore[arg-type]
    except ValueError as exc:
        fail(str(exc))


def show_queue(service: HubService, as_json: bool) -> None:
    """The queue by status and by practice, and what is waiting by priority."""
    summary = service.queue_summary()
    practices = {p.ods_code: p.name for p in service.list_practices()}
    if as_json:
        print_json(summary.as_dict())
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


def queue_cmd(as_json: JsonOpt = False) -> None:
    """Print a summary of the hub's queue."""
    with friendly_errors():
        show_queue(connect.client(), as_json)
