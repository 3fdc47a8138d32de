"""A broken settings file is an error for every command, never a traceback and never a quiet
fall-back (the sops commands once checked the shipped SOPs instead of the author's folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    ["sops", "validate"],
    ["sops", "test"],
    ["queue"],
    ["audit", "verify"],
    ["export", "--summary"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_broken_settings_file_is_named_with_its_line(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "config.yaml").write_text("lease_minutes: 10\nsops_dir: [\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EHUB_TUI_")}
    env["EHUB_TUI_HOME"] = str(tmp_path)
    got = subprocess.run(
        [sys.executable, "-m", "ehub_tui.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert got.returncode == 2, (got.stdout, got.stderr)
    assert "config.yaml:" in got.stderr
    assert "Traceback" not in got.stderr + got.stdout
