"""Which routes nearly matched, for "why not another route" (plausible ones only).

A route is a near miss when some of its condition held and the fewest parts failed. Two kinds of
"held" and "failed" say nothing about this item, so they do not make a near miss (trial 15b:
every admin item, a complaint and a subject access request too, was told "Not Self-certification
(fit note)" because its ``not: fit_note_type eq extension`` held with nothing answered):

- a failed part that tests only the request's own form (``template``, ``request_type``): the
  route is for another kind of request, which no answer can turn this one into;
- a part that held only as a negation (``not: …``): it holds for anything that says nothing,
  so it is no sign that the route is close.

Better to say nothing than something irrelevant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ehub_tui.sop.conditions import Group, Leaf, leaves
from ehub_tui.sop.decision import WhyNot
from ehub_tui.sop.known import Facts
from ehub_tui.sop.loaded import CompiledRule

# the fields the request brings with it and no question can change
FORM_FIELDS = frozenset({"template", "request_type"})


def _on_the_form(cond: Leaf | Group) -> bool:
    """True when every test in ``cond`` is on the request's form (its template or type)."""
    found = list(leaves(cond))
    return bool(found) and all(leaf.field in FORM_FIELDS for leaf in found)


def _positive(cond: Leaf | Group) -> bool:
    """True when ``cond`` holding says something (a negation holds on silence too)."""
    return not (isinstance(cond, Group) and cond.kind == "not")


def near_misses(
    missed: Sequence[CompiledRule],
    facts: Facts,
    describe: Callable[[Leaf | Group], str],
) -> list[WhyNot]:
    """The plausible near misses among ``missed`` routes (in their order): each with the parts
    that failed, named by ``describe``; only those with the fewest failed parts."""
    near: list[tuple[str, list[str]]] = []
    for rule in missed:
        failed, held_positive = [], False
        for cond, fn in rule.parts:
            if fn(facts, None):
                held_positive = held_positive or _positive(cond)
            elif _on_the_form(cond):
                break  # another kind of request: not this item's route
            else:
                failed.append(describe(cond))
        else:
            if failed and held_positive:
                near.append((rule.spec.id, failed))
    if not near:
        return []
    fewest = min(len(f) for _, f in near)
    return [WhyNot(rid, tuple(f)) for rid, f in near if len(f) <= max(1, fewest)]
