"""A structurally valid SOP file's meaning: conditions parsed and compiled against the declared
fields, messages' placeholders, shadowed and gapped routes, destination codes.
"""

from __future__ import annotations

import string
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from ehub_tui.domain import destinations
from ehub_tui.sop import models as m
from ehub_tui.sop import snomed
from ehub_tui.sop.conditions import (
    LIST_OPS,
    NUMBER_OPS,
    TEXT_OPS,
    VALUE_OPS,
    Compiled,
    Condition,
    Group,
    Leaf,
    ParseProblem,
    _did_you_mean,
    compile_condition,
    leaves,
    parse_condition,
)
from ehub_tui.sop.loaded import BUILTINS, CompiledRule, LoadedSop, _Ctx
from ehub_tui.sop.message_checks import check_messages
from ehub_tui.sop.text import phrase_stems
from ehub_tui.yamlload import Mark, MarkedDict, MarkedList


def _parse(node: Any, path: str, mark: Mark, ctx: _Ctx) -> Condition | None:
    found: list[ParseProblem] = []
    cond = parse_condition(node, path, mark, found)
    for p in found:
        ctx.error(p.mark, p.message)
    return cond


def _check_leaf(leaf: Leaf, inputs: dict[str, m.InputDecl], ctx: _Ctx, used: set[str]) -> None:
    decl = inputs.get(leaf.field)
    if decl is None:
        hint = _did_you_mean(leaf.field, inputs)
        ctx.error(
            leaf.mark,
            f"{leaf.path}: field {leaf.field!r} is not declared in inputs{hint}",
        )
        return
    used.add(leaf.field)
    kind = decl.type or "text"
    op = leaf.op
    if op in NUMBER_OPS and kind != "number":
        ctx.error(leaf.mark, f"{leaf.path}: {op} needs a number field; {leaf.field} is {kind}")
    elif op in LIST_OPS and kind != "list":
        ctx.error(leaf.mark, f"{leaf.path}: {op} needs a list field; {leaf.field} is {kind}")
    elif op in TEXT_OPS and kind not in ("text", "list"):
        ctx.error(leaf.mark, f"{leaf.path}: {op} needs a text field; {leaf.field} is {kind}")
    elif op in VALUE_OPS and kind == "enum" and decl.values:
        allowed = {v.casefold() for v in decl.values}
        values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
        for v in values:
            if str(v).casefold() not in allowed:
                hint = _did_you_mean(str(v), decl.values)
                ctx.error(
                    leaf.mark,
                    f"{leaf.path}: {v!r} is not an answer {leaf.field} can have "
                    f"(allowed: {', '.join(decl.values)}){hint}",
                )


def _placeholders(template: str) -> list[str]:
    names = []
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            names.append(name)
    return names


def _shadowed(earlier: Condition | None, later: Condition | None) -> bool:
    """True when `earlier` matches whenever `later` does (its tests are a subset)."""
    if earlier is None or later is None:
        return False

    def sig(c: Condition) -> set[tuple[str, str, str]] | None:
        if isinstance(c, Leaf):
            return {(c.field, c.op, repr(c.value))}
        if c.kind == "all" and all(isinstance(x, Leaf) for x in c.children):
            return {(x.field, x.op, repr(x.value)) for x in c.children if isinstance(x, Leaf)}
        return None

    a, b = sig(earlier), sig(later)
    return a is not None and b is not None and a <= b


def _gaps(routes: list[CompiledRule], ctx: _Ctx) -> None:
    """Warn when between-ranges on one field, in routes otherwise alike, leave a gap."""
    groups: dict[tuple[str, frozenset[tuple[str, str, str]]], list[tuple[float, float, Mark]]] = {}
    for r in routes:
        if r.condition is None:
            continue
        ls = leaves(r.condition)
        for leaf in ls:
            if leaf.op != "between":
                continue
            others = frozenset(
                (x.field, x.op, repr(x.value)) for x in ls if x is not leaf and x.op != "between"
            )
            groups.setdefault((leaf.field, others), []).append(
                (float(leaf.value[0]), float(leaf.value[1]), leaf.mark)
            )
    for (fname, _), ranges in groups.items():
        ranges.sort(key=lambda r: (r[0], r[1]))
        for (_lo1, hi1, _), (lo2, _hi2, mark2) in pairwise(ranges):
            if lo2 > hi1 + 1:
                ctx.warn(
                    mark2,
                    f"{fname}: ranges leave a gap between {hi1:g} and {lo2:g}; "
                    "values in between fall through to later routes",
                )


