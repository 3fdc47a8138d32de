"""The ``ehub-tui`` command line: the Typer ``app`` and the console script's ``main``.

One module per command group (memray's ``commands/`` is the model): ``start`` (open the app,
``queue``), ``demo``, ``ingest``, ``quarantine``, ``audit``, ``admin`` (practices, users,
``login``, ``upgrade``), ``hub`` (``serve``, ``init-admin``, ``create-service-account``: the hub
machine), ``signin`` (``signin``, ``signout``, ``passwd``), ``fixtures``,
``export`` (with ``export_workbook``: xlsx and html), ``sops``, ``sync``, and issue 16's
``backup`` (``backup``, ``restore``), ``retention``, ``outbox``, ``mapping`` and
``practices_files`` (``practices import-ods``, ``list-sizes``), issue 17's ``capacity`` (with
``capacity_report``: the plan printed); ``output`` holds what they share
(consoles, ``--json`` or a table, errors as one sentence and an exit code, the progress bar) and
``connect`` which hub a command acts on and as whom. Nothing outside this package imports it.

Every command module is imported here, for Typer to list its commands, so each keeps its heavy
imports (the service, SQLAlchemy, Textual) inside the command: ``ehub-tui --help`` stays quick.
"""

from __future__ import annotations

import typer

from ehub_tui.cli import (
    admin,
    audit,
    backup,
    capacity,
    demo,
    export,
    fixtures,
    hub,
    ingest,
    mapping,
    outbox,
    quarantine,
    retention,
    signin,
    sops,
    start,
    sync,
)

app = typer.Typer(
    name="ehub-tui",
    help="A terminal app for PCN eHubs: a shared queue of online consultations, "
    "SOP-guided triage, and daily returns.",
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion for bash, zsh, fish and PowerShell
)
app.callback(invoke_without_command=True)(start.main_callback)
# the order `ehub-tui --help` lists them in (commands, then groups), as it always has
app.command("export")(export.export_cmd)
app.command("queue")(start.queue_cmd)
app.command("demo")(demo.demo_cmd)
app.command("ingest")(ingest.ingest_cmd)
app.command("login")(admin.login_cmd)
app.command("upgrade")(admin.upgrade_cmd)
app.command("signin")(signin.signin_cmd)
app.command("signout")(signin.signout_cmd)
app.command("passwd")(signin.passwd_cmd)
app.command("backup")(backup.backup_cmd)
app.command("restore")(backup.restore_cmd)
app.command("capacity")(capacity.capacity_cmd)
app.add_typer(hub.hub_app, name="hub")
app.add_typer(quarantine.quarantine_app, name="quarantine")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(admin.practices_app, name="practices")
app.add_typer(admin.users_app, name="users")
app.add_typer(fixtures.fixtures_app, name="fixtures")
app.add_typer(sops.sops_app, name="sops")
app.add_typer(sync.sync_app, name="sync")
app.add_typer(retention.retention_app, name="retention")
app.add_typer(outbox.outbox_app, name="outbox")
app.add_typer(mapping.mapping_app, name="mapping")


def main() -> None:
    """Console-script entry point (also ``python -m ehub_tui``, whose usage lines still say
    ``ehub-tui``: the name people type, and the one shell completion is installed under)."""
    app(prog_name="ehub-tui")


__all__ = ["app", "main"]
