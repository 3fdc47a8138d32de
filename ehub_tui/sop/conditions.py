"""Conditions: parsed from the marked YAML tree, checked against the declared inputs, and
compiled to plain Python closures (no eval, no exec).

A compiled condition is ``fn(facts, steps) -> bool``; when ``steps`` is a list, every test that was
evaluated appends a :class:`~ehub_tui.domain.models.TraceStep` (condition, field, operator,
expected, actual, result) to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ehub_tui.domain.models import TraceStep
from ehub_tui.sop.known import Facts as Facts  # (re-exported: tests)
from ehub_tui.sop.known import normalise_text as normalise_text  # (re-exported: tests)
from ehub_tui.sop.models import OPERATORS
from ehub_tui.yamlload import Mark, MarkedDict, MarkedList

Step = TraceStep  # the older name
Compiled = Callable[["Facts", "list[TraceStep] | None"], bool]

NUMBER_OPS = frozenset({"gt", "gte", "lt", "lte", "between"})
LIST_OPS = frozenset({"includes", "includes_any"})
TEXT_OPS = frozenset({"contains_any", "mentions", "mentions_any"})
CONCEPT_OPS = frozenset({"mentions", "mentions_any"})
VALUE_OPS = frozenset({"eq", "ne", "in", "not_in"})


@dataclass
class Leaf:
    """A test on one field."""

    field: str
    op: str
    value: Any
    mark: Mark
    path: str
    id: str | None = None

    @property
    def name(self) -> str:
        """How traces name this test."""
        return self.id or self.path


@dataclass
class Group:
    """all / any / not of other conditions."""

    kind: str
    children: list[Leaf | Group]
    mark: Mark
    path: str
    id: str | None = None

    @property
    def name(self) -> str:
        """How traces name this group."""
        return self.id or self.path


Condition = Leaf | Group


@dataclass
class ParseProblem:
    """A problem found while reading a condition."""

    mark: Mark
    message: str
    hints: list[str] = field(default_factory=list)


def parse_condition(
    node: Any, path: str, mark: Mark, problems: list[ParseProblem]
) -> Condition | None:
    """Read a condition from the YAML tree; append problems and return None when it is bad."""
    if not isinstance(node, MarkedDict):
        problems.append(
            ParseProblem(mark, f"{path}: a condition must be a mapping with field/all/any/not")
        )
        return None
    cid = node.get("id")
    if cid is not None and not isinstance(cid, str):
        problems.append(ParseProblem(node.value_marks["id"], f"{path}.id: must be text"))
        cid = None
    keys = [k for k in node if k != "id"]
    for kind in ("all", "any"):
        if kind in node:
            extra = [k for k in keys if k != kind]
            if extra:
                problems.append(
                    ParseProblem(
                        node.key_marks[extra[0]],
                        f"{path}: '{kind}' cannot be mixed with {extra[0]!r} in one condition; "
                        f"put the test inside the '{kind}' list",
                    )
                )
                return None
            items = node[kind]
            if not isinstance(items, MarkedList) or not items:
                problems.append(
                    ParseProblem(node.value_marks[kind], f"{path}.{kind}: must be a non-empty list")
                )
                return None
            children = [
                parse_condition(item, f"{path}.{kind}[{i}]", items.item_marks[i], problems)
                for i, item in enumerate(items)
            ]
            if any(c is None for c in children):
                return None
            return Group(kind, [c for c in children if c is not None], node.mark, path, cid)
    if "not" in node:
        extra = [k for k in keys if k != "not"]
        if extra:
            problems.append(
                ParseProblem(
                    node.key_marks[extra[0]], f"{path}: 'not' cannot be mixed with {extra[0]!r}"
                )
            )
            return None
        child = parse_condition(node["not"], f"{path}.not", node.value_marks["not"], problems)
        return None if child is None else Group("not", [child], node.mark, path, cid)
    if "field" not in node:
        unknown = [k for k in keys if k not in OPERATORS]
        hint = (
            _did_you_mean(unknown[0], ["field", "all", "any", "not", *OPERATORS]) if unknown else ""
        )
        problems.append(
            ParseProblem(node.mark, f"{path}: a test needs 'field' (or use all / any / not){hint}")
        )
        return None
    fname = node["field"]
    if not isinstance(fname, str) or not fname:
        problems.append(ParseProblem(node.value_marks["field"], f"{path}.field: must be a name"))
        return None
    ops = [k for k in keys if k != "field"]
    unknown = [k for k in ops if k not in OPERATORS]
    if unknown:
        problems.append(
            ParseProblem(
                node.key_marks[unknown[0]],
                f"{path}.{unknown[0]}: unknown operator"
                f"{_did_you_mean(unknown[0], OPERATORS) or '; use one of ' + ', '.join(OPERATORS)}",
            )
        )
        return None
    if len(ops) != 1:
        problems.append(
            ParseProblem(
                node.mark,
                f"{path}: a test needs exactly one operator"
                + (f", found {', '.join(ops)}" if ops else f" ({', '.join(OPERATORS)})"),
            )
        )
        return None
    op = ops[0]
    value = node[op]
    vmark = node.value_marks[op]
    problem = _check_value_shape(op, value)
    if problem:
        problems.append(ParseProblem(vmark, f"{path}.{op}: {problem}"))
        return None
    return Leaf(fname, op, _plain(value), vmark, path, cid)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_value_shape(op: str, value: Any) -> str | None:
    if op in ("gt", "gte", "lt", "lte"):
        return None if _is_number(value) else f"needs a number, got {value!r}"
    if op == "between":
        if not isinstance(value, list) or len(value) != 2 or not all(map(_is_number, value)):
            return f"needs two numbers [low, high], got {value!r}"
        if value[0] > value[1]:
            return f"low {value[0]} is greater than high {value[1]}"
        return None
    if op == "mentions":
        if not isinstance(value, str) or not value.strip():
            return f"needs the name of a concept, got {value!r}"
        return None
    if op in ("in", "not_in", "includes_any", "contains_any", "mentions_any"):
        if not isinstance(value, list) or not value:
            return f"needs a non-empty list, got {value!r}"
        if any(isinstance(v, dict | list) or v is None for v in value):
            return "list items must be plain values"
        if op == "contains_any" and any(not str(v).strip() for v in value):
            return "phrases must not be empty"
        return None
    if op == "is_set":
        return None if isinstance(value, bool) else "needs true or false"
    if isinstance(value, dict | list) or value is None:
        return f"needs a single value, got {value!r}"
    return None


def _did_you_mean(word: str, choices: Any) -> str:
    import difflib

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def leaves(cond: Condition) -> list[Leaf]:
    """Every test inside a condition."""
    if isinstance(cond, Leaf):
        return [cond]
    out: list[Leaf] = []
    for c in cond.children:
        out.extend(leaves(c))
    return out


# -- compiling ------------------------------------------------------------------------------------


def _number(v: Any) -> float | None:
    if _is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def _text(v: Any) -> str:
    return v.casefold() if isinstance(v, str) else str(v).casefold()


def compile_condition(cond: Condition) -> Compiled:
    """Turn a condition into a closure."""
    if isinstance(cond, Group):
        parts = [compile_condition(c) for c in cond.children]
        if cond.kind == "all":

            def all_(facts: Facts, steps: list[TraceStep] | None) -> bool:
                return all(p(facts, steps) for p in parts)

            return all_
        if cond.kind == "any":

            def any_(facts: Facts, steps: list[TraceStep] | None) -> bool:
                return any(p(facts, steps) for p in parts)

            return any_
        inner = parts[0]

        def not_(facts: Facts, steps: list[TraceStep] | None) -> bool:
            return not inner(facts, steps)

        return not_
    return _compile_leaf(cond)


def _compile_leaf(leaf: Leaf) -> Compiled:
    name, fld, op, expected = leaf.name, leaf.field, leaf.op, leaf.value
    test: Callable[[Any, Facts], bool]

    if op == "is_set":
        want = bool(expected)

        def leaf_is_set(facts: Facts, steps: list[TraceStep] | None) -> bool:
            actual = facts.values.get(fld)
            result = (actual is not None) == want
            if steps is not None:
                steps.append(TraceStep(name, fld, op, expected, actual, result))
            return result

        return leaf_is_set
    if op == "contains_any":
        phrases = tuple(normalise_text(str(p)) for p in expected)

        def leaf_contains(facts: Facts, steps: list[TraceStep] | None) -> bool:
            text = facts.text(fld)
            if steps is None:
                return text is not None and any(p in text for p in phrases)
            hit = None if text is None else next((p for p in phrases if p in text), None)
            steps.append(
                TraceStep(name, fld, op, expected, hit.strip() if hit else None, hit is not None)
            )
            return hit is not None

        return leaf_contains
    if op in CONCEPT_OPS:
        wanted = frozenset([expected] if isinstance(expected, str) else map(str, expected))

        def leaf_mentions(facts: Facts, steps: list[TraceStep] | None) -> bool:
            hits = [
                mn
                for mn in facts.mentions(fld)
                if mn.concept in wanted and (facts.lenient or facts.counts(mn))
            ]
            if steps is not None:
                shown = [mn.words for mn in hits] or None
                steps.append(TraceStep(name, fld, op, expected, shown, bool(hits)))
            return bool(hits)

        return leaf_mentions
    if op in NUMBER_OPS:
        if op == "between":
            lo, hi = float(expected[0]), float(expected[1])

            def test(v: Any, _f: Facts) -> bool:
                n = _number(v)
                return n is not None and lo <= n <= hi
        else:
            bound = float(expected)
            cmp = {
                "gt": float.__gt__,
                "gte": float.__ge__,
                "lt": float.__lt__,
                "lte": float.__le__,
            }[op]

            def test(v: Any, _f: Facts) -> bool:
                n = _number(v)
                return n is not None and cmp(n, bound)
    elif op in ("eq", "ne"):
        target = _text(expected)
        if op == "eq":

            def test(v: Any, _f: Facts) -> bool:
                return _text(v) == target
        else:

            def test(v: Any, _f: Facts) -> bool:
                return _text(v) != target
    elif op in ("in", "not_in"):
        targets = frozenset(_text(e) for e in expected)
        if op == "in":

            def test(v: Any, _f: Facts) -> bool:
                return _text(v) in targets
        else:

            def test(v: Any, _f: Facts) -> bool:
                return _text(v) not in targets
    elif op == "includes":
        one = _text(expected)

        def test(v: Any, _f: Facts) -> bool:
            return isinstance(v, list | tuple) and any(_text(x) == one for x in v)
    else:  # includes_any
        anyof = frozenset(_text(e) for e in expected)

        def test(v: Any, _f: Facts) -> bool:
            return isinstance(v, list | tuple) and any(_text(x) in anyof for x in v)

    def leaf_fn(facts: Facts, steps: list[TraceStep] | None) -> bool:
        actual = facts.values.get(fld)
        result = actual is not None and test(actual, facts)
        if steps is not None:
            steps.append(TraceStep(name, fld, op, expected, actual, result))
        return result

    return leaf_fn
