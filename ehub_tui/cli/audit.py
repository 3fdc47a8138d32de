"""``ehub-tui audit``: verify the chain (and a backup of it), sign checkpoints, show events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from ehub_tui.cli import connect
from ehub_tui.cli.connect import HubOpt
from ehub_tui.cli.output import (
    CliError,
    JsonOpt,
    err,
    fail,
    friendly_errors,
    local_time,
    out,
    print_json,
    progress_bar,
)
from ehub_tui.textsafe import dumps, literal

if TYPE_CHECKING:
    from ehub_tui.domain.models import AuditEvent
    from ehub_tui.store.verify import HubVerifyResult

audit_app = typer.Typer(help="The append-only audit chain.")


LONG_VERIFY = 50_000  # events from which a verify on a terminal shows a progress bar


@audit_app.command("verify")
def audit_verify(
    hub: HubOpt = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            help="The hub's public key (from `ehub-tui audit key`; repeat for an old and a new "
            "key); default: the hub machine's own key file.",
            show_default=False,
        ),
    ] = None,
    since_checkpoint: Annotated[
        bool,
        typer.Option(
            "--since-checkpoint",
            help="Only from the newest signed checkpoint to the head: its signature, its event "
            "and those after it, and the rows they wrote. Quick, but an event before the "
            "checkpoint, a row no later event wrote, or later events cut off with the head set "
            "back are not seen: run the full verify too, e.g. weekly.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check the audit: the chain, every signed checkpoint, and every row against the chain.

    --since-checkpoint: only what came after the newest signed checkpoint (seconds on a big hub).

    Exit 0 intact, 1 something does not hold (each problem named), 2 no hub or no checkpoint.
    """
    from ehub_tui.errors import HubMissing
    from ehub_tui.service import HubService

    with friendly_errors():
        settings = connect.hub_settings(hub)
        if settings.uses_server and hub is None:
            raise CliError(
                "audit verify runs on the hub machine against the hub's database (or a backup "
                "named with --hub); this computer reaches its hub through hub_server_url"
            )
        try:
            # a hub-machine command: the system principal on the database the settings (or
            # --hub) name — whoever can read that database can check its chain anyway
            service = HubService.open(settings, create=False)
        except HubMissing as exc:
            fail(str(exc), 2)
        try:
            with _progress() as progress:
                # a copy named with --hub is checked without the live hub's anchor
                result = service.verify_audit(
                    public_key or [],
                    use_anchor=hub is None,
                    since_checkpoint=since_checkpoint,
                    progress=progress,
                )
        finally:
            service.close()
        _report(result, as_json)
        if not result.ok:
            raise typer.Exit(1)


def _report(result: HubVerifyResult, as_json: bool) -> None:
    if as_json:
        print_json(result.as_dict())
        return
    if result.since_seq is not None:
        at = local_time(result.since_at) if result.since_at else "?"
        err.print(
            f"From the signed checkpoint at event {result.since_seq} ({at}).", highlight=False
        )
    if result.ok and result.since_seq is not None:
        out.print(
            f"Audit intact since the checkpoint at event {result.since_seq}: {result.events} "
            f"later events, {result.rows} rows they wrote match the chain.",
            highlight=False,
        )
    elif result.ok:
        out.print(
            f"Audit intact: {result.events} events, {result.checkpoints} signed "
            f"checkpoints, {result.rows} rows match the chain.",
            highlight=False,
        )
    else:
        at = f" at event {result.first_bad_seq}" if result.first_bad_seq else ""
        err.print(
            Text.assemble((f"Audit broken{at}:", "bold red"), " ", literal(result.reason)),
            soft_wrap=True,
        )
        count = len(result.problems) + result.more_problems
        err.print(f"{count} problem(s) found ({result.events} events checked):", highlight=False)
        for problem in result.problems:
            err.print(Text.assemble(f"  [{problem.check}] ", literal(str(problem))))
        if result.more_problems:
            err.print(f"  … and {result.more_problems} more", highlight=False)
    for warning in result.warnings:
        err.print(Text.assemble(("note:", "yellow"), " ", literal(warning)))


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int | None], None] | None]:
    """On a terminal, a bar on standard error once a verify is long (events checked of total,
    then rows replayed)."""
    if not err.is_terminal:
        yield None
        return
    with progress_bar() as bar:
        task = bar.add_task("checking events", total=None, visible=False)

        shown = False

        def on_progress(stage: str, done: int, total: int | None) -> None:
            nonlocal shown
            if not shown and (total is None or total < LONG_VERIFY):
                return  # a short verify ends before a bar would help
            shown = True
            bar.update(task, description=stage, completed=done, total=total, visible=True)

        yield on_progress


@audit_app.command("key")
def audit_key(
    create: Annotated[
        bool,
        typer.Option("--create", help="Make the hub's signing key (on the hub machine, once)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Print the hub's audit public key (give it to whoever verifies the audit)."""
    from ehub_tui.store import checkpoints

    with friendly_errors():
        # the hub machine's key file: a hub-machine command, as the system principal
        service = connect.service()
        try:
            signer = service.audit_key(create=create)
        finally:
            service.close()
        pem = checkpoints.public_pem(signer.public)
        if as_json:
            print_json({"key_id": signer.key_id, "public_key": pem, "path": str(signer.path)})
            return
        err.print(
            Text(
                f"Audit signing key {signer.key_id} (private key: {signer.path}, never "
                "copy it off the hub machine). The public key:"
            )
        )
        out.print(Text(pem.rstrip("\n")))


@audit_app.command("checkpoint")
def audit_checkpoint(as_json: JsonOpt = False) -> None:
    """Sign the audit chain's head now (run daily on the hub machine, e.g. from a timer)."""
    with friendly_errors():
        # run by the hub machine's timer: a hub-machine command, as the system principal
        service = connect.service()
        try:
            row = service.audit_checkpoint()
        finally:
            service.close()
        if as_json:
            print_json({"seq": row.seq, "hash": row.hash, "key_id": row.key_id})
        else:
            out.print(f"Signed the audit chain at event {row.seq} with key {row.key_id}.")


@audit_app.command("log")
def audit_log(
    item: Annotated[int | None, typer.Option("--item", help="Only this consultation.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show recent audit events, newest first."""
    with friendly_errors():
        events = connect.client().audit_log(item, limit)
        if as_json:
            # every field, in the model's order (seq, at, actor, action, consultation_id, body,
            # covers, shows): the keys scripts have always read
            print_json([e.model_dump() for e in events])
        else:
            _events(events)


def _events(events: list[AuditEvent]) -> None:
    t = Table(title="Audit", title_justify="left")
    for col in ("seq", "at", "actor", "action", "item", "detail"):
        t.add_column(col, overflow="fold")
    for e in events:
        # every cell a Text: actors, ids and reasons are hub data, never markup
        t.add_row(
            str(e.seq),
            local_time(e.at),
            literal(e.actor),
            literal(e.action),
            str(e.consultation_id or ""),
            literal(dumps(e.body)),
        )
    out.print(t)
