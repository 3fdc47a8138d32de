"""Which hub a command acts on, and as whom.

Three kinds of hub, told apart by the settings alone:

* **an embedded hub** (a SQLite file, no ``hub_server_url``): a workstation command acts as the
  system principal, with full rights on the file — whoever can write the file controls the hub
  anyway (they could open it with ``sqlite3``), so a password in front of the CLI would protect
  nothing. The app (``ehub-tui`` with no command) still asks who is at the keyboard.
* **a hub server** (``hub_server_url``): the command signs in. The token the hub handed back is
  the only identity: ``LOGNAME``, ``USER`` and the config's ``user:`` are at most the default
  offered at the username prompt. The token is kept in the OS keyring (``client.tokens``) when an
  acceptable one exists, otherwise only in this process's memory, never in a file.
* **a hub database named directly** (``hub_url`` = PostgreSQL): that is the hub machine's own
  configuration. Only hub-machine commands (:func:`service`: ``hub serve``, ``hub init-admin``,
  ``upgrade``, ``audit verify|key|checkpoint``, ``login``) run on it, as the system principal —
  whoever holds the database's credentials controls the hub. Everyday commands
  (:func:`client`) are told to set ``hub_server_url`` instead.

The service, the client and the settings are imported inside the functions: they pull in
SQLAlchemy and pydantic, which ``ehub-tui --help`` does not need.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import typer

from ehub_tui.cli.output import CliError, err, say

if TYPE_CHECKING:
    from ehub_tui.client.service import ClientService
    from ehub_tui.client.tokens import TokenStore
    from ehub_tui.config import Settings
    from ehub_tui.hub.principal import SignedIn
    from ehub_tui.service import HubService

    # what a workstation command holds: the system service on an embedded hub, else a
    # signed-in client; both have the same public methods (client/protocol.py)
    Workstation: TypeAlias = HubService | ClientService

HubOpt = Annotated[
    str | None,
    typer.Option(
        "--hub",
        help="Check this hub instead: a SQLite file (e.g. a backup) or a database URL.",
        show_default=False,
    ),
]
PasswordStdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input (for scripts) instead of asking.",
    ),
]

# The keyring account (user part) under which the name of the user last signed in to a hub
# from this device is kept, beside the tokens: it says which token a later command picks up.
# Not a secret, but kept with the tokens so that no file holds sign-in state. A hub username
# cannot start with "@", so it never collides with a real user's token.
CURRENT = "@signed-in"

# names the file holding the watcher's service token (see ingesting)
SERVICE_TOKEN_ENV = "EHUB_TUI_SERVICE_TOKEN_FILE"

NEEDS_SERVER = (
    "this computer names the hub's database directly (hub_url); everyday commands reach a shared "
    "hub only through its server: set hub_server_url (e.g. https://hub.example.nhs.uk:8443) and "
    "hub_ca_file in the settings instead, and remove hub_url. Database access is for admin "
    "commands on the hub machine (ehub-tui hub serve, upgrade, audit verify)."
)


def settings(config: Path | None = None, **overrides: Any) -> Settings:
    """The settings (file, environment, then ``overrides``)."""
    from ehub_tui.config import load_settings

    return load_settings(config, **overrides)


def service() -> HubService:
    """The hub's own service as the system principal, for hub-machine commands only.

    Allowed where the settings name the hub's database (a SQLite file or the hub machine's
    PostgreSQL): whoever can write that database controls the hub, so no sign-in is asked for.
    A workstation that reaches its hub through ``hub_server_url`` holds no database URL and is
    refused.
    """
    from ehub_tui.service import HubService

    return HubService.open(hub_machine_settings())


def hub_machine_settings() -> Settings:
    """The settings, for a command that works on the hub's database itself (the hub machine);
    refused on a workstation, which names a hub server and holds no database URL."""
    current = settings()
    if current.uses_server:
        raise CliError(
            "this command runs on the hub machine against the hub's database (hub_url); this "
            "computer reaches its hub through hub_server_url (sign in with `ehub-tui signin`)"
        )
    return current


def client(*, password_stdin: bool = False) -> Workstation:
    """What a workstation command acts through (see the module docstring).

    Embedded hub: the system service. Hub server: a client signed in with the kept token, or
    after asking for a username and password. A database hub_url other than SQLite: refused
    with what to set instead.
    """
    current = settings()
    if current.uses_server:
        return signed_in(current, password_stdin=password_stdin)
    if current.is_embedded:
        from ehub_tui.service import HubService

        return HubService.open(current)
    raise CliError(NEEDS_SERVER)


def ingesting() -> Workstation:
    """What ``ingest`` acts through. With ``EHUB_TUI_SERVICE_TOKEN_FILE`` on a hub server: the
    service account whose token that file holds (``deploy/ehub-ingest-watch.service`` has
    systemd decrypt it into ``$CREDENTIALS_DIRECTORY``; it is read, never copied). Otherwise as
    any workstation command (:func:`client`): a person signs in, or the embedded hub's system
    principal."""
    current = settings()
    path = os.environ.get(SERVICE_TOKEN_ENV)
    if not (current.uses_server and path):
        return client()
    token, device = read_service_token(Path(path))
    svc = open_hub(current, token, device)
    try:
        svc.refresh_me()  # a refused token is a plain error now, not at the first file
    except BaseException:
        svc.close()
        raise
    return svc


def read_service_token(path: Path) -> tuple[str, str | None]:
    """The service token in ``path`` (its first line) and, on a second line if present, the
    device id it was issued for (else this machine's is used). Never echoed."""
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not plain text"
        raise CliError(f"{path}: cannot read the service token ({why})") from None
    lines = [ln for ln in lines if ln]
    if not lines:
        raise CliError(f"{path}: the service token file is empty")
    return lines[0], (lines[1] if len(lines) > 1 else None)


def hub_settings(hub: str | None) -> Settings:
    """Settings for a command that reads a named hub: a path is a SQLite hub file (a backup)."""
    if hub is None:
        return settings()
    if "://" in hub:
        return settings(hub_url=hub)
    return settings(hub_url=f"sqlite:///{Path(hub).expanduser().resolve()}")


# -- signing in ---------------------------------------------------------------------------------


def hub_name(current: Settings) -> str:
    """The hub a token belongs to: the server's URL, or the embedded hub's database."""
    return current.hub_server_url or current.database_url


def default_username(current: Settings) -> str:
    """What the username prompt offers: the config's ``user:``, else the OS login. Only ever a
    default for the prompt: it never decides who a command acts as."""
    from ehub_tui.service.session import os_username

    return current.user or os_username()


def open_hub(
    current: Settings, token: str | None = None, device: str | None = None
) -> ClientService:
    """A client for the hub the settings name (``client.open``), holding ``token`` if given
    (not yet checked with the hub), else not signed in; ``device``: the id the token is bound
    to (default: this workstation's)."""
    from ehub_tui.client.open import open_client
    from ehub_tui.client.service import ClientService

    if not current.uses_server and not current.is_embedded:
        raise CliError(NEEDS_SERVER)
    return ClientService(open_client(current, token=token, device_id=device), current)


def this_device(current: Settings) -> str:
    """This workstation's device id (the value a sign-in's token is bound to)."""
    from ehub_tui.client.device import device_id

    return device_id(current.data_dir)


def resume(
    current: Settings, store: TokenStore, username: str | None = None
) -> ClientService | None:
    """A client signed in with the token kept for ``username`` (default: whoever signed in last
    here), if the hub still accepts it; None otherwise (a refused token is forgotten)."""
    from ehub_tui.errors import SessionEnded

    hub, device = hub_name(current), this_device(current)
    who = username or store.get(CURRENT, hub, device)
    token = store.get(who, hub, device) if who else None
    if not who or not token:
        return None
    svc = open_hub(current, token)
    try:
        svc.refresh_me()  # the hub says whether it still takes the token, and who it is
    except SessionEnded as exc:
        # expired, revoked or refused: forget it; the caller asks for the password again
        svc.close()
        forget(store, current, device, who)
        say(f"Your sign-in ended ({exc}); sign in again.", console=err)
        return None
    except BaseException:
        svc.close()
        raise
    return svc


def signed_in(
    current: Settings,
    *,
    username: str | None = None,
    password_stdin: bool = False,
    tokens: TokenStore | None = None,
) -> ClientService:
    """A client signed in to the hub the settings name.

    The token kept for (user, hub, device) is used while the hub still accepts it; otherwise the
    username and password are asked for (or the password read from standard input) and the new
    token is kept.
    """
    from ehub_tui.client.tokens import TokenStore

    store = tokens or TokenStore()
    svc = resume(current, store, username)
    if svc is not None:
        return svc
    name, password = ask_credentials(current, username, password_stdin)
    svc = open_hub(current)
    try:
        signed = svc.sign_in(name, password)
    except BaseException:
        svc.close()
        raise
    keep(store, current, this_device(current), signed)
    return svc


def keep(store: TokenStore, current: Settings, device: str, signed: SignedIn) -> None:
    """Keep a new sign-in's token for later commands, and note whose it is."""
    hub = hub_name(current)
    store.put(signed.user.username, hub, device, signed.token)
    store.put(CURRENT, hub, device, signed.user.username)


def forget(store: TokenStore, current: Settings, device: str, username: str) -> None:
    """Forget a user's token (after signing out)."""
    hub = hub_name(current)
    store.forget(username, hub, device)
    if store.get(CURRENT, hub, device) == username:
        store.forget(CURRENT, hub, device)


def ask_credentials(
    current: Settings, username: str | None, password_stdin: bool
) -> tuple[str, str]:
    """A username (asked for unless given; the default is only a suggestion) and a password
    (asked for without echo, or the first line of standard input)."""
    if password_stdin:
        name = username or default_username(current)
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            # a script or a pipe: asking would read its input as a password
            raise CliError(
                "not signed in to the hub: run `ehub-tui signin` first, or pass --password-stdin"
            )
        name = username or typer.prompt("Username", default=default_username(current), err=True)
        password = typer.prompt("Password", hide_input=True, err=True)
    if not password:
        raise CliError("no password given: nothing was sent to the hub")
    return name.strip(), password
