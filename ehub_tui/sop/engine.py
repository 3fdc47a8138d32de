"""Evaluating a consultation against the SOP set: red flags first, then the next question, then
the suggested route with its reason, a full trace and why-not for near-miss routes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ehub_tui.sop import ENGINE_VERSION
from ehub_tui.sop.conditions import Facts, Group, Leaf, Step, leaves
from ehub_tui.sop.loader import PATIENT_ATTRIBUTES, CompiledRule, LoadedSop, SopSet


def age_on(dob: date, today: date) -> tuple[int, int]:
    """Whole years and whole months of age on a day."""
    months = (today.year - dob.year) * 12 + (today.month - dob.month)
    if today.day < dob.day:
        months -= 1
    return months // 12, months


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def build_facts(
    consultation: Mapping[str, Any], answers: Mapping[str, Any] | None, today: date
) -> Facts:
    """What the rules may see of a consultation plus the navigator's answers so far."""
    values: dict[str, Any] = {}
    dob = _as_date(consultation.get("date_of_birth"))
    if dob is not None and dob <= today:
        values["age"], values["age_months"] = age_on(dob, today)
    for key, source in (
        ("sex", "sex"),
        ("practice", "practice_ods"),
        ("request_type", "request_type"),
        ("template", "template"),
        ("free_text", "free_text"),
    ):
        v = consultation.get(source)
        if v not in (None, ""):
            values[key] = v
    flags = consultation.get("supplier_flags")
    values["supplier_flags"] = list(flags) if flags else []
    oc_answers = consultation.get("answers") or {}
    merged = {**oc_answers, **(answers or {})}
    for k, v in merged.items():
        if v is None or v == "":
            continue
        values[f"answers.{k}"] = v
        if k in PATIENT_ATTRIBUTES:
            values[f"patient.{k}"] = v
    return Facts(values)


@dataclass(frozen=True)
class SopRef:
    """Which SOP, exactly."""

    id: str
    version: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"id": self.id, "version": self.version, "sha256": self.sha256}


def _ref(sop: LoadedSop) -> SopRef:
    return SopRef(sop.id, sop.meta.version, sop.sha256)


@dataclass(frozen=True)
class RaisedFlag:
    """A red flag that matched."""

    id: str
    level: str
    say: str
    action: str
    sop: SopRef


@dataclass(frozen=True)
class NextQuestion:
    """The question to ask now."""

    id: str
    text: str
    answers: tuple[str, ...]
    sop: SopRef


@dataclass(frozen=True)
class SuggestedRoute:
    """Where the consultation should go, and why."""

    id: str
    category: str
    destination: str
    urgency: str
    snomed: str | None
    because: str
    message: str | None
    default: bool
    sop: SopRef


@dataclass
class RuleTrace:
    """One rule that was evaluated: did it match, and every test on the way."""

    rule: str
    sop_id: str
    matched: bool
    steps: list[Step] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rule": self.rule,
            "sop": self.sop_id,
            "matched": self.matched,
            "steps": [
                {
                    "condition": c,
                    "field": f,
                    "operator": o,
                    "expected": e,
                    "actual": a,
                    "result": r,
                }
                for c, f, o, e, a, r in self.steps
            ],
        }


@dataclass(frozen=True)
class WhyNot:
    """A route that nearly matched, with the tests that failed."""

    route: str
    failed: tuple[str, ...]


@dataclass
class Decision:
    """Everything the engine says about one consultation."""

    red_flags: list[RaisedFlag]
    next_question: NextQuestion | None
    route: SuggestedRoute | None
    answered: dict[str, Any]
    sops: list[SopRef]
    routing_sop: SopRef | None
    engine_version: str = ENGINE_VERSION
    trace: list[RuleTrace] = field(default_factory=list)
    _why_not: Callable[[], list[WhyNot]] | None = field(default=None, repr=False)
    _why_not_cache: list[WhyNot] | None = field(default=None, repr=False)

    @property
    def why_not(self) -> list[WhyNot]:
        """Routes that nearly matched, with the parts that failed (worked out when first read)."""
        if self._why_not_cache is None:
            self._why_not_cache = self._why_not() if self._why_not else []
        return self._why_not_cache

    @property
    def provisional(self) -> bool:
        """True while questions remain: the route may still change."""
        return self.next_question is not None

    @property
    def matched_rules(self) -> list[str]:
        """The ids of the rules that matched, in evaluation order."""
        return [t.rule for t in self.trace if t.matched]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (what an outcome records)."""
        return {
            "engine_version": self.engine_version,
            "sops": [s.as_dict() for s in self.sops],
            "routing_sop": self.routing_sop.as_dict() if self.routing_sop else None,
            "red_flags": [
                {"id": f.id, "level": f.level, "say": f.say, "action": f.action, "sop": f.sop.id}
                for f in self.red_flags
            ],
            "next_question": (
                {
                    "id": self.next_question.id,
                    "text": self.next_question.text,
                    "answers": list(self.next_question.answers),
                }
                if self.next_question
                else None
            ),
            "route": (
                {
                    "id": self.route.id,
                    "category": self.route.category,
                    "destination": self.route.destination,
                    "urgency": self.route.urgency,
                    "snomed": self.route.snomed,
                    "because": self.route.because,
                    "message": self.route.message,
                    "sop": self.route.sop.id,
                }
                if self.route
                else None
            ),
            "provisional": self.provisional,
            "answered": self.answered,
            "matched_rules": self.matched_rules,
            "trace": [t.as_dict() for t in self.trace],
            "why_not": [{"route": w.route, "failed": list(w.failed)} for w in self.why_not],
        }


def _failed_parts(rule: CompiledRule, facts: Facts) -> list[str]:
    """The top-level parts of a route's condition that do not hold."""
    return [_describe(cond) for cond, fn in rule.parts if not fn(facts, None)]