def _check_destination_code(i: int, r: CompiledRule, seq: Any, ctx: _Ctx) -> None:
    """Every route names where it sends as returns count it: one code of the fixed vocabulary
    (returns never use the route's words, which are free text)."""
    spec: m.Route = r.spec
    code = spec.destination_code
    node = seq[i] if isinstance(seq, MarkedList) and i < len(seq) else None
    mark = (
        node.value_marks.get("destination_code", r.mark) if isinstance(node, MarkedDict) else r.mark
    )
    where = f"routes[{i}] ({spec.id})"
    if code is None or code == "":
        guess = destinations.legacy_code(spec.destination)
        if not ctx.codes_required:
            ctx.warn(
                r.mark,
                f"{where}: destination_code is missing (a version published before routes had "
                f"codes): returns count its outcomes as {guess} until a version with codes is "
                "published",
            )
            return
        hint = (
            f", e.g. destination_code: {guess}"
            if guess != destinations.OTHER
            else " (OTHER if none fits)"
        )
        ctx.error(
            r.mark,
            f"{where}: destination_code is missing: every route needs one, the code returns "
            f"count it under — one of the destination codes in docs/sop-authoring.md{hint}",
        )
        return
    hint = _did_you_mean(
        code.upper().replace(" ", "_").replace("-", "_"), destinations.DESTINATION_CODES
    )
    problem = destinations.shape_problem(code)
    if problem is not None:
        ctx.error(mark, f"{where}: destination_code {code!r} is malformed: {problem}{hint}")
    elif not destinations.is_code(code):
        ctx.error(
            mark,
            f"{where}: destination_code {code!r} is not one of the destination codes "
            f"(docs/sop-authoring.md lists them){hint}",
        )


