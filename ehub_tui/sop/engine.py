"""Evaluating a consultation against the SOP set: red flags first, then the next question, then
the suggested route with its reason, a full trace and why-not for near-miss routes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ehub_tui.domain import destinations
from ehub_tui.domain.models import TraceStep
from ehub_tui.domain.patient import age_on as age_on  # (one definition of age; re-exported)
from ehub_tui.sop import ENGINE_VERSION
from ehub_tui.sop.conditions import (
    CONCEPT_OPS,
    Compiled,
    Facts,
    Group,
    Leaf,
    compile_condition,
    leaves,
    normalise_text,
)
from ehub_tui.sop.context import Context
from ehub_tui.sop.lexicon import Lexicon, Mention
from ehub_tui.sop.loader import PATIENT_ATTRIBUTES, CompiledRule, LoadedSop, SopSet

GENERIC_TEMPLATE = "general_clinical"
STATED = "stated in text — confirm"


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
    consultation: Mapping[str, Any],
    answers: Mapping[str, Any] | None,
    today: date,
    lexicon: Lexicon | None = None,
) -> Facts:
    """What the rules may see of a consultation plus the navigator's answers so far.

    Patient attributes the free text states (a concept that ``sets`` one, mentioned as the
    patient's own) count as answered "yes" until the navigator's own answer says otherwise."""
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
    facts = Facts(values, lexicon, today.year)
    if lexicon is not None and "free_text" in values:
        for mention in facts.mentions("free_text"):
            attr = _stated(lexicon, mention)
            if attr and f"answers.{attr}" not in values:
                values[f"answers.{attr}"] = values[f"patient.{attr}"] = "yes"
    return facts


def _stated(lexicon: Lexicon, mention: Mention) -> str | None:
    """The attribute a mention states about the patient, if any (a lasting one — no spleen, a
    transplant — still holds when the mention is in the past)."""
    c = lexicon.concepts[mention.concept]
    if not c.sets:
        return None
    if mention.counts or (c.lasting and mention.context is Context.HISTORICAL):
        return c.sets
    return None


def stated_in_text(facts: Facts, answers: Mapping[str, Any] | None) -> dict[str, Mention]:
    """Attributes taken from the free text (not from a structured or navigator answer)."""
    lexicon = facts.lexicon
    if lexicon is None:
        return {}
    out: dict[str, Mention] = {}
    for mention in facts.mentions("free_text"):
        attr = _stated(lexicon, mention)
        if attr and attr not in (answers or {}) and attr not in out:
            out[attr] = mention
    return out


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
class Evidence:
    """What raised a flag (or a caution, or a proposal): the patient's words or an answer."""

    kind: str  # text | answer
    words: str  # the patient's words as written, or "answers.x = yes"
    how: str = ""  # exact | synonym | typo | pattern | phrase | answer
    context: str = "affirmed"  # affirmed | negated | historical | other_person | uncertain
    concept: str | None = None
    trigger: str | None = None
    start: int | None = None  # character offsets in the free text
    end: int | None = None
    corrected: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, m: Mention) -> Evidence:
        """From a concept mention."""
        return cls(
            "text",
            m.words,
            m.how,
            m.context.value,
            m.concept,
            m.trigger,
            m.start,
            m.end,
            m.corrected,
        )

    def describe(self) -> str:
        """'"sqeezing pain in my chest" (typo: sqeezing → squeez)', 'answers.chest_pain = yes'."""
        if self.kind != "text":
            return self.words
        how = self.how
        if self.corrected:
            how += ": " + ", ".join(f"{a} → {b}" for a, b in self.corrected)
        ctx = "" if self.context == "affirmed" else f", {self.context.replace('_', ' ')}"
        if self.trigger and ctx:
            ctx += f' ("{self.trigger}")'
        return f'"{self.words}" ({how}{ctx})'

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "words": self.words,
            "how": self.how,
            "context": self.context,
            "concept": self.concept,
            "trigger": self.trigger,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class RaisedFlag:
    """A red flag that matched."""

    id: str
    level: str
    say: str
    action: str
    sop: SopRef
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Caution:
    """A red flag the text names only as absent, past or someone else's: shown, never raised."""

    id: str  # the red flag's id
    level: str  # the level the flag would have
    say: str  # "mentions chest pain — says none"
    flag_say: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """A pathway the free text describes when the template does not fit it."""

    template: str
    label: str
    evidence: tuple[Evidence, ...]


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
    governed_by: str | None = None  # the red flag that set this route, if one did
    # the fixed vocabulary code returns count it by (domain/destinations.py); a version
    # published before codes existed has none: OTHER
    destination_code: str = "OTHER"


