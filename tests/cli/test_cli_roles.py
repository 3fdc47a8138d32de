"""On a shared hub the CLI signs in as the OS user, so roles apply to it too."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.config import Settings
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService, StoreError
from ehub_tui.store.engine import write_tx
from tests.conftest import FIXTURES
from tests.support.pgserver import PostgresServer


@pytest.fixture
def shared_hub(
    pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> HubService:
    url = pg_server.create_database(f"roles{os.getpid()}{abs(hash(tmp_path)) % 10**8}")
    monkeypatch.setenv("EHUB_TUI_HUB_URL", url)
    return HubService.open(Settings(data_dir=tmp_path, hub_url=url))


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_first_admin_bootstrap_then_roles_apply(shared_hub: HubService) -> None:
    me = HubService.os_username()
    # an empty hub: the first user may be created by whoever can reach it, and is an admin
    refused = cli("users", "add", "boss", "--role", "navigator")
    assert refused.exit_code == 2 and "must be an admin" in refused.stderr
    first = cli("users", "add", "boss", "--role", "admin")
    assert first.exit_code == 0, first.output
    assert cli("users", "add", "boss2", "--role", "admin").exit_code == 2  # no longer empty
    shared_hub.add_user(me, "navigator")  # (as the system principal, like a DBA would)
    # now roles apply: a navigator may not add users, import practices or ingest
    for args in (
        ("users", "add", "mallory", "--role", "admin"),
        ("practices", "import", str(FIXTURES / "practices.yaml")),
        ("ingest", str(FIXTURES / "oc")),
    ):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "only a" in result.stderr and "may" in result.stderr
    denied = [e for e in shared_hub.audit_log() if e.action == "denied"]
    assert len(denied) == 3 and all(e.actor == me for e in denied)
    assert shared_hub.get_user("mallory") is None


def test_unknown_os_user_is_told_what_to_do(shared_hub: HubService) -> None:
    shared_hub.add_user("someone_else", "admin")
    result = cli("queue")
    assert result.exit_code == 2
    assert "is not a hub user" in result.stderr and "users add" in result.stderr


def test_empty_shared_hub_says_how_to_start(shared_hub: HubService) -> None:
    result = cli("queue")
    assert result.exit_code == 2 and "no users yet" in result.stderr
    assert "--role admin" in result.stderr


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
    shared_hub: HubService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    me = HubService.os_username()
    shared_hub.add_user("boss", "admin")
    shared_hub.add_user(me, "navigator")
    shared_hub.import_practices(load_practices(FIXTURES / "practices.yaml"))
    monkeypatch.chdir(tmp_path)
    refused = cli("export", "--date", "2026-11-20", "--out", "-")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "may not export returns: only an admin or a manager or a supervisor may" in (
        refused.stderr
    )
    shared_hub.set_role(me, "manager")
    allowed = cli("export", "--date", "2026-11-20", "--summary", "--json")
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["from"] == "2026-11-20"
