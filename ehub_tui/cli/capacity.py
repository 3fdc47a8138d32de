"""``ehub-tui capacity``: how many navigators each hour of a coming week needs to meet the
response standard, from the hub's own history (issue 17), and a rota checked against it.

The history comes from the hub through the client service (supervisors and managers: the hub
refuses anyone else in a sentence); the plan is made here, on the workstation
(``capacity.plan.build_plan``: pure, seeded, repeatable). It is printed for a hub lead
(``cli/capacity_report.py``), as one JSON object (``--json``), or written as a workbook for the
rota planner (``--format xlsx --out FILE.xlsx``, replaced atomically). No patient identifier
is in any of them: times, request types, practice codes and counts only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ehub_tui.cli import connect
from ehub_tui.cli.output import CliError, err, friendly_errors, out, print_json, progress_bar, say

if TYPE_CHECKING:
    from ehub_tui.capacity.rota import Rota
    from ehub_tui.config import Settings
    from ehub_tui.domain.capacity import CapacityPlan

FORMATS = ("text", "xlsx")
AHEAD_WEEKS = 8  # the forecast reaches this far: a later --week-of is refused
MIN_SHARE, MAX_SHARE = 0.5, 1.0  # exclusive bounds, as the capacity_share setting's
MIN_WEEKS, MAX_WEEKS = 1, 104
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# spreadsheet and document kinds people may type that are not ours to write
_OTHER_DOCUMENTS = frozenset({"ods", "xls", "xlsm", "csv", "numbers", "pdf", "doc", "docx", "odt"})


def check_weeks(weeks: int) -> int:
    """``--weeks`` within 1..104, else a sentence."""
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise CliError(
            f"--weeks {weeks} is out of range: read between {MIN_WEEKS} and {MAX_WEEKS} weeks "
            "of history (8 is usual)"
        )
    return weeks


def check_share(share: float) -> float:
    """``--share`` strictly between 0.5 and 1, else a sentence (95% is 0.95)."""
    if not MIN_SHARE < share < MAX_SHARE:
        # someone who typed a percentage is shown their own figure as a share
        example = f"{share / 100:g} for {share:g}%" if 50 < share < 100 else "0.95 for 95%"
        raise CliError(
            f"--share {share:g} is not a share between 0.5 and 1: give the share of requests "
            f"that must meet their standard, e.g. {example}"
        )
    return share


def parse_week_of(text: str) -> date:
    """``--week-of``: an ISO date that is a Monday (the range is checked against the hub's
    today once the hub is reached: :func:`check_week_of`)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            f"--week-of {text!r} is not a date: give the Monday the week starts on, as "
            "YYYY-MM-DD (e.g. 2026-12-07)"
        ) from None
    if day.weekday() != 0:
        monday = day - timedelta(days=day.weekday())
        raise CliError(
            f"--week-of {day} is a {_DAYS[day.weekday()]}: give the Monday the week starts on "
            f"({monday} for that week)"
        )
    return day


def check_week_of(day: date, today: date) -> date:
    """A planned week starts today or later, and at most :data:`AHEAD_WEEKS` weeks ahead."""
    if day < today:
        raise CliError(
            f"--week-of {day} is in the past (today is {today}): plan a week that starts "
            "today or later"
        )
    if day > today + timedelta(weeks=AHEAD_WEEKS):
        raise CliError(
            f"--week-of {day} is more than {AHEAD_WEEKS} weeks ahead (today is {today}): the "
            "forecast does not reach that far"
        )
    return day


def choose_output(fmt: str | None, output: str | None) -> tuple[str, Path | None]:
    """The format (``--format``, else xlsx with ``--out``, else text) and the file to write:
    a workbook needs a file named .xlsx (or a folder to put one in); text goes to standard
    output."""
    if output is not None and not output.strip():
        raise CliError("--out needs a file name, e.g. --out capacity.xlsx")
    fmt = (fmt or ("xlsx" if output is not None else "text")).lower()
    if fmt not in FORMATS:
        raise CliError(f"--format {fmt!r} is not known: use text or xlsx")
    if fmt == "text":
        if output is not None:
            raise CliError(
                "--out is for the xlsx workbook (--format xlsx); the text plan goes to "
                "standard output: redirect it, e.g. ehub-tui capacity > plan.txt"
            )
        return fmt, None
    if output is None or output.strip() == "-":
        raise CliError(
            "--format xlsx writes a file: give --out FILE.xlsx (for the plan on standard "
            "output, leave out --format, or add --json)"
        )
    path = Path(output).expanduser()
    suffix = path.suffix.lower().lstrip(".")
    if path.is_dir() or suffix == "xlsx":
        # before the hub is asked and the plan made: a folder that cannot take the file is
        # better said now than after the simulation
        folder = path if path.is_dir() else path.parent
        if not folder.is_dir():
            raise CliError(f"{folder}: no such folder to write the workbook in")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CliError(f"{folder}: this folder cannot be written to (permission denied)")
        return fmt, path
    if suffix in _OTHER_DOCUMENTS:  # a workbook named .ods opens as garbage: say so instead
        raise CliError(
            f"{output}: ehub-tui writes the capacity plan as xlsx, not {suffix}; name the file "
            ".xlsx (LibreOffice and Numbers open .xlsx)"
        )
    raise CliError(f"{output}: ehub-tui writes the capacity plan as xlsx; name the file .xlsx")


