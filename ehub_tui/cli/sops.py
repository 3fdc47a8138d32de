"""``ehub-tui sops …``: validate, test, explain and the JSON Schema, for SOP authors.

These write their JSON with ``json.dumps`` (as they always have), not ``print_json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.tree import Tree

from ehub_tui.cli import connect
from ehub_tui.cli.output import JsonOpt, err, fail, friendly_errors, line, out
from ehub_tui.textsafe import literal, one_line

sops_app = typer.Typer(help="SOP rules: check, test and explain them before they guide anyone.")

PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="SOP files or folders (default: the sops_dir setting, else the SOPs shipped with "
        "ehub-tui)."
    ),
]


def default_sops_dir() -> Path:
    """The authoring folder (settings.sops_dir), else the SOPs shipped inside the package; never
    a folder in the current directory."""
    from ehub_tui.config import load_settings
    from ehub_tui.errors import ConfigError
    from ehub_tui.sop.library import default_sops_dir as pick

    # a broken settings file is an error, never a quiet fall-back to the shipped SOPs: an
    # author would be checking files other than theirs
    try:
        return pick(load_settings().sops_dir)
    except ConfigError as exc:
        fail(f"settings: {exc}")


def _paths(paths: list[Path] | None) -> list[Path]:
    return list(paths) if paths else [default_sops_dir()]


def _error(message: str) -> None:
    err.print(line(("error:", "red"), " ", message), soft_wrap=True)


def _print_problems(problems: list[Any]) -> None:
    for p in problems:
        colour = "red" if p.severity == "error" else "yellow"
        err.print(
            line(f"{p.file}:{p.line}:{p.col}: ", (p.severity, colour), f": {p.message}"),
            soft_wrap=True,
        )


@sops_app.command("validate")
def validate_cmd(
    paths: PathsArg = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check SOP files: exit 0 clean, 1 warnings with --strict, 2 errors."""
    from ehub_tui.sop.loader import load_set

    s = load_set(_paths(paths))
    code = 2 if s.errors else (1 if strict and s.warnings else 0)
    if as_json:
        sys.stdout.write(
            json.dumps(
                {
                    "ok": code == 0,
                    "sops": [
                        {
                            "id": x.id,
                            "version": x.meta.version,
                            "status": x.meta.status,
                            "file": str(x.path),
                            "sha256": x.sha256,
                        }
                        for x in s.sops
                    ],
                    "errors": len(s.errors),
                    "warnings": len(s.warnings),
                    "problems": [p.as_dict() for p in s.problems],
                },
                indent=2,
            )
            + "\n"
        )
    else:
        _print_problems(s.problems)
        out.print(
            line(
                f"{len(s.sops)} SOP(s) loaded: {len(s.errors)} error(s), "
                f"{len(s.warnings)} warning(s)."
            )
        )
    raise typer.Exit(code)


@sops_app.command("test")
def test_cmd(paths: PathsArg = None, as_json: JsonOpt = False) -> None:
    """Run the golden cases beside each SOP; report coverage; fail on gaps."""
    from ehub_tui.sop.loader import load_set
    from ehub_tui.sop.testing import run_tests

    s = load_set(_paths(paths))
    if s.errors:
        if as_json:
            sys.stdout.write(
                json.dumps({"ok": False, "problems": [p.as_dict() for p in s.problems]}, indent=2)
                + "\n"
            )
        else:
            _print_problems(s.errors)
            err.print(line("SOPs have errors: fix them first (ehub-tui sops validate)."))
        raise typer.Exit(2)
    report = run_tests(s)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
        raise typer.Exit(0 if report.ok else 1)
    from rich.table import Table

    for r in report.failed:
        err.print(
            line(
                f"{r.case.file}:{r.case.mark.line}: ",
                ("FAIL", "red"),
                f" {r.case.id}: " + "; ".join(r.failures),
            ),
            soft_wrap=True,
        )
    _print_problems(report.problems)
    for msg in report.boundary_failures + report.random_failures:
        err.print(line(("FAIL", "red"), f" {msg}"), soft_wrap=True)
    t = Table(title="SOP coverage", title_justify="left")
    for col in ("SOP", "routes covered", "red flags covered"):
        t.add_column(col)
    for sop_id, cov in report.coverage.items():
        rc = sum(1 for v in cov["routes"].values() if v)
        fc = sum(1 for v in cov["red_flags"].values() if v)
        t.add_row(literal(sop_id), f"{rc}/{len(cov['routes'])}", f"{fc}/{len(cov['red_flags'])}")
    out.print(t)
    passed = len(report.results) - len(report.failed)
    out.print(
        line(
            f"{passed} passed, {len(report.failed)} failed "
            f"({report.boundary_checked} boundary checks, {report.random_runs} random-answer "
            f"runs)."
        )
    )
    raise typer.Exit(0 if report.ok else 1)


