"""Overriding the suggested route: the choices, the filter the dialog types into, and which route
an override records.

A navigator overrides to a destination (words, category, urgency), offered once however many SOP
rules send there; ~46 choices for the shipped SOPs, grouped by category (signpost, clinical,
admin, escalate) and filtered as the navigator types (every word typed must start a word of the
choice: its destination, team, category, urgency or code). Any choice is reached in at most six
keys from the triage screen (tests/ui/test_override.py counts them for every shipped route).

Which route id an override records (the bug this fixes: an override to a destination several
rules share recorded the first such rule's id — chest pain overridden to the ANP hub was recorded
as ``pf_uti_not_female``, a UTI exclusion rule that did not match):
- a destination only one route offers: that route (the navigator chose it, by name);
- else the first rule of the routing SOP, sending there, whose condition holds for this item and
  the answers given (evaluated here, not guessed from an order): a rule that does match;
- else ``override_<category>_<destination>_<urgency>``: no rule's id, so the outcome claims no
  rule matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ehub_tui.domain.contact import rank, team_words, urgency_words
from ehub_tui.domain.types import CATEGORIES

if TYPE_CHECKING:
    from ehub_tui.domain.models import Consultation
    from ehub_tui.sop.decision import Decision

OVERRIDE_PREFIX = "override_"
_WORD = re.compile(r"[^\w&]+")
_SLUG = re.compile(r"[^a-z0-9]+")
_GROUP_ORDER = ("signpost", "clinical", "admin", "escalate")


def _group(category: str) -> int:
    return _GROUP_ORDER.index(category) if category in _GROUP_ORDER else len(CATEGORIES)


def choice_key(route: Any) -> tuple[str, str, str]:
    """What a navigator chooses: (destination, category, urgency)."""
    return (route.destination, route.category, route.urgency)


def synthetic_id(route: Any) -> str:
    """The id an override to ``route``'s destination records when no rule sending there
    matched: ``override_clinical_anp_minor_illness_hub_same_day`` (never a rule's id)."""
    slug = _SLUG.sub("_", route.destination.casefold()).strip("_")[:80].rstrip("_")
    return f"{OVERRIDE_PREFIX}{route.category}_{slug}_{route.urgency}"


@dataclass(frozen=True)
class OverrideOption:
    """One choice in the override dialog: the route id it records, its words, and the words
    the filter matches (lower case)."""

    value: str  # the route id the override records (a rule's, or an ``override_…`` id)
    category: str
    destination: str
    urgency: str
    team: str
    words: tuple[str, ...]
    key: tuple[str, str, str]

    @property
    def label(self) -> str:
        """``ANP minor illness hub · ANP minor illness team · today``."""
        team = "" if self.team.casefold() in self.destination.casefold() else f" · {self.team}"
        return f"{self.destination}{team} · {urgency_words(self.urgency)}"


@dataclass(frozen=True)
class OverrideRoute:
    """The route an ``override_…`` id stands for: a destination's words, code, urgency, SNOMED
    code and message taken from a route that sends there, under an id of its own."""

    id: str
    category: str
    destination: str
    urgency: str
    snomed: str | None
    message: str | None
    destination_code: str | None
    because: str = "Chosen by the navigator (override); no SOP rule sending here matched."


def as_override(route: Any) -> OverrideRoute:
    """``route``'s destination under its ``override_…`` id."""
    return OverrideRoute(
        id=synthetic_id(route),
        category=route.category,
        destination=route.destination,
        urgency=route.urgency,
        snomed=route.snomed,
        message=route.message,
        destination_code=getattr(route, "destination_code", None),
    )


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case words of ``text`` (what the filter matches word starts against)."""
    return tuple(w for w in _WORD.split(text.casefold()) if w)


def build_options(
    routes: Sequence[Any], holding: Callable[[list[str]], list[str]]
) -> list[OverrideOption]:
    """One option per destination choice, grouped by category then by destination and
    urgency. ``holding(route ids)``: those of the ids whose rule matches this item, in order."""
    by_key: dict[tuple[str, str, str], list[Any]] = {}
    for r in routes:
        by_key.setdefault(choice_key(r), []).append(r)
    options: list[OverrideOption] = []
    for key, same in by_key.items():
        first = same[0]
        if len(same) == 1:
            value = first.id
        else:
            held = holding([r.id for r in same if not getattr(r, "default", False)])
            value = held[0] if held else synthetic_id(first)
        code = getattr(first, "destination_code", None)
        team = team_words(code)
        code_words = (code or "").replace("_", " ")
        text = f"{first.destination} {first.category} {urgency_words(first.urgency)} {team}"
        text += f" {code_words}"
        options.append(
            OverrideOption(
                value, first.category, first.destination, first.urgency, team, words_of(text), key
            )
        )
    options.sort(key=lambda o: (_group(o.category), o.destination.casefold(), rank(o.urgency)))
    return options


def filter_options(options: Sequence[OverrideOption], query: str) -> list[OverrideOption]:
    """The options every typed word starts a word of (all of them for an empty query)."""
    tokens = words_of(query)
    if not tokens:
        return list(options)
    return [o for o in options if all(any(w.startswith(t) for w in o.words) for t in tokens)]


def best_index(shown: Sequence[OverrideOption], query: str) -> int:
    """Where the highlight goes in a filtered list: on the plainest destination whose first word
    the first typed word starts — the shortest such destination, in list order on a tie — so one
    letter picks a common one ("a" ANP minor illness hub today, "g" GP routine, "r" repeat
    prescription, "d" duty clinician same day); else on the first match."""
    tokens = words_of(query)
    if not tokens:
        return 0
    leading = [
        i
        for i, o in enumerate(shown)
        if (first := words_of(o.destination)[:1]) and first[0].startswith(tokens[0])
    ]
    return min(leading, key=lambda i: (len(shown[i].destination), i)) if leading else 0


def no_match_words(query: str) -> str:
    """What the dialog says when nothing matches the filter (trial 15b: an empty list, no words)."""
    return (
        f"No route matches '{query.strip()}' — backspace to widen, esc to keep the suggested route."
    )


def start_index(options: Sequence[OverrideOption], suggested: Any | None) -> int:
    """Where the dialog's highlight starts: on the suggested route's destination, else first."""
    if suggested is not None:
        key = choice_key(suggested)
        for i, o in enumerate(options):
            if o.key == key:
                return i
    return 0


def resolve(value: str, routes: Sequence[Any]) -> Any | None:
    """The route an override's recorded id stands for (a rule's route, or an OverrideRoute for
    an ``override_…`` id); None when the SOPs in use have neither."""
    for r in routes:
        if r.id == value:
            return r
    if value.startswith(OVERRIDE_PREFIX):
        for r in routes:
            if synthetic_id(r) == value:
                return as_override(r)
    return None


def routes_holding(
    engine: Any,
    item: Consultation,
    answers: Mapping[str, Any],
    route_ids: Iterable[str],
    *,
    today: date,
    pathway: str | None = None,
    decision: Decision | None = None,
) -> list[str]:
    """Those of ``route_ids`` whose rule matches ``item`` with ``answers``: rules of the routing
    SOP (the one the decision was routed by) whose condition holds, in the SOP's order."""
    from ehub_tui.sop.facts import build_facts

    wanted = set(route_ids)
    sops = getattr(engine, "sops", None)
    if not wanted or not sops:
        return []
    routing = decision.routing_sop.id if decision and decision.routing_sop else None
    consultation = item.model_dump()
    if pathway:
        consultation = {**consultation, "template": pathway}
    facts = build_facts(consultation, answers, today, engine.lexicon)
    out: list[str] = []
    for sop in sops:
        if routing is not None and sop.id != routing:
            continue
        if sop.applies is not None and not sop.applies(facts, None):
            continue
        for rule in sop.routes:
            if rule.spec.id in wanted and rule.fn is not None and rule.fn(facts, None):
                out.append(rule.spec.id)
    return out


def options_for(session: Any) -> list[OverrideOption]:
    """The override choices for ``session``'s item and answers. The rules sending to a shared
    destination are evaluated through the guidance's engine; a guidance without one (or its
    date) shows no rule to match, so such an override records an ``override_…`` id."""
    engine = getattr(session.guidance, "engine", None)
    today = getattr(session.guidance, "today", None)

    def holding(route_ids: list[str]) -> list[str]:
        if engine is None or not callable(today):
            return []
        d = session.draft
        return routes_holding(
            engine,
            session.item,
            d.answers,
            route_ids,
            today=today(),
            pathway=d.pathway,
            decision=session.decision,
        )

    return build_options(session.all_routes(), holding)
