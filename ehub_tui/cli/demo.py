"""``ehub-tui demo``: the embedded demo hub (practices, demo users, fixture consultations)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ehub_tui.cli import connect
from ehub_tui.cli.ingest import prescreen
from ehub_tui.cli.output import CliError, JsonOpt, friendly_errors, print_json, say

if TYPE_CHECKING:
    from ehub_tui.service import HubService

DEMO_USERS = [
    ("nav1", "navigator", "Priya Shah"),
    ("nav2", "navigator", "Tom Fletcher"),
    ("nav3", "navigator", "Aisha Bello"),
    ("sup1", "supervisor", "Grace O'Neill"),
    ("author1", "sop_author", "Dr Ewan Price"),
    ("clin1", "clinical_approver", "Dr Nadia Rahman"),
    ("admin1", "admin", "Hub Admin"),
    ("mgr1", "manager", "Sam Okoro"),
]


def demo_cmd(
    reset: Annotated[bool, typer.Option("--reset", help="Start the demo hub afresh.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build the embedded demo hub: practices, demo users and the fixture consultations."""
    with friendly_errors():
        settings = connect.settings()
        if not settings.is_embedded:
            raise CliError("the demo hub is embedded (SQLite): unset hub_url / EHUB_TUI_HUB_URL")
        if not os.environ.get("EHUB_TUI_HOME"):
            raise CliError(
                "the demo hub is built in a folder of its own, never in your real hub: set "
                "EHUB_TUI_HOME=DIR first (make run uses .demo/)"
            )
        db = Path(settings.database_url.removeprefix("sqlite:///"))
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
        result = build_demo(connect.service())
        if as_json:
            print_json(result)
        else:
            say(
                f"Demo hub at {db}: {result['practices']} practices, {result['users']} users, "
                f"{result['new']} new consultations ({result['duplicate']} already there, "
                f"{result['quarantined']} quarantined)."
            )


def build_demo(service: HubService) -> dict[str, Any]:
    """Load practices, users and fixtures into a hub (idempotent)."""
    from ehub_tui.ingest.runner import Ingester
    from ehub_tui.practices import load_practices
    from ehub_tui.resources import ResourceMissing, demo_fixtures_dir

    try:
        # shipped inside the package (an installed wheel has them), not the repository's folder
        fixtures = demo_fixtures_dir()
    except ResourceMissing as exc:
        raise CliError(str(exc)) from None
    n_practices = service.import_practices(load_practices(fixtures / "practices.yaml"))
    existing = {u.username for u in service.list_users()}
    users = list(DEMO_USERS)
    me = service.os_username()
    if me not in {u for u, _, _ in users}:
        users.append((me, "navigator", f"{me} (this computer's user)"))
    for username, role, name in users:
        if username not in existing:
            service.add_user(username, role, name)
    report = Ingester(service, settings=service.settings).ingest_paths([fixtures / "oc"])
    prescreen(service, show=False)
    return {
        "practices": n_practices,
        "users": len(users),
        "new": report.new,
        "duplicate": report.duplicate,
        "quarantined": report.quarantined,
    }
