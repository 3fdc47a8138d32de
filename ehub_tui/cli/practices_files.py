"""``practices import-ods`` and ``practices list-sizes``: the hub's practices from the ODS GP
practices file (``epraccur.csv``) and their list sizes from NHS Digital's monthly "Patients
Registered at a GP Practice" CSV (issue 16).

The file is read here, on the admin's machine; only the rows the hub wants go to the hub, which
checks the admin's role and audits the import. A row that cannot be read is named (line, column,
what) and costs only itself (exit 1, as ``ingest``); a file that is not the expected one is
refused (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from ehub_tui.cli import connect
from ehub_tui.cli.output import CliError, JsonOpt, emit, err, friendly_errors, progress_bar, say

BIG_FILE_BYTES = 256 * 1024  # a progress line from here on (the country's file is ~2 MB)

PcnOpt = Annotated[
    str | None,
    typer.Option(
        "--pcn",
        help="Import this PCN's practices: those whose commissioner (column 15) is CODE, and "
        "those the hub already lists in PCN CODE.",
    ),
]
OnlyOpt = Annotated[
    str | None,
    typer.Option("--only", help="Import only these practices (ODS codes, comma-separated)."),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Say what would change; change nothing.")
]
MonthOpt = Annotated[
    str | None,
    typer.Option("--month", help="The month the sizes are for (YYYY-MM); default: EXTRACT_DATE."),
]


@contextmanager
def _progress(path: Path, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress line on a terminal for a big file (else nothing)."""
    try:
        big = path.stat().st_size >= BIG_FILE_BYTES
    except OSError:
        big = False  # the reader says what is wrong with the path
    if not big or not err.is_terminal:
        yield None
        return
    with progress_bar() as bar:
        task = bar.add_task(f"reading {what}", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield on_progress


def _codes(only: str | None) -> list[str] | None:
    """``--only``'s codes, each checked."""
    from ehub_tui.domain.practice_sources import ODS_CODE

    if only is None:
        return None
    codes = [c.strip().upper() for c in only.split(",") if c.strip()]
    bad = [c for c in codes if not ODS_CODE.match(c)]
    if bad or not codes:
        raise CliError(f"--only: {', '.join(map(repr, bad)) or 'nothing'} is not an ODS code list")
    return codes


def import_ods_cmd(
    path: Path,
    pcn: PcnOpt = None,
    only: OnlyOpt = None,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Add or update the hub's practices from the ODS GP practices file (epraccur.csv; admins).

    Without --pcn or --only: refresh the practices the hub already has (names, closures).
    Closed practices are reported and never made active.
    """
    with friendly_errors():
        from ehub_tui.practices_ods import read_epraccur, select_practices

        codes = _codes(only)
        hub = connect.client()
        with _progress(path, path.name) as progress:
            found = read_epraccur(path, progress)
        have = hub.list_practices()
        if codes is None and not pcn and not have:
            raise CliError(
                "this hub has no practices yet: name the ones to import with --pcn CODE "
                "(their commissioner in the file) or --only CODE,CODE"
            )
        wanted = pcn.strip().upper() if pcn else None
        sel = select_practices(
            found.rows,
            pcn=wanted,
            only=codes,
            known=[p.ods_code for p in have],
            in_pcn=[p.ods_code for p in have if wanted and p.pcn_code.upper() == wanted],
            unreadable=found.unreadable,
        )
        if not sel.chosen:
            which = f"--only {only}" if codes else f"--pcn {wanted}" if wanted else "the hub's"
            raise CliError(f"{path}: no practice in the file matches {which}: nothing imported")
        res = hub.import_ods_practices(sel.chosen, wanted, dry_run)
        summary: dict[str, Any] = {
            "file": str(path),
            "rows": len(found.rows),
            "problems": found.problems,
            "chosen": [p.ods_code for p in sel.chosen],
            "not_in_file": sel.not_in_file,
            "not_gp_practice": sel.not_gp,
            "unreadable": sel.unreadable,
        } | asdict(res)
        emit(summary, _ods_summary, as_json)
    if found.problems:
        raise typer.Exit(1)  # as ingest: imported, but some rows could not be read


def _ods_summary(d: dict[str, Any]) -> None:
    would = "would be " if d["dry_run"] else ""
    say(f"{d['file']}: {d['rows']:,} practices read, {len(d['chosen'])} chosen.")
    for key, words in (
        ("added", "added"),
        ("updated", "updated (name, or open again)"),
        ("deactivated", "made inactive (closed)"),
        ("closed_not_added", "closed, so not added"),
        ("unchanged", "unchanged"),
        ("not_in_file", "not in the file"),
        ("unreadable", "in a row that could not be read (below)"),
        ("not_gp_practice", "left out: not a GP practice (prescribing setting)"),
    ):
        if d[key]:
            shown = "" if key == "unchanged" else ": " + ", ".join(d[key])
            say(f"{len(d[key])} {would if key in _WRITES else ''}{words}{shown}")
    if d["dry_run"]:
        say("Dry run: nothing was changed.")
    _problems(d["problems"])


_WRITES = frozenset({"added", "updated", "deactivated"})


def _problems(problems: list[str]) -> None:
    if not problems:
        return
    say(f"{len(problems)} row(s) could not be read (the rest were):", console=err)
    for text in problems[:50]:
        say("  ", text, console=err)
    if len(problems) > 50:
        say(f"  … and {len(problems) - 50} more (--json lists them all)", console=err)


def list_sizes_cmd(
    path: Path,
    month: MonthOpt = None,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Keep the practices' list sizes for a month from NHS Digital's "Patients Registered at a
    GP Practice" CSV (gp-reg-pat-prac-all.csv; admins). Returns for that month use them."""
    with friendly_errors():
        from ehub_tui.domain.practice_sources import check_month
        from ehub_tui.practices_sizes import read_list_sizes

        if month is not None:
            try:
                month = check_month(month)
            except ValueError as exc:
                raise CliError(f"--month: {exc}") from None
        hub = connect.client()
        with _progress(path, path.name) as progress:
            found = read_list_sizes(path, month, progress)
        known = {p.ods_code for p in hub.list_practices()}
        ours = [s for s in found.sizes if s.ods_code in known]
        if not ours:
            raise CliError(
                f"{path}: none of this hub's practices is in the file ({len(found.sizes):,} "
                "practices read): nothing imported"
            )
        res = hub.import_list_sizes(found.month, ours, dry_run)
        summary = {
            "file": str(path),
            "month": res.month,
            "rows": len(found.sizes),
            "stored": res.stored,
            "not_in_hub": len(found.sizes) - len(ours) + res.unknown,
            "current": res.current,
            "missing": sorted(known - {s.ods_code for s in found.sizes}),
            "problems": found.problems,
            "notes": found.notes,
            "dry_run": res.dry_run,
        }
        emit(summary, _sizes_summary, as_json)
    if found.problems:
        raise typer.Exit(1)


def _sizes_summary(d: dict[str, Any]) -> None:
    kept = "would be kept" if d["dry_run"] else "kept"
    say(
        f"{d['file']}: list sizes for {d['month']} {kept} for {len(d['stored'])} practice(s); "
        f"{d['not_in_hub']:,} practice(s) not in this hub skipped."
    )
    if d["current"]:
        now = "would become" if d["dry_run"] else "is now"
        say(f"Current list size {now} {d['month']}'s for: {', '.join(d['current'])}")
    if d["missing"]:
        missing = ", ".join(d["missing"])
        say(f"Not in the file (their size for {d['month']} is not known): {missing}")
    for note in d["notes"]:
        say(note, console=err)
    if d["dry_run"]:
        say("Dry run: nothing was changed.")
    _problems(d["problems"])
