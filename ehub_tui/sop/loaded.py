"""What loading a SOP gives: a problem located in a file, compiled rules, the loaded SOP, and the
fields every SOP may use without declaring them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ehub_tui.sop import models as m
from ehub_tui.sop.conditions import Compiled, Condition
from ehub_tui.yamlload import Mark, MarkedDict

PATIENT_ATTRIBUTES = ("pregnant", "immunosuppressed", "care_home_resident", "no_spleen", "frail")
YES_NO = ["yes", "no"]
BUILTINS: dict[str, m.InputDecl] = {
    "age": m.InputDecl(type="number"),
    "age_months": m.InputDecl(type="number"),
    "sex": m.InputDecl(type="enum", values=["male", "female", "other", "unknown"]),
    "practice": m.InputDecl(type="text"),
    "request_type": m.InputDecl(type="enum", values=["clinical", "admin", "other"]),
    "template": m.InputDecl(type="text"),
    "free_text": m.InputDecl(type="text"),
    "supplier_flags": m.InputDecl(type="list"),
    # an attribute answered by the navigator may be "not sure" (the pregnancy question offers it)
    **{
        f"patient.{a}": m.InputDecl(type="enum", values=[*YES_NO, "not_sure"])
        for a in PATIENT_ATTRIBUTES
    },
}


@dataclass(frozen=True)
class Problem:
    """One error or warning, located in a file."""

    file: str
    line: int
    col: int
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass
class CompiledRule:
    """A red flag, question or route with its compiled condition."""

    spec: Any  # m.RedFlag | m.Question | m.Route
    condition: Condition | None
    fn: Compiled | None
    mark: Mark
    parts: list[tuple[Condition, Compiled]] = field(default_factory=list)  # top-level of `all`


@dataclass
class LoadedSop:
    """A SOP that loaded without errors, ready for the engine."""

    path: Path
    sha256: str
    meta: m.Meta
    inputs: dict[str, m.InputDecl]
    applies: Compiled | None
    applies_condition: Condition | None
    red_flags: list[CompiledRule]
    questions: list[CompiledRule]
    routes: list[CompiledRule]
    messages: dict[str, str]
    tree: MarkedDict = field(repr=False)
    concepts: dict[str, m.Concept] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The SOP's id."""
        return self.meta.id

    @property
    def active(self) -> bool:
        """True when it may guide navigators."""
        return self.meta.status == "active"

    def route(self, route_id: str) -> CompiledRule | None:
        """A route by id."""
        return next((r for r in self.routes if r.spec.id == route_id), None)


class _Ctx:
    def __init__(self, file: str, codes_required: bool = True) -> None:
        self.file = file
        self.problems: list[Problem] = []
        # False for a version published before routes had destination codes (see load_texts)
        self.codes_required = codes_required

    def error(self, mark: Mark | None, message: str) -> None:
        line, col = (mark.line, mark.col) if mark else (1, 1)
        self.problems.append(Problem(self.file, line, col, message))

    def warn(self, mark: Mark | None, message: str) -> None:
        line, col = (mark.line, mark.col) if mark else (1, 1)
        self.problems.append(Problem(self.file, line, col, message, "warning"))
