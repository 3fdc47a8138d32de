"""Random and malformed SOP YAML never gives a traceback: always located errors, exit code 2."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.sop.loader import load_set, load_sop
from tests.sop.conftest import BASE

BASE_LINES = BASE.splitlines(keepends=True)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check(path: Path, text: str | bytes) -> None:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    sop, problems = load_sop(path, date(2026, 11, 23))
    errors = [p for p in problems if p.severity == "error"]
    assert (sop is None) == bool(errors)
    for p in problems:
        assert p.file == str(path) and p.line >= 1 and p.col >= 1 and p.message


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(BASE_LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "insert", "cut"]))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "indent":
            lines[i] = "  " + lines[i]
        elif kind == "dedent":
            lines[i] = lines[i][2:] if lines[i].startswith("  ") else lines[i]
        elif kind == "insert":
            pos = draw(st.integers(0, len(lines[i])))
            junk = draw(st.text(alphabet=":{}[]-,'\"#&*!|>% \tab1\n", max_size=6))
            lines[i] = lines[i][:pos] + junk + lines[i][pos:]
        else:
            lines = lines[:i]
        if not lines:
            break
    return "".join(lines)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["sop", "id", "routes", "when", "field", "all", "eq", "inputs", "x"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@SETTINGS
@given(text=mutated())
def test_mutated_sops(tmp_path: Path, text: str) -> None:
    check(tmp_path / "m.sop.yaml", text)


@SETTINGS
@given(text=st.text(max_size=200))
def test_random_text(tmp_path: Path, text: str) -> None:
    check(tmp_path / "t.sop.yaml", text)


@SETTINGS
@given(data=st.binary(max_size=120))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    check(tmp_path / "b.sop.yaml", data)


@SETTINGS
@given(value=yaml_values)
def test_random_structures(tmp_path: Path, value: object) -> None:
    check(tmp_path / "s.sop.yaml", yaml.safe_dump(value))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=mutated())
def test_cli_exit_codes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.sop.yaml"
    path.write_text(text, encoding="utf-8")
    whole = load_set([path], date.today())
    result = CliRunner().invoke(app, ["sops", "validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if not whole.ok:
        assert result.exit_code == 2 and re.search(r":\d+:\d+: error: ", result.stderr)
    else:
        assert result.exit_code == 0
