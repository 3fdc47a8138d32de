"""The shipped fixtures are up to date with their sources and parse as intended."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import FIXTURES, REPO


def test_fixture_files_match_their_sources() -> None:
    r = subprocess.run(
        [sys.executable, str(FIXTURES / "build_fixtures.py"), "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_fixtures_parse_and_match_expected() -> None:
    r = subprocess.run(
        [sys.executable, str(FIXTURES / "build_fixtures.py"), "--verify"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
