"""The global --log-level / --log-format options, through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EHUB_TUI_")}
    env["EHUB_TUI_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "ehub_tui.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_info_lines_go_to_stderr_and_json_is_one_object_a_line(tmp_path: Path) -> None:
    assert _run(tmp_path, "demo").returncode == 0  # practices and users; its items are duplicates
    quiet = _run(tmp_path, "ingest", str(FIXTURES / "oc" / "klinik_2026-11-18.ndjson"))
    assert quiet.returncode == 0, quiet.stderr
    assert "ehub-tui: info" not in quiet.stderr  # warnings only by default: output unchanged
    loud = _run(
        tmp_path,
        "--log-level",
        "info",
        "--log-format",
        "json",
        "ingest",
        str(FIXTURES / "oc" / "klinik_2026-11-18.ndjson"),
    )
    assert loud.returncode == 0, loud.stderr
    lines = [json.loads(line) for line in loud.stderr.splitlines() if line.startswith("{")]
    assert lines, loud.stderr
    assert {line["level"] for line in lines} >= {"info"}
    assert all(line["logger"].startswith("ehub_tui") for line in lines)


def test_unknown_level_or_format_is_a_plain_error(tmp_path: Path) -> None:
    for args, words in (
        (("--log-level", "loud"), "log level 'loud'"),
        (("--log-format", "xml"), "--log-format must be text or json"),
    ):
        got = _run(tmp_path, *args, "queue")
        assert got.returncode == 2
        assert words in got.stderr
        assert "Traceback" not in got.stderr
