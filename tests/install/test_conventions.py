"""The project's conventions (issue 16, part 6): what a packager, an IT department or a new
contributor expects of a Python project — one version, ``python -m``, shell completion, a licence,
a changelog in a known form, and a lock file that pins what the project depends on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import ehub_tui

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # Typer's own switch: take the shell named on the command line rather than guess it from
    # the parent process (under CI that is `sh`, which has no completion)
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    return subprocess.run(
        [sys.executable, "-m", "ehub_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )


def test_python_dash_m_runs_the_command_under_its_own_name() -> None:
    done = _run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ehub-tui {ehub_tui.__version__}"
    usage = _run("--help")
    assert usage.returncode == 0 and "Usage: ehub-tui " in usage.stdout


def test_shell_completion_is_offered() -> None:
    usage = _run("--help").stdout
    assert "--install-completion" in usage and "--show-completion" in usage
    script = _run("--show-completion", "bash")
    assert script.returncode == 0, script.stderr
    assert "_EHUB_TUI_COMPLETE" in script.stdout  # the variable the completion script sets


def test_one_version_and_the_package_metadata() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" in project["dynamic"] and "version" not in project
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|rc\d+)?", ehub_tui.__version__)
    assert {"Homepage", "Repository", "Issues", "Changelog"} <= set(project["urls"])
    classifiers = project["classifiers"]
    assert "License :: OSI Approved :: MIT License" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "WITHOUT WARRANTY" in licence


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Keep a Changelog" in text and "Semantic Versioning" in text
    versions = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert versions[0] == ("Unreleased", "")
    released = versions[1:]
    assert released and all(day for _, day in released), "every release has its date"
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v, _ in released)
    # only Keep a Changelog's kinds of change directly under a version
    kinds = set(re.findall(r"^### (.+)$", text, re.M))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, kinds


def _normal(name: str) -> str:
    """A distribution name as PEP 503 compares them (fhir.resources is fhir-resources)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(requirement: str) -> str:
    return _normal(re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0])


def test_the_lock_file_pins_every_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for r in project["optional-dependencies"]["test"]}
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {_normal(m.group(1)) for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==\S+ \\$", lock, re.M)}
    assert wanted - {"ehub-tui"} <= pinned, f"not in requirements.lock: {wanted - pinned}"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 2)[2])
    assert all("--hash=sha256:" in b for b in blocks if "==" in b)  # pip --require-hashes


def test_role_is_a_choice_of_the_roles(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ehub_tui", "users", "add", "bob", "--role", "pilot"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "EHUB_TUI_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 2  # refused before any hub is asked
    said = " ".join(done.stderr.split())
    assert "'pilot' is not one of" in said and "'clinical_approver'" in said
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").rglob("*.sqlite3"))
    assert "Traceback" not in done.stderr