@dataclass
class RuleTrace:
    """One rule that was evaluated: did it match, and every test on the way (in order)."""

    rule: str
    sop_id: str
    matched: bool
    steps: list[TraceStep] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rule": self.rule,
            "sop": self.sop_id,
            "matched": self.matched,
            # a TraceStep's own names, in its order: the JSON the outcome and explain carry
            "steps": [s._asdict() for s in self.steps],
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
    cautions: list[Caution] = field(default_factory=list)
    pathway_route: SuggestedRoute | None = None  # the SOP's own route, before flags govern it
    stated: dict[str, Evidence] = field(default_factory=dict)  # attributes read from the text
    proposal: Proposal | None = None
    pathway: str | None = None  # a template the navigator took from a proposal
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
                {
                    "id": f.id,
                    "level": f.level,
                    "say": f.say,
                    "action": f.action,
                    "sop": f.sop.id,
                    "evidence": [e.as_dict() for e in f.evidence],
                }
                for f in self.red_flags
            ],
            "cautions": [
                {"id": c.id, "say": c.say, "evidence": [e.as_dict() for e in c.evidence]}
                for c in self.cautions
            ],
            "stated": {k: e.as_dict() for k, e in self.stated.items()},
            "proposal": (
                {
                    "template": self.proposal.template,
                    "label": self.proposal.label,
                    "evidence": [e.as_dict() for e in self.proposal.evidence],
                }
                if self.proposal
                else None
            ),
            "pathway": self.pathway,
            "pathway_route": self.pathway_route.id if self.pathway_route else None,
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
                    "governed_by": self.route.governed_by,
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
        value = cond.value
        if isinstance(value, list) and len(value) > 4:  # a phrase list: the first few will do
            shown = ", ".join(repr(v) for v in value[:3]) + f", … ({len(value)} in all)"
            return cond.id or f"{cond.field} {cond.op} [{shown}]"
        return cond.id or f"{cond.field} {cond.op} {value!r}"
    if cond.id:
        return cond.id
    inner = ", ".join(_describe(c) for c in cond.children)
    return f"{cond.kind}({inner})"


