"""Running a hub: its practices and users, the shared hub's password, the schema upgrade."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ehub_tui.cli import connect
from ehub_tui.cli.output import (
    CliError,
    JsonOpt,
    emit,
    friendly_errors,
    out,
    print_json,
    say,
    slots,
)
from ehub_tui.domain.types import Role
from ehub_tui.textsafe import literal

practices_app = typer.Typer(help="The PCN's member practices.")
users_app = typer.Typer(help="Hub users and their roles.")
ROLES_HELP = "|".join(r.value for r in Role)


@practices_app.command("import")
def practices_import(path: Path, as_json: JsonOpt = False) -> None:
    """Add or update practices from a YAML file (see fixtures/practices.yaml)."""
    with friendly_errors():
        from ehub_tui.practices import load_practices

        n = connect.service().import_practices(load_practices(path))
        emit({"imported": n}, lambda d: say(f"{d['imported']} practices imported."), as_json)


@practices_app.command("list")
def practices_list(as_json: JsonOpt = False) -> None:
    """List the member practices."""
    with friendly_errors():
        rows = connect.service().list_practices()
        emit(
            [r.__dict__ if hasattr(r, "__dict__") else slots(r) for r in rows], _practices, as_json
        )


def _practices(rows: list[dict[str, Any]]) -> None:
    t = Table(title="Practices", title_justify="left")
    for col in ("ODS", "name", "PCN", "list size"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            literal(r["ods_code"]),
            literal(r["name"]),
            literal(r["pcn_name"]),
            f"{r['list_size']:,}",
        )
    out.print(t)


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option("--role", help=ROLES_HELP)] = "navigator",
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Add a hub user."""
    with friendly_errors():
        service = connect.service(bootstrap=True)
        if service.user is None and not service.settings.is_embedded and role != "admin":
            raise CliError("the first user of a shared hub must be an admin: add --role admin")
        u = service.add_user(username, role, name)
        emit(slots(u), lambda d: say(f"Added {d['username']} ({d['role']})."), as_json)


@users_app.command("set-role")
def users_set_role(
    username: str,
    role: Annotated[str, typer.Argument(help=ROLES_HELP)],
    as_json: JsonOpt = False,
) -> None:
    """Change a hub user's role (admins)."""
    with friendly_errors():
        u = connect.service().set_role(username, role)
        emit(slots(u), lambda d: say(f"{d['username']} is now a {d['role']}."), as_json)


@users_app.command("disable")
def users_disable(
    username: str,
    enable: Annotated[bool, typer.Option("--enable", help="Enable again instead.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Disable a hub user (they can no longer sign in); --enable to undo (admins)."""
    with friendly_errors():
        u = connect.service().set_active(username, enable)
        emit(
            slots(u),
            lambda d: say(f"{d['username']} is {'enabled' if d['active'] else 'disabled'}."),
            as_json,
        )


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List hub users."""
    with friendly_errors():
        rows = connect.service().list_users()
        emit([slots(u) for u in rows], _users, as_json)


def _users(rows: list[dict[str, Any]]) -> None:
    t = Table(title="Users", title_justify="left")
    for col in ("user", "name", "role", "active"):
        t.add_column(col)
    for u in rows:
        t.add_row(
            literal(u["username"]),
            literal(u["display_name"]),
            literal(u["role"]),
            "yes" if u["active"] else "no",
        )
    out.print(t)


def login_cmd(
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    forget: Annotated[bool, typer.Option("--forget", help="Remove the stored password.")] = False,
) -> None:
    """Keep the shared hub's password in the OS keyring (never in a file)."""
    with friendly_errors():
        from ehub_tui import secrets

        settings = connect.settings()
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


def upgrade_cmd(as_json: JsonOpt = False) -> None:
    """Bring the hub's schema up to date (also done automatically at start-up)."""
    with friendly_errors():
        from ehub_tui.store.engine import Timeouts, create_hub_engine
        from ehub_tui.store.migrate import HEAD, upgrade

        settings = connect.settings()
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
            print_json({"upgraded": changed, "revision": HEAD})
        else:
            say(f"Schema {'upgraded to' if changed else 'already at'} revision {HEAD}.")
