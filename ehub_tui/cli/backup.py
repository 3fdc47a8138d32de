"""``ehub-tui backup`` and ``ehub-tui restore``: verified copies of the hub's database.

Hub-machine commands (as ``audit verify``): they work on the database the settings name (a SQLite
file, or the hub machine's PostgreSQL) and are refused on a workstation that reaches its hub
through ``hub_server_url``. Whoever can read the hub's database can copy it anyway; what these
add is a copy that is known to be whole (docs/operations.md, "Backups").
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from ehub_tui.cli import connect
from ehub_tui.cli.output import CliError, JsonOpt, err, friendly_errors, out, print_json
from ehub_tui.textsafe import literal

if TYPE_CHECKING:
    from ehub_tui.store.backup import BackupReport
    from ehub_tui.store.verify import Trust

PublicKeyOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--public-key",
        help="The hub's public key (from `ehub-tui audit key`) to check signed checkpoints with; "
        "default: this machine's key file.",
        show_default=False,
    ),
]
ScratchOpt = Annotated[
    str | None,
    typer.Option(
        "--scratch",
        help="PostgreSQL: an empty database to restore a dump into for verifying (default: one "
        "made and dropped on the hub's server, which needs CREATEDB).",
        show_default=False,
    ),
]


def _trust(public_key: list[Path] | None) -> Trust:
    from ehub_tui.store import verify as hub_verify

    settings = connect.hub_machine_settings()
    # no anchor: a backup rightly ends before the live hub's newest checkpoint
    return hub_verify.trust_from(settings.audit_key_path, public_key or [], None)


def _show(report: BackupReport, what: str, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
    elif report.verified:
        c = report.counts
        audit = report.audit
        into = ("", " into ", literal(report.restored_to)) if report.restored_to else ("",)
        out.print(
            Text.assemble(
                f"{what} ",
                literal(report.file),
                *into,
                f" ({_size(report.bytes)}, schema {report.revision}): verified — "
                f"{_n(c.get('consultations', 0), 'item')}, {_n(c.get('outcomes', 0), 'outcome')}, "
                f"{_n(audit.get('events', 0), 'audit event')}, "
                f"{_n(audit.get('checkpoints', 0), 'signed checkpoint')}, "
                f"{_n(audit.get('rows', 0), 'row')} match the chain.",
            ),
            soft_wrap=True,
        )
    else:
        err.print(
            Text.assemble(
                ("NOT verified:", "bold red"),
                " ",
                literal(report.file),
                " — ",
                literal("; ".join(report.problems) or "the audit does not hold"),
            ),
            soft_wrap=True,
        )
    if not as_json:
        for warning in report.audit.get("warnings") or ():
            err.print(Text.assemble(("note:", "yellow"), " ", literal(str(warning))))


def _n(count: int, noun: str) -> str:
    """``1 signed checkpoint``, ``2 signed checkpoints``: counts as people write them."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def backup_cmd(
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            help="The folder to write into (default: the backup_dir setting, <data_dir>/backups).",
            show_default=False,
        ),
    ] = None,
    public_key: PublicKeyOpt = None,
    scratch: ScratchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Copy the hub's database to a timestamped file and verify the copy (audit included).

    Safe while the hub runs. SQLite: the online backup API; PostgreSQL: pg_dump --format=custom,
    restored into a scratch database to verify. Exit 0 verified, 1 written but not verified.
    """
    from ehub_tui.store import backup, backup_pg

    with friendly_errors():
        settings = connect.hub_machine_settings()
        folder = (to or settings.backup_path).expanduser()
        trust = _trust(public_key)
        now = datetime.now(UTC)
        url = settings.database_url
        if url.startswith("sqlite"):
            written = backup.backup_sqlite(backup.sqlite_file(url), folder, now)
            report = backup.verify_sqlite(written, trust)
        else:
            written = backup_pg.backup_pg(url, folder, now)
            report = backup_pg.verify_dump(
                written, url, trust, scratch, protected={"the hub's own database": url}
            )
        if not report.verified:
            # never left where a restore would take it for a good copy
            bad = written.with_name(written.name + ".unverified")
            written.replace(bad)
            report.file = str(bad)
        _show(report, "Backed up to", as_json)
        if not report.verified:
            raise typer.Exit(1)


def restore_cmd(
    file: Annotated[Path, typer.Argument(help="A backup: a SQLite hub file or a .pgdump.")],
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Only check the backup (nothing is changed)."),
    ] = False,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Restore into this hub: a SQLite file path, or a PostgreSQL URL (an empty "
            "database).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a target that already holds a database."),
    ] = False,
    public_key: PublicKeyOpt = None,
    scratch: ScratchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a backup (--verify) or restore it into an empty hub (--to), then verify that.

    Exit 0 verified, 1 the backup or the restored hub does not verify, 2 bad use.
    """
    from ehub_tui.store import backup, backup_pg

    with friendly_errors():
        if verify == (to is not None):
            raise CliError("say what to do: --verify (check only) or --to TARGET (restore)")
        source = file.expanduser()
        kind = backup.kind_of(source)
        trust = _trust(public_key)
        settings = connect.hub_machine_settings()
        hub_pg = settings.database_url if settings.database_url.startswith("postgresql") else None
        report: BackupReport
        if kind == "sqlite":
            report = backup.verify_sqlite(source, trust)
        elif verify:
            server = hub_pg or scratch
            if server is None:
                raise CliError(
                    "a PostgreSQL dump is verified by restoring it into a scratch database: "
                    "name a throwaway one with --scratch URL (this machine's hub is not "
                    "PostgreSQL)"
                )
            hub = {"the hub's own database": hub_pg} if hub_pg else {}
            report = backup_pg.verify_dump(source, server, trust, scratch, protected=hub)
        else:
            assert to is not None
            report = _verify_before_restore(source, to, force, trust, scratch, hub_pg)
        if verify or not report.verified:
            _show(report, "Backup", as_json)
            if not report.verified:
                raise typer.Exit(1)
            return
        assert to is not None
        restored = _restore(source, kind, to, force, trust)
        restored.restored_to = restored.file
        restored.file = str(source)
        _show(restored, "Restored", as_json)
        if not restored.verified:
            raise typer.Exit(1)


