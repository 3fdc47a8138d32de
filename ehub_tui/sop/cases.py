"""A SOP's tests file: its cases (answers and the decision expected), read with every problem
located as ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ehub_tui.sop.loaded import Problem
from ehub_tui.yamlload import Mark, MarkedDict, MarkedList, YamlError, load_yaml


@dataclass
class Case:
    """One golden case."""

    file: str
    id: str
    mark: Mark
    today: date
    consultation: dict[str, Any]
    answers: dict[str, Any]
    expect_flags: list[str] | None
    expect_route: str | None
    expect_question: str | bool | None = False  # False: not checked
    dismissed: list[str] = field(default_factory=list)  # flags dismissed with a reason
    pathway: str | None = None  # a proposed pathway the navigator accepted
    expect_cautions: list[str] | None = None
    expect_proposal: str | bool | None = False  # False: not checked; None: no proposal


def _str_keys(d: Any) -> dict[str, Any]:
    return {str(k): _plain(v) for k, v in d.items()} if isinstance(d, dict) else {}


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def load_cases(path: Path) -> tuple[list[Case], list[Problem]]:
    """Read one tests file."""
    problems: list[Problem] = []
    f = str(path)

    def err(mark: Mark | None, msg: str) -> None:
        problems.append(Problem(f, mark.line if mark else 1, mark.col if mark else 1, msg))

    try:
        tree = load_yaml(path.read_text(encoding="utf-8-sig"))
    except YamlError as exc:
        err(exc.mark, exc.message)
        return [], problems
    except (OSError, UnicodeDecodeError) as exc:
        err(None, f"cannot read the tests file: {exc}")
        return [], problems
    if not isinstance(tree, MarkedDict) or not isinstance(tree.get("cases"), MarkedList):
        err(getattr(tree, "mark", None), "a tests file needs 'today:' and a 'cases:' list")
        return [], problems
    today = tree.get("today")
    if not isinstance(today, date):
        err(tree.mark, "today: a fixed date (YYYY-MM-DD) is required so ages do not drift")
        return [], problems
    cases: list[Case] = []
    seen: set[str] = set()
    for i, node in enumerate(tree["cases"]):
        mark = tree["cases"].item_marks[i]
        if not isinstance(node, MarkedDict):
            err(mark, f"cases[{i}]: must be a mapping")
            continue
        unknown = set(node) - {
            "id",
            "consultation",
            "answers",
            "expect",
            "note",
            "dismissed",
            "pathway",
        }
        if unknown:
            err(mark, f"cases[{i}]: unknown key {sorted(unknown)[0]!r}")
        cid = str(node.get("id") or f"case-{i}")
        if cid in seen:
            err(mark, f"cases[{i}]: id {cid!r} is used twice")
        seen.add(cid)
        expect = node.get("expect")
        if not isinstance(expect, MarkedDict):
            err(mark, f"cases[{i}] ({cid}): 'expect' with red_flags and/or route is required")
            continue
        bad = set(expect) - {"red_flags", "route", "next_question", "cautions", "proposal"}
        if bad:
            err(expect.mark, f"cases[{i}].expect: unknown key {sorted(bad)[0]!r}")
        flags = expect.get("red_flags")
        if flags is not None and not isinstance(flags, list):
            err(expect.mark, f"cases[{i}].expect.red_flags: must be a list of red flag ids")
            continue
        cautions = expect.get("cautions")
        if cautions is not None and not isinstance(cautions, list):
            err(expect.mark, f"cases[{i}].expect.cautions: must be a list of red flag ids")
            continue
        dismissed = node.get("dismissed") or []
        if not isinstance(dismissed, list):
            err(mark, f"cases[{i}].dismissed: must be a list of red flag ids")
            continue
        cases.append(
            Case(
                file=f,
                id=cid,
                mark=mark,
                today=today,
                consultation=_str_keys(node.get("consultation") or {}),
                answers={k: str(v) for k, v in _str_keys(node.get("answers") or {}).items()},
                expect_flags=[str(x) for x in flags] if flags is not None else None,
                expect_route=str(expect["route"]) if expect.get("route") is not None else None,
                expect_question=(
                    expect.get("next_question") if "next_question" in expect else False
                ),
                dismissed=[str(x) for x in dismissed],
                pathway=str(node["pathway"]) if node.get("pathway") else None,
                expect_cautions=[str(x) for x in cautions] if cautions is not None else None,
                expect_proposal=(expect.get("proposal") if "proposal" in expect else False),
            )
        )
    return cases, problems
