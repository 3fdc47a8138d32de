"""Evaluating a consultation against the SOP set: red flags first, then the next question, then
the suggested route with its reason, a full trace and why-not for near-miss routes.

What a Decision holds is in :mod:`~ehub_tui.sop.decision`; the facts it is decided on are built
by :mod:`~ehub_tui.sop.facts`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any

from ehub_tui.domain import destinations
from ehub_tui.domain.models import TraceStep
from ehub_tui.domain.patient import age_on as age_on  # (one definition of age; re-exported)
from ehub_tui.sop.concepts import Mention
from ehub_tui.sop.conditions import (
    CONCEPT_OPS,
    Compiled,
    Group,
    Leaf,
    compile_condition,
    leaves,
)
from ehub_tui.sop.decision import (
    Caution,
    Evidence,
    NextQuestion,
    Proposal,
    RuleTrace,
    SuggestedRoute,
    WhyNot,
    _ref,
)
from ehub_tui.sop.decision import Decision as Decision
from ehub_tui.sop.decision import RaisedFlag as RaisedFlag
from ehub_tui.sop.facts import build_facts, stated_in_text
from ehub_tui.sop.known import Facts, normalise_text
from ehub_tui.sop.lexicon import Lexicon
from ehub_tui.sop.loaded import CompiledRule, LoadedSop
from ehub_tui.sop.loader import SopSet
from ehub_tui.sop.marked import hub_mark
from ehub_tui.sop.near_miss import near_misses

GENERIC_TEMPLATE = "general_clinical"


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
        hub_priority: bool = True,
    ) -> Decision:
        """Decide for one consultation with the navigator's answers so far.

        ``dismissed``: red flags the navigator dismissed with a reason (only then does the
        pathway's own route come through). ``pathway``: a template the navigator accepted from
        a proposal, used in place of the consultation's own. ``hub_priority``: an item the hub
        marked emergency or urgent is given a flag of that level (sop/marked.py); the prescreen,
        which sets that priority from the flags, passes False."""
        if pathway:
            consultation = {**consultation, "template": pathway}
        facts = build_facts(consultation, answers, today or date.today(), self.lexicon)
        marked = consultation if hub_priority else None
        decision = self.evaluate_facts(facts, trace=trace, dismissed=dismissed, marked=marked)
        decision.stated = {k: Evidence.of(m) for k, m in stated_in_text(facts, answers).items()}
        decision.pathway = pathway or None
        if not pathway:
            decision.proposal = self._proposal(facts)
        return decision

    def evaluate_facts(
        self,
        facts: Facts,
        *,
        trace: bool = True,
        dismissed: Collection[str] = (),
        marked: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Decide from prepared facts (see build_facts); ``marked``: the consultation whose hub
        priority may add a flag (sop/marked.py)."""
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
        routing = next((s for s in taking_part if s.routes), None)
        mark = hub_mark(marked, flags, _ref(routing) if routing else None) if marked else None
        if mark is not None:  # a supervisor's emergency or urgent is a flag to deal with
            flags.append(mark)
        flags.sort(key=lambda f: 0 if f.level == "emergency" else 1)
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
                    # plausible near misses only: never a route for another kind of request
                    return near_misses(missed, facts, _describe)

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
