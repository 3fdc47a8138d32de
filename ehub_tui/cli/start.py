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
    from ehub_tui.cli.connect import Workstation
    from ehub_tui.client.service import ClientService
    from ehub_tui.logs import Kind

log = logging.getLogger(__name__)


def main_callback(
    ctx: typer.Context,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", "-u", help="On the demo hub only: open the app signed in as this demo user."
        ),
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
    """Open the app on its sign-in screen (with no sub-command)."""
    if version:
        say(f"ehub-tui {__version__}")
        raise typer.Exit(0)
    # --user is read again by `demo --serve`, which opens the app itself
    ctx.obj = {"log_level": log_level, "log_format": log_format, "user": user}
    # a command logs to stderr; the app (below) and the watcher (cli/ingest.py) to their files
    configure_from_options("cli" if ctx.invoked_subcommand is not None else "app", ctx.obj)
    if ctx.invoked_subcommand is not None:
        return
    with friendly_errors():
        settings = connect.settings()
        from ehub_tui.cli import demohub

        hint = demohub.demo_hint(settings)
        if user and hint is None:
            raise CliError(
                "--user signs in without a password only on the demo hub (made by `ehub-tui "
                "demo`); on this hub, sign in on the app's sign-in screen"
            )
        if not sys.stdout.isatty():
            raise CliError("the app needs a terminal; for a summary use `ehub-tui queue`")
        service = connect.open_hub(settings)
        open_app(service, user=user, demo=hint is not None, shared=not settings.is_embedded)


def open_app(service: ClientService, *, user: str | None, demo: bool, shared: bool) -> None:
    """Run the app over ``service`` (in-process or HTTPS) on its sign-in screen; on a demo hub
    ``user`` is signed in first with the demo password."""
    from ehub_tui.cli import demohub as demo_mod

    try:
        if user:
            service.sign_in(user, demo_mod.DEMO_PASSWORD)
        from ehub_tui.ui.app import make_app  # Textual is imported only here

        # who signs in is logged by the hub's audit, not here (the app starts signed out)
        log.info(
            "app started: ehub-tui %s, %s hub%s",
            __version__,
            "shared" if shared else "embedded",
            ", demo" if demo else "",
        )
        make_app(service, demo_hint=demo_mod.HINT if demo else None).run()
        log.info("app stopped")
    finally:
        service.close()


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


def show_queue(service: Workstation, as_json: bool) -> None:
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
