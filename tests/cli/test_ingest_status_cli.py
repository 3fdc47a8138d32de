"""`ehub-tui ingest` says what the responses' statuses did (issue 16), in its summary and in
--json: waiting (in progress) and withdrawn records are counted apart from new, duplicate and
quarantined ones, and are not a failure (exit 0). The rules themselves are tested on both
engines in tests/service/test_response_status.py; this is the CLI's wording, on SQLite only (two
CLI runs cost ~5 s an engine)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.service import HubService
from tests.support.fhir_status import response, write_ndjson
from tests.support.hubserver import cli_hub

PASSWORD = "blue-kettle-orchard-7"


@pytest.fixture
def hub(
    seeded: HubService, hub_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[HubService]:
    """The seeded hub as the CLI reaches it (as tests/cli/test_ingest_cli.py's)."""
    with cli_hub(seeded, hub_url, monkeypatch, tmp_path, PASSWORD) as service:
        yield service


@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)
def test_ingest_counts_waiting_and_withdrawn_responses_apart(
    hub: HubService, tmp_path: Path
) -> None:
    path = write_ndjson(
        tmp_path / "statuses.ndjson",
        response(1, "in-progress"),
        response(2),
        response(3, "entered-in-error"),
    )
    got = CliRunner().invoke(app, ["ingest", str(path), "--json"])
    assert got.exit_code == 0, got.output
    summary = json.loads(got.stdout)
    assert summary["totals"]["new"] == 1 and summary["totals"]["quarantined"] == 0
    assert summary["statuses"]["waiting"] == 1
    assert summary["statuses"]["withdrawn_unknown"] == 1
    again = CliRunner().invoke(app, ["ingest", str(path)])
    assert again.exit_code == 0, again.output
    words = " ".join(again.output.split())
    assert "1 waiting (in progress)" in words
    assert "1 withdrawn before the hub had them (nothing stored)" not in words  # a re-send
