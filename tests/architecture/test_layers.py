"""Layers: nothing outside ehub_tui/ui imports Textual (checked in a clean subprocess)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "ehub_tui"


@pytest.mark.db  # `audit verify` through the CLI opens a hub (in a subprocess)
def test_cli_and_core_do_not_load_textual() -> None:
    code = (
        "import sys\n"
        "import ehub_tui.cli, ehub_tui.service, ehub_tui.store.queue, ehub_tui.store.migrate\n"
        "import ehub_tui.ingest.runner, ehub_tui.ingest.generate, ehub_tui.config\n"
        "import ehub_tui.triage, ehub_tui.triage.session  # headless triage: no Textual\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(ehub_tui.cli.app, ['queue', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(ehub_tui.cli.app, ['audit', 'verify', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_no_module_outside_ui_imports_textual() -> None:
    offenders = []
    for path in PKG.rglob("*.py"):
        if "ui" in path.relative_to(PKG).parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "textual" or n.startswith("textual.") for n in names):
                offenders.append(str(path))
    assert offenders == []
