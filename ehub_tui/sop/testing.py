"""Golden tests for SOPs (``NAME.tests.yaml``), coverage, generated boundary cases, and red-flag
cases re-run with random answers. The cases are read by :mod:`~ehub_tui.sop.cases`."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ehub_tui.sop.cases import Case as Case
from ehub_tui.sop.cases import load_cases as load_cases
from ehub_tui.sop.conditions import Leaf, leaves
from ehub_tui.sop.engine import Decision, Engine
from ehub_tui.sop.loaded import Problem
from ehub_tui.sop.loader import SOP_SUFFIX, TESTS_SUFFIX, SopSet

RANDOM_RUNS = 12


@dataclass
class CaseResult:
    """What happened to one case."""

    case: Case
    failures: list[str]
    decision: Decision

    @property
    def ok(self) -> bool:
        """No failures."""
        return not self.failures


@dataclass
class TestReport:
    """Everything `ehub-tui sops test` found."""

    results: list[CaseResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # bad test files, uncovered rules
    coverage: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    boundary_checked: int = 0
    boundary_failures: list[str] = field(default_factory=list)
    random_runs: int = 0
    random_failures: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[CaseResult]:
        """Cases that did not give what they expect."""
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        """Every check passed and every active SOP is fully covered."""
        return not (
            self.failed
            or any(p.severity == "error" for p in self.problems)
            or self.boundary_failures
            or self.random_failures
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "cases": len(self.results),
            "failed": [
                {
                    "file": r.case.file,
                    "case": r.case.id,
                    "line": r.case.mark.line,
                    "failures": r.failures,
                }
                for r in self.failed
            ],
            "problems": [p.as_dict() for p in self.problems],
            "coverage": self.coverage,
            "boundary": {"checked": self.boundary_checked, "failures": self.boundary_failures},
            "random_answers": {"runs": self.random_runs, "failures": self.random_failures},
        }


def tests_file_for(sop_path: Path) -> Path:
    """``x.sop.yaml`` → ``x.tests.yaml`` beside it."""
    return sop_path.with_name(sop_path.name.removesuffix(SOP_SUFFIX) + TESTS_SUFFIX)


def check_case(engine: Engine, case: Case) -> CaseResult:
    """Run one case and compare with what it expects."""
    d = _evaluate(engine, case)
    failures = []
    if case.expect_flags is not None:
        got = sorted(f.id for f in d.red_flags)
        if got != sorted(case.expect_flags):
            failures.append(f"red flags: expected {sorted(case.expect_flags)}, got {got}")
    if case.expect_cautions is not None:
        got = sorted(c.id for c in d.cautions)
        if got != sorted(case.expect_cautions):
            failures.append(f"cautions: expected {sorted(case.expect_cautions)}, got {got}")
    if case.expect_proposal is not False:
        got_p = d.proposal.template if d.proposal else None
        if got_p != case.expect_proposal:
            failures.append(f"proposal: expected {case.expect_proposal}, got {got_p}")
    got_route = d.route.id if d.route else None
    if case.expect_route is not None and got_route != case.expect_route:
        why = next((w for w in d.why_not if w.route == case.expect_route), None)
        extra = f" ({case.expect_route} failed on: {', '.join(why.failed)})" if why else ""
        failures.append(f"route: expected {case.expect_route}, got {got_route}{extra}")
    if case.expect_question is not False:
        got_q = d.next_question.id if d.next_question else None
        if got_q != case.expect_question:
            failures.append(f"next question: expected {case.expect_question}, got {got_q}")
    return CaseResult(case, failures, d)


def _evaluate(engine: Engine, case: Case, answers: dict[str, Any] | None = None) -> Decision:
    return engine.evaluate(
        case.consultation,
        case.answers if answers is None else answers,
        case.today,
        dismissed=case.dismissed,
        pathway=case.pathway,
    )


def run_tests(
    sop_set: SopSet, extra_files: Iterable[Path] = (), seed: int = 20261123
) -> TestReport:
    """Run every SOP's golden cases against the whole set; coverage, boundaries, random answers."""
    engine = Engine(sop_set)
    report = TestReport()
    # Only active SOPs' cases run: a draft's cases are checked as it would be once published
    # (sop.authoring), so a draft in the live folder never blocks the set navigators use.
    files = [tests_file_for(s.path) for s in sop_set.sops if s.active] + list(extra_files)
    all_cases: list[Case] = []
    for s, tf in zip([x for x in sop_set.sops if x.active], files, strict=False):
        if not tf.exists():
            if s.active:
                report.problems.append(
                    Problem(str(s.path), 1, 1, f"active SOP {s.id} has no tests file {tf.name}")
                )
            continue
    for tf in dict.fromkeys(files):
        if tf.exists():
            cases, problems = load_cases(tf)
            all_cases.extend(cases)
            report.problems.extend(problems)
    for case in all_cases:
        report.results.append(check_case(engine, case))
    _coverage(sop_set, report)
    _boundaries(engine, sop_set, all_cases, report)
    _random_answers(engine, sop_set, report, seed)
    return report


