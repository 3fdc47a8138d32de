"""Which hub a command acts on, and as whom.

The service and the settings are imported inside the functions: they pull in SQLAlchemy and
pydantic, which ``ehub-tui --help`` does not need.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from ehub_tui.config import Settings
    from ehub_tui.service import HubService

HubOpt = Annotated[
    str | None,
    typer.Option(
        "--hub",
        help="Check this hub instead: a SQLite file (e.g. a backup) or a database URL.",
        show_default=False,
    ),
]


def settings(config: Path | None = None, **overrides: Any) -> Settings:
    """The settings (file, environment, then ``overrides``)."""
    from ehub_tui.config import load_settings

    return load_settings(config, **overrides)


def service(user: str | None = None, *, bootstrap: bool = False) -> HubService:
    """The hub service for a CLI command.

    On an embedded (SQLite) hub the command acts as the system principal: whoever can write the
    file controls the hub anyway. On a shared hub the command signs in as the OS user (or
    ``user``), so roles apply; ``bootstrap`` lets the very first admin be created.
    """
    from ehub_tui.errors import PermissionDenied
    from ehub_tui.service import HubService

    current = settings()
    if current.is_embedded and user is None:
        return HubService.open(current)
    who = user or HubService.os_username()
    try:
        return HubService.open(current, who)
    except PermissionDenied:
        if bootstrap:
            system = HubService.open(current)
            if not system.has_users():
                return system
            system.close()
        raise


def hub_settings(hub: str | None) -> Settings:
    """Settings for a command that reads a named hub: a path is a SQLite hub file (a backup)."""
    if hub is None:
        return settings()
    if "://" in hub:
        return settings(hub_url=hub)
    return settings(hub_url=f"sqlite:///{Path(hub).expanduser().resolve()}")
