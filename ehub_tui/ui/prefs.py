"""The user's display preferences (the chosen theme), remembered across runs.

Kept in ``ui.json`` beside the user's config file: under EHUB_TUI_HOME when it is set, else the
XDG config dir (never the current directory). It holds a theme name and nothing else: no
secrets, no patient data. Read once when the app is built; written by a worker when the theme
changes (the UI thread does no I/O). A missing or unreadable file means "the defaults".
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from ehub_tui.settings import APP_NAME, ENV_HOME

log = logging.getLogger(__name__)

FILE = "ui.json"


def prefs_path() -> Path:
    """Where the preferences live: EHUB_TUI_HOME/ui.json, else the XDG config dir's."""
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser() / FILE
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / FILE


def load_theme(path: Path) -> str | None:
    """The theme saved in ``path`` (None: none saved, or the file cannot be read)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("display preferences %s not read (%s): the defaults apply", path, exc)
        return None
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) and theme else None


def save_theme(path: Path, theme: str) -> None:
    """Remember ``theme`` in ``path`` (written whole, then moved into place)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"theme": theme}) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # a preference is never worth stopping for
        log.warning("the theme was not remembered (%s): %s", path, exc)