class Engine:
    """Evaluates consultations against one loaded SOP set (only its active SOPs)."""

    def __init__(self, sop_set: SopSet, include_drafts: bool = False) -> None:
        self.sop_set = sop_set
        self.lexicon: Lexicon = sop_set.lexicon
        self.sops = [
            s for s in sop_set.sops if s.active or (include_drafts and s.meta.status == "draft")
        ]
        self._leaf_fns: dict[int, Compiled] = {}
        # templates the lexicon can propose, in the order the concepts were written
        self.topics = {name: c.suggests for name, c in self.lexicon.concepts.items() if c.suggests}

    def evaluate(
        self,
        consultation: Mapping[str, Any],
        answers: Mapping[str, Any] | None = None,
        today: date | None = None,
        *,
        trace: bool = True,
        dismissed: Collection[str] = (),
        pathway: str | None = None,
    ) -> Decision:
        """Decide for one consultation with the navigator's answers so far.

        ``dismissed``: red flags the navigator dismissed with a reason (only then does the
        pathway's own route come through). ``pathway``: a template the navigator accepted from
        a proposal, used in place of the consultation's own."""
        if pathway:
            consultation = {**consultation, "template": pathway}
        facts = build_facts(consultation, answers, today or date.today(), self.lexicon)
        decision = self.evaluate_facts(facts, trace=trace, dismissed=dismissed)
        decision.stated = {k: Evidence.of(m) for k, m in stated_in_text(facts, answers).items()}
        decision.pathway = pathway or None
        if not pathway:
            decision.proposal = self._proposal(facts)
        return decision

    def evaluate_facts(
        self, facts: Facts, *, trace: bool = True, dismissed: Collection[str] = ()
    ) -> Decision:
        """Decide from prepared facts (see build_facts)."""
        traces: list[RuleTrace] = []

        def run(rule: CompiledRule, name: str, sop: LoadedSop) -> bool:
            if rule.fn is None:
                return True
            if not trace:
                return rule.fn(facts, None)
            steps: list[TraceStep] = []
            ok = rule.fn(facts, steps)
            traces.append(RuleTrace(name, sop.id, ok, steps))
            return ok

        taking_part: list[LoadedSop] = []
        for sop in self.sops:
            if sop.applies is None:
                taking_part.append(sop)
                continue
            if trace:
                steps: list[TraceStep] = []
                ok = sop.applies(facts, steps)
                traces.append(RuleTrace(f"{sop.id}.applies_when", sop.id, ok, steps))
            else:
                ok = sop.applies(facts, None)
            if ok:
                taking_part.append(sop)

        flags: list[RaisedFlag] = []
        cautions: list[Caution] = []
        lenient: Facts | None = None
        for sop in taking_part:
            for rf in sop.red_flags:
                s = rf.spec
                if run(rf, f"red_flags.{s.id}", sop):
                    evidence = self._evidence(rf, facts, strict=True)
                    flags.append(RaisedFlag(s.id, s.level, s.say, s.action, _ref(sop), evidence))
                elif rf.fn is not None and _mentions_concepts(rf):
                    # would the flag hold if every mention counted, whatever its context?
                    lenient = lenient or facts.lenient_view()
                    if rf.fn(lenient, None):
                        evidence = self._evidence(rf, facts, strict=False)
                        cautions.append(_caution(s, evidence, self.lexicon))
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
                    destination_code=s.destination_code or destinations.OTHER,
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

        standing = [f for f in flags if f.id not in dismissed]
        governed = govern(route, standing, routing)
        return Decision(
            red_flags=flags,
            next_question=next_q,
            route=governed,
            answered=answered,
            sops=[_ref(s) for s in taking_part],
            routing_sop=_ref(routing) if routing else None,
            trace=traces,
            _why_not=why_not_fn,
            cautions=cautions,
            pathway_route=route,
        )

    # -- evidence and proposals --------------------------------------------------------------

    def _leaf_fn(self, leaf: Leaf) -> Compiled:
        fn = self._leaf_fns.get(id(leaf))
        if fn is None:
            fn = self._leaf_fns[id(leaf)] = compile_condition(leaf)
        return fn

    def _evidence(self, rule: CompiledRule, facts: Facts, *, strict: bool) -> tuple[Evidence, ...]:
        """The words and answers that make a flag's condition hold (strict: as the patient's
        own, now; otherwise the mentions in other contexts that would raise it)."""
        out: list[Evidence] = []
        if rule.condition is None:
            return ()
        for leaf in leaves(rule.condition):
            if leaf.op in CONCEPT_OPS:
                wanted = {leaf.value} if isinstance(leaf.value, str) else set(leaf.value)
                for mn in facts.mentions(leaf.field):
                    if mn.concept in wanted and facts.counts(mn) == strict:
                        out.append(Evidence.of(mn))
            elif leaf.op == "contains_any":
                text = facts.text(leaf.field)
                for p in leaf.value:
                    if text and normalise_text(str(p)) in text:
                        out.append(Evidence("text", str(p), "phrase"))
                        break
            elif (
                strict
                and leaf.field.startswith(("answers.", "patient.", "supplier_flags"))
                and self._leaf_fn(leaf)(facts, None)
            ):
                shown = facts.values.get(leaf.field)
                out.append(Evidence("answer", f"{leaf.field} = {shown}", "answer"))
        unique: dict[tuple[str, int | None], Evidence] = {}
        for e in out:
            unique.setdefault((e.words, e.start), e)
        return tuple(unique.values())

    def _proposal(self, facts: Facts) -> Proposal | None:
        """The pathway the text describes, when the consultation's template is not one of them."""
        if not self.topics or "free_text" not in facts.values:
            return None
        found: dict[str, list[Mention]] = {}
        for mn in facts.mentions("free_text"):
            template = self.topics.get(mn.concept)
            if template and mn.counts:
                found.setdefault(template, []).append(mn)
        if not found:
            return None
        current = str(facts.values.get("template") or "")
        if current in found:
            return None  # the template fits the text
        best = max(found, key=lambda t: len(found[t]))  # ties: the first written
        first = found[best][0]
        label = self.lexicon.concepts[first.concept].label
        return Proposal(best, label, tuple(Evidence.of(m) for m in found[best]))


