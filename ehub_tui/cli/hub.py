"""``ehub-tui hub``: commands for the hub machine — serve the API, create the first admin, issue
the ingest watcher's service token.

Each opens the hub's own database from the settings (``hub_url``) as the system principal: whoever
can write that database controls the hub, so no sign-in is asked for — and a workstation, which
reaches its hub through ``hub_server_url`` and holds no database URL, is refused.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ehub_tui.cli import connect
from ehub_tui.cli.output import CliError, JsonOpt, err, friendly_errors, print_json, say

if TYPE_CHECKING:
    from ehub_tui.config import Settings
    from ehub_tui.hub.core import HubCore

hub_app = typer.Typer(help="The hub server (run these on the hub machine).")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="The hub's settings file (default: the usual one).", show_default=False
    ),
]


def _hub_settings(config: Path | None) -> Settings:
    current = connect.settings(config)
    if current.uses_server:
        raise CliError(
            "this command runs on the hub machine against the hub's database (hub_url); this "
            "computer reaches its hub through hub_server_url"
        )
    return current


def _open_core(current: Settings) -> HubCore:
    from ehub_tui.hub.core import HubCore

    return HubCore.open(current)


@hub_app.command("serve")
def serve_cmd(
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Listen on this address (default: hub_listen_host).", show_default=False
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=1,
            max=65535,
            help="Listen on this port (default: hub_listen_port).",
            show_default=False,
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the hub API over HTTPS until Ctrl+C (TLS from tls_cert_file and tls_key_file)."""
    with friendly_errors():
        from ehub_tui.hub.serve import serve, tls_files

        current = _hub_settings(config)
        tls_files(current)  # a missing certificate is said before the database is opened
        core = _open_core(current)
        try:
            where = f"{host or current.hub_listen_host}:{port or current.hub_listen_port}"
            say(f"Serving the hub at https://{where} (Ctrl+C stops it).", console=err)
            serve(core, host=host, port=port)
        finally:
            core.close()


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        given = sys.stdin.readline().rstrip("\r\n")
        if not given:
            raise CliError("no password on standard input")
        return given
    typed: str = typer.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    return typed


@hub_app.command("init-admin")
def init_admin_cmd(
    username: Annotated[str, typer.Argument(help="The first admin's hub username.")],
    display_name: Annotated[
        str, typer.Option("--name", help="Their name as the apps show it.")
    ] = "",
    password_stdin: connect.PasswordStdinOpt = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create the hub's first admin with a password (asked twice). Refused once the hub has an
    active admin: from then on admins manage users from their own sign-in."""
    with friendly_errors():
        from ehub_tui.domain.types import Role
        from ehub_tui.hub.passwords import check_password_policy

        current = _hub_settings(config)
        core = _open_core(current)
        try:
            system = core.system()
            admins = [u for u in system.list_users() if u.role == Role.ADMIN and u.active]
            if admins:
                raise CliError(
                    f"this hub has an admin already ({', '.join(u.username for u in admins)}): "
                    "an admin adds users and resets passwords with `ehub-tui users`"
                )
            existing = system.get_user(username)
            if existing is not None and existing.role != Role.ADMIN:
                raise CliError(
                    f"{username} is a hub user already (role {existing.role}): choose another "
                    "username for the first admin"
                )
            password = _read_password(password_stdin)
            # checked before the user is made: a refused password leaves nothing half done
            check_password_policy(password, username, current.password_min_length)
            if existing is None:
                system.add_user(username, Role.ADMIN, display_name)
            elif not existing.active:
                system.set_active(username, True)
            core.auth.set_password(username, password, by="system")
        finally:
            core.close()
        if as_json:
            print_json({"username": username, "role": "admin"})
        else:
            say(f"{username} is the hub's admin; they sign in with the password just set.")


class Purpose(StrEnum):
    """What a machine account is for: the role it is given."""

    INGEST = "ingest"  # the inbox watcher: role service
    OUTBOX = "outbox"  # ehub-tui outbox write on a timer: role outbox


@hub_app.command("create-service-account")
def create_service_account_cmd(
    name: Annotated[str, typer.Argument(help="The service account's username, e.g. ingest-watch.")],
    days: Annotated[
        int,
        typer.Option("--days", min=1, max=366, help="The token ends this many days from now."),
    ] = 90,
    device: Annotated[
        str | None,
        typer.Option(
            "--device",
            help="The device id the token is bound to (default: a new one, printed with it).",
            show_default=False,
        ),
    ] = None,
    purpose: Annotated[
        Purpose,
        typer.Option(
            "--for",
            help="What the account does: ingest (the inbox watcher: it may only ingest) or "
            "outbox (ehub-tui outbox write on a timer: it may only read completed outcomes).",
        ),
    ] = Purpose.INGEST,
    config: ConfigOpt = None,
) -> None:
    """Add a machine account (`--for ingest`: role service, it may only ingest; `--for outbox`:
    role outbox, it may only read completed outcomes for the FHIR outbox) and print its token
    ONCE, with the
    device id it is bound to: two lines, the service token file's format. Pipe them straight
    into `systemd-creds encrypt` (docs/operations.md); they are never written anywhere else.
    Running it again for the same account issues a new token (revoke the old with
    `ehub-tui users sign-out-everywhere NAME`)."""
    with friendly_errors():
        import uuid

        from ehub_tui.domain.types import Role

        if device is not None and not 0 < len(device) <= 64:
            raise CliError(f"--device: a device id is 1 to 64 characters, not {len(device)}")
        current = _hub_settings(config)
        core = _open_core(current)
        try:
            system = core.system()
            role = Role.OUTBOX if purpose is Purpose.OUTBOX else Role.SERVICE
            user = system.get_user(name)
            if user is None:
                system.add_user(name, role, f"{purpose.value} account")
            elif user.role != role:
                raise CliError(
                    f"{name} is a hub user with role {user.role}: a {purpose.value} account "
                    "needs a name of its own"
                )
            device_id = device or f"service-{uuid.uuid4()}"
            signed = core.auth.issue_service_token(name, device_id, days=days, by="system")
        finally:
            core.close()
        # the token on standard output only (for a pipe); the note for people on stderr
        sys.stdout.write(f"{signed.token}\n{signed.device_id}\n")
        sys.stdout.flush()
        say(
            f"Service token for {name} (bound to device {signed.device_id}), valid until "
            f"{signed.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only this once.",
            console=err,
        )
