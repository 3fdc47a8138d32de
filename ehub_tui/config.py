"""Typed settings: defaults, then a YAML file, then ``EHUB_TUI_<KEY>`` environment variables.

- ``EHUB_TUI_CONFIG`` names the settings file (default: ``config.yaml`` under ``EHUB_TUI_HOME``
  when that is set, else in the user config dir). A file named this way must exist.
- Every key can be set by ``EHUB_TUI_<KEY>`` (``EHUB_TUI_LEASE_MINUTES=15``); the environment
  beats the file, and keyword overrides passed to :func:`load_settings` (command-line options)
  beat both. An empty variable counts as unset. A list is a JSON list or comma-separated text.
- ``EHUB_TUI_HOME`` also sets ``data_dir`` (``EHUB_TUI_DATA_DIR`` wins when both are set), so
  tests and demos stay inside one folder.

The file is read with the SOPs' YAML 1.2 loader (``ehub_tui.yamlload``): ``yes``/``no`` stay
text, a key written twice is refused, and every problem names ``file:line``. A value written
unquoted for a text or time key is kept as written, so ``hub_phone: 01131231234`` keeps its
leading zero and ``core_hours_end: 17:00`` is five o'clock (YAML 1.1 would read 1020 minutes).

A hub password is never read from or written to this file: see ``ehub_tui.secrets``. The key
reference is docs/settings.md (a test checks it names every key). The keys themselves, their
defaults and checks are the :class:`~ehub_tui.settings.Settings` model (importable from here).
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import EnvSettingsSource

from ehub_tui.errors import ConfigError as ConfigError  # (leaf errors module; re-exported)
from ehub_tui.settings import ENV_CONFIG, ENV_HOME, default_config_path
from ehub_tui.settings import Settings as Settings  # (re-exported: imported from here)
from ehub_tui.settings import env_var as env_var


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Defaults, then the YAML file (a missing default file = defaults), then the environment,
    then ``overrides`` (None means "not given"). Raises ConfigError naming each bad key, where
    it was set (``file:line``, the variable or the command line) and what is wrong."""
    cfg_path = path or default_config_path()
    explicit = path is not None or ENV_CONFIG in os.environ
    raw: dict[str, Any] = {}
    where: dict[str, _Where] = {}
    if cfg_path.exists() or explicit:
        raw.update(_read_file(cfg_path, where))
    for key, (value, var) in _read_env().items():
        raw[key] = value
        where[key] = _Where(f"environment variable {var}")
    for key, value in overrides.items():
        if value is not None:
            raw[key] = value
            where[key] = _Where("the command line")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        lines = [_explain(err, where, cfg_path) for err in exc.errors()]
        raise ConfigError("\n".join(dict.fromkeys(lines))) from None


class _Where:
    """Where a key was set: a place in the file (with its list items' lines) or a source name."""

    def __init__(self, name: str, items: list[str] | None = None) -> None:
        self.name = name
        self.items = items or []

    def at(self, loc: tuple[int | str, ...]) -> str:
        """The place of the key, or of its list item when the error is about one."""
        if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(self.items):
            return self.items[loc[1]]
        return self.name


