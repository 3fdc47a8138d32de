"""Loading SOP files: structure (pydantic), conditions, declared fields, messages — every problem
as ``file:line:col: message`` with a did-you-mean where a name is close."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ehub_tui.domain import destinations
from ehub_tui.sop import models as m
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
from ehub_tui.sop.lexicon import Lexicon, compile_concepts
from ehub_tui.sop.text import phrase_stems
from ehub_tui.yamlload import Mark, MarkedDict, MarkedList, YamlError, load_yaml

SOP_SUFFIX = ".sop.yaml"
TESTS_SUFFIX = ".tests.yaml"
PATIENT_ATTRIBUTES = ("pregnant", "immunosuppressed", "care_home_resident", "no_spleen", "frail")
YES_NO = ["yes", "no"]
BUILTINS: dict[str, m.InputDecl] = {
    "age": m.InputDecl(type="number"),
    "age_months": m.InputDecl(type="number"),
    "sex": m.InputDecl(type="enum", values=["male", "female", "other", "unknown"]),
    "practice": m.InputDecl(type="text"),
    "request_type": m.InputDecl(type="enum", values=["clinical", "admin", "other"]),
    "template": m.InputDecl(type="text"),
    "free_text": m.InputDecl(type="text"),
    "supplier_flags": m.InputDecl(type="list"),
    # an attribute answered by the navigator may be "not sure" (the pregnancy question offers it)
    **{
        f"patient.{a}": m.InputDecl(type="enum", values=[*YES_NO, "not_sure"])
        for a in PATIENT_ATTRIBUTES
    },
}


@dataclass(frozen=True)
class Problem:
    """One error or warning, located in a file."""

    file: str
    line: int
    col: int
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass
class CompiledRule:
    """A red flag, question or route with its compiled condition."""

    spec: Any  # m.RedFlag | m.Question | m.Route
    condition: Condition | None
    fn: Compiled | None
    mark: Mark
    parts: list[tuple[Condition, Compiled]] = field(default_factory=list)  # top-level of `all`


@dataclass
class LoadedSop:
    """A SOP that loaded without errors, ready for the engine."""

    path: Path
    sha256: str
    meta: m.Meta
    inputs: dict[str, m.InputDecl]
    applies: Compiled | None
    applies_condition: Condition | None
    red_flags: list[CompiledRule]
    questions: list[CompiledRule]
    routes: list[CompiledRule]
    messages: dict[str, str]
    tree: MarkedDict = field(repr=False)
    concepts: dict[str, m.Concept] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The SOP's id."""
        return self.meta.id

    @property
    def active(self) -> bool:
        """True when it may guide navigators."""
        return self.meta.status == "active"

    def route(self, route_id: str) -> CompiledRule | None:
        """A route by id."""
        return next((r for r in self.routes if r.spec.id == route_id), None)


class _Ctx:
    def __init__(self, file: str, codes_required: bool = True) -> None:
        self.file = file
        self.problems: list[Problem] = []
        # False for a version published before routes had destination codes (see load_texts)
        self.codes_required = codes_required

    def error(self, mark: Mark | None, message: str) -> None:
        line, col = (mark.line, mark.col) if mark else (1, 1)
        self.problems.append(Problem(self.file, line, col, message))

    def warn(self, mark: Mark | None, message: str) -> None:
        line, col = (mark.line, mark.col) if mark else (1, 1)
        self.problems.append(Problem(self.file, line, col, message, "warning"))


# -- structure ------------------------------------------------------------------------------------

_MODEL_AT: dict[tuple[str, ...], type[BaseModel]] = {
    (): m.SopFile,
    ("sop",): m.Meta,
    ("sop", "references", "*"): m.Reference,
    ("inputs", "*"): m.InputDecl,
    ("red_flags", "*"): m.RedFlag,
    ("questions", "*"): m.Question,
    ("routes", "*"): m.Route,
}


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    key = tuple(
        "*" if isinstance(p, int) or (i > 0 and loc[0] == "inputs") else p
        for i, p in enumerate(loc)
    )
    return _MODEL_AT.get(key)


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for p in loc:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(top level)"


def _locate(tree: Any, loc: Sequence[str | int], key_mark: bool) -> Mark | None:
    node, mark = tree, getattr(tree, "mark", None)
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, MarkedDict) and isinstance(part, str) and part in node:
            mark = node.key_marks[part] if (last and key_mark) else node.value_marks[part]
            node = node[part]
        elif isinstance(node, MarkedList) and isinstance(part, int) and part < len(node):
            mark = node.item_marks[part]
            node = node[part]
        else:
            break
    return mark


