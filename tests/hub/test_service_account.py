"""A service account's token (``Auth.issue_service_token``, ``hub create-service-account``): it
ingests however long the watcher sits idle, may do nothing else (refusals audited), ends after
its days by the hub's clock, belongs to one device, and only a service-role user gets one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.config import Settings
from ehub_tui.domain.clock import utcnow
from ehub_tui.errors import NotFound, PermissionDenied, SessionEnded
from ehub_tui.hub import tokens
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.sessions import SERVICE_CLIENT
from tests.conftest import FIXTURES, FrozenClock
from tests.support.factories import oc_row
from tests.support.hubserver import PASSWORD, TestTls, fast_core, seed_hub, served

USERS = [("nav1", "navigator", "Priya Shah")]
DEVICE = "service-watch-1"


@pytest.fixture
def core(hub_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[HubCore]:
    c = fast_core(Settings(data_dir=tmp_path / "data", hub_url=hub_url), clock)
    seed_hub(c, FIXTURES / "practices.yaml", USERS)
    c.system().add_user("watcher", "service", "the ingest watcher")  # no password: a machine
    yield c
    c.close()


def test_the_token_ingests_after_long_idle_and_ends_after_its_days(
    core: HubCore, clock: FrozenClock
) -> None:
    start = clock.now
    signed = core.auth.issue_service_token("watcher", DEVICE, days=30, by="system")
    assert tokens.looks_like_token(signed.token)
    assert signed.expires_at == start + timedelta(days=30)
    assert signed.idle_minutes == 0 and signed.device_id == DEVICE
    assert signed.user.role == "service"
    watcher = InProcessClient(core, DEVICE, token=signed.token)

    # far longer unused than any person's sign-in may be, then again after a quiet weekend
    clock.advance(minutes=core.settings.token_idle_minutes * 3)
    assert len(watcher.store_intake([oc_row(1)]).created) == 1
    clock.advance(days=3)
    assert len(watcher.store_intake([oc_row(2)]).created) == 1

    clock.now = start + timedelta(days=30)  # its end, by the hub's clock
    with pytest.raises(SessionEnded) as ended:
        watcher.store_intake([oc_row(3)])
    assert ended.value.code == "expired"

    events = core.system().audit_log(limit=500)
    issued = [e for e in events if e.action == "service_token_issued"]
    assert len(issued) == 1 and issued[0].actor == "system"
    assert issued[0].body["username"] == "watcher" and issued[0].body["device"] == DEVICE
    assert issued[0].body["days"] == 30
    every_body = json.dumps([e.body for e in events])
    assert signed.token not in every_body and tokens.token_digest(signed.token) not in every_body


def test_the_token_may_only_ingest_and_refusals_are_audited(
    core: HubCore, clock: FrozenClock
) -> None:
    signed = core.auth.issue_service_token("watcher", DEVICE, days=7, by="system")
    watcher = InProcessClient(core, DEVICE, token=signed.token)
    watcher.store_intake([oc_row(1)])
    with pytest.raises(PermissionDenied, match="may not work items"):
        watcher.claim_next()
    with pytest.raises(PermissionDenied, match="may not see board"):
        watcher.board()
    with pytest.raises(PermissionDenied, match="may not manage users"):
        watcher.add_user("intruder", "admin")
    denied = [e for e in core.system().audit_log(limit=500) if e.action == "denied"]
    assert {(e.actor, e.body["permission"], e.body["device"]) for e in denied} == {
        ("watcher", "work_items", DEVICE),
        ("watcher", "see_board", DEVICE),
        ("watcher", "manage_users", DEVICE),
    }
    assert core.system().get_user("intruder") is None


def test_over_https_it_ingests_and_is_refused_everything_else_with_403(
    core: HubCore, tmp_path: Path
) -> None:
    from ehub_tui.hub.wire import IntakeIn, WireConsultation

    tls = TestTls.make(tmp_path / "tls")
    signed = core.auth.issue_service_token("watcher", DEVICE, days=7, by="system")
    headers = {"Authorization": f"Bearer {signed.token}", "X-Ehub-Device": DEVICE}
    with (
        served(core, tls) as hub,
        httpx.Client(
            base_url=f"{hub.url}/v1", verify=tls.client_context(), headers=headers, timeout=20
        ) as http,
    ):
        body = IntakeIn(items=[WireConsultation.of(oc_row(1))])
        stored = http.post(
            "/intake",
            content=body.model_dump_json(),
            headers={"content-type": "application/json"},
        )
        assert stored.status_code == 200, stored.text
        for method, path, sent in [
            ("POST", "/queue/claim-next", None),
            ("GET", "/board", None),
            ("POST", "/users", {"username": "eve", "role": "admin"}),
        ]:
            refused = http.request(method, path, json=sent)
            assert refused.status_code == 403, (path, refused.text)
            assert refused.json()["error"] == "PermissionDenied"
    denied = [e for e in core.system().audit_log(limit=500) if e.action == "denied"]
    assert len(denied) == 3 and {e.actor for e in denied} == {"watcher"}


def test_the_token_is_refused_from_another_device_and_then_ended(core: HubCore) -> None:
    signed = core.auth.issue_service_token("watcher", DEVICE, days=7, by="system")
    thief = InProcessClient(core, "someone-elses-laptop", token=signed.token)
    with pytest.raises(SessionEnded) as refused:
        thief.store_intake([oc_row(1)])
    assert refused.value.code == "wrong_device"
    # presumed stolen: the hub ended it for its own device too
    with pytest.raises(SessionEnded):
        InProcessClient(core, DEVICE, token=signed.token).store_intake([oc_row(1)])
    refusals = [e for e in core.system().audit_log(limit=500) if e.action == "token_refused"]
    assert [e.body["code"] for e in refusals] == ["wrong_device"]


def test_only_a_service_account_gets_one(core: HubCore) -> None:
    with pytest.raises(PermissionDenied, match="nav1 has the role navigator: only a service"):
        core.auth.issue_service_token("nav1", DEVICE, days=7, by="system")
    with pytest.raises(NotFound, match="'nobody' is not a hub user"):
        core.auth.issue_service_token("nobody", DEVICE, days=7, by="system")
    core.system().set_active("watcher", False)
    with pytest.raises(PermissionDenied, match="watcher is disabled"):
        core.auth.issue_service_token("watcher", DEVICE, days=7, by="system")
    assert not [e for e in core.system().audit_log(limit=500) if e.action == "service_token_issued"]


def test_a_person_cannot_claim_the_service_marker_at_sign_in(
    core: HubCore, clock: FrozenClock
) -> None:
    signed = core.sign_in("nav1", PASSWORD, "dev-nav1", SERVICE_CLIENT)
    clock.advance(minutes=core.settings.token_idle_minutes)
    with pytest.raises(SessionEnded) as ended:
        core.authenticate(signed.token, "dev-nav1")
    assert ended.value.code == "expired"  # a person's idle timeout still applies


# -- `ehub-tui hub create-service-account` ----------------------------------------------------


def _hub_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "hub-config.yaml"
    path.write_text(f"hub_url: {url}\ndata_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    return path


def test_the_cli_prints_the_token_once_and_it_ingests(sqlite_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ehub_tui.cli.hub import hub_app

    config = _hub_config(tmp_path, sqlite_url)
    args = ["create-service-account", "ingest-watch", "--days", "14", "--config", str(config)]
    made = CliRunner().invoke(hub_app, [*args, "--device", DEVICE])
    assert made.exit_code == 0, made.output
    token, device = made.stdout.splitlines()  # the service token file's two lines, nothing else
    assert tokens.looks_like_token(token) and device == DEVICE
    assert made.output.count(token) == 1
    assert "ingest-watch" in made.stderr and "only this once" in made.stderr

    # the command used the hub's real clock, so this core does too
    core = fast_core(Settings(data_dir=tmp_path / "data", hub_url=sqlite_url), utcnow)
    try:
        user = core.system().get_user("ingest-watch")
        assert user is not None and user.role == "service"
        seed_hub(core, FIXTURES / "practices.yaml", USERS)
        watcher = InProcessClient(core, DEVICE, token=token)
        assert len(watcher.store_intake([oc_row(1)]).created) == 1
    finally:
        core.close()

    # a second run issues a new token for the same account, bound to a new device by default
    again = CliRunner().invoke(hub_app, args)
    assert again.exit_code == 0, again.output
    token2, device2 = again.stdout.splitlines()
    assert token2 != token and device2.startswith("service-") and len(device2) <= 64


def test_the_cli_refuses_a_person_s_account(
    sqlite_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    from typer.testing import CliRunner

    from ehub_tui.cli.hub import hub_app

    core = fast_core(Settings(data_dir=tmp_path / "data", hub_url=sqlite_url), clock)
    try:
        seed_hub(core, FIXTURES / "practices.yaml", USERS)
    finally:
        core.close()
    config = _hub_config(tmp_path, sqlite_url)
    refused = CliRunner().invoke(
        hub_app, ["create-service-account", "nav1", "--days", "7", "--config", str(config)]
    )
    assert refused.exit_code != 0
    assert "nav1 is a hub user with role navigator" in refused.output
    assert "Traceback" not in refused.output and refused.stdout == ""
    too_long = CliRunner().invoke(
        hub_app,
        ["create-service-account", "w", "--device", "d" * 65, "--config", str(config)],
    )
    assert too_long.exit_code != 0 and "--device: a device id is 1 to 64" in too_long.output


def test_the_outbox_account_only_reads_outcomes_and_the_watcher_never_does(
    core: HubCore, clock: FrozenClock
) -> None:
    # issue 16: the FHIR outbox reads completed outcomes with their patients; a timer runs it as
    # a machine account of its own (role outbox), so the inbox watcher's token cannot
    core.system().add_user("outbox-writer", "outbox", "the FHIR outbox")
    writer = InProcessClient(
        core,
        "outbox-1",
        token=core.auth.issue_service_token("outbox-writer", "outbox-1", days=7, by="system").token,
    )
    watcher = InProcessClient(
        core,
        DEVICE,
        token=core.auth.issue_service_token("watcher", DEVICE, days=7, by="system").token,
    )
    assert writer.outbox_outcomes() is not None  # allowed (nothing completed yet)
    with pytest.raises(PermissionDenied):
        watcher.outbox_outcomes()
    with pytest.raises(PermissionDenied):
        writer.store_intake([oc_row(1)])  # and it may not ingest
    with pytest.raises(PermissionDenied):
        writer.claim_next()
    denied = [e for e in core.system().audit_log(limit=200) if e.action == "denied"]
    assert {e.actor for e in denied} >= {"watcher", "outbox-writer"}
