"""`ehub-tui audit verify --since-checkpoint` on the command line, on both engines: one JSON
object naming the checkpoint it started from, a plain sentence without one, a broken event named
with exit 1, and no checkpoint a plain refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.service import HubService
from ehub_tui.store import checkpoints
from tests.store.test_tamper import head, hub, scalar, sql  # noqa: F401 (hub: a fixture)
from tests.support.factories import oc_row


@pytest.fixture
def verify(
    hub: HubService,  # noqa: F811
    hub_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> list[str]:
    """The command, pointed at the signed tamper hub with work after its checkpoint, trusting
    the public key `audit key` exports."""
    monkeypatch.setenv("EHUB_TUI_HUB_URL", hub_url)
    key = tmp_path / "hub.pub"
    key.write_text(checkpoints.public_pem(hub.audit_key().public))
    hub.store_intake([oc_row(i) for i in range(30, 33)])
    return ["audit", "verify", "--since-checkpoint", "--public-key", str(key)]


def test_json_is_one_object_naming_the_checkpoint(verify: list[str], hub: HubService) -> None:  # noqa: F811
    cp = int(scalar(hub, "SELECT max(seq) FROM audit_checkpoint"))
    result = CliRunner().invoke(app, [*verify, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict) and data["ok"] is True
    assert data["since_checkpoint"]["seq"] == cp and data["since_checkpoint"]["at"]
    assert data["events"] == head(hub) - cp


def test_text_says_where_it_started_and_how_much_it_checked(
    verify: list[str],
    hub: HubService,  # noqa: F811
) -> None:
    cp = int(scalar(hub, "SELECT max(seq) FROM audit_checkpoint"))
    result = CliRunner().invoke(app, verify)
    assert result.exit_code == 0, result.output
    assert f"From the signed checkpoint at event {cp}" in result.stderr
    assert f"since the checkpoint at event {cp}: {head(hub) - cp} later events" in result.stdout


def test_a_changed_event_after_the_checkpoint_exits_1_naming_it(
    verify: list[str],
    hub: HubService,  # noqa: F811
) -> None:
    last = head(hub)
    sql(hub, "UPDATE audit_event SET actor = 'mallory' WHERE seq = :s", s=last)
    result = CliRunner().invoke(app, verify)
    assert result.exit_code == 1
    assert f"Audit broken at event {last}" in result.stderr and f"event {last}:" in result.stderr


def test_no_checkpoint_is_refused_plainly(verify: list[str], hub: HubService) -> None:  # noqa: F811
    sql(hub, "DELETE FROM audit_checkpoint")
    result = CliRunner().invoke(app, verify)
    assert result.exit_code == 2
    assert "run `ehub-tui audit checkpoint` first, or a full" in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


def test_help_states_the_trade_off() -> None:
    result = CliRunner().invoke(app, ["audit", "verify", "--help"], terminal_width=200)
    text = " ".join(result.stdout.split())
    assert "--since-checkpoint" in text and "before the checkpoint" in text
