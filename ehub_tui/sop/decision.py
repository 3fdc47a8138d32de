"""What the SOP engine decides for one consultation: the Decision, with its raised flags, the
suggested route and its reason, the evidence, cautions, the next question, a full trace and
why-not for near-miss routes. Plain frozen data; the engine builds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ehub_tui.domain.models import TraceStep
from ehub_tui.sop import ENGINE_VERSION
from ehub_tui.sop.concepts import Mention
from ehub_tui.sop.loaded import LoadedSop


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
