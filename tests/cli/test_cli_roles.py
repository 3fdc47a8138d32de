"""On a shared hub the CLI is a workstation of the hub's server and acts as whoever signed in, so
roles apply to it too; the OS login is nobody's identity, and only hub-machine commands open the
hub's database."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.config import Settings
from ehub_tui.domain.clock import utcnow
from ehub_tui.practices import load_practices
from ehub_tui.secrets import MemoryKeyring
from ehub_tui.service import HubService, StoreError
from ehub_tui.store.engine import write_tx
from tests.conftest import FIXTURES
from tests.support.hubserver import TestTls, fast_core, fast_hasher, served, set_password
from tests.support.pgserver import PostgresServer

PASSWORD = "blue-kettle-orchard-7"


@pytest.fixture
def shared_hub(
    pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> HubService:
    """An empty shared (PostgreSQL) hub, named to the CLI by its database URL: the hub
    machine's configuration."""
    url = pg_server.create_database(f"roles{os.getpid()}{abs(hash(tmp_path)) % 10**8}")
    monkeypatch.setenv("EHUB_TUI_HUB_URL", url)
    return HubService.open(Settings(data_dir=tmp_path, hub_url=url))


@pytest.fixture
def served_shared_hub(
    shared_hub: HubService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[HubService]:
    """The shared hub as a workstation reaches it: through its server on 127.0.0.1 (TLS, a test
    CA); the CLI holds hub_server_url and no database URL. Yields the hub's system service."""
    monkeypatch.setattr(MemoryKeyring, "_store", {})
    core = fast_core(shared_hub.settings, utcnow)
    tls = TestTls.make(tmp_path / "tls")
    try:
        with served(core, tls) as server:
            monkeypatch.delenv("EHUB_TUI_HUB_URL")
            monkeypatch.setenv("EHUB_TUI_HUB_SERVER_URL", server.url)
            monkeypatch.setenv("EHUB_TUI_HUB_CA_FILE", str(tls.ca_file))
            yield core.system()
    finally:
        core.close()


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


def signin(user: str) -> None:
    got = cli("signin", "-U", user, "--password-stdin", stdin=PASSWORD + "\n")
    assert got.exit_code == 0, got.output


def test_first_admin_on_the_hub_machine_then_roles_apply(
    shared_hub: HubService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # on the hub machine (its settings name the database): the first admin, password asked
    first = cli("hub", "init-admin", "boss", "--password-stdin", stdin=PASSWORD + "\n")
    assert first.exit_code == 0, first.output
    again = cli("hub", "init-admin", "boss2", "--password-stdin", stdin=PASSWORD + "\n")
    assert again.exit_code != 0  # an admin exists: no second bootstrap
    # everyday commands never open the shared hub's database, whoever runs them
    direct = cli("users", "add", "mallory", "--role", "admin")
    assert direct.exit_code == 2 and "set hub_server_url" in direct.stderr
    assert shared_hub.get_user("mallory") is None
    # a workstation of its server: roles apply to whoever signed in, never to the OS login
    core = fast_core(shared_hub.settings, utcnow)
    tls = TestTls.make(tmp_path / "tls")
    monkeypatch.setattr(MemoryKeyring, "_store", {})
    try:
        with served(core, tls) as server:
            monkeypatch.delenv("EHUB_TUI_HUB_URL")
            monkeypatch.setenv("EHUB_TUI_HUB_SERVER_URL", server.url)
            monkeypatch.setenv("EHUB_TUI_HUB_CA_FILE", str(tls.ca_file))
            signin("boss")
            added = cli("users", "add", "nav9", "--role", "navigator")
            assert added.exit_code == 0, added.output
            set_password(core, "nav9", PASSWORD)
            assert cli("signout").exit_code == 0
            signin("nav9")
            # a navigator may not add users, import practices or ingest
            for args in (
                ("users", "add", "mallory", "--role", "admin"),
                ("practices", "import", str(FIXTURES / "practices.yaml")),
                ("ingest", str(FIXTURES / "oc")),
            ):
                result = cli(*args)
                assert result.exit_code == 2, (args, result.output)
                assert "only a" in result.stderr and "may" in result.stderr
    finally:
        core.close()
    denied = [e for e in shared_hub.audit_log() if e.action == "denied"]
    assert len(denied) == 3 and all(e.actor == "nav9" for e in denied)
    assert shared_hub.get_user("mallory") is None


def test_a_workstation_naming_the_database_is_told_to_use_the_server(
    shared_hub: HubService,
) -> None:
    shared_hub.add_user(HubService.os_username(), "admin")  # the OS login is nobody's identity
    result = cli("queue")
    assert result.exit_code == 2
    assert "set hub_server_url" in result.stderr and "hub serve" in result.stderr


def test_a_command_without_a_sign_in_says_how_to_sign_in(served_shared_hub: HubService) -> None:
    served_shared_hub.add_user(HubService.os_username(), "admin")
    result = cli("queue")
    assert result.exit_code == 2
    assert "not signed in" in result.stderr and "ehub-tui signin" in result.stderr


def test_dropped_connection_is_a_store_error_and_recovers(shared_hub: HubService) -> None:
    shared_hub.list_users()  # a pooled connection now exists
    admin = HubService.open(shared_hub.settings)
    with write_tx(admin.engine) as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    with pytest.raises(StoreError, match="did not answer"):
        shared_hub.list_users()
    assert shared_hub.list_users() == []  # the pool reconnected
    admin.close()


def test_demo_refuses_without_its_own_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EHUB_TUI_HUB_URL", raising=False)
    monkeypatch.delenv("EHUB_TUI_HOME", raising=False)
    result = cli("demo")
    assert result.exit_code == 2 and "EHUB_TUI_HOME" in result.stderr


def test_export_on_a_shared_hub_needs_a_manager_supervisor_or_admin(
    served_shared_hub: HubService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hub = served_shared_hub
    hub.add_user("boss", "admin")
    hub.add_user("navi", "navigator")
    set_password_on(hub, "navi")
    hub.import_practices(load_practices(FIXTURES / "practices.yaml"))
    monkeypatch.chdir(tmp_path)
    signin("navi")
    refused = cli("export", "--date", "2026-11-20", "--out", "-")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "may not export returns: only an admin or a manager or a supervisor may" in (
        refused.stderr
    )
    hub.set_role("navi", "manager")  # the same sign-in: the hub reads the role per request
    allowed = cli("export", "--date", "2026-11-20", "--summary", "--json")
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["from"] == "2026-11-20"


def set_password_on(hub: HubService, username: str) -> None:
    """Give a user the test password on the hub behind ``hub`` (as an admin's reset would)."""
    from ehub_tui.hub.auth import Auth

    Auth(hub.engine, hub.settings, hub.clock, hasher=fast_hasher()).set_password(
        username, PASSWORD, by="system"
    )
