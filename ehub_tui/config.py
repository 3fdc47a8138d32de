"""Typed settings, read from a YAML file with environment overrides.

- ``EHUB_TUI_CONFIG`` names the settings file (default: ``config.yaml`` in the user config dir).
- ``EHUB_TUI_HOME`` overrides the data directory (default: the XDG data dir), for tests and demos.
- ``EHUB_TUI_HUB_URL`` overrides ``hub_url``.

A hub password is never read from or written to this file: see ``ehub_tui.secrets``.
"""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

APP_NAME = "ehub-tui"


class ConfigError(Exception):
    """A settings file that cannot be used; the message says where and what."""


class Settings(BaseModel):
    """Everything the app can be configured with."""

    model_config = ConfigDict(extra="forbid")

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
    suppliers: list[str] = Field(
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
            raise ValueError(f"hub_url {value!r} is not a valid database URL") from None
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
            # YAML 1.1 reads an unquoted 17:00 as the number 1020
            raise ValueError("write times in quotes, like '17:00'")
        return value

    @field_validator("suppliers")
    @classmethod
    def _suppliers(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value]
        if any(not v or len(v) > 40 or not v.isprintable() for v in cleaned):
            raise ValueError("each supplier is a short printable name (1-40 characters)")
        return cleaned

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


def default_data_dir() -> Path:
    """EHUB_TUI_HOME if set, else the XDG user data dir."""
    home = os.environ.get("EHUB_TUI_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_config_path() -> Path:
    """EHUB_TUI_CONFIG if set, else config.yaml under EHUB_TUI_HOME or the XDG config dir."""
    explicit = os.environ.get("EHUB_TUI_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("EHUB_TUI_HOME")
    if home:
        return Path(home).expanduser() / "config.yaml"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.yaml"


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read settings from YAML (missing file = defaults), then env, then explicit overrides."""
    cfg_path = path or default_config_path()
    raw: dict[str, Any] = {}
    explicit = path is not None or "EHUB_TUI_CONFIG" in os.environ
    if cfg_path.exists():
        try:
            loaded = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{cfg_path}: not UTF-8 text ({exc.reason})") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{cfg_path}:{mark.line + 1}:{mark.column + 1}" if mark else str(cfg_path)
            problem = getattr(exc, "problem", None) or str(exc)
            raise ConfigError(f"{where}: {problem}") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(
                f"{cfg_path}: expected a mapping of settings, got {type(loaded).__name__}"
            )
        raw.update(loaded)
    elif explicit:
        raise ConfigError(f"{cfg_path}: settings file not found")
    if os.environ.get("EHUB_TUI_HOME"):
        raw["data_dir"] = os.environ["EHUB_TUI_HOME"]
    if os.environ.get("EHUB_TUI_HUB_URL"):
        raw["hub_url"] = os.environ["EHUB_TUI_HUB_URL"]
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{cfg_path}: {loc}: {msg}")
        raise ConfigError("\n".join(lines)) from None
