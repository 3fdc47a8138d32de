"""``ehub-tui retention purge``: blank the patient-identifiable fields of closed items past
``retention_days`` whose returns are exported (docs/operations.md, "Retention").

On a workstation (a hub server, or an embedded hub) it goes through the client service like
``export``: on a hub server it signs in and the hub refuses anyone but an admin (audited). On the
hub machine, whose settings name the hub's PostgreSQL directly, it runs as the system principal
(as ``audit checkpoint``): that is what its daily timer runs.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ehub_tui.cli import connect
from ehub_tui.cli.output import JsonOpt, friendly_errors, out, print_json

retention_app = typer.Typer(help="Keeping patient details only as long as they are needed.")


@retention_app.command("purge")
def retention_purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be purged; change nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Purge patient details of items closed over retention_days ago whose returns are exported.

    Blanks names, NHS number, date of birth, answers, free text and messages; keeps every count,
    time, outcome and the audit chain (one audit event per run). Admins only. Run daily.
    """
    with friendly_errors():
        current = connect.settings()
        # a workstation: signed in (the hub checks the role); the hub machine's own database
        # (its timer): the system principal, as `audit checkpoint` — whoever holds the
        # database's credentials controls the hub anyway
        workstation = current.uses_server or current.is_embedded
        svc: Any = connect.client() if workstation else connect.service()
        try:
            result = svc.retention_purge(dry_run)
        finally:
            svc.close()
        if as_json:
            print_json(result.model_dump(mode="json"))
            return
        when = result.before.strftime("%d %b %Y %H:%M UTC")
        done = (
            f"Would purge {result.ready} item(s)"
            if result.dry_run
            else f"Purged the patient details of {result.purged} item(s)"
        )
        out.print(
            f"{done} closed before {when} (retention {result.retention_days} days); "
            f"{result.waiting_for_export} waiting for their returns to be exported; "
            f"{result.quarantine} resolved quarantine copies "
            + ("would be " if result.dry_run else "")
            + "blanked"
            + ("; more remain for the next run." if result.more else "."),
            highlight=False,
            soft_wrap=True,
        )
