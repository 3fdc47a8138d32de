"""The editor an SOP author edits a file in: $VISUAL, else $EDITOR, else nano or vi. In a
terminal the app steps aside for it; a headless app (tests, automation) runs it with no
terminal, in a worker, for at most ``HEADLESS_EDITOR_TIMEOUT`` seconds."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
from pathlib import Path

HEADLESS_EDITOR_TIMEOUT = 120  # seconds; a headless app has no terminal to hand over


def editor_command() -> list[str] | None:
    """$VISUAL, else $EDITOR (either may carry arguments), else nano or vi; None: no editor."""
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                return shlex.split(value)
            except ValueError:
                return [value]
    for name in ("nano", "vi"):
        if shutil.which(name):
            return [name]
    return None


def digest(path: Path) -> str | None:
    """The file's sha256 (None: unreadable), to tell whether an edit changed it."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def run_headless(command: list[str], path: Path) -> int:
    """Run the editor on ``path`` with no terminal; its exit status. Raises OSError or
    subprocess.SubprocessError (a timeout) when it cannot run."""
    result = subprocess.run(
        [*command, str(path)],
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=HEADLESS_EDITOR_TIMEOUT,
    )
    return result.returncode
