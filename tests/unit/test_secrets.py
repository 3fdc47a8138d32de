"""Hub passwords live in the keyring, never in a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ehub_tui import secrets
from ehub_tui.cli import app
from ehub_tui.store.engine import create_hub_engine

URL = "postgresql+psycopg://nav1@hub.example:5432/ehub"


def test_login_stores_in_keyring_and_engine_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EHUB_TUI_HUB_URL", URL)
    result = CliRunner().invoke(app, ["login", "--password-stdin"], input="s3cret!\n")
    assert result.exit_code == 0, result.output
    assert secrets.fetch_password(URL) == "s3cret!"
    engine = create_hub_engine(URL)
    assert engine.url.password == "s3cret!"
    # nothing was written under the data dir or config
    home = tmp_path / "ehub-home"
    assert not home.exists() or all(
        "s3cret" not in p.read_text(errors="ignore") for p in home.rglob("*") if p.is_file()
    )
    result = CliRunner().invoke(app, ["login", "--forget"])
    assert result.exit_code == 0 and secrets.fetch_password(URL) is None


def test_login_on_embedded_hub_is_refused() -> None:
    result = CliRunner().invoke(app, ["login", "--password-stdin"], input="x\n")
    assert result.exit_code == 2 and "needs no password" in result.stderr