def _structure(tree: MarkedDict, ctx: _Ctx) -> m.SopFile | None:
    try:
        return m.SopFile.model_validate(tree)
    except ValidationError as exc:
        errors = exc.errors()
        suggested: set[tuple[Any, ...]] = set()  # (container loc…, field) a typo already explains
        for err in errors:
            if err["type"] == "extra_forbidden":
                loc = list(err["loc"])
                model = _model_at(loc[:-1])
                if model:
                    close = _close(str(loc[-1]), model.model_fields)
                    if close:
                        suggested.add((*loc[:-1], close))
        for err in errors:
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            if err["type"] == "extra_forbidden":
                model = _model_at(loc[:-1])
                hint = _did_you_mean(str(loc[-1]), model.model_fields) if model else ""
                ctx.error(_locate(tree, loc, True), f"{_path(loc)}: unknown key{hint}")
            elif err["type"] == "missing":
                if tuple(loc) in suggested:
                    continue
                ctx.error(_locate(tree, loc[:-1], False), f"{_path(loc)}: required but missing")
            else:
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "literal_error":
                    msg = f"{err['input']!r} is not allowed: {msg.lower()}"
                ctx.error(_locate(tree, loc, False), f"{_path(loc)}: {msg}")
        return None


def _close(word: str, choices: Any) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


# -- semantics ------------------------------------------------------------------------------------


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


def load_sop(
    path: Path, today: date | None = None, *, codes_required: bool = True
) -> tuple[LoadedSop | None, list[Problem]]:
    """Load and check one SOP file; returns (sop or None when it has errors, problems)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        ctx = _Ctx(str(path))
        ctx.error(None, f"cannot read the file: {exc.strerror or exc}")
        return None, ctx.problems
    return load_sop_bytes(path, data, today, codes_required=codes_required)


def load_sop_bytes(
    path: Path, data: bytes, today: date | None = None, *, codes_required: bool = True
) -> tuple[LoadedSop | None, list[Problem]]:
    """Load and check one SOP from its bytes; ``path`` names it in messages (it is not read).

    ``codes_required=False`` is for versions already published (and approved) before routes had
    destination codes: a missing code is then a warning, not an error, so upgrading ehub-tui
    never takes their guidance away. Anything newly written or published keeps the default.
    """
    ctx = _Ctx(str(path), codes_required)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        ctx.error(None, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")
        return None, ctx.problems
    sha = hashlib.sha256(data).hexdigest()
    try:
        tree = load_yaml(text)
    except YamlError as exc:
        ctx.error(exc.mark, exc.message)
        return None, ctx.problems
    if not isinstance(tree, MarkedDict):
        ctx.error(getattr(tree, "mark", None), "a SOP file must be a mapping with a 'sop:' section")
        return None, ctx.problems
    spec = _structure(tree, ctx)
    if spec is None:
        return None, ctx.problems
    sop = _semantics(path, sha, tree, spec, ctx, today or date.today())
    has_errors = any(p.severity == "error" for p in ctx.problems)
    return (None if has_errors else sop), ctx.problems


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


def sop_paths(paths: Iterable[Path]) -> list[Path]:
    """SOP files named directly, or found in folders (``*.sop.yaml``), sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(p.glob(f"*{SOP_SUFFIX}")))
        else:
            out.append(p)
    return out


@dataclass
class SopSet:
    """The SOPs that loaded, in priority order, and every problem found."""

    sops: list[LoadedSop]
    problems: list[Problem]
    lexicon: Lexicon = field(default_factory=lambda: Lexicon({}))

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        """The errors only."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The warnings only."""
        return [p for p in self.problems if p.severity == "warning"]

    def get(self, sop_id: str) -> LoadedSop | None:
        """A SOP by id."""
        return next((s for s in self.sops if s.id == sop_id), None)


def load_set(
    paths: Iterable[Path], today: date | None = None, *, published: Collection[str] = ()
) -> SopSet:
    """Load every SOP and check the set as a whole (unique ids, a catch-all routing SOP).

    ``published``: names of files (``Path.name``) that are versions already published, whose
    routes may lack destination codes (see :func:`load_sop_bytes`)."""
    files = sop_paths(paths)
    problems: list[Problem] = []
    sops: list[LoadedSop] = []
    if not files:
        problems.append(Problem("(sops)", 1, 1, f"no *{SOP_SUFFIX} files found"))
    for f in files:
        if not f.exists():
            problems.append(Problem(str(f), 1, 1, "file not found"))
            continue
        sop, found = load_sop(f, today, codes_required=f.name not in published)
        problems.extend(found)
        if sop is not None:
            sops.append(sop)
    return _check_set(sops, problems)