def _describe(cond: Leaf | Group) -> str:
    if isinstance(cond, Leaf):
        return cond.id or f"{cond.field} {cond.op} {cond.value!r}"
    if cond.id:
        return cond.id
    inner = ", ".join(_describe(c) for c in cond.children)
    return f"{cond.kind}({inner})"


class Engine:
    """Evaluates consultations against one loaded SOP set (only its active SOPs)."""

    def __init__(self, sop_set: SopSet, include_drafts: bool = False) -> None:
        self.sop_set = sop_set
        self.sops = [
            s for s in sop_set.sops if s.active or (include_drafts and s.meta.status == "draft")
        ]

    def evaluate(
        self,
        consultation: Mapping[str, Any],
        answers: Mapping[str, Any] | None = None,
        today: date | None = None,
        *,
        trace: bool = True,
    ) -> Decision:
        """Decide for one consultation with the navigator's answers so far."""
        facts = build_facts(consultation, answers, today or date.today())
        return self.evaluate_facts(facts, trace=trace)

    def evaluate_facts(self, facts: Facts, *, trace: bool = True) -> Decision:
        """Decide from prepared facts (see build_facts)."""
        traces: list[RuleTrace] = []

        def run(rule: CompiledRule, name: str, sop: LoadedSop) -> bool:
            if rule.fn is None:
                return True
            if not trace:
                return rule.fn(facts, None)
            steps: list[Step] = []
            ok = rule.fn(facts, steps)
            traces.append(RuleTrace(name, sop.id, ok, steps))
            return ok

        taking_part: list[LoadedSop] = []
        for sop in self.sops:
            if sop.applies is None:
                taking_part.append(sop)
                continue
            if trace:
                steps: list[Step] = []
                ok = sop.applies(facts, steps)
                traces.append(RuleTrace(f"{sop.id}.applies_when", sop.id, ok, steps))
            else:
                ok = sop.applies(facts, None)
            if ok:
                taking_part.append(sop)

        flags: list[RaisedFlag] = []
        for sop in taking_part:
            for rf in sop.red_flags:
                if run(rf, f"red_flags.{rf.spec.id}", sop):
                    s = rf.spec
                    flags.append(RaisedFlag(s.id, s.level, s.say, s.action, _ref(sop)))
        flags.sort(key=lambda f: 0 if f.level == "emergency" else 1)

        routing = next((s for s in taking_part if s.routes), None)
        next_q: NextQuestion | None = None
        route: SuggestedRoute | None = None
        answered: dict[str, Any] = {}
        why_not_fn: Callable[[], list[WhyNot]] | None = None
        if routing is not None:
            ref = _ref(routing)
            for q in routing.questions:
                key = f"answers.{q.spec.id}"
                if key in facts.values:
                    answered[q.spec.id] = facts.values[key]
                    continue
                if next_q is None and (
                    q.fn is None or run(q, f"questions.{q.spec.id}.ask_when", routing)
                ):
                    next_q = NextQuestion(q.spec.id, q.spec.text, tuple(q.spec.answers), ref)
            chosen: CompiledRule | None = None
            missed: list[CompiledRule] = []
            for r in routing.routes:
                if r.spec.default or run(r, f"routes.{r.spec.id}", routing):
                    chosen = r
                    if r.spec.default and trace:
                        traces.append(RuleTrace(f"routes.{r.spec.id}", routing.id, True, []))
                    break
                missed.append(r)
            if chosen is not None:
                s = chosen.spec
                route = SuggestedRoute(
                    s.id,
                    s.category,
                    s.destination,
                    s.urgency,
                    s.snomed,
                    s.because,
                    s.message,
                    s.default,
                    ref,
                )
            if trace:

                def why_not_fn() -> list[WhyNot]:
                    # near misses: some of the route held, and the fewest parts failed
                    near = [
                        (r.spec.id, failed)
                        for r in missed
                        if (failed := _failed_parts(r, facts)) and len(failed) < len(r.parts)
                    ]
                    if not near:
                        return []
                    fewest = min(len(f) for _, f in near)
                    return [WhyNot(rid, tuple(f)) for rid, f in near if len(f) <= max(1, fewest)]

        return Decision(
            red_flags=flags,
            next_question=next_q,
            route=route,
            answered=answered,
            sops=[_ref(s) for s in taking_part],
            routing_sop=_ref(routing) if routing else None,
            trace=traces,
            _why_not=why_not_fn,
        )


def fields_used(sop: LoadedSop) -> set[str]:
    """Every field any rule of a SOP tests."""
    out: set[str] = set()
    conds = [sop.applies_condition] + [
        r.condition for r in [*sop.red_flags, *sop.questions, *sop.routes]
    ]
    for c in conds:
        if c is not None:
            out.update(leaf.field for leaf in leaves(c))
    return out