def _mentions_concepts(rule: CompiledRule) -> bool:
    return rule.condition is not None and any(
        leaf.op in CONCEPT_OPS for leaf in leaves(rule.condition)
    )


def _caution(spec: Any, evidence: tuple[Evidence, ...], lexicon: Lexicon) -> Caution:
    """ "mentions chest pain — says none"."""
    from ehub_tui.sop.context import Context

    parts: list[str] = []
    for e in evidence:
        label = lexicon.concepts[e.concept].label if e.concept in lexicon.concepts else e.words
        part = f"{label} — {Context(e.context).caution}"
        if part not in parts:
            parts.append(part)
    say = "mentions " + "; ".join(parts) if parts else f"mentions {spec.say}"
    return Caution(spec.id, spec.level, say, spec.say, evidence)


SAME_DAY_DESTINATION = "Same-day clinician (GP urgent same-day)"
_SAME_DAY_OK = frozenset({"immediate", "same_day"})


def govern(
    route: SuggestedRoute | None, standing: list[RaisedFlag], routing: LoadedSop | None
) -> SuggestedRoute | None:
    """The route once standing red flags have their say: an emergency flag makes the route the
    escalation; an amber flag allows nothing below a same-day clinician (no signposting,
    Pharmacy First or admin). Only a flag dismissed with a reason is not standing."""
    if not standing:
        return route
    emergency = next((f for f in standing if f.level == "emergency"), None)
    if emergency is not None:
        if route is not None and route.category == "escalate" and route.governed_by is None:
            return route  # the pathway already escalates now
        return SuggestedRoute(
            id=f"escalate_{emergency.id}",
            category="escalate",
            destination=f"Duty clinician now: {emergency.action}",
            urgency="immediate",
            snomed=None,
            because=f"Red flag: {emergency.say} While this flag stands the route is the "
            "escalation; only dismissing it with a reason lets the pathway's route through.",
            message=None,
            default=False,
            sop=emergency.sop,
            governed_by=emergency.id,
            destination_code=destinations.ESCALATION,
        )
    amber = standing[0]
    if (
        route is not None
        and route.category in ("clinical", "escalate")
        and route.urgency in _SAME_DAY_OK
    ):
        return route  # already a clinician today
    message = "clinician_today" if routing and "clinician_today" in routing.messages else None
    return SuggestedRoute(
        id=f"same_day_{amber.id}",
        category="clinical",
        destination=SAME_DAY_DESTINATION,
        urgency="same_day",
        snomed=None,
        because=f"Amber flag: {amber.say} The minimum is a same-day clinician while it stands"
        + (f" (the pathway alone would say: {route.destination})." if route else "."),
        message=message,
        default=False,
        sop=amber.sop,
        governed_by=amber.id,
        destination_code=destinations.SAME_DAY,
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
