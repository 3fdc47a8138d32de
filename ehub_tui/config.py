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
reference is docs/settings.md (a test checks it names every key).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ehub_tui.errors import ConfigError as ConfigError  # (leaf errors module; re-exported)

APP_NAME = "ehub-tui"
ENV_PREFIX = "EHUB_TUI_"
# Variables that are not keys: the settings file, the data-dir shorthand, tracebacks on demand.
ENV_CONFIG = "EHUB_TUI_CONFIG"
ENV_HOME = "EHUB_TUI_HOME"


def _supplier_name(value: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > 40 or not cleaned.isprintable():
        raise ValueError("each supplier is a short printable name (1-40 characters)")
    return cleaned


# checked one by one, so that a problem names the list item (and its line)
SupplierName = Annotated[str, AfterValidator(_supplier_name)]


class Settings(BaseSettings):
    """Everything the app can be configured with.

    ``Settings(...)`` in code holds exactly what it is given (and the defaults): only
    :func:`load_settings` reads the file and the environment, because only it can say where a
    bad value came from.
    """

    model_config = SettingsConfigDict(
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        case_sensitive=False,
    )

    data_dir: Path = Field(default_factory=lambda: default_data_dir())
    hub_url: str | None = None
    lease_minutes: int = Field(default=10, ge=1, le=240)
    core_hours_start: time = time(8, 0)
    core_hours_end: time = time(18, 30)
    sops_dir: Path | None = None
    user: str | None = None
    hub_phone: str = ""

    # -- ingest: limits a supplier file must keep (a record over them is quarantined, not lost) --
    max_field_chars: int = Field(default=20_000, ge=100, le=10_000_000)
    max_record_bytes: int = Field(default=1_048_576, ge=1_000, le=100_000_000)
    max_file_bytes: int = Field(default=512 * 1_048_576, ge=1_000, le=8 * 1_073_741_824)
    oldest_received: date = date(2020, 1, 1)
    # Known online-consultation suppliers: returns name only these (anything else is OTHER).
    # NoDecode: from the environment the text reaches _suppliers as written (JSON or commas).
    suppliers: Annotated[list[SupplierName], NoDecode] = Field(
        default_factory=lambda: [
            "Accurx",
            "Anima",
            "askmyGP",
            "Doctorlink",
            "eConsult",
            "Engage Consult",
            "Klinik",
            "PATCHS",
            "Rapid Health",
        ]
    )
    watch_settle_seconds: float = Field(default=5.0, ge=0.0, le=3600.0)

    # -- the hub's connection: a hub that stops answering is reported, never waited on forever --
    connect_timeout_seconds: int = Field(default=5, ge=1, le=120)
    statement_timeout_seconds: int = Field(default=8, ge=1, le=3600)
    sqlite_busy_timeout_seconds: int = Field(default=5, ge=1, le=600)

    # -- the audit chain's signed checkpoints (private key kept outside the database) --
    audit_key_file: Path | None = None
    audit_checkpoint_every: int = Field(default=1000, ge=10, le=1_000_000)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what the caller passes: load_settings() gathers the file and the environment."""
        return (init_settings,)

    @field_validator("hub_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "://" not in value:
            raise ValueError("hub_url must look like sqlite:///path or postgresql+psycopg://…")
        scheme = value.split("://", 1)[0]
        if scheme not in {"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"}:
            raise ValueError(
                f"hub_url scheme {scheme!r} is not supported: use sqlite or postgresql+psycopg"
            )
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("hub_url is not a valid database URL") from None
        if url.password or any(k.lower() in ("password", "passfile") for k in url.query):
            raise ValueError(
                "hub_url must not contain a password: run `ehub-tui login` to keep it in the "
                "OS keyring"
            )
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise ValueError("a SQLite hub_url must name a file: sqlite:////path/to/hub.sqlite3")
        return value

    @field_validator("core_hours_start", "core_hours_end", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            # minutes, as YAML 1.1 reads an unquoted 17:00 (load_settings keeps the text instead)
            raise ValueError("write times in quotes, like '17:00'")
        return value

    @field_validator("suppliers", mode="before")
    @classmethod
    def _supplier_list(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValueError(
                    'write a JSON list like ["Accurx", "PATCHS"], or names separated by commas'
                ) from None
        return [name for name in (part.strip() for part in text.split(",")) if name]

    @field_validator("data_dir", "sops_dir", "audit_key_file")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @model_validator(mode="after")
    def _core_hours(self) -> Settings:
        if self.core_hours_start >= self.core_hours_end:
            raise ValueError("core_hours_start must be before core_hours_end")
        return self

    @property
    def database_url(self) -> str:
        """The hub URL, defaulting to a SQLite file in the data directory."""
        if self.hub_url:
            return self.hub_url.replace("postgresql://", "postgresql+psycopg://", 1)
        return f"sqlite:///{self.data_dir / 'hub.sqlite3'}"

    @property
    def audit_key_path(self) -> Path:
        """Where the hub's audit signing key lives (a 0600 file outside the database)."""
        return self.audit_key_file or self.data_dir / "keys" / "audit-ed25519.pem"

    @property
    def is_embedded(self) -> bool:
        """True when the hub is a local SQLite file (demo or single workstation)."""
        return self.database_url.startswith("sqlite")


def env_var(key: str) -> str:
    """The environment variable that sets ``key`` (``lease_minutes`` → EHUB_TUI_LEASE_MINUTES)."""
    return f"{ENV_PREFIX}{key.upper()}"


def default_data_dir() -> Path:
    """EHUB_TUI_HOME if set, else the XDG user data dir."""
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_config_path() -> Path:
    """EHUB_TUI_CONFIG if set, else config.yaml under EHUB_TUI_HOME or the XDG config dir."""
    explicit = os.environ.get(ENV_CONFIG)
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser() / "config.yaml"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.yaml"


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


# -- where each value came from ------------------------------------------------------------------


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


# -- plain-English errors ------------------------------------------------------------------------

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