def _read_file(cfg_path: Path, where: dict[str, _Where]) -> dict[str, Any]:
    """The file's settings (recording the line of each in ``where``)."""
    from ehub_tui.yamlload import MarkedDict, MarkedList, YamlError, load_yaml

    try:
        text = cfg_path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{cfg_path}: settings file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{cfg_path}: is a folder, not a settings file") from None
    except OSError as exc:
        raise ConfigError(f"{cfg_path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{cfg_path}: not UTF-8 text ({exc.reason})") from None
    try:
        loaded = load_yaml(text)
    except YamlError as exc:
        at = f"{cfg_path}:{exc.mark.line}:{exc.mark.col}" if exc.mark else str(cfg_path)
        # the loader is shared with SOP files and says so; here it is a settings file
        # (its first line: PyYAML adds one saying "in <unicode string>", which helps nobody)
        problem = exc.message.splitlines()[0].replace("SOP file", "settings file")
        raise ConfigError(f"{at}: {problem}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, MarkedDict):
        raise ConfigError(
            f"{cfg_path}: expected a mapping of settings (key: value lines), got "
            f"{_yaml_kind(loaded)}"
        )
    lines = text.splitlines()
    values: dict[str, Any] = {}
    for key, value in loaded.items():
        line = (loaded.value_marks if key in Settings.model_fields else loaded.key_marks)[key].line
        items: list[str] = []
        if isinstance(value, MarkedList):
            items = [f"{cfg_path}:{m.line}" for m in value.item_marks]
        where[key] = _Where(f"{cfg_path}:{line}", items)
        if _keeps_text(key):
            mark = loaded.value_marks[key]
            if isinstance(value, MarkedList):
                value = [
                    _as_written(v, lines, m) for v, m in zip(value, value.item_marks, strict=True)
                ]
            else:
                value = _as_written(value, lines, mark)
        values[key] = value
    return values


def _read_env() -> dict[str, tuple[Any, str]]:
    """``EHUB_TUI_<KEY>`` values as written, with their variables (pydantic-settings finds
    them, in any letter case; an empty one is unset)."""
    values = {k: (v, env_var(k)) for k, v in EnvSettingsSource(Settings)().items()}
    home = os.environ.get(ENV_HOME)
    if home and "data_dir" not in values:
        values["data_dir"] = (home, ENV_HOME)
    return values


def _keeps_text(key: str) -> bool:
    """True for keys whose type is text or a time (or a list of text)."""
    field = Settings.model_fields.get(key)
    if field is None:
        return False
    annotation = field.annotation
    kinds: set[Any] = {annotation}
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        kinds = set(typing.get_args(annotation))
    if typing.get_origin(annotation) is list:
        kinds = {typing.get_args(annotation)[0]}
    # Annotated[str, …] is still text
    kinds = {typing.get_args(k)[0] if typing.get_origin(k) is Annotated else k for k in kinds}
    return bool(kinds & {str, time})


# A plain scalar YAML read as a number, date or time ends at a comment, a comma or a bracket.
_TOKEN_END = re.compile(r"\s+#|[,\]}]|\s*$")


def _as_written(value: Any, lines: list[str], mark: Any) -> Any:
    """The characters written for ``value`` when YAML made a number or date of them."""
    if isinstance(value, str) or not isinstance(value, int | float | date | datetime):
        return value
    try:
        rest = lines[mark.line - 1][mark.col - 1 :]
    except IndexError:
        return value
    if not rest or rest[0] in "'\"!&*":
        return value  # quoted, tagged or an alias: what YAML made of it is what was meant
    end = _TOKEN_END.search(rest)
    token = rest[: end.start() if end else len(rest)].strip()
    return token or value


def _yaml_kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a line of text"
    return f"a single value ({type(value).__name__})"


_PLAIN = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "string_type": "must be text",
    "list_type": "must be a list of names",
    "path_type": "must be a folder or file path",
    "time_parsing": "must be a time like '17:00'",
    "time_type": "must be a time like '17:00'",
    "date_parsing": "must be a date like 2020-01-01",
    "date_type": "must be a date like 2020-01-01",
    "date_from_datetime_parsing": "must be a date like 2020-01-01",
    "date_from_datetime_inexact": "must be a date like 2020-01-01, without a time",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
}
_SECRET_KEYS = {"hub_url"}  # never echoed: a URL may carry a password


def _explain(err: ErrorDetails, where: Mapping[str, _Where], cfg_path: Path) -> str:
    """One line: where the value was set, the key, what is wrong."""
    loc = tuple(err["loc"])
    kind = err["type"]
    message = str(err["msg"]).removeprefix("Value error, ")
    if not loc:  # a rule across keys: name where each key it mentions was set
        named = [k for k in Settings.model_fields if re.search(rf"\b{k}\b", message)]
        places = list(dict.fromkeys(where[k].name for k in named if k in where))
        return f"{' and '.join(places) or cfg_path}: {message}"
    key = str(loc[0])
    place = where[key].at(loc) if key in where else str(cfg_path)
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(key, Settings.model_fields, n=1)
        hint = f" (did you mean {close[0]}?)" if close else " (docs/settings.md lists them)"
        return f"{place}: {key}: is not a setting{hint}"
    if kind in _PLAIN:
        message = _PLAIN[kind].format(**(err.get("ctx") or {}))
    if kind != "value_error" and key not in _SECRET_KEYS:
        shown = repr(err["input"])
        message += f" (got {shown if len(shown) <= 60 else shown[:57] + '…'})"
    item = f" item {loc[1] + 1}" if len(loc) > 1 and isinstance(loc[1], int) else ""
    return f"{place}: {key}{item}: {message}"
