"""Signing in from the command line: `signin`, `signout`, `passwd`, the admin's password reset
and sign-out-everywhere, against a real hub server on loopback (TLS from a test CA) and the
embedded demo hub; the token is the only identity, and no file keeps a password or a token.

Token reuse is tested in-process (typer's CliRunner): the tests' keyring is
``ehub_tui.secrets.MemoryKeyring``, which lives as long as one process, so two subprocesses
cannot share a sign-in (a real OS keyring would let them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.client.tokens import SERVICE as TOKEN_SERVICE
from ehub_tui.errors import SessionEnded
from ehub_tui.hub.core import HubCore
from ehub_tui.secrets import MemoryKeyring
from ehub_tui.service import HubService
from tests.conftest import FIXTURES, REPO, FrozenClock
from tests.support.hubserver import TestTls, fast_core, served, set_password

PASSWORD = "blue-kettle-orchard-7"  # every test user's password here
NEW_PASSWORD = "green-ladder-harbour-9"


@pytest.fixture
def hub(
    seeded: HubService, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HubCore]:
    """The seeded hub (SQLite or PostgreSQL) served on 127.0.0.1 over TLS; the CLI is a
    workstation of it (hub_server_url and the test CA, no database URL)."""
    # the tests' keyring is a class-wide dict: start each test with nothing kept
    monkeypatch.setattr(MemoryKeyring, "_store", {})
    core = fast_core(seeded.settings, clock)
    for user in ("nav1", "admin1", "sup1"):
        set_password(core, user, PASSWORD)
    tls = TestTls.make(tmp_path / "tls")
    with served(core, tls) as server:
        monkeypatch.setenv("EHUB_TUI_HUB_SERVER_URL", server.url)
        monkeypatch.setenv("EHUB_TUI_HUB_CA_FILE", str(tls.ca_file))
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        yield core
    core.close()


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


def signin(user: str, password: str = PASSWORD) -> Result:
    return cli("signin", "--username", user, "--password-stdin", stdin=password + "\n")


def kept_tokens() -> list[str]:
    """Every token the (in-memory) keyring holds."""
    store = MemoryKeyring._store
    return [
        v
        for (service, _), v in store.items()
        if service == TOKEN_SERVICE and v.startswith("ehub1_")
    ]


def test_signin_once_then_commands_use_the_kept_token(hub: HubCore) -> None:
    first = signin("nav1")
    assert first.exit_code == 0, first.output
    assert "Signed in as nav1 (navigator) until" in first.stdout
    # the next command asks nothing (its standard input is not a terminal: asking would fail)
    queue = cli("queue", "--json")
    assert queue.exit_code == 0, queue.output
    assert "by_status" in json.loads(queue.stdout)
    out = cli("signout", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == {"user": "nav1", "signed_out": True}
    assert kept_tokens() == []
    again = cli("queue")
    assert again.exit_code == 2 and "not signed in" in again.stderr
    actions = [(e.actor, e.action) for e in hub.system().audit_log(limit=20)]
    assert ("nav1", "sign_in") in actions and ("nav1", "sign_out") in actions


def test_signin_json_says_who_and_until_when_never_the_token(hub: HubCore) -> None:
    got = cli("signin", "-U", "sup1", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert got.exit_code == 0, got.output
    data = json.loads(got.stdout)
    assert data["user"] == "sup1" and data["role"] == "supervisor"
    assert data["expires_at"].startswith("2026-11-2")  # by the hub's (frozen) clock
    (token,) = kept_tokens()
    assert token not in got.output


def test_wrong_password_is_refused_plainly(hub: HubCore) -> None:
    got = signin("nav1", "not-the-password-at-all")
    assert got.exit_code == 2
    assert "wrong username or password" in got.stderr and "Traceback" not in got.output
    assert kept_tokens() == []


def test_spoofed_login_names_change_nothing(hub: HubCore, monkeypatch: pytest.MonkeyPatch) -> None:
    """`env -u LOGNAME USER=root ehub-tui users set-role nav1 admin` with a navigator's token:
    refused (403) and the audit names the navigator and the device."""
    monkeypatch.delenv("LOGNAME", raising=False)
    monkeypatch.setenv("USER", "root")
    monkeypatch.setenv("EHUB_TUI_USER", "admin1")  # config `user:` is only the prompt's default
    assert signin("nav1").exit_code == 0
    got = cli("users", "set-role", "nav1", "admin")
    assert got.exit_code == 2 and "Traceback" not in got.output
    assert "may not" in got.stderr and "admin" in got.stderr
    system = hub.system()
    user = system.get_user("nav1")
    assert user is not None and user.role == "navigator"
    denied = [e for e in system.audit_log(limit=20) if e.action == "denied"]
    assert denied and denied[0].actor == "nav1"
    assert denied[0].body.get("device")


def test_spoofed_login_without_a_token_is_not_signed_in(hub: HubCore, tmp_path: Path) -> None:
    """The same as a real command line: no token, so nothing, whatever LOGNAME/USER say."""
    env = {k: v for k, v in os.environ.items() if k != "LOGNAME"}
    env.update(USER="root", EHUB_TUI_USER="admin1")
    got = subprocess.run(
        [sys.executable, "-m", "ehub_tui.cli", "users", "set-role", "nav1", "admin"],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert got.returncode == 2, got.stderr
    assert "not signed in" in got.stderr and "Traceback" not in got.stderr
    user = hub.system().get_user("nav1")
    assert user is not None and user.role == "navigator"


def test_a_subprocess_signs_in_and_a_wrong_password_exits_plainly(hub: HubCore) -> None:
    def run(password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ehub_tui.cli", "signin", "-U", "nav1", "--password-stdin"],
            input=password + "\n",
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = run(PASSWORD)
    assert ok.returncode == 0, ok.stderr
    assert "Signed in as nav1" in ok.stdout
    bad = run("wrong-password-entirely")
    assert bad.returncode == 2
    assert "wrong username or password" in bad.stderr and "Traceback" not in bad.stderr


def test_passwd_changes_the_password_and_keeps_this_sign_in(hub: HubCore) -> None:
    got = cli("passwd", "-U", "nav1", "--password-stdin", stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n")
    assert got.exit_code == 0, got.output
    assert "Password changed for nav1" in got.stdout
    assert cli("queue").exit_code == 0  # the kept sign-in still works
    assert signin("nav1").exit_code == 2  # the old password no longer does
    assert signin("nav1", NEW_PASSWORD).exit_code == 0
    short = cli("passwd", "-U", "nav1", "--password-stdin", stdin=f"{NEW_PASSWORD}\nshort\n")
    assert short.exit_code == 2 and "too short" in short.stderr


def test_admin_resets_a_password_and_signs_a_user_out_everywhere(hub: HubCore) -> None:
    theirs = hub.sign_in("nav1", PASSWORD, "device-of-nav1")
    assert signin("admin1").exit_code == 0
    reset = cli(
        "users", "reset-password", "nav1", "--password-stdin", "--json", stdin=NEW_PASSWORD + "\n"
    )
    assert reset.exit_code == 0, reset.output
    assert json.loads(reset.stdout)["must_change"] is True
    with pytest.raises(SessionEnded):
        hub.authenticate(theirs.token, "device-of-nav1")
    again = hub.sign_in("nav1", NEW_PASSWORD, "device-of-nav1")
    assert again.must_change_password
    ended = cli("users", "sign-out-everywhere", "nav1", "--json")
    assert ended.exit_code == 0, ended.output
    assert json.loads(ended.stdout) == {"user": "nav1", "sessions_ended": 1}
    # a navigator may do neither
    assert cli("signout").exit_code == 0
    assert signin("sup1").exit_code == 0
    refused = cli("users", "sign-out-everywhere", "nav1")
    assert refused.exit_code == 2 and "may not" in refused.stderr


def test_an_ended_sign_in_is_forgotten_and_asked_for_again(
    hub: HubCore, clock: FrozenClock
) -> None:
    assert signin("nav1").exit_code == 0
    clock.advance(hours=13)  # past the absolute expiry (12 h), by the hub's clock
    got = cli("queue")
    assert got.exit_code == 2 and "Traceback" not in got.output
    assert "sign-in ended" in got.stderr and "not signed in" in got.stderr
    assert kept_tokens() == []


def test_ingest_acts_as_the_service_account_in_the_token_file(
    hub: HubCore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ehub_tui.client.device import device_id

    hub.system().add_user("ingest-watch", "service", "the inbox watcher")
    token_file = tmp_path / "service-token"
    monkeypatch.setenv("EHUB_TUI_SERVICE_TOKEN_FILE", str(token_file))
    token_file.write_text("")
    empty = cli("ingest", str(FIXTURES / "oc"))
    assert empty.exit_code == 2 and "service token file is empty" in empty.stderr
    token_file.write_text("ehub1_" + "x" * 43 + "\n")
    guessed = cli("ingest", str(FIXTURES / "oc"))
    assert guessed.exit_code == 2 and "Traceback" not in guessed.output
    device = device_id(Path(os.environ["EHUB_TUI_HOME"]))
    # as `hub create-service-account` makes it: the token, then the device it is bound to
    issued = hub.auth.issue_service_token("ingest-watch", device, days=90, by="system")
    token_file.write_text(f"{issued.token}\n{issued.device_id}\n")
    stored = cli("ingest", str(FIXTURES / "oc"), "--json")
    assert stored.exit_code == 0, stored.output
    assert json.loads(stored.stdout)["totals"]["new"] > 0
    # the service account may only ingest
    assert cli("users", "list").exit_code == 2  # (no person is signed in either)
    intake = [e for e in hub.system().audit_log(limit=400) if e.actor == "ingest-watch"]
    assert intake


def test_no_file_keeps_a_password_or_a_token(hub: HubCore, tmp_path: Path) -> None:
    assert signin("nav1").exit_code == 0
    assert cli("queue").exit_code == 0
    assert (
        cli(
            "passwd", "-U", "nav1", "--password-stdin", stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n"
        ).exit_code
        == 0
    )
    tokens = kept_tokens()
    assert tokens
    secrets = [s.encode() for s in (PASSWORD, NEW_PASSWORD, *tokens)]
    looked = 0
    for path in tmp_path.rglob("*"):
        if path.is_file():
            looked += 1
            data = path.read_bytes()
            for secret in secrets:
                assert secret not in data, f"{path} holds a password or a token"
    assert looked > 3  # the hub's database, the device id, the TLS files at least


def test_a_database_hub_url_on_a_workstation_is_told_to_use_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EHUB_TUI_HUB_URL", "postgresql+psycopg://ehub@db.example/ehub")
    for args in (("queue",), ("users", "list"), ("signin", "--password-stdin")):
        got = cli(*args, stdin="x\n")
        assert got.exit_code == 2, (args, got.output)
        assert "set hub_server_url" in got.stderr and "Traceback" not in got.output


def test_hub_machine_commands_are_refused_on_a_workstation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EHUB_TUI_HUB_SERVER_URL", "https://hub.example.nhs.uk:8443")
    for args in (("login", "--password-stdin"), ("upgrade",), ("audit", "checkpoint")):
        got = cli(*args, stdin="x\n")
        assert got.exit_code == 2, (args, got.output)
        assert "runs on the hub machine" in got.stderr and "Traceback" not in got.output


# -- the embedded demo hub ----------------------------------------------------------------------


@pytest.fixture
def demo_home(tmp_path: Path) -> dict[str, str]:
    """An environment whose EHUB_TUI_HOME is a fresh demo folder (built by a real subprocess)."""
    env = {
        **os.environ,
        "EHUB_TUI_HOME": str(tmp_path / "demo"),
        "HOME": str(tmp_path / "home"),
    }
    built = subprocess.run(
        [sys.executable, "-m", "ehub_tui.cli", "demo", "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    result = json.loads(built.stdout)
    assert result["password"] and result["passwords_set"] >= 8
    env["DEMO_PASSWORD"] = result["password"]
    return env


def test_demo_users_sign_in_with_the_demo_password(demo_home: dict[str, str]) -> None:
    from ehub_tui.cli.demo import DEMO_PASSWORD, HINT, demo_hint
    from ehub_tui.config import Settings

    def run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ehub_tui.cli", *args],
            env=demo_home,
            input=stdin,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert demo_home["DEMO_PASSWORD"] == DEMO_PASSWORD
    ok = run("signin", "-U", "sup1", "--password-stdin", "--json", stdin=DEMO_PASSWORD + "\n")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["role"] == "supervisor"
    bad = run("signin", "-U", "sup1", "--password-stdin", stdin="not-the-demo-password\n")
    assert bad.returncode == 2 and "wrong username or password" in bad.stderr
    assert "Traceback" not in bad.stderr
    # rebuilding keeps the passwords (nothing hashed again) and the hub stays marked as the demo
    again = run("demo", "--json", stdin="")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["passwords_set"] == 0
    home = Path(demo_home["EHUB_TUI_HOME"])
    assert demo_hint(Settings(data_dir=home)) == HINT
    assert demo_hint(Settings(data_dir=home.parent / "home")) is None  # not marked
    for path in home.parent.rglob("*"):
        if path.is_file():
            assert DEMO_PASSWORD.encode() not in path.read_bytes(), path


def test_the_app_wants_a_demo_hub_for_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`ehub-tui --user NAME` signs in without a password only on a hub marked as the demo."""
    got = CliRunner().invoke(app, ["--user", "nav1"])
    assert got.exit_code == 2
    assert "only on the demo hub" in got.stderr


def test_throwaway_certificate_serves_the_demo_hub(
    seeded: HubService, clock: FrozenClock, tmp_path: Path
) -> None:
    """`demo --serve`'s certificate: a client trusting only its CA signs in over TLS."""
    from ehub_tui.cli import connect
    from ehub_tui.cli.demo import throwaway_tls
    from ehub_tui.config import Settings
    from ehub_tui.hub.serve import ServedHub

    ca, cert, key = throwaway_tls(tmp_path / "demo-tls")
    assert key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "demo-tls").stat().st_mode & 0o777 == 0o700
    core = fast_core(seeded.settings, clock)
    set_password(core, "nav1", PASSWORD)
    try:
        with ServedHub(core, cert, key, upkeep=False) as server:
            ws = Settings(data_dir=tmp_path / "ws", hub_server_url=server.url, hub_ca_file=ca)
            svc = connect.open_hub(ws)
            try:
                assert svc.sign_in("nav1", PASSWORD).user.username == "nav1"
                assert svc.user is not None and svc.user.role == "navigator"
            finally:
                svc.close()
    finally:
        core.close()
    assert keyring.get_keyring() is not None