def load_texts(
    items: Iterable[tuple[Path, bytes]], today: date | None = None, *, codes_required: bool = True
) -> SopSet:
    """Load a set from SOP texts held elsewhere (the hub's published versions): each item is
    (the name to show in messages, the file's bytes). Checked exactly as :func:`load_set`;
    ``codes_required=False`` for versions already published (see :func:`load_sop_bytes`)."""
    problems: list[Problem] = []
    sops: list[LoadedSop] = []
    listed = list(items)
    if not listed:
        problems.append(Problem("(sops)", 1, 1, "no SOPs given"))
    for name, data in listed:
        sop, found = load_sop_bytes(name, data, today, codes_required=codes_required)
        problems.extend(found)
        if sop is not None:
            sops.append(sop)
    return _check_set(sops, problems)


def _check_set(sops: list[LoadedSop], problems: list[Problem]) -> SopSet:
    """The checks of a set as a whole (ids, concepts, a catch-all routing SOP)."""
    ids: dict[str, LoadedSop] = {}
    rule_ids: dict[str, LoadedSop] = {}
    for s in sops:
        if s.id in ids:
            problems.append(
                Problem(
                    str(s.path),
                    s.tree.mark.line,
                    1,
                    f"sop.id {s.id!r} is also used by {ids[s.id].path}",
                )
            )
        ids.setdefault(s.id, s)
        for r in [*s.red_flags, *s.routes]:
            other = rule_ids.get(r.spec.id)
            if other is not None and other is not s:
                problems.append(
                    Problem(
                        str(s.path),
                        r.mark.line,
                        r.mark.col,
                        f"id {r.spec.id!r} is also used in {other.path}: route and red flag "
                        "ids must be unique across the set",
                    )
                )
            rule_ids.setdefault(r.spec.id, s)
    sops.sort(key=lambda s: (s.meta.priority, s.id))
    active_routing = [s for s in sops if s.active and s.routes]
    if sops and not any(s.applies is None for s in active_routing):
        problems.append(
            Problem(
                "(sops)",
                1,
                1,
                "no active SOP with routes applies to every consultation: some would get "
                "no route (give one routing SOP no applies_when)",
            )
        )
    lexicon = _check_concepts(sops, problems)
    return SopSet(sops, problems, lexicon)


def _check_concepts(sops: list[LoadedSop], problems: list[Problem]) -> Lexicon:
    """One lexicon for the set: concept names unique, every `mentions` names a known concept."""

    def at_concept(s: LoadedSop, cname: str, message: str, severity: str = "error") -> None:
        c_tree = s.tree.get("concepts")
        mark = c_tree.key_marks.get(cname) if isinstance(c_tree, MarkedDict) else None
        line, col = (mark.line, mark.col) if mark else (1, 1)
        problems.append(Problem(str(s.path), line, col, message, severity))

    owner: dict[str, LoadedSop] = {}
    for s in sops:
        for cname in s.concepts:
            if cname in owner:
                at_concept(
                    s,
                    cname,
                    f"concepts.{cname}: also defined in {owner[cname].path}; a concept is "
                    "defined once in the set",
                )
                continue
            owner[cname] = s
    used: set[str] = set()
    for s in sops:
        rules = [*s.red_flags, *s.questions, *s.routes]
        for cond in [s.applies_condition, *(r.condition for r in rules)]:
            if cond is None:
                continue
            for leaf in leaves(cond):
                if leaf.op not in ("mentions", "mentions_any"):
                    continue
                names = [leaf.value] if isinstance(leaf.value, str) else list(leaf.value)
                for name in map(str, names):
                    used.add(name)
                    if name not in owner:
                        hint = _did_you_mean(name, list(owner))
                        problems.append(
                            Problem(
                                str(s.path),
                                leaf.mark.line,
                                leaf.mark.col,
                                f"{leaf.path}: no concept named {name!r} in the set{hint}",
                            )
                        )
    for cname, s in owner.items():
        c = s.concepts[cname]
        if cname not in used and not c.sets and not c.suggests:
            at_concept(
                s,
                cname,
                f"concepts.{cname}: no rule mentions it (and it sets and suggests nothing)",
                "warning",
            )
    return compile_concepts((name, s.concepts[name]) for name, s in owner.items())
