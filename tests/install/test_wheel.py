"""The package as a user gets it: build the sdist and, from it, the wheel; install the wheel into
a fresh venv outside the repository; and from an empty folder run ``ehub-tui sops validate``,
``ehub-tui demo`` and a headless start of the app. Nothing may come from the checkout: the SOPs
and the demo fixtures must be inside the wheel (the installed-without-SOPs bug of issue 12).

Slow (about a minute: a build and a dependency install), and part of ``make test``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEADLESS = Path(__file__).with_name("headless_start.py")


def run(cmd: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; its standard output (a failure shows both streams)."""
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (outside the repository) with the wheel built from this checkout."""
    root = tmp_path_factory.mktemp("wheel")
    assert REPO not in root.parents  # outside the checkout: nothing can be found beside it
    dist = root / "dist"
    # sdist first, then the wheel from the unpacked sdist: proves the sdist is complete too
    run([sys.executable, "-m", "build", "--outdir", dist, REPO], cwd=root)
    wheels = sorted(dist.glob("ehub_tui-*.whl"))
    assert len(wheels) == 1 and sorted(dist.glob("ehub_tui-*.tar.gz")), list(dist.iterdir())
    venv = root / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=root)
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheels[0]], cwd=root)
    return venv


def user_env(home: Path) -> dict[str, str]:
    """The environment of a user with a demo hub in ``home`` and nothing of the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EHUB_TUI_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        EHUB_TUI_HOME=str(home),
        PYTHON_KEYRING_BACKEND="ehub_tui.secrets.MemoryKeyring",
        TERM="xterm-256color",
    )
    return env


@pytest.mark.slow
def test_the_installed_wheel_validates_builds_the_demo_and_starts(
    installed: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"  # no sops/ or fixtures/ to fall back on
    empty.mkdir()
    env = user_env(tmp_path / "home")
    ehub = installed / "bin" / "ehub-tui"

    shipped = run(
        [
            installed / "bin" / "python",
            "-c",
            "from ehub_tui import resources as r; "
            "print(r.shipped_sops_dir()); print(r.demo_fixtures_dir())",
        ],
        cwd=empty,
        env=env,
    ).split()
    for folder in shipped:
        assert Path(folder).is_relative_to(installed), shipped  # the wheel's, not the checkout's

    validated = json.loads(run([ehub, "sops", "validate", "--json"], cwd=empty, env=env))
    assert validated["ok"] and validated["errors"] == 0
    assert {s["id"] for s in validated["sops"]} >= {"red-flags", "clinical-routing"}
    assert all(Path(s["file"]).is_relative_to(installed) for s in validated["sops"])

    demo = json.loads(run([ehub, "demo", "--json"], cwd=empty, env=env))
    users = demo.pop("users")
    assert users >= 8  # the demo users (and this computer's user, when not one of them)
    # every demo user (and this OS login, unless the policy refuses it) gets the demo password
    assert demo.pop("password") == "walk-the-queue-2026"
    assert demo.pop("passwords_set") >= 8
    # the demo reads as today: most of the fixtures' fortnight is already worked, some wait
    completed = demo.pop("completed")
    assert 0 < completed < 179, completed
    assert {k: demo[k] for k in ("practices", "new", "duplicate", "quarantined")} == {
        "practices": 7,
        "new": 179,
        "duplicate": 0,
        "quarantined": 0,
    }
    assert isinstance(demo["working_day"], bool) and "opens" in demo  # when the hub opens next

    waiting = str(179 - completed)
    started = json.loads(run([installed / "bin" / "python", HEADLESS, waiting], cwd=empty, env=env))
    assert Path(started["module"]).is_relative_to(installed)
    assert f"Queue ({waiting})" in started["queue"] or f"Queue ({waiting} · " in started["queue"]
    # the first item guided by the SOPs the wheel seeded the new hub with
    assert any(t in started["triage"] for t in ("RED FLAGS", "Ask the patient", "Suggested route"))
    assert not started["no_guidance"]