def _semantics(
    path: Path, sha: str, tree: MarkedDict, spec: m.SopFile, ctx: _Ctx, today: date
) -> LoadedSop:
    meta_tree = tree["sop"]
    inputs: dict[str, m.InputDecl] = {}
    in_tree = tree.get("inputs") or MarkedDict()
    for name, decl in spec.inputs.items():
        mark = in_tree.key_marks.get(name) if isinstance(in_tree, MarkedDict) else None
        if name in BUILTINS:
            builtin = BUILTINS[name]
            if decl.type and decl.type != builtin.type:
                ctx.error(mark, f"inputs.{name}: built-in field is {builtin.type}, not {decl.type}")
            inputs[name] = builtin
        elif name.startswith("answers.") and len(name) > 8:
            if decl.type is None:
                ctx.error(mark, f"inputs.{name}: say its type (number, text, enum or list)")
            if decl.type == "enum" and not decl.values:
                ctx.error(mark, f"inputs.{name}: an enum needs its values")
            inputs[name] = decl
        else:
            hint = _did_you_mean(name, list(BUILTINS))
            ctx.error(
                mark,
                f"inputs.{name}: not a field ehub-tui knows; use a built-in field or "
                f"answers.<question id>{hint}",
            )
    # questions declare their own answers
    q_tree = tree.get("questions") or MarkedList()
    for i, q in enumerate(spec.questions):
        key = f"answers.{q.id}"
        declared = inputs.get(key)
        if declared and declared.values and set(declared.values) != set(q.answers):
            ctx.error(
                q_tree.item_marks[i],
                f"questions[{i}]: answers {q.answers} differ from inputs.{key} values "
                f"{declared.values}",
            )
        inputs[key] = m.InputDecl(type="enum", values=list(q.answers))
    explicit = set(spec.inputs)
    used: set[str] = set()

    def cond_of(node_tree: Any, key: str, path_s: str) -> tuple[Condition | None, Compiled | None]:
        if not isinstance(node_tree, MarkedDict) or node_tree.get(key) is None:
            return None, None
        cond = _parse(node_tree[key], path_s, node_tree.value_marks[key], ctx)
        if cond is None:
            return None, None
        for leaf in leaves(cond):
            _check_leaf(leaf, inputs, ctx, used)
        return cond, compile_condition(cond)

    applies_cond, applies_fn = cond_of(meta_tree, "applies_when", "sop.applies_when")

    def rules(section: str, specs: list[Any], key: str) -> list[CompiledRule]:
        out = []
        seq = tree.get(section) or MarkedList()
        for i, s in enumerate(specs):
            node = seq[i] if i < len(seq) else None
            mark = seq.item_marks[i] if i < len(seq.item_marks) else Mark(1, 1)
            cond, fn = cond_of(node, key, f"{section}[{i}].{key}")
            parts: list[tuple[Condition, Compiled]] = []
            if cond is not None:
                tops = cond.children if isinstance(cond, Group) and cond.kind == "all" else [cond]
                parts = [(c, compile_condition(c)) for c in tops]
            out.append(CompiledRule(s, cond, fn, mark, parts))
        return out

    red_flags = rules("red_flags", spec.red_flags, "when")
    questions = rules("questions", spec.questions, "ask_when")
    routes = rules("routes", spec.routes, "when")

    # ids unique within the SOP
    seen: dict[str, str] = {}
    for section, items in (("red_flags", red_flags), ("questions", questions), ("routes", routes)):
        for r in items:
            rid = r.spec.id
            if not m.SLUG.match(rid):
                ctx.error(r.mark, f"{section}: id {rid!r}: use lower-case letters, digits, - and _")
            if rid in seen and (section != "questions") == (seen[rid] != "questions"):
                ctx.error(r.mark, f"{section}: id {rid!r} is used twice")
            seen.setdefault(rid, section)

    # routes: exactly one default, last; others need a condition
    if routes:
        defaults = [i for i, r in enumerate(routes) if r.spec.default]
        if not defaults:
            ctx.error(
                tree.value_marks["routes"],
                "routes: a default route (default: true) is mandatory, last in the list",
            )
        elif len(defaults) > 1:
            ctx.error(routes[defaults[1]].mark, "routes: only one route may be the default")
        elif defaults[0] != len(routes) - 1:
            ctx.error(routes[defaults[0]].mark, "routes: the default route must be the last one")
        for i, r in enumerate(routes):
            if r.spec.default and r.spec.when is not None:
                ctx.error(r.mark, f"routes[{i}]: the default route has no 'when'")
            if not r.spec.default and r.spec.when is None:
                ctx.error(r.mark, f"routes[{i}] ({r.spec.id}): needs 'when' (or default: true)")
        for i, later in enumerate(routes):
            for earlier in routes[:i]:
                if not later.spec.default and _shadowed(earlier.condition, later.condition):
                    ctx.warn(
                        later.mark,
                        f"routes[{i}] ({later.spec.id}) can never be suggested: "
                        f"{earlier.spec.id} always matches first",
                    )
                    break
        _gaps(routes, ctx)

    for i, r in enumerate(routes):
        _check_destination_code(i, r, (tree.get("routes") or MarkedList()), ctx)
        snomed.check_route(i, r, (tree.get("routes") or MarkedList()), ctx)

    # messages and placeholders
    msg_tree = tree.get("messages") or MarkedDict()
    for name, template in spec.messages.items():
        mark = msg_tree.value_marks.get(name) if isinstance(msg_tree, MarkedDict) else None
        try:
            names = _placeholders(template)
        except ValueError as exc:
            ctx.error(mark, f"messages.{name}: {exc} (use {{name}} for a placeholder)")
            continue
        for ph in names:
            if ph not in m.PLACEHOLDERS:
                ctx.error(
                    mark,
                    f"messages.{name}: unknown placeholder {{{ph}}}"
                    f"{_did_you_mean(ph, m.PLACEHOLDERS) or '; use ' + ', '.join(m.PLACEHOLDERS)}",
                )
    check_messages(spec, routes, tree, ctx)  # the grammar of patient messages (message_rules)
    for i, r in enumerate(routes):
        if r.spec.message and r.spec.message not in spec.messages:
            ctx.error(
                r.mark,
                f"routes[{i}].message: no message template named {r.spec.message!r}"
                f"{_did_you_mean(r.spec.message, spec.messages)}",
            )

    # concepts: names, and phrases that still say something once normalised
    c_tree = tree.get("concepts") or MarkedDict()
    for cname, concept in spec.concepts.items():
        cmark = c_tree.key_marks.get(cname) if isinstance(c_tree, MarkedDict) else None
        if not m.SLUG.match(cname):
            ctx.error(cmark, f"concepts.{cname}: use lower-case letters, digits, - and _")
        if not concept.terms and not concept.near:
            ctx.error(cmark, f"concepts.{cname}: needs terms or near patterns")
        phrases = [
            *concept.terms,
            *concept.except_,
            *(w for n in concept.near for w in (*n.words, *n.with_)),
        ]
        for phrase in phrases:
            if not phrase_stems(phrase):
                ctx.error(
                    cmark,
                    f"concepts.{cname}: {phrase!r} has no words to match once 'a', 'the', "
                    "'my' and punctuation are set aside",
                )

    # governance and housekeeping
    meta_marks = meta_tree.value_marks
    if spec.sop.status == "active" and not spec.sop.approved_by:
        ctx.error(meta_tree.mark, "sop.approved_by: an active SOP must name who approved it")
    if spec.sop.review_by < today:
        ctx.warn(meta_marks.get("review_by"), f"sop.review_by {spec.sop.review_by} is in the past")
    if spec.sop.review_by < spec.sop.effective_from:
        ctx.error(meta_marks.get("review_by"), "sop.review_by is before effective_from")
    for i, qr in enumerate(questions):
        if f"answers.{qr.spec.id}" not in used:
            ctx.warn(qr.mark, f"questions[{i}] ({qr.spec.id}): no rule uses its answer")
    for name in sorted(explicit - used):
        ctx.warn(in_tree.key_marks.get(name), f"inputs.{name}: declared but never used")

    return LoadedSop(
        path=path,
        sha256=sha,
        meta=spec.sop,
        inputs=inputs,
        applies=applies_fn,
        applies_condition=applies_cond,
        red_flags=red_flags,
        questions=questions,
        routes=routes,
        messages=dict(spec.messages),
        tree=tree,
        concepts=dict(spec.concepts),
    )