def rota_path(option: str | None, current: Settings) -> Path | None:
    """The rota file: ``--rota`` (as given, from this folder), else setting
    ``capacity_rota_file`` (a relative name is in the settings folder, never the current
    directory: as ``questionnaire_mapping_file``), else none."""
    if option is not None:
        if not option.strip():
            raise CliError("--rota needs a file, e.g. --rota rota.yaml")
        return Path(option).expanduser()
    setting = current.capacity_rota_file
    if setting is None:
        return None
    if setting.is_absolute():
        return setting
    from ehub_tui.settings import default_config_path

    return default_config_path().parent / setting


def load_rota(path: Path | None, offs: list[str]) -> Rota | None:
    """The rota at ``path`` with each ``--off`` what-if applied; a bad file or spec is a
    sentence naming it (``RotaError``)."""
    from ehub_tui.capacity import rota as rotas
    from ehub_tui.errors import RotaError

    if path is None:
        if offs:
            raise CliError(
                "--off changes a rota, and there is none: give --rota FILE (or set "
                "capacity_rota_file in the settings)"
            )
        return None
    try:
        loaded = rotas.load_rota(path)
        for spec in offs:
            loaded = loaded.with_off(spec)
    except RotaError as exc:
        raise CliError(str(exc)) from None
    return loaded


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[str, float], None] | None]:
    """On a terminal: one bar on standard error that follows the plan's stages."""
    if not show or not err.is_terminal:
        yield None
        return
    with progress_bar() as bar:
        task = bar.add_task("reading the hub's history", total=100)

        def on_progress(stage: str, done: float) -> None:
            bar.update(task, description=stage, completed=round(100 * max(0.0, min(1.0, done))))

        yield on_progress


def make_plan(
    weeks: int,
    rota: Rota | None,
    share: float,
    week_of: date | None,
    seed: int,
    show_progress: bool,
) -> CapacityPlan:
    """Read the history from the hub (as whoever is signed in) and make the plan here."""
    from ehub_tui.capacity.plan import build_plan
    from ehub_tui.errors import RotaError

    svc = connect.client()
    try:
        if week_of is not None:
            check_week_of(week_of, svc.today())
        with _progress(show_progress) as progress:
            history = svc.capacity_history(weeks)
            try:
                return build_plan(
                    history, rota=rota, share=share, week_of=week_of, seed=seed, progress=progress
                )
            except RotaError as exc:
                raise CliError(str(exc)) from None
    finally:
        svc.close()


def write_workbook(plan: CapacityPlan, path: Path) -> dict[str, Any]:
    """Write the workbook (a folder gets ``capacity-plan-<week>.xlsx``); what was written."""
    from ehub_tui.capacity.workbook import write_plan_xlsx

    if path.is_dir():
        path = path / f"capacity-plan-{plan.week_of}.xlsx"
    if not path.parent.is_dir():
        raise CliError(f"{path.parent}: no such folder to write the workbook in")
    sheets = write_plan_xlsx(plan, path)
    return {
        "path": str(path),
        "format": "xlsx",
        "week_of": plan.week_of.isoformat(),
        "sheets": sheets,
    }


def capacity_cmd(
    weeks: Annotated[
        int | None,
        typer.Option(
            "--weeks",
            help="Weeks of history to learn from, 1-104 (default: setting capacity_weeks, 8).",
            show_default=False,
        ),
    ] = None,
    rota: Annotated[
        str | None,
        typer.Option(
            "--rota",
            help="A rota (YAML: who works which hours) to check against the need "
            "(default: setting capacity_rota_file, if set).",
            show_default=False,
        ),
    ] = None,
    off: Annotated[
        list[str] | None,
        typer.Option(
            "--off",
            help="What if people are off: DAY=N (e.g. mon=2) or DAY=NAMES (e.g. tue=Asha,Ben); "
            "repeat for more days. Needs a rota.",
            show_default=False,
        ),
    ] = None,
    share: Annotated[
        float | None,
        typer.Option(
            "--share",
            help="Share of requests that must meet their response standard, between 0.5 and 1 "
            "(default: setting capacity_share, 0.95).",
            show_default=False,
        ),
    ] = None,
    week_of: Annotated[
        str | None,
        typer.Option(
            "--week-of",
            help="The Monday of the week to plan, YYYY-MM-DD (default: next Monday).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the simulation (the same seed, the same plan).")
    ] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan as one JSON object.")
    ] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="text (the plan printed) or xlsx (a workbook for the rota planner: needs "
            "--out FILE.xlsx).",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--out", "--output", help="The .xlsx file (or folder) to write with --format xlsx."
        ),
    ] = None,
) -> None:
    """How many navigators each hour of a coming week needs to meet the response standard.

    Learns arrivals and handling times from the hub's own history (supervisors and managers),
    forecasts the week, simulates the queue with the real due times, and, given a rota, marks
    the hours it leaves under-staffed and the backlog each day would end with.
    """
    with friendly_errors():
        current = connect.settings()
        chosen, path = choose_output(fmt, output)
        n_weeks = check_weeks(current.capacity_weeks if weeks is None else weeks)
        target = check_share(current.capacity_share if share is None else share)
        monday = parse_week_of(week_of) if week_of is not None else None
        if seed < 0:
            raise CliError(f"--seed {seed} is negative: give 0 or more")
        the_rota = load_rota(rota_path(rota, current), list(off or []))
        plan = make_plan(n_weeks, the_rota, target, monday, seed, show_progress=not as_json)
        if chosen == "xlsx":
            assert path is not None  # choose_output gives xlsx a file
            info = write_workbook(plan, path)
            say(
                f"Wrote the capacity plan for the week of {plan.week_of} ({info['sheets']} "
                f"sheets) to {info['path']}.",
                console=err if as_json else out,
            )
        if as_json:
            print_json(plan.model_dump(mode="json"))
        elif chosen == "text":
            from ehub_tui.cli.capacity_report import print_plan

            print_plan(plan, out)
