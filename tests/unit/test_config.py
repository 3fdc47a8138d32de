"""Typed settings from YAML with environment overrides; bad files give located messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from ehub_tui.config import ConfigError, load_settings


def test_defaults_use_ehub_tui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EHUB_TUI_HOME", str(tmp_path / "h"))
    s = load_settings()
    assert s.data_dir == tmp_path / "h"
    assert s.database_url == f"sqlite:///{tmp_path / 'h' / 'hub.sqlite3'}"
    assert s.is_embedded


def test_config_file_named_by_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("hub_url: postgresql://nav@hub.example:5432/ehub\nlease_minutes: 15\n")
    monkeypatch.setenv("EHUB_TUI_CONFIG", str(cfg))
    s = load_settings()
    assert s.database_url == "postgresql+psycopg://nav@hub.example:5432/ehub"
    assert s.lease_minutes == 15 and not s.is_embedded


def test_env_hub_url_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("lease_minutes: 5\n")
    monkeypatch.setenv("EHUB_TUI_HUB_URL", f"sqlite:///{tmp_path}/x.db")
    assert load_settings(cfg).database_url == f"sqlite:///{tmp_path}/x.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lease_minutes: [1\n", "c.yaml:2:1"),
        ("- a list\n", "expected a mapping"),
        ("lease_minutes: 0\n", "lease_minutes"),
        ("colour: blue\n", "colour"),
        ("hub_url: postgresql://nav:secret@hub/ehub\n", "must not contain a password"),
        ("hub_url: mysql://x/y\n", "not supported"),
    ],
)
def test_bad_settings_are_located(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg)


def test_missing_named_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EHUB_TUI_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="not found"):
        load_settings()


def test_paths_are_expanded_and_urls_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EHUB_TUI_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data_dir: ~/hubdata\n")
    assert load_settings(cfg).data_dir == tmp_path / "hubdata"
    for bad, words in [
        ("hub_url: 'sqlite://'\n", "must name a file"),
        ("hub_url: 'sqlite:///:memory:'\n", "must name a file"),
        ("hub_url: 'postgresql://u@h/db?password=x'\n", "must not contain a password"),
        ("core_hours_start: '18:00'\ncore_hours_end: '08:00'\n", "before core_hours_end"),
    ]:
        cfg.write_text(bad)
        with pytest.raises(ConfigError, match=words):
            load_settings(cfg)
