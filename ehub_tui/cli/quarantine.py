"""``ehub-tui quarantine``: records that could not be stored, why, and what to do with them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ehub_tui.cli import connect
from ehub_tui.cli.output import JsonOpt, emit, friendly_errors, local_time, out, print_json, say
from ehub_tui.textsafe import literal, one_line

if TYPE_CHECKING:
    from ehub_tui.domain.models import QuarantineEntry

quarantine_app = typer.Typer(help="Records that could not be stored, with their reasons.")

# The keys of ``--json``, in the order scripts have always seen them (the store's columns): a
# list leaves out the raw text (it may be large, and holds patient details) and the resolution.
LIST_KEYS = (
    "id",
    "source_file",
    "location",
    "reason",
    "status",
    "created_at",
    "source",
    "external_id",
)
SHOW_KEYS = (
    "id",
    "source_file",
    "location",
    "reason",
    "raw",
    "fmt",
    "source",
    "external_id",
    "status",
    "created_at",
    "resolved_at",
    "consultation_id",
)


def entry_json(entry: QuarantineEntry, keys: tuple[str, ...]) -> dict[str, Any]:
    """A quarantined record as the JSON mapping of ``keys``."""
    return {key: getattr(entry, key) for key in keys}


@quarantine_app.command("list")
def quarantine_list(
    all_: Annotated[bool, typer.Option("--all", help="Include released and discarded.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List quarantined records and why they were kept aside."""
    with friendly_errors():
        entries = connect.client().quarantined(None if all_ else "open")
        if as_json:
            print_json([entry_json(e, LIST_KEYS) for e in entries])
            return
        if not entries:
            say("No quarantined records." if not all_ else "Quarantine is empty.")
            return
        t = Table(title="Quarantine", title_justify="left")
        for col in ("id", "status", "file", "where", "reason"):
            t.add_column(col, overflow="fold")
        for e in entries:
            # a reason quotes the record (an id, a practice code): Text, never markup
            t.add_row(
                str(e.id),
                literal(e.status),
                literal(e.source_file),
                literal(e.location),
                literal(e.reason),
            )
        out.print(t)


@quarantine_app.command("show")
def quarantine_show(
    qid: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="Quarantine id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one quarantined record with its raw text."""
    with friendly_errors():
        entry = connect.client().quarantine_entry(qid)
        if as_json:
            print_json(entry_json(entry, SHOW_KEYS))
            return
        for key in (
            "id",
            "status",
            "source_file",
            "location",
            "reason",
            "fmt",
            "source",
            "external_id",
            "created_at",
            "resolved_at",
            "consultation_id",
        ):
            say((f"{key}:", "bold"), " ", one_line(local_time(getattr(entry, key))))
        say(("raw:", "bold"))
        # the raw record as received: every line of it, its escape sequences shown (␛[2J),
        # never sent to the terminal
        say(entry.raw or "")


@quarantine_app.command("retry")
def quarantine_retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Quarantine ids (default: all open).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Try quarantined records again, e.g. after adding a missing practice."""
    with friendly_errors():
        from ehub_tui.ingest.runner import Ingester

        service = connect.client()
        targets = ids or [e.id for e in service.quarantined("open")]
        ing = Ingester(service, settings=service.settings)
        results: list[dict[str, Any]] = []
        for qid in targets:
            outcome, problems = ing.retry_quarantined(qid)
            results.append({"id": qid, "result": outcome, "problems": problems})
        if as_json:
            print_json(results)
        else:
            if not results:
                say("Nothing to retry.")
            for r in results:
                extra = f": {'; '.join(r['problems'])}" if r["problems"] else ""
                say(f"{r['id']}: {r['result']}{extra}")
        if any(r["result"] == "still_bad" for r in results):
            raise typer.Exit(1)


@quarantine_app.command("discard")
def quarantine_discard(
    qid: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="Quarantine id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is not to be stored.")],
    as_json: JsonOpt = False,
) -> None:
    """Close a quarantined record without storing it (e.g. a supplier's test message)."""
    with friendly_errors():
        connect.client().discard_quarantined(qid, reason)
        emit(
            {"id": qid, "result": "discarded"},
            lambda d: say(f"Quarantined record {d['id']} discarded."),
            as_json,
        )