def _coverage(sop_set: SopSet, report: TestReport) -> None:
    routes_hit: dict[str, int] = {}
    flags_hit: dict[str, int] = {}
    for r in report.results:
        # a SOP's route is reached when the SOP chose it, even if a standing flag governs it
        for rt in {r.decision.route, r.decision.pathway_route}:
            if rt:
                routes_hit[rt.id] = routes_hit.get(rt.id, 0) + 1
        for f in r.decision.red_flags:
            flags_hit[f.id] = flags_hit.get(f.id, 0) + 1
    for s in sop_set.sops:
        cov = {
            "routes": {r.spec.id: routes_hit.get(r.spec.id, 0) for r in s.routes},
            "red_flags": {f.spec.id: flags_hit.get(f.spec.id, 0) for f in s.red_flags},
        }
        report.coverage[s.id] = cov
        if not s.active:
            continue
        for kind, rules in (("route", s.routes), ("red flag", s.red_flags)):
            for rule in rules:
                hits = cov["routes" if kind == "route" else "red_flags"][rule.spec.id]
                if hits == 0:
                    report.problems.append(
                        Problem(
                            str(s.path),
                            rule.mark.line,
                            rule.mark.col,
                            f"{kind} {rule.spec.id} is not reached by any test case",
                        )
                    )


def _with_value(case: Case, fld: str, value: float) -> Case | None:
    c = Case(
        case.file,
        case.id,
        case.mark,
        case.today,
        dict(case.consultation),
        dict(case.answers),
        None,
        None,
        dismissed=list(case.dismissed),
        pathway=case.pathway,
    )
    n = int(value)
    if fld in ("age", "age_months"):
        if n < 0:
            return None
        years, months = (n, 0) if fld == "age" else divmod(n, 12)
        t = case.today
        total = t.year * 12 + (t.month - 1) - (years * 12 + months)
        y, mo = divmod(total, 12)
        try:
            dob = date(y, mo + 1, min(t.day, 28))
        except ValueError:
            return None
        c.consultation["date_of_birth"] = dob.isoformat()
        return c
    if fld.startswith("answers."):
        c.answers[fld.removeprefix("answers.")] = str(value if value != n else n)
        return c
    return None


def _boundaries(engine: Engine, sop_set: SopSet, cases: list[Case], report: TestReport) -> None:
    """For every `between`, check values just inside and just outside each end."""
    betweens: list[Leaf] = []
    for s in sop_set.sops:
        for rule in [*s.red_flags, *s.questions, *s.routes]:
            if rule.condition is not None:
                betweens.extend(x for x in leaves(rule.condition) if x.op == "between")
        if s.applies_condition is not None:
            betweens.extend(x for x in leaves(s.applies_condition) if x.op == "between")
    for leaf in betweens:
        lo, hi = leaf.value
        base = _base_case(engine, cases, leaf)
        if base is None:
            continue
        for value, inside in ((lo - 1, False), (lo, True), (hi, True), (hi + 1, False)):
            varied = _with_value(base, leaf.field, value)
            if varied is None:
                continue
            d = _evaluate(engine, varied)
            step = next(
                (
                    st
                    for t in d.trace
                    for st in t.steps
                    if st.condition == leaf.name and st.operator == "between"
                ),
                None,
            )
            if step is None:
                continue
            report.boundary_checked += 1
            if step.result != inside:
                report.boundary_failures.append(
                    f"{leaf.path} ({leaf.field} between {lo:g}..{hi:g}): {value:g} should be "
                    f"{'inside' if inside else 'outside'}"
                )


def _base_case(engine: Engine, cases: list[Case], leaf: Leaf) -> Case | None:
    for case in cases:
        d = _evaluate(engine, case)
        if any(
            st.condition == leaf.name and st.operator == "between"
            for t in d.trace
            for st in t.steps
        ):
            return case
    return None


def _random_answers(engine: Engine, sop_set: SopSet, report: TestReport, seed: int) -> None:
    """Re-run every red-flag case with random answers to the questions it leaves open: no
    answer a navigator could give may hide a red flag."""
    rng = random.Random(seed)
    questions = [(q.spec.id, q.spec.answers) for s in sop_set.sops for q in s.questions]
    for r in report.results:
        expected = r.case.expect_flags
        if not expected:
            continue
        given = {**(r.case.consultation.get("answers") or {}), **r.case.answers}
        open_questions = [(qid, opts) for qid, opts in questions if qid not in given]
        for _ in range(RANDOM_RUNS):
            answers = {**r.case.answers, **{qid: rng.choice(opts) for qid, opts in open_questions}}
            d = _evaluate(engine, r.case, answers)
            report.random_runs += 1
            missing = set(expected) - {f.id for f in d.red_flags}
            if missing:
                report.random_failures.append(
                    f"{r.case.file} {r.case.id}: answers {answers} hide {sorted(missing)}"
                )
                break
