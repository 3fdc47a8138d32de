"""Typed settings from YAML with environment overrides; bad files give located messages."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from ehub_tui.config import ConfigError, Settings, load_settings


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


# -- every key from the environment (issue 12) -------------------------------------------------


def test_every_key_has_a_variable_and_env_beats_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("lease_minutes: 5\nhub_phone: '0113 000 0000'\nmax_field_chars: 500\n")
    monkeypatch.setenv("EHUB_TUI_LEASE_MINUTES", "15")
    monkeypatch.setenv("ehub_tui_max_file_bytes", "200000")  # the letter case does not matter
    monkeypatch.setenv("EHUB_TUI_CORE_HOURS_END", "17:00")
    monkeypatch.setenv("EHUB_TUI_OLDEST_RECEIVED", "2021-04-01")
    monkeypatch.setenv("EHUB_TUI_WATCH_SETTLE_SECONDS", "0.5")
    monkeypatch.setenv("EHUB_TUI_SOPS_DIR", "~/sops")
    monkeypatch.setenv("EHUB_TUI_HUB_PHONE", "")  # empty: unset, the file's value stays
    monkeypatch.setenv("HOME", str(tmp_path))
    s = load_settings(cfg)
    assert s.lease_minutes == 15  # env over file
    assert s.max_field_chars == 500  # file over default
    assert s.hub_phone == "0113 000 0000"
    assert s.max_file_bytes == 200_000
    assert s.core_hours_end == time(17, 0)
    assert s.oldest_received == date(2021, 4, 1)
    assert s.watch_settle_seconds == 0.5
    assert s.sops_dir == tmp_path / "sops"
    assert s.statement_timeout_seconds == 8  # default


def test_command_line_overrides_beat_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EHUB_TUI_HUB_URL", f"sqlite:///{tmp_path}/env.db")
    s = load_settings(hub_url=f"sqlite:///{tmp_path}/cli.db", user=None)
    assert s.hub_url == f"sqlite:///{tmp_path}/cli.db"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Accurx, PATCHS ,eConsult,", ["Accurx", "PATCHS", "eConsult"]),
        ('["Accurx", "Engage Consult"]', ["Accurx", "Engage Consult"]),
        ("Solo", ["Solo"]),
    ],
)
def test_lists_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("EHUB_TUI_SUPPLIERS", value)
    assert load_settings().suppliers == expected


def test_ehub_tui_home_is_the_data_dir_unless_data_dir_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EHUB_TUI_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "config.yaml").write_text(f"data_dir: {tmp_path / 'file'}\n")
    assert load_settings().data_dir == tmp_path / "home"  # as before: HOME beats the file
    monkeypatch.setenv("EHUB_TUI_DATA_DIR", str(tmp_path / "data"))
    assert load_settings().data_dir == tmp_path / "data"


def test_unknown_ehub_tui_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EHUB_TUI_DEBUG", "1")
    monkeypatch.setenv("EHUB_TUI_NOT_A_KEY", "x")
    assert load_settings().lease_minutes == 10


def test_settings_in_code_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings(...) holds what it is given: only load_settings reads the file and env."""
    monkeypatch.setenv("EHUB_TUI_LEASE_MINUTES", "99")
    assert Settings().lease_minutes == 10


@pytest.mark.parametrize(
    ("var", "value", "words"),
    [
        ("EHUB_TUI_LEASE_MINUTES", "ten", "must be a whole number (got 'ten')"),
        ("EHUB_TUI_LEASE_MINUTES", "0", "must be at least 1 (got '0')"),
        ("EHUB_TUI_MAX_RECORD_BYTES", "1e12", "must be a whole number"),
        ("EHUB_TUI_OLDEST_RECEIVED", "01/02/2020", "must be a date like 2020-01-01"),
        ("EHUB_TUI_CORE_HOURS_START", "25:00", "must be a time like '17:00'"),
        ("EHUB_TUI_SUPPLIERS", '["Accurx",', "write a JSON list"),
        ("EHUB_TUI_SUPPLIERS", "A,\x1b[2J", "short printable name"),
        ("EHUB_TUI_HUB_URL", "postgresql://u:hunter2@h/db", "must not contain a password"),
    ],
)
def test_bad_environment_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, words: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    text = str(caught.value)
    key = var.removeprefix("EHUB_TUI_").lower()
    assert text.startswith(f"environment variable {var}: {key}")
    assert words in text
    assert "hunter2" not in text and "Traceback" not in text


def test_yaml_1_2_text_keeps_what_was_written(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "hub_phone: 01131231234   # the hub's line\n"
        "core_hours_start: 08:00\n"
        "core_hours_end: 17:00\n"
        "user: 007\n"
        "suppliers: [Accurx, 0123, yes]\n"
        "oldest_received: 2021-01-01\n"
        "lease_minutes: 12\n"
    )
    s = load_settings(cfg)
    assert s.hub_phone == "01131231234"
    assert (s.core_hours_start, s.core_hours_end) == (time(8, 0), time(17, 0))
    assert s.user == "007"
    assert s.suppliers == ["Accurx", "0123", "yes"]  # yes is text in YAML 1.2
    assert s.oldest_received == date(2021, 1, 1)
    assert s.lease_minutes == 12


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lease_minutes: 5\nhub_phone: x\nlease_minutes: 6\n", "duplicate key 'lease_minutes'"),
        ("lease_minutes: 5\nlease_minutse: 6\n", "c.yaml:2: lease_minutse: is not a setting"),
        ("lease_minutes: 5\nlease_minutse: 6\n", "did you mean lease_minutes?"),
        ("\n\nmax_field_chars: lots\n", "c.yaml:3: max_field_chars: must be a whole number"),
        ("suppliers:\n  - Accurx\n  - ''\n", "c.yaml:3: suppliers"),
        ("core_hours_end: 25:00\n", "c.yaml:1: core_hours_end: must be a time like '17:00'"),
        ("oldest_received: soon\n", "c.yaml:1: oldest_received: must be a date"),
        ("core_hours_start: '19:00'\n", "c.yaml:1: core_hours_start must be before core_hours_end"),
        ("<<: {b: 1}\n", "c.yaml:1:1: merge keys (<<) are not allowed in settings files"),
        ("hub_phone: !!python/name:os.system x\n", "c.yaml:1:12: cannot read this value"),
    ],
)
def test_bad_file_values_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)
    assert message in str(caught.value)


def test_unreadable_files_are_plain_errors(tmp_path: Path) -> None:
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        load_settings(tmp_path / "folder.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"hub_phone: caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(bad)


def test_the_cli_shows_a_bad_variable_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from ehub_tui.cli import app

    monkeypatch.setenv("EHUB_TUI_LEASE_MINUTES", "0")
    result = CliRunner().invoke(app, ["queue"])
    assert result.exit_code == 2
    assert "EHUB_TUI_LEASE_MINUTES" in result.stderr and "lease_minutes" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
