"""The red-flag prescreen raises the priority of consultations whose SOP red flags match."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.service import HubService
from ehub_tui.store.engine import create_hub_engine, read_tx, write_tx
from ehub_tui.store.migrate import upgrade
from tests.conftest import FIXTURES, REPO
from tests.support.factories import oc_row
from tests.support.hubserver import cli_hub


@pytest.fixture
def hub(
    seeded: HubService, hub_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[HubService]:
    """The hub as the CLI reaches it: embedded SQLite, or PostgreSQL through its server (where
    the hub itself screens each intake as it stores it)."""
    monkeypatch.chdir(REPO)  # the shipped sops/
    with cli_hub(seeded, hub_url, monkeypatch, tmp_path) as service:
        yield service


def test_prescreen_raises_priority_and_due_time(hub: HubService) -> None:
    rows = [
        oc_row(1, free_text="Woke up with the worst headache of my life, being sick"),
        oc_row(2, free_text="sore throat for 3 days", template="sore_throat"),
        oc_row(3, priority=2, free_text="supplier said emergency; nothing in the text"),
    ]
    created, _ = hub.store_intake(rows)
    ids = [cid for _, cid in created]
    assert hub.prescreen() == 3
    assert hub.prescreen() == 0  # idempotent
    first, second, third = (hub.consultation(i) for i in ids)
    assert first.priority == 2 and first.sop_flags and first.sop_flags[0]["level"] == "emergency"
    assert first.due_by.isoformat() == "2026-11-23T18:30:00+00:00"  # same day now
    assert second.priority == 0 and second.sop_flags == []
    assert third.priority == 2  # never lowered
    event = next(e for e in hub.audit_log() if e.action == "prescreen")
    assert event.body["raised"][0][0] == ids[0]
    assert hub.verify_audit().ok
    nav = HubService(hub.engine, hub.settings, "nav1", clock=hub.clock)
    assert nav.claim_next().item_id in (ids[0], ids[2])


def test_cli_ingest_screens_what_it_stores(hub: HubService, hub_url: str) -> None:
    r = CliRunner().invoke(app, ["ingest", str(FIXTURES / "oc"), "--json"])
    assert r.exit_code == 0, r.output
    if hub_url.startswith("sqlite"):  # the embedded hub: the command screens what it stored
        assert json.loads(r.stdout)["screened"] == 179
    # through a hub server the hub screens each intake itself: every flagged item is raised
    expected = json.loads(
        json.dumps(
            __import__("yaml").safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))
        )
    )
    flagged = [k for k, v in expected.items() if v.get("red_flags")]
    for ext in flagged:
        cid = next(
            hub.find_consultation_id(src, ext)
            for src in ("eConsult", "Accurx", "PATCHS", "Klinik", "Anima")
            if hub.find_consultation_id(src, ext)
        )
        assert hub.consultation(cid).priority == 2, ext


def test_upgrade_from_0001_keeps_data(hub_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from ehub_tui.store.migrate import MIGRATIONS

    engine = create_hub_engine(hub_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with write_tx(engine) as conn:
        conn.execute(
            text(
                "INSERT INTO practice (ods_code, name, pcn_code, pcn_name, list_size, "
                "active) VALUES ('Z99001', 'P', '', '', 1, true)"
            )
        )
    assert upgrade(engine) is True
    with read_tx(engine) as conn:
        assert conn.execute(text("SELECT name FROM practice")).scalar() == "P"
        assert conn.execute(text("SELECT count(screened_at) FROM consultation")).scalar() == 0
    engine.dispose()
