"""What `ehub-tui ingest FILE` pays for, and what it keeps (issue 18, ingest_cli_vs_library):
the SOPs are loaded once per invocation, each stored batch is screened once (one prescreen
event a batch, written in bulk), every stored item is screened before the command ends, the
audit chain verifies, and nothing is left kept out of the garbage collector."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.config import Settings
from ehub_tui.ingest import generate
from ehub_tui.ingest.runner import BATCH, Ingester
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
from ehub_tui.sop.library import SopLibrary
from ehub_tui.store.engine import read_tx
from tests.conftest import FIXTURES, REPO

N = BATCH + 300  # two batches: a full one and a part


@pytest.fixture
def hub_file(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An embedded hub with the fixture practices, named the way the CLI finds it."""
    monkeypatch.chdir(REPO)
    settings = Settings(data_dir=tmp_path / "data", hub_url=sqlite_url)
    svc = HubService.open(settings)
    svc.import_practices(load_practices(FIXTURES / "practices.yaml"))
    svc.close()
    monkeypatch.setenv("EHUB_TUI_HUB_URL", sqlite_url)
    return sqlite_url


@pytest.fixture
def reloads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each time a SOP library is (re)loaded, an entry (the load itself still runs)."""
    seen: list[int] = []
    real = SopLibrary.reload

    def counted(self: SopLibrary) -> object:
        seen.append(1)
        return real(self)

    monkeypatch.setattr(SopLibrary, "reload", counted)
    return seen


def test_the_cli_screens_each_batch_once_with_sops_loaded_once(
    hub_file: str, tmp_path: Path, reloads: list[int]
) -> None:
    src = tmp_path / "ocs.ndjson"
    generate.write_ndjson(generate.generate_records(N, 11), src)
    got = CliRunner().invoke(app, ["ingest", str(src), "--json"])
    assert got.exit_code == 0, got.output
    out = json.loads(got.stdout)
    assert out["totals"]["new"] == N and out["screened"] == N
    assert len(reloads) == 1  # the SOP set loaded and checked once for the whole run
    assert gc.get_freeze_count() == 0  # handed back to the collector when the ingest ended

    svc = HubService.open(Settings(data_dir=tmp_path / "data", hub_url=hub_file))
    try:
        with read_tx(svc.engine) as conn:
            unscreened = conn.execute(
                text("SELECT count(*) FROM consultation WHERE screened_at IS NULL")
            ).scalar_one()
            events = dict(
                conn.execute(text("SELECT action, count(*) FROM audit_event GROUP BY action")).all()
            )
        assert unscreened == 0
        # one prescreen event per stored batch (the last pass found nothing left to screen)
        assert events["prescreen"] == 2
        assert svc.verify_audit().ok
    finally:
        svc.close()


def test_a_failed_ingest_leaves_nothing_frozen(
    hub_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = HubService.open(Settings(data_dir=tmp_path / "data", hub_url=hub_file))
    src = tmp_path / "ocs.ndjson"
    generate.write_ndjson(generate.generate_records(30, 3), src)

    def refused(*_: object, **__: object) -> object:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(svc, "store_intake", refused)
    try:
        with pytest.raises(RuntimeError):
            Ingester(svc, settings=svc.settings, screen_batches=True).ingest_paths([src])
        assert gc.get_freeze_count() == 0
    finally:
        svc.close()
