"""Why another route was not chosen, in plain sentences for a navigator.

The engine lists near-miss routes with the parts of their condition that failed, as condition
code (``answers.fever eq 'no'``, ``no_exclusion_in_text``). Here each failed part is said in
words: "Community pharmacy (Pharmacy First) was not chosen: it needs the answer to “Temperature
of 38C or more?” to be no." The conditions are read from the engine in use (their fields, the
questions' own words, the concepts' labels); without an engine a route is named by its
destination and its failed parts by their names in words, never as code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_SHOWN = 4  # destinations
MAX_WAYS = 2  # alternatives said per destination ("… or 2 more ways")

_FIELDS = {
    "age": "the patient's age",
    "age_months": "the patient's age in months",
    "sex": "the patient's recorded sex",
    "practice": "the practice",
    "request_type": "the request type",
    "template": "the request's form",
    "free_text": "the patient's own words",
    "supplier_flags": "the supplier's flags",
}


def _words(name: str) -> str:
    return name.replace("answers.", "").replace("patient.", "").replace("_", " ").strip()


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return _words(str(v))


def _list(values: Sequence[Any], joiner: str) -> str:
    shown = [_value(v) for v in values]
    if len(shown) > 4:
        shown = [*shown[:3], f"{len(shown) - 3} more"]
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} {joiner} {shown[-1]}"


class _Speaker:
    """Says conditions in words, with the questions and concepts of the SOPs in use."""

    def __init__(self, engine: Any) -> None:
        self.questions: dict[str, str] = {}
        self.concepts: dict[str, str] = {}
        for sop in getattr(engine, "sops", ()) or ():
            for q in sop.questions:
                self.questions.setdefault(q.spec.id, q.spec.text)
        lexicon = getattr(engine, "lexicon", None)
        for name, c in (getattr(lexicon, "concepts", None) or {}).items():
            self.concepts[name] = getattr(c, "label", None) or _words(name)

    def subject(self, field: str) -> str:
        if field.startswith("answers."):
            qid = field.removeprefix("answers.")
            lines = (self.questions.get(qid) or "").strip().splitlines()
            text = lines[0].strip() if lines else ""  # its first line (a checklist follows)
            return f"the answer to “{text}”" if text else f"the answer about {_words(qid)}"
        if field.startswith("patient."):
            return f"whether the patient is {_words(field)}"
        return _FIELDS.get(field, _words(field))

    def leaf(self, leaf: Any, negate: bool = False) -> str:
        """``it needs …`` for one test (or its opposite)."""
        op, v, who = leaf.op, leaf.value, self.subject(leaf.field)
        if op in ("mentions", "mentions_any", "contains_any"):
            names = [v] if isinstance(v, str) else list(v)
            said = [self.concepts.get(str(n), _words(str(n))) for n in names]
            verb = "not to mention" if negate else "to mention"
            return f"{who} {verb} {_list(said, 'or')}"
        if op in ("includes", "includes_any"):
            names = [v] if isinstance(v, str) else list(v)
            verb = "to include none of" if negate else "to include"
            return f"{who} {verb} {_list(names, 'or')}"
        if op == "is_set":
            wanted = bool(v) != negate
            return f"{who} {'to be known' if wanted else 'not to be known'}"
        flip = {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in", "gt": "lte", "lte": "gt"}
        flip |= {"gte": "lt", "lt": "gte"}
        if negate and op in flip:
            op = flip[op]
        elif negate and op == "between":
            return f"{who} to be outside {_value(v[0])} to {_value(v[1])}"
        phrases = {
            "eq": f"to be {_value(v)}",
            "ne": f"not to be {_value(v)}",
            "in": f"to be {_list(v, 'or')}" if isinstance(v, list) else f"to be {_value(v)}",
            "not_in": f"to be none of {_list(v, 'or')}" if isinstance(v, list) else "",
            "gt": f"to be over {_value(v)}",
            "gte": f"to be {_value(v)} or more",
            "lt": f"to be under {_value(v)}",
            "lte": f"to be {_value(v)} or less",
            "between": (f"to be {_value(v[0])} to {_value(v[1])}" if isinstance(v, list) else ""),
        }
        return f"{who} {phrases.get(op) or 'to match'}"

    def part(self, cond: Any, negate: bool = False) -> str:
        """A condition in words (a group with an id is named by its id, in words)."""
        kind = getattr(cond, "kind", None)
        if kind is None:
            return self.leaf(cond, negate)
        if cond.id and (kind != "not" or len(cond.children) != 1):
            return f"{'not ' if negate else ''}{_words(cond.id)}"
        if kind == "not":
            return self.part(cond.children[0], not negate)
        parts = [self.part(c, negate) for c in cond.children]
        joiner = "or" if (kind == "any") != negate else "and"
        if len(parts) > 3:
            parts = [*parts[:2], f"{len(parts) - 2} more"]
        return _list(parts, joiner) if len(parts) > 1 else parts[0]


def _unique(items: Sequence[str]) -> list[str]:
    """``items`` without repeats, in their first order (several rules fail the same way)."""
    return list(dict.fromkeys(items))


def _ways(ways: Sequence[str]) -> str:
    """Alternatives joined by "or": at most MAX_WAYS, then how many more there are."""
    if len(ways) <= MAX_WAYS:
        return ", or ".join(ways)
    more = len(ways) - MAX_WAYS
    return f"{', or '.join(ways[:MAX_WAYS])}, or {more} more way{'s' if more > 1 else ''}"


def sentences(session: Any) -> list[str]:
    """Why each near-miss destination was not chosen, one plain sentence each (at most
    MAX_SHOWN destinations, each with at most MAX_WAYS different alternatives)."""
    d = session.decision
    if d is None or session.draft.override:
        return []
    near = list(d.why_not)
    if not near:
        return []
    engine = getattr(session.guidance, "engine", None)
    speaker = _Speaker(engine)
    rules = {r.spec.id: r for s in (getattr(engine, "sops", None) or ()) for r in s.routes}
    routes = {r.id: r for r in session.all_routes()}
    # one sentence per destination: several rules sending to one place read as alternatives
    needs: dict[str, list[str]] = {}
    for w in near:
        route = routes.get(w.route)
        name = route.destination if route is not None else _words(w.route)
        if name not in needs and len(needs) >= MAX_SHOWN:
            continue
        rule = rules.get(w.route)
        failed: list[str] = []
        if rule is not None:
            # the parts the engine reported, matched to their conditions by how it names them
            from ehub_tui.sop.engine import _describe

            for cond, _fn in rule.parts:
                if _describe(cond) in w.failed:
                    failed.append(speaker.part(cond))
        if not failed:
            failed = [_words(f) for f in w.failed]
        needs.setdefault(name, []).append(_list(_unique(failed), "and"))
    return [f"Not {name}: it needs {_ways(_unique(ways))}." for name, ways in needs.items()]
