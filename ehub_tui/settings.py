"""The Settings model: every key the app can be configured with, its default and its checks, the
environment variable that sets it, and where the data and the settings file live by default.

Reading the file and the environment (and saying where a bad value came from) is
:func:`ehub_tui.config.load_settings`; ``Settings`` is importable from :mod:`ehub_tui.config`.
"""

from __future__ import annotations

import json
import os
from datetime import date, time
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

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
    # the board alerts on a claim nobody has worked for this long (hub clock; issue 15)
    stale_claim_minutes: int = Field(default=10, ge=1, le=480)
    core_hours_start: time = time(8, 0)
    core_hours_end: time = time(18, 30)
    # days the hub is shut besides weekends and England's bank holidays (a protected learning
    # time day, say): not working days for due times, parking and capacity planning alike.
    # NoDecode: from the environment the text reaches _closed_days as written (JSON or commas)
    closed_days: Annotated[list[date], NoDecode] = Field(default_factory=list)
    sops_dir: Path | None = None
    user: str | None = None
    hub_phone: str = ""

    # -- ingest: limits a supplier file must keep (a record over them is quarantined, not lost) --
    max_field_chars: int = Field(default=20_000, ge=100, le=10_000_000)
    max_record_bytes: int = Field(default=1_048_576, ge=1_000, le=100_000_000)
    max_file_bytes: int = Field(default=512 * 1_048_576, ge=1_000, le=8 * 1_073_741_824)
    # a file read a record at a time (NDJSON, CSV, a FHIR Bundle: ingest.stream) holds one batch
    # in memory, not the file: max_file_bytes (which guards the whole-file read) does not apply
    # to it, only this much larger bound (a runaway export or a disk image is still refused)
    max_streamed_file_bytes: int = Field(
        default=64 * 1_073_741_824, ge=1_000, le=16 * 1_099_511_627_776
    )
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
    # issue 16, FHIR in: a QuestionnaireResponse identifier system -> the supplier it names
    # (besides urn:ehub-tui:supplier:NAME); and the per-supplier Questionnaire mapping file
    # (ingest/qmap.py), a relative name being in the settings folder, never the current one
    supplier_systems: Annotated[dict[str, SupplierName], NoDecode] = Field(default_factory=dict)
    questionnaire_mapping_file: Path | None = None
    # issue 17, capacity planning: the rota the Capacity view checks (a relative name is in the
    # settings folder, never the current one), the weeks of history read, the share to meet
    capacity_rota_file: Path | None = None
    capacity_weeks: int = Field(default=8, ge=1, le=104)
    capacity_share: float = Field(default=0.95, gt=0.5, lt=1.0)

    # -- the hub's connection: a hub that stops answering is reported, never waited on forever --
    connect_timeout_seconds: int = Field(default=5, ge=1, le=120)
    statement_timeout_seconds: int = Field(default=8, ge=1, le=3600)
    sqlite_busy_timeout_seconds: int = Field(default=5, ge=1, le=600)

    # -- the hub server (issue 13): a workstation names the server; the hub machine serves it --
    # A workstation sets hub_server_url (https://hub.pcn.nhs.uk:8443) and, for a trust's own CA,
    # hub_ca_file; it never holds a database URL. The hub machine sets hub_url (its database)
    # and the listen address, certificate and key.
    hub_server_url: str | None = None
    hub_ca_file: Path | None = None
    hub_listen_host: str = "127.0.0.1"
    hub_listen_port: int = Field(default=8443, ge=1, le=65535)
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    hub_pool_size: int = Field(default=10, ge=1, le=200)
    hub_request_timeout_seconds: float = Field(default=15.0, ge=1.0, le=600.0)
    # sign-in: a token ends after this long unused, and after this long whatever happens
    token_idle_minutes: int = Field(default=60, ge=1, le=24 * 60)
    token_absolute_hours: int = Field(default=12, ge=1, le=24 * 7)
    password_min_length: int = Field(default=12, ge=8, le=128)
    lockout_after: int = Field(default=10, ge=3, le=100)

    # -- workstation sync (issue 14): the local store, its outbox and the sender --
    sync_push_batch: int = Field(default=20, ge=1, le=100)
    sync_pull_seconds: float = Field(default=5.0, ge=0.5, le=300.0)
    sync_backoff_max_seconds: float = Field(default=10.0, ge=1.0, le=600.0)
    sync_wait_seconds: float = Field(default=3.0, ge=0.0, le=30.0)
    sync_keep_days: int = Field(default=7, ge=1, le=90)
    # hub side: accept a completion whose only problem is the holder's own lapsed lease
    sync_accept_late_completion: bool = False

    # -- the audit chain's signed checkpoints (private key kept outside the database) --
    audit_key_file: Path | None = None
    audit_checkpoint_every: int = Field(default=1000, ge=10, le=1_000_000)

    # -- the FHIR outbox (issue 16): where `outbox write` puts Bundles and summaries (never the
    # current folder by default: it holds patient data) --
    outbox_dir: Path | None = None

    # -- backups and retention (issue 16): where `ehub-tui backup` writes, and how long the
    # patient-identifiable fields of closed items are kept (docs/operations.md) --
    backup_dir: Path | None = None
    retention_days: int = Field(default=90, ge=7, le=3650)

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

    @field_validator("closed_days", mode="before")
    @classmethod
    def _closed_days(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]

    @field_validator("supplier_systems", mode="before")
    @classmethod
    def _supplier_systems(cls, value: object) -> object:
        if isinstance(value, str):  # from the environment: a JSON object
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(
                    'write a JSON object like {"https://fhir.accurx.com/Id/request-id": "Accurx"}'
                ) from None
        if isinstance(value, dict):
            for system in value:
                if not isinstance(system, str) or not system.strip() or len(system) > 255:
                    raise ValueError("each identifier system is a URI of 1-255 characters")
        return value

    @field_validator("hub_server_url")
    @classmethod
    def _check_server_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(
                "hub_server_url must look like https://hub.example.nhs.uk:8443 (TLS only)"
            )
        if parts.username or parts.password:
            raise ValueError("hub_server_url must not contain a user name or password")
        return value.rstrip("/")

    @field_validator(
        "data_dir",
        "sops_dir",
        "audit_key_file",
        "hub_ca_file",
        "tls_cert_file",
        "tls_key_file",
        "backup_dir",
        "outbox_dir",
        "capacity_rota_file",
    )
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @model_validator(mode="after")
    def _core_hours(self) -> Settings:
        if self.core_hours_start >= self.core_hours_end:
            raise ValueError("core_hours_start must be before core_hours_end")
        if self.hub_server_url and self.hub_url:
            # a workstation reaches the hub only through its server: it holds no database URL
            raise ValueError(
                "set hub_server_url (a workstation) or hub_url (the hub machine), not both"
            )
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together: set both or neither")
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
    def backup_path(self) -> Path:
        """Where ``ehub-tui backup`` writes by default (never the current directory)."""
        return self.backup_dir or self.data_dir / "backups"

    @property
    def is_embedded(self) -> bool:
        """True when the hub is a local SQLite file (demo or single workstation)."""
        return self.hub_server_url is None and self.database_url.startswith("sqlite")

    @property
    def uses_server(self) -> bool:
        """True on a workstation that reaches its hub through a hub server (HTTPS)."""
        return self.hub_server_url is not None


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
