"""Prompts and their cancellation: a prompt is written to stderr (so ``--json`` on stdout stays
valid JSON when the CLI has to ask for a password), and ctrl-c or ctrl-d at a prompt is a plain
"cancelled" with exit 130, never "unexpected Abort" (both found in a tmux trial)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import typer

from ehub_tui.cli.output import friendly_errors

CLI = Path(__file__).resolve().parents[2] / "ehub_tui" / "cli"


def test_cancelling_a_prompt_is_a_plain_cancel(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exit_, friendly_errors():
        raise typer.Abort()
    assert exit_.value.exit_code == 130
    assert "cancelled" in capsys.readouterr().err


def test_every_prompt_writes_to_stderr() -> None:
    prompts = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("prompt", "confirm")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "typer"
            ):
                on_stderr = any(
                    k.arg == "err" and isinstance(k.value, ast.Constant) and k.value.value is True
                    for k in node.keywords
                )
                prompts.append((f"{path.name}:{node.lineno}", on_stderr))
    assert prompts, "no prompt found: the walk is broken"
    assert [where for where, ok in prompts if not ok] == []
