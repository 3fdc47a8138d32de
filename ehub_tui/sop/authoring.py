"""SOP authoring: an overview of every file of the authoring folder (status, version, review
date, validation and test results, and whether it is what the hub has published), and the checks
that come before a version is published.

Nothing here imports Textual or the store: the author screen calls these through the service,
which holds the published versions (``sop_version``) and writes them.

Only published versions guide anyone. A file is *published* when its bytes are exactly those of
a published version; an *unpublished change* when it has the id and version of a published one
but other bytes (it was edited in place: every app ignores it); *awaiting approval* when its
version is higher than every published version of its SOP (or the SOP is new).

What is published is the file with ``status: active`` and ``approved_by:`` the approver (only
those two lines are rewritten), checked the way navigators' apps will use it: in a throw-away
folder holding the set the apps load (the published versions of every other SOP) plus this file
and its tests file, validated and tested as a whole (:func:`prepare`). A draft's own cases in the
authoring folder are likewise checked as it would be once active (see :func:`overview`).

The overview is here; the rest beside it (and importable from here): the statuses and the
Prepared publication in :mod:`~ehub_tui.sop.standing`, :func:`prepare` and :func:`write_back` in
:mod:`~ehub_tui.sop.publish`, the rewriting of the two lines in :mod:`~ehub_tui.sop.rewrite`.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from ehub_tui.errors import PublishRefused as PublishRefused  # (leaf errors; re-exported)
from ehub_tui.sop.conditions import leaves
from ehub_tui.sop.library import PublishedText, choose, newest_first, version_key
from ehub_tui.sop.loaded import Problem
from ehub_tui.sop.loader import SOP_SUFFIX, TESTS_SUFFIX, SopSet, load_set
from ehub_tui.sop.publish import prepare as prepare
from ehub_tui.sop.publish import write_back as write_back
from ehub_tui.sop.rewrite import _published
from ehub_tui.sop.rewrite import rewrite_status as rewrite_status
from ehub_tui.sop.rewrite import yaml_scalar as yaml_scalar
from ehub_tui.sop.standing import AWAITING as AWAITING
from ehub_tui.sop.standing import NO_TESTS, NOT_RUN, SET_FILE, _where
from ehub_tui.sop.standing import NOT_NEW as NOT_NEW
from ehub_tui.sop.standing import OLDER as OLDER
from ehub_tui.sop.standing import PLACEHOLDER_APPROVER as PLACEHOLDER_APPROVER
from ehub_tui.sop.standing import PUBLISHED as PUBLISHED
from ehub_tui.sop.standing import STATUSES as STATUSES
from ehub_tui.sop.standing import UNKNOWN as UNKNOWN
from ehub_tui.sop.standing import UNPUBLISHED_CHANGE as UNPUBLISHED_CHANGE
from ehub_tui.sop.standing import Prepared as Prepared
from ehub_tui.sop.standing import SopStatus as SopStatus
from ehub_tui.sop.testing import TestReport, run_tests, tests_file_for
from ehub_tui.yamlload import MarkedDict, YamlError, load_yaml


def overview(
    folder: Path, today: date, published: Sequence[PublishedText] | None = None
) -> list[SopStatus]:
    """Every ``*.sop.yaml`` of ``folder`` (files that do not load included), sorted by name.

    With ``published`` (every version the hub has published), each row also says where it
    stands (published, unpublished change, awaiting approval, …), and a version awaiting
    approval is checked as :func:`prepare` would check it (``publish_block``: why not). When the
    folder's other active SOPs and their tests are exactly the published ones the apps load, the
    tests below already are that check; otherwise :func:`prepare` runs it.

    Validation is that of the whole set (``ehub-tui sops validate``). Tests run only when the set
    has no errors, as ``ehub-tui sops test`` and the navigators' apps do; otherwise every SOP's
    tests are "not run: errors". An active SOP's result is that of its own tests file, and of
    every coverage, boundary or random-answer problem that belongs to it, in today's set. A draft
    is tested in the set as it would be once published (see the module docstring), and is
    counted as failing when publishing it would break another SOP's cases. Retired SOPs guide
    nobody and are not tested.
    """
    folder = Path(folder)
    files = sorted(folder.glob(f"*{SOP_SUFFIX}"))
    current = load_set([folder], today) if files else SopSet([], [])
    own, shared = _by_file(current.problems, folder)
    set_errors = bool(current.errors)
    report = run_tests(current) if not set_errors and current.sops else None
    tested = _attribute(current, report, folder) if report else None
    loaded = {s.path.name: s for s in current.sops}
    rows: list[SopStatus] = []
    for f in files:
        problems = own.get(f.name, []) + shared
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        sop = loaded.get(f.name)
        ident: tuple[str, str, str, str, date | None]
        if sop is not None:
            ident = (sop.id, sop.meta.title, sop.meta.version, sop.meta.status, sop.meta.review_by)
        else:
            ident = _best_effort_meta(f)
        row = SopStatus(f, *ident, errors, warnings, problems, NOT_RUN, False)
        if errors == 0 and not set_errors:
            if row.status == "active" and tested is not None:
                row.tests, row.tests_ok, row.test_problems = tested.result(f.name)
            elif row.status == "draft":
                row.tests, row.tests_ok, row.test_problems, extra = _try_draft(f, today, tested)
                row.problems = row.problems + extra
                row.errors += sum(1 for p in extra if p.severity == "error")
                row.warnings += sum(1 for p in extra if p.severity != "error")
            elif row.status == "retired":
                row.tests = "not run: retired"
        rows.append(row)
    if published is not None:
        for row in rows:
            with contextlib.suppress(OSError):
                row.sha256 = hashlib.sha256(row.file.read_bytes()).hexdigest()
        in_use = choose(published, today).chosen
        for row in rows:
            _place(row, published, today, _as_published(rows, in_use, row.id))
    return rows


def _as_published(rows: list[SopStatus], in_use: Sequence[PublishedText], sop_id: str) -> bool:
    """Are the folder's active SOPs other than ``sop_id`` (and their tests files) exactly the
    published versions the apps load, and all passing? Then the folder's own test results are
    those :func:`prepare` would get."""
    active = {r.id: r for r in rows if r.status == "active" and r.id != sop_id}
    others = {v.sop_id: v for v in in_use if v.sop_id != sop_id}
    if set(active) != set(others) or len(active) != sum(
        1 for r in rows if r.status == "active" and r.id != sop_id
    ):
        return False
    for sid, v in others.items():
        r = active[sid]
        if r.sha256 != v.sha256 or not r.tests_ok or r.errors:
            return False
        try:
            tests: bytes | None = tests_file_for(r.file).read_bytes()
        except OSError:
            tests = None
        if tests != v.tests:
            return False
    return True


def _place(
    row: SopStatus, published: Sequence[PublishedText], today: date, as_published: bool
) -> None:
    """Say where a file stands against the published versions (and check a new version)."""
    if not row.sha256:
        row.publication = UNKNOWN
        row.publish_block = f"Cannot read {row.name}."
        return
    if not row.id or not row.version:
        row.publication = UNKNOWN
        return
    mine = newest_first(published).get(row.id, [])
    row.published_version = mine[0].version if mine else None
    same_bytes = next((v for v in mine if v.sha256 == row.sha256), None)
    same_version = next((v for v in mine if v.version == row.version), None)
    if same_bytes is not None:
        row.publication = PUBLISHED if same_bytes is mine[0] else OLDER
    elif same_version is not None:
        row.publication = UNPUBLISHED_CHANGE
    elif mine and (version_key(row.version) or (-1,)) <= (version_key(mine[0].version) or (-1,)):
        row.publication = NOT_NEW
    else:
        row.publication = AWAITING
    row.publish_block = None
    if row.publication != AWAITING or row.errors or row.status == "retired":
        return
    if as_published and row.tests != NOT_RUN:  # the folder's tests were the publish check
        if not row.tests_ok:
            first = row.test_problems[0] if row.test_problems else None
            detail = f": {_where(first)}: {first.message}" if first else ""
            row.publish_block = f"{row.name} cannot be published: tests {row.tests}{detail}"
        return
    try:
        prepare(row.file, PLACEHOLDER_APPROVER, published, today)
    except PublishRefused as exc:
        row.publish_block = str(exc)


def _by_file(
    problems: Iterable[Problem], folder: Path
) -> tuple[dict[str, list[Problem]], list[Problem]]:
    """Problems by file name (paths mapped back to ``folder``), and those of the whole set."""
    own: dict[str, list[Problem]] = defaultdict(list)
    shared: list[Problem] = []
    for p in problems:
        if p.file == SET_FILE:
            shared.append(p)
            continue
        name = Path(p.file).name
        own[name].append(replace(p, file=str(folder / name)))
    return own, shared


def _best_effort_meta(path: Path) -> tuple[str, str, str, str, date | None]:
    """id, title, version, status and review date of a file that does not load."""
    try:
        tree = load_yaml(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, YamlError):
        return "", "", "", "unreadable", None
    meta = tree.get("sop") if isinstance(tree, MarkedDict) else None
    if not isinstance(meta, dict):
        return "", "", "", "unreadable", None

    def text(key: str) -> str:
        v = meta.get(key)
        return "" if v is None or isinstance(v, dict | list) else str(v)

    status = text("status") if text("status") in STATUSES else "unreadable"
    review = meta.get("review_by")
    return (
        text("id"),
        text("title"),
        text("version"),
        status,
        review if isinstance(review, date) else None,
    )


@dataclass
class _Attributed:
    """A test report split by SOP file."""

    cases: dict[str, tuple[int, int]]  # tests-file name → (passed, total)
    problems: dict[str, list[Problem]]  # SOP-file name → its test problems
    shared: list[Problem]  # problems no single file could be blamed for
    sop_of_tests: dict[str, str]  # tests-file name → SOP-file name

    def result(self, sop_name: str) -> tuple[str, bool, list[Problem]]:
        """The tests summary of one SOP file: (text, ok, problems)."""
        tests_name = tests_file_for(Path(sop_name)).name
        problems = self.problems.get(sop_name, []) + self.shared
        errors = [p for p in problems if p.severity == "error"]
        passed, total = self.cases.get(tests_name, (0, 0))
        if tests_name not in self.cases:
            return NO_TESTS, False, problems
        if passed < total:
            return f"failed {total - passed} of {total}", False, problems
        if errors:
            return f"passed {passed}; {len(errors)} problem(s)", False, problems
        return f"passed {passed}", True, problems


def _attribute(sop_set: SopSet, report: TestReport, folder: Path) -> _Attributed:
    """Blame every failing case and test problem on the SOP file it belongs to."""
    sop_of_tests = {tests_file_for(s.path).name: s.path.name for s in sop_set.sops}
    cases: dict[str, tuple[int, int]] = {}
    for s in sop_set.sops:
        if tests_file_for(s.path).exists():
            cases[tests_file_for(s.path).name] = (0, 0)
    problems: dict[str, list[Problem]] = defaultdict(list)
    shared: list[Problem] = []

    def blame(file_name: str, p: Problem) -> None:
        sop_name = sop_of_tests.get(file_name, file_name)
        problems[sop_name].append(replace(p, file=str(folder / file_name)))

    for r in report.results:
        name = Path(r.case.file).name
        passed, total = cases.get(name, (0, 0))
        cases[name] = (passed + (1 if r.ok else 0), total + 1)
        if not r.ok:
            p = Problem(
                name,
                r.case.mark.line,
                r.case.mark.col,
                f"case {r.case.id}: {'; '.join(r.failures)}",
            )
            blame(name, p)
    for p in report.problems:
        if p.file == SET_FILE:
            shared.append(p)
        else:
            blame(Path(p.file).name, p)
    # boundary failures name a `between` test: find the SOP that holds it
    betweens: list[tuple[str, Any]] = []
    for s in sop_set.sops:
        conds = [r.condition for r in [*s.red_flags, *s.questions, *s.routes]]
        conds.append(s.applies_condition)
        for c in conds:
            if c is not None:
                betweens.extend((s.path.name, x) for x in leaves(c) if x.op == "between")
    for msg in report.boundary_failures:
        for sop_name, leaf in betweens:
            lo, hi = leaf.value
            if msg.startswith(f"{leaf.path} ({leaf.field} between {lo:g}..{hi:g})"):
                blame(sop_name, Problem(sop_name, leaf.mark.line, leaf.mark.col, msg))
                break
        else:
            shared.append(Problem(SET_FILE, 1, 1, msg))
    # random-answer failures start with the case's file and id
    for msg in report.random_failures:
        for r in report.results:
            if msg.startswith(f"{r.case.file} {r.case.id}:"):
                name = Path(r.case.file).name
                text = msg.removeprefix(f"{r.case.file} ")
                blame(name, Problem(name, r.case.mark.line, r.case.mark.col, text))
                break
        else:
            shared.append(Problem(SET_FILE, 1, 1, msg))
    return _Attributed(cases, problems, shared, sop_of_tests)


def _try_draft(
    path: Path, today: date, before: _Attributed | None
) -> tuple[str, bool, list[Problem], list[Problem]]:
    """Test a draft in the set as it would be once published.

    Returns (tests text, ok, test problems, validation problems that only appear once it is
    published). The draft fails when its own cases fail, or when publishing it would make another
    active SOP's cases or coverage fail where they pass today.
    """
    folder = path.parent
    try:
        published = _published(path, PLACEHOLDER_APPROVER)
    except PublishRefused as exc:
        return "not run: cannot publish", False, [Problem(str(path), 1, 1, str(exc))], []
    with _trial_copy(folder, path, published.data, today) as (_trial, after):
        if after.errors:
            own, shared = _by_file(published.fix(after.errors), folder)
            extra = own.get(path.name, []) + shared
            others = [p for name, ps in own.items() if name != path.name for p in ps]
            return NOT_RUN, False, [], extra + others
        report = run_tests(after)
        tested = _attribute(after, report, folder)
    text, ok, problems = tested.result(path.name)
    problems = published.fix(problems)
    broken: list[Problem] = []
    active = {s.path.name for s in after.sops if s.active}
    for sop_name in sorted(active - {path.name}):
        _, now_ok, now_problems = tested.result(sop_name)
        was_ok = before.result(sop_name)[1] if before else True
        if not now_ok and was_ok:
            broken.extend(p for p in now_problems if p.severity == "error")
    if broken:
        ok = False
        text = f"{text}; breaks {len(broken)} other"
    return text, ok, problems + broken, []


@contextmanager
def _trial_copy(
    folder: Path, path: Path, new_bytes: bytes, today: date
) -> Iterator[tuple[Path, SopSet]]:
    """A throw-away copy of the folder with one SOP file replaced, loaded as a set."""
    with tempfile.TemporaryDirectory(prefix="ehub-sop-trial-") as tmp:
        trial = Path(tmp)
        for pattern in (f"*{SOP_SUFFIX}", f"*{TESTS_SUFFIX}"):
            for f in folder.glob(pattern):
                if f.is_file():
                    shutil.copyfile(f, trial / f.name)
        (trial / path.name).write_bytes(new_bytes)
        yield trial, load_set([trial], today)