@sops_app.command("explain")
def explain_cmd(
    consultation: Annotated[
        int | None, typer.Argument(help="A consultation id in the hub.", min=1, max=2**31 - 1)
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", help="A golden case: FILE.tests.yaml#CASE_ID")
    ] = None,
    answer: Annotated[
        list[str] | None, typer.Option("--answer", "-a", help="question=answer (repeatable)")
    ] = None,
    sops: Annotated[Path | None, typer.Option("--sops", help="SOP folder.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the decision for one consultation and why, as a tree."""
    from ehub_tui.sop.engine import Engine
    from ehub_tui.sop.loader import load_set
    from ehub_tui.sop.testing import load_cases

    if (consultation is None) == (case is None):
        _error("give a consultation id or --case FILE#CASE (one of them)")
        raise typer.Exit(2)
    answers: dict[str, str] = {}
    for a in answer or []:
        if "=" not in a:
            _error(f"--answer {a!r}: use question=answer")
            raise typer.Exit(2)
        k, v = a.split("=", 1)
        answers[k.strip()] = v.strip()
    s = load_set([sops] if sops else _paths(None))
    if s.errors:
        _print_problems(s.errors)
        raise typer.Exit(2)
    if case is not None:
        file, _, cid = case.partition("#")
        cases, problems = load_cases(Path(file))
        if problems:
            _print_problems(problems)
            raise typer.Exit(2)
        found = next((c for c in cases if c.id == cid), None)
        if found is None:
            _error(f"no case {cid!r} in {file}")
            raise typer.Exit(2)
        data, today = found.consultation, found.today
        answers = {**found.answers, **answers}
        title = f"case {cid}"
    else:
        assert consultation is not None  # exactly one of the two was given (checked above)
        with friendly_errors():
            service = connect.client()
            # the engine reads the consultation's fields by name; the service's clock says
            # which day it is (the one clock: a hub's "today" is a UK date, as triage uses)
            data = service.consultation(consultation).model_dump()
            today = service.today()
        title = f"consultation {consultation}"
    d = Engine(s).evaluate(data, answers, today)
    if as_json:
        sys.stdout.write(json.dumps(d.as_dict(), indent=2, default=str) + "\n")
        return
    out.print(decision_tree(d, title))


def decision_tree(d: Any, title: str) -> Tree:
    """A readable Rich tree of a decision and its trace. Every label is a ``Text`` built by
    ``line``: the answers and actual values come from the consultation (supplier text) and the
    rest from SOP files, so none of it is ever read as markup."""
    root = Tree(
        line(
            (title, "bold"),
            f" — engine {d.engine_version}; SOPs: "
            + ", ".join(f"{s.id} {s.version}" for s in d.sops),
        )
    )
    flags = root.add(
        line((f"Red flags ({len(d.red_flags)})", "bold red"))
        if d.red_flags
        else line(("No red flags", "green"))
    )
    for f in d.red_flags:
        flags.add(line((f.level.upper(), "red"), f" {f.id}: {f.say} → {f.action}"))
    if d.next_question:
        root.add(
            line(
                ("Next question:", "bold"),
                f" {d.next_question.text} ({' / '.join(d.next_question.answers)})",
            )
        )
    if d.answered:
        ans = root.add("Answered")
        for k, v in d.answered.items():
            ans.add(line(one_line(f"{k} = {v}")))
    if d.route:
        r = d.route
        label = "Suggested route (provisional)" if d.provisional else "Suggested route"
        node = root.add(
            line(
                (f"{label}:", "bold green"),
                f" {r.id} — {r.category} → {r.destination} "
                f"({r.urgency}{', SNOMED ' + r.snomed if r.snomed else ''})",
            )
        )
        node.add(line(f"because: {r.because}"))
    if d.why_not:
        wn = root.add("Why not")
        for w in d.why_not:
            wn.add(line(f"{w.route}: " + "; ".join(w.failed)))
    tr = root.add("Trace")
    for t in d.trace:
        mark = ("✓", "green") if t.matched else ("✗", "dim")
        rule = tr.add(line(mark, f" {t.rule} ", (f"({t.sop_id})", "dim")))
        for s in t.steps:
            rule.add(
                line(
                    one_line(
                        f"{'✓' if s.result else '✗'} {s.field} {s.operator} {s.expected!r} "
                        f"— actual {s.actual!r} "
                    ),
                    (one_line(s.condition), "dim"),
                )
            )
    return root


@sops_app.command("schema")
def schema_cmd(
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file.")
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of SOP files, for editors."""
    from ehub_tui.sop.models import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if out_path is None:
        sys.stdout.write(text)
    else:
        out_path.write_text(text, encoding="utf-8")
        out.print(line(f"Schema written to {out_path}."))
