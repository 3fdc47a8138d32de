"""`ehub-tui sync status` and `ehub-tui sync verify` on a workstation of a served hub (loopback,
TLS from a test CA; SQLite and PostgreSQL hubs) and of an embedded hub: the counts come from the
local file, verify agrees with the hub and names a difference (exit 1), and nothing prints a
traceback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.client.device import device_id
from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.local.base import OB
from ehub_tui.client.service import ClientService
from ehub_tui.config import load_settings
from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.hub.core import HubCore
from ehub_tui.practices import load_practices
from ehub_tui.secrets import MemoryKeyring
from ehub_tui.service import HubService
from tests.conftest import FIXTURES, FrozenClock
from tests.support.factories import many_rows
from tests.support.faults import FaultTransport
from tests.support.hubserver import TestTls, fast_core, fast_hasher, served, set_password

PASSWORD = "blue-kettle-orchard-7"
OUTCOME = Outcome(category="signpost", route="pharmacy_first", destination="Pharmacy")


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


class Served:
    """The seeded hub served over TLS; the CLI (and the test's own workstation) reach it."""

    def __init__(self, core: HubCore, tls: TestTls, url: str) -> None:
        self.core, self.tls, self.url = core, tls, url
        self.net: FaultTransport | None = None

    def workstation(self) -> ClientService:
        """nav1's ClientService on this computer (the CLI's data folder and local file), its
        requests through a FaultTransport (``self.net``)."""
        settings = load_settings(None, sync_wait_seconds=3.0, sync_backoff_max_seconds=1.0)
        self.net = FaultTransport(httpx.HTTPTransport(verify=self.tls.client_context()))
        client = HttpClient(
            self.url,
            ca_file=self.tls.ca_file,
            device_id=device_id(settings.data_dir),
            transport=self.net,
        )
        svc = ClientService(client, settings, hasher=fast_hasher())
        svc.sign_in("nav1", PASSWORD)
        return svc


@pytest.fixture
def hub(
    seeded: HubService, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    monkeypatch.setattr(MemoryKeyring, "_store", {})
    seeded.store_intake(many_rows(6))
    core = fast_core(seeded.settings, clock)
    set_password(core, "nav1", PASSWORD)
    tls = TestTls.make(tmp_path / "tls")
    with served(core, tls) as server:
        monkeypatch.setenv("EHUB_TUI_HUB_SERVER_URL", server.url)
        monkeypatch.setenv("EHUB_TUI_HUB_CA_FILE", str(tls.ca_file))
        yield Served(core, tls, server.url)
    core.close()


def ids(svc: ClientService) -> list[int]:
    """The queued items' ids, in queue order."""
    return [r.id for r in svc.queue_page("queue", QueueFilter(), 0, 10)[0]]


def test_status_with_no_local_store_yet_says_so(hub: Served) -> None:
    got = cli("sync", "status")
    assert got.exit_code == 0, got.output
    assert "No local store for this hub yet" in got.stdout
    data = json.loads(cli("sync", "status", "--json").stdout)
    assert (data["exists"], data["pending"], data["rejected"]) == (False, 0, 0)
    verified = cli("sync", "verify", "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True


def test_status_counts_what_waits_and_verify_agrees_with_the_hub(hub: Served) -> None:
    nav = hub.workstation()
    first, second, third = (nav.claim(i) for i in ids(nav)[:3])
    assert nav.complete(first, OUTCOME).state == "accepted"
    assert nav.release(second, "the patient asked to be called tomorrow").state == "accepted"
    assert hub.net is not None
    hub.net.go_down()
    assert nav.complete(third, OUTCOME).state == "pending"
    nav.close()

    got = cli("sync", "status", "--json")
    assert got.exit_code == 0, got.output
    data = json.loads(got.stdout)
    assert (data["pending"], data["rejected"], data["integrity"]) == (1, 0, "ok")
    assert data["by_user"] == {"nav1": {"pending": 1, "rejected": 0}}
    assert data["last_synced"] and data["cursor"] > 0 and data["offset_seconds"] is not None
    human = cli("sync", "status")
    assert "Waiting to send: 1 (nav1 1)" in human.stdout and "Last synced:" in human.stdout

    # the CLI signs in with its own token (standard input), and asks the hub
    signed = cli("signin", "-U", "nav1", "--password-stdin", stdin=PASSWORD + "\n")
    assert signed.exit_code == 0, signed.output
    verified = cli("sync", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert (report["ok"], report["checked"], report["pending"]) == (True, 2, 1)
    assert "The hub agrees: 2 event(s) checked" in cli("sync", "verify").stdout


def test_verify_names_a_difference_and_exits_1(hub: Served) -> None:
    nav = hub.workstation()
    claim = nav.claim(ids(nav)[0])
    done = nav.complete(claim, OUTCOME)
    assert done.state == "accepted"
    with nav.local._write() as conn:  # as if the hub's reply had been made up
        conn.execute(update(OB).where(OB.c.event_id == done.event_id).values(
            event_id=str(uuid.uuid4())))  # fmt: skip
    nav.close()
    assert cli("signin", "-U", "nav1", "--password-stdin", stdin=PASSWORD + "\n").exit_code == 0
    got = cli("sync", "verify")
    assert got.exit_code == 1
    assert "1 difference(s) with the hub" in got.stdout
    assert f"complete of item {claim.item_id}" in got.stdout and "no record of it" in got.stdout
    assert "Traceback" not in got.output
    data = json.loads(cli("sync", "verify", "--json").stdout)
    assert data["ok"] is False and len(data["differences"]) == 1


def test_a_damaged_local_file_is_a_sentence_not_a_traceback(hub: Served) -> None:
    nav = hub.workstation()
    nav.claim(ids(nav)[0])
    path = nav.local.path
    nav.close()
    path.write_bytes(b"not a database " * 500)
    for f in [p for p in path.parent.iterdir() if p.name != path.name]:
        f.unlink()  # (the -wal and -shm files)
    got = cli("sync", "status")
    assert got.exit_code == 2 and "cannot be opened" in got.stderr
    assert str(path) in got.stderr and "Traceback" not in got.output


def test_verify_on_an_embedded_hub_reads_its_ledger(
    sqlite_url: str, tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EHUB_TUI_HUB_URL", sqlite_url)
    settings = load_settings(None)
    core = fast_core(settings, clock)
    try:
        system = core.system()
        system.import_practices(load_practices(FIXTURES / "practices.yaml"))
        system.add_user("nav1", "navigator", "Nav One")
        set_password(core, "nav1", PASSWORD)
        system.store_intake(many_rows(3))
        nav = ClientService(
            InProcessClient(core, device_id(settings.data_dir)), settings, hasher=fast_hasher()
        )
        nav.sign_in("nav1", PASSWORD)
        done: Any = nav.complete(nav.claim(1), OUTCOME)
        assert done.state == "accepted"
        nav.close()
        got = cli("sync", "verify", "--json")
        assert got.exit_code == 0, got.output
        assert json.loads(got.stdout)["checked"] == 1
    finally:
        core.close()


def test_verify_with_the_hub_away_says_it_needs_the_hub(
    hub: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listens at the hub's address: verify says plainly it needs the hub (it does not
    ask for a password, sign in offline, or call a right password wrong)."""
    import socket

    from ehub_tui.client.local import LocalStore, path_for

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        away = f"https://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("EHUB_TUI_HUB_SERVER_URL", away)
    settings = load_settings(None)
    LocalStore(path_for(settings.data_dir, away), device_id=device_id(settings.data_dir)).close()
    for args in (("sync", "verify"), ("sync", "verify", "--json")):
        got = cli(*args, stdin=PASSWORD + "\n")
        assert got.exit_code != 0
        assert "sync verify" in got.stderr and "needs the hub" in got.stderr, got.output
        assert "wrong username or password" not in got.output
        assert "Traceback" not in got.output
