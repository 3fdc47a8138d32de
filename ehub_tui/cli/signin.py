"""``ehub-tui signin``, ``signout`` and ``passwd``: a person's own sign-in to the hub.

The token a sign-in returns is the CLI's only identity on a hub server; it is kept where a
password would be (``client.tokens``: the OS keyring, else this process's memory), never in a
file, and never printed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ehub_tui.cli import connect
from ehub_tui.cli.connect import PasswordStdinOpt
from ehub_tui.cli.output import CliError, JsonOpt, emit, err, friendly_errors, local_time, say

if TYPE_CHECKING:
    from ehub_tui.hub.principal import SignedIn

UserOpt = Annotated[
    str | None,
    typer.Option(
        "--username",
        "-U",
        help="The hub user to sign in as (default: asked, suggesting your login name).",
        show_default=False,
    ),
]


def signin_cmd(
    username: UserOpt = None, password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False
) -> None:
    """Sign in to the hub; later commands use the sign-in until it ends or you sign out."""
    from ehub_tui.client.tokens import TokenStore

    with friendly_errors():
        current = connect.settings()
        store = TokenStore()
        name, password = connect.ask_credentials(current, username, password_stdin)
        svc = connect.open_hub(current)
        try:
            signed = svc.sign_in(name, password)
            connect.keep(store, current, connect.this_device(current), signed)
        finally:
            svc.close()
        emit(_summary(signed, store.persistent), _say_signed_in, as_json)
        if not store.persistent and not as_json:
            say(
                "note: no acceptable OS keyring here, so the sign-in is kept only by this "
                "command; the next command will ask for your password again.",
                console=err,
            )


def _summary(signed: SignedIn, kept: bool) -> dict[str, object]:
    """What ``signin`` reports (never the token)."""
    return {
        "user": signed.user.username,
        "role": signed.user.role,
        "display_name": signed.user.display_name,
        "expires_at": signed.expires_at.isoformat(),
        "idle_minutes": signed.idle_minutes,
        "device_id": signed.device_id,
        "kept_in_keyring": kept,
        "must_change_password": signed.must_change_password,
    }


def _say_signed_in(d: dict[str, object]) -> None:
    from datetime import datetime

    until = local_time(datetime.fromisoformat(str(d["expires_at"])))
    say(
        f"Signed in as {d['user']} ({d['role']}) until {until} at the latest "
        f"(or after {d['idle_minutes']} minutes unused)."
    )
    if d["must_change_password"]:
        say("Your password was reset: change it now with `ehub-tui passwd`.", console=err)


def signout_cmd(as_json: JsonOpt = False) -> None:
    """Sign out: the hub ends the sign-in and this computer forgets its token."""
    from ehub_tui.client.tokens import TokenStore
    from ehub_tui.errors import SessionEnded

    with friendly_errors():
        current = connect.settings()
        store = TokenStore()
        hub, device = connect.hub_name(current), connect.this_device(current)
        who = store.get(connect.CURRENT, hub, device)
        token = store.get(who, hub, device) if who else None
        ended = False
        if who and token:
            svc = connect.open_hub(current, token)
            try:
                svc.sign_out()  # the hub revokes the token (an ended one is simply dropped)
                ended = True
            except SessionEnded:
                pass  # the hub had already ended it: nothing left to revoke
            finally:
                svc.close()
            connect.forget(store, current, device, who)
        emit(
            {"user": who, "signed_out": ended},
            lambda d: say(
                f"Signed {d['user']} out." if d["user"] else "Nobody was signed in here."
            ),
            as_json,
        )


def passwd_cmd(
    username: UserOpt = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the old password, then the new one, one per line from standard input.",
        ),
    ] = False,
) -> None:
    """Change your own password (asks for the old one, then the new one twice)."""
    from ehub_tui.client.tokens import TokenStore

    with friendly_errors():
        current = connect.settings()
        store = TokenStore()
        # signing in with the old password proves who is changing it (a kept token alone is not
        # enough: the person at the keyboard must know the password)
        name, old = connect.ask_credentials(current, username, password_stdin)
        svc = connect.open_hub(current)
        try:
            signed = svc.sign_in(name, old)
            if password_stdin:
                new = sys.stdin.readline().rstrip("\r\n")
            else:
                new = typer.prompt(
                    "New password",
                    hide_input=True,
                    confirmation_prompt="Repeat the new password",
                    err=True,
                )
            if not new:
                raise CliError("the new password is empty: the password was not changed")
            svc.change_password(old, new)
            # changing a password may end the user's other sign-ins; this one is kept afresh
            connect.keep(store, current, connect.this_device(current), signed)
        finally:
            svc.close()
        say(f"Password changed for {signed.user.username}.")
