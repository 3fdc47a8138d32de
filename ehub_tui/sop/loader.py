"""Loading SOP files: structure (pydantic), conditions, declared fields, messages — every problem
as ``file:line:col: message`` with a did-you-mean where a name is close.

Loading one SOP and a set happens here; the parts live beside it: :mod:`~ehub_tui.sop.loaded`
(problems, compiled rules, the loaded SOP), :mod:`~ehub_tui.sop.structure` (the schema) and
:mod:`~ehub_tui.sop.semantics` (conditions, fields, messages, routes)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ehub_tui.sop.conditions import _did_you_mean, leaves
from ehub_tui.sop.lexicon import Lexicon, compile_concepts
from ehub_tui.sop.loaded import PATIENT_ATTRIBUTES as PATIENT_ATTRIBUTES
from ehub_tui.sop.loaded import CompiledRule as CompiledRule
from ehub_tui.sop.loaded import LoadedSop as LoadedSop
from ehub_tui.sop.loaded import Problem as Problem
from ehub_tui.sop.loaded import _Ctx
from ehub_tui.sop.semantics import _semantics
from ehub_tui.sop.structure import _structure
from ehub_tui.yamlload import MarkedDict, YamlError, load_yaml

SOP_SUFFIX = ".sop.yaml"
TESTS_SUFFIX = ".tests.yaml"


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