def _verify_before_restore(
    source: Path, to: str, force: bool, trust: Trust, scratch: str | None, hub_pg: str | None
) -> BackupReport:
    """The same full verify as ``restore --verify`` (restored into a scratch database, then
    checked) before a dump may replace anything: a dump that does not verify is refused."""
    from ehub_tui.store import backup_pg

    if not to.startswith("postgresql"):
        raise CliError(
            f"{source} is a PostgreSQL dump: restore it into a hub of the same engine "
            "(a postgresql:// URL)"
        )
    if not force and not backup_pg.is_empty_pg(to):  # refused before the verify's work
        raise CliError(
            f"{backup_pg.shown(to)} already holds tables: restore only into a new, empty "
            "database, or add --force to replace them (stop the hub first)"
        )
    protected = {"the database being restored into": to}
    if hub_pg:
        protected["the hub's own database"] = hub_pg
    # the scratch database is made on the target's server when none is named
    return backup_pg.verify_dump(source, to, trust, scratch, protected=protected)


def _restore(source: Path, kind: str, to: str, force: bool, trust: Trust) -> Any:
    from ehub_tui.store import backup, backup_pg

    target_pg = to.startswith("postgresql")
    if (kind == "postgresql") != target_pg:
        raise CliError(
            f"{source} is a {'PostgreSQL dump' if kind == 'postgresql' else 'SQLite hub file'}: "
            "restore it into a hub of the same engine "
            f"({'a postgresql:// URL' if kind == 'postgresql' else 'a file path'})"
        )
    if target_pg:
        backup_pg.restore_pg(source, to, force=force)
        report = backup.BackupReport(backup_pg.shown(to), "postgresql")
        backup_pg.check_db(to, report, trust)
        return report
    target = backup.sqlite_file(to) if to.startswith("sqlite") else Path(to).expanduser().resolve()
    backup.restore_sqlite(source, target, force=force)
    return backup.verify_sqlite(target, trust)
