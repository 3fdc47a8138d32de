"""Running a hub: its practices and users (and their sign-ins), the hub database's password, the
schema upgrade.

Practices and users are workstation commands (``connect.client``: signed in on a hub server, the
system principal on an embedded hub). ``login`` and ``upgrade`` are hub-machine commands: they
use the hub's database directly (its settings name it), never a hub server.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ehub_tui.cli import connect
from ehub_tui.cli.connect import PasswordStdinOpt
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
from ehub_tui.cli.practices_files import import_ods_cmd, list_sizes_cmd
from ehub_tui.domain.types import Role
from ehub_tui.textsafe import literal

if TYPE_CHECKING:
    from ehub_tui.hub.auth import Auth
    from ehub_tui.service import HubService

practices_app = typer.Typer(help="The PCN's member practices.")
users_app = typer.Typer(help="Hub users and their roles.")
# --role and set-role take a Role by its value: the shell completes them and a misspelt one is
# refused before the hub is asked, naming the roles there are
ROLES_HELP = "The user's role."


@practices_app.command("import")
def practices_import(path: Path, as_json: JsonOpt = False) -> None:
    """Add or update practices from a YAML file (see fixtures/practices.yaml)."""
    with friendly_errors():
        from ehub_tui.practices import load_practices

        n = connect.client().import_practices(load_practices(path))
        emit({"imported": n}, lambda d: say(f"{d['imported']} practices imported."), as_json)


@practices_app.command("list")
def practices_list(as_json: JsonOpt = False) -> None:
    """List the member practices."""
    with friendly_errors():
        rows = connect.client().list_practices()
        emit(
            [r.__dict__ if hasattr(r, "__dict__") else slots(r) for r in rows], _practices, as_json
        )


# issue 16: the practices and their list sizes from the national files
practices_app.command("import-ods")(import_ods_cmd)
practices_app.command("list-sizes")(list_sizes_cmd)


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
    role: Annotated[Role, typer.Option("--role", help=ROLES_HELP, case_sensitive=False)] = (
        Role.NAVIGATOR
    ),
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Add a hub user."""
    with friendly_errors():
        # a shared hub's first admin is made on the hub machine (`ehub-tui hub init-admin`);
        # after that, only a signed-in admin adds users
        u = connect.client().add_user(username, role.value, name)
        emit(slots(u), lambda d: say(f"Added {d['username']} ({d['role']})."), as_json)


@users_app.command("set-role")
def users_set_role(
    username: str,
    role: Annotated[Role, typer.Argument(help=ROLES_HELP, case_sensitive=False)],
    as_json: JsonOpt = False,
) -> None:
    """Change a hub user's role (admins)."""
    with friendly_errors():
        u = connect.client().set_role(username, role.value)
        emit(slots(u), lambda d: say(f"{d['username']} is now a {d['role']}."), as_json)


@users_app.command("disable")
def users_disable(
    username: str,
    enable: Annotated[bool, typer.Option("--enable", help="Enable again instead.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Disable a hub user (they can no longer sign in); --enable to undo (admins)."""
    with friendly_errors():
        u = connect.client().set_active(username, enable)
        emit(
            slots(u),
            lambda d: say(f"{d['username']} is {'enabled' if d['active'] else 'disabled'}."),
            as_json,
        )


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List hub users."""
    with friendly_errors():
        rows = connect.client().list_users()
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


@users_app.command("reset-password")
def users_reset_password(
    username: str,
    must_change: Annotated[
        bool,
        typer.Option(
            "--must-change/--no-must-change",
            help="Make them choose a new password at their next sign-in (default: yes).",
        ),
    ] = True,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Set a user's password (admins); their sign-ins end. Asks for the new password twice."""
    with friendly_errors():
        hub = connect.client()
        if password_stdin:
            # the first line is the new password; on a hub server, sign in first (`ehub-tui
            # signin`): this command then uses the kept sign-in and asks for nothing else
            new = sys.stdin.readline().rstrip("\r\n")
        else:
            new = typer.prompt(
                f"New password for {username}",
                hide_input=True,
                confirmation_prompt="Repeat the new password",
                err=True,
            )
        if not new:
            raise CliError("the new password is empty: nothing was changed")
        from ehub_tui.service import HubService

        if isinstance(hub, HubService):
            _system_auth(hub).set_password(username, new, by=SYSTEM, must_change=must_change)
            ended = _system_auth(hub).revoke_all(username, by=SYSTEM)
        else:
            hub.reset_password(username, new, must_change)
            ended = None
        emit(
            {"user": username, "must_change": must_change, "sessions_ended": ended},
            lambda d: say(
                f"Password set for {d['user']}; their sign-ins are ended"
                + ("; they must change it when they next sign in." if d["must_change"] else ".")
            ),
            as_json,
        )


@users_app.command("sign-out-everywhere")
def users_sign_out_everywhere(username: str, as_json: JsonOpt = False) -> None:
    """End every sign-in of a user, on every device (admins)."""
    with friendly_errors():
        hub = connect.client()
        from ehub_tui.service import HubService

        if isinstance(hub, HubService):
            n = _system_auth(hub).revoke_all(username, by=SYSTEM)
        else:
            n = hub.sign_out_everywhere(username)
        emit(
            {"user": username, "sessions_ended": n},
            lambda d: say(f"{d['sessions_ended']} sign-in(s) of {d['user']} ended."),
            as_json,
        )


# who the audit names for a password reset or sign-out done on an embedded hub's file
SYSTEM = "system"


def _system_auth(hub: HubService) -> Auth:
    """Sign-in administration on an embedded hub, acting as the system principal (whoever can
    write the hub's file controls it anyway)."""
    from ehub_tui.hub.auth import Auth

    return Auth(hub.engine, hub.settings, hub.clock)


def login_cmd(
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    forget: Annotated[bool, typer.Option("--forget", help="Remove the stored password.")] = False,
) -> None:
    """Keep the hub database's password in the OS keyring (on the hub machine; never in a file)."""
    with friendly_errors():
        from ehub_tui import secrets

        settings = connect.hub_machine_settings()
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
            password = typer.prompt("Hub password", hide_input=True, err=True)
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

        settings = connect.hub_machine_settings()
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
