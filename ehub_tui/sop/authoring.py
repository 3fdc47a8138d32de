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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ehub_tui.errors import PublishRefused as PublishRefused  # (leaf errors; re-exported)
from ehub_tui.sop.conditions import leaves
from ehub_tui.sop.library import PublishedText, choose, newest_first, version_key
from ehub_tui.sop.loaded import Problem
from ehub_tui.sop.loader import SOP_SUFFIX, TESTS_SUFFIX, SopSet, load_set
from ehub_tui.sop.testing import TestReport, run_tests, tests_file_for
from ehub_tui.yamlload import MarkedDict, YamlError, load_yaml

STATUSES = ("draft", "active", "retired")
SET_FILE = "(sops)"  # how the loader names problems of the set as a whole
PLACEHOLDER_APPROVER = "(approver)"  # stands in for the publisher when the overview tries a draft
NOT_RUN = "not run: errors"
NO_TESTS = "no tests file"
MAX_LISTED = 3  # problems named in a refusal message
MAX_ID, MAX_VERSION = 64, 32  # the store's column sizes

# Where a file of the authoring folder stands against what the hub has published
PUBLISHED = "published"  # exactly the newest published version of its SOP
UNPUBLISHED_CHANGE = "unpublished change"  # a published id and version, other bytes: ignored
AWAITING = "awaiting approval"  # a version higher than any published one (or a new SOP)
OLDER = "older version"  # exactly an earlier published version
NOT_NEW = "version not new"  # lower than the newest published version, never published
UNKNOWN = "—"  # the file does not say its id and version


@dataclass
class SopStatus:
    """One SOP file as an author sees it."""

    file: Path
    id: str
    title: str
    version: str
    status: str  # draft | active | retired | unreadable
    review_by: date | None
    errors: int
    warnings: int
    problems: list[Problem]  # validation errors and warnings of this file (and of the set)
    tests: str  # "passed N", "failed N of M", "no tests file", "not run: errors", …
    tests_ok: bool
    test_problems: list[Problem] = field(default_factory=list)  # failing cases, uncovered rules
    sha256: str = ""  # of the file's bytes now
    publication: str = UNKNOWN  # published | unpublished change | awaiting approval | …
    published_version: str | None = None  # the newest published version of this SOP
    publish_block: str | None = "not checked against the hub's published SOPs"
    submitted_by: str | None = None  # who submitted these bytes for approval (set by the service)

    @property
    def name(self) -> str:
        """The file's name (the folder is flat)."""
        return self.file.name

    @property
    def publishable(self) -> bool:
        """A new version that validates and passes its tests in the set the apps would load."""
        return self.why_not_publishable() is None

    def why_not_publishable(self) -> str | None:
        """Why publishing would be refused (None: it would not)."""
        if self.status == "unreadable" or not self.id:
            return f"{self.name} cannot be published: it does not load."
        if self.status == "retired":
            return f"{self.name} is retired: only a draft or active SOP can be published."
        if self.publication == PUBLISHED:
            return f"{self.name} is published: {self.id} {self.version} guides navigators."
        if self.publication == UNPUBLISHED_CHANGE:
            return (
                f"{self.name} was changed in place: {self.id} {self.version} is already "
                f"published, and every app ignores this change. Give it a new version (higher "
                f"than {self.published_version}) to have it approved."
            )
        if self.publication in (OLDER, NOT_NEW):
            return (
                f"{self.name}: version {self.version} is not new: the newest published version "
                f"of {self.id} is {self.published_version}."
            )
        if self.errors:
            first = next(p for p in self.problems if p.severity == "error")
            return f"{self.name} cannot be published: {_where(first)}: {first.message}"
        if self.publish_block:
            return self.publish_block
        return None


@dataclass(frozen=True)
class Prepared:
    """A version ready to be published: what :func:`prepare` checked."""

    sop_id: str
    version: str
    sha256: str  # of ``data``
    data: bytes  # the file with status: active and approved_by: the approver
    tests: bytes | None  # the tests file beside it
    original: bytes  # the file as it was read (to write ``data`` back only if unchanged)
    file: Path
    previous: PublishedText | None  # the newest published version of this SOP, if any

    @property
    def original_sha256(self) -> str:
        """sha256 of the file as the author left it (what a submission names)."""
        return hashlib.sha256(self.original).hexdigest()


# -- overview -------------------------------------------------------------------------------------


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


# -- publishing -----------------------------------------------------------------------------------


def prepare(path: Path, approver: str, published: Sequence[PublishedText], today: date) -> Prepared:
    """Check the SOP file at ``path`` for publishing, approved by ``approver``; nothing is
    written. ``published``: every version the hub has published.

    Refused (:class:`PublishRefused`, the message in plain English) when the file cannot be read,
    is retired, is not a block of ``key: value`` lines whose ``status:`` and ``approved_by:`` can
    be rewritten safely, has a version that is not higher than every published version of its
    SOP (the message names both), is exactly a published version already, or when the set as it
    would be once published (the version of every other SOP the apps load, plus this file and
    its tests file) has errors or fails its tests (checked in a throw-away folder).
    """
    path = Path(path)
    approver = " ".join(str(approver).split())
    if not approver:
        raise PublishRefused("Publishing needs the name of who approved the SOP.")
    try:
        original = path.read_bytes()
    except OSError as exc:
        raise PublishRefused(f"Cannot read {path.name}: {exc.strerror or exc}.") from None
    rewritten = _published(path, approver, original)
    sop_id, version = rewritten.sop_id, rewritten.version
    if len(sop_id) > MAX_ID or len(version) > MAX_VERSION:
        raise PublishRefused(
            f"{path.name} was not published: an id is at most {MAX_ID} characters and a version "
            f"at most {MAX_VERSION}."
        )
    new_key = version_key(version)
    if new_key is None:
        raise PublishRefused(
            f"{path.name} was not published: version {version!r} is not MAJOR.MINOR.PATCH."
        )
    mine = newest_first(published).get(sop_id, [])
    previous = mine[0] if mine else None
    new_sha = hashlib.sha256(rewritten.data).hexdigest()
    for v in mine:
        if v.sha256 in (new_sha, hashlib.sha256(original).hexdigest()):
            raise PublishRefused(f"{path.name} is already published as {sop_id} {v.version}.")
    if previous is not None and new_key <= (version_key(previous.version) or new_key):
        raise PublishRefused(
            f"{path.name} was not published: version {version} of {sop_id} is not new — the "
            f"newest published version is {previous.version}. Give the file a higher version "
            f"than {previous.version}."
        )
    tests_path = tests_file_for(path)
    try:
        tests = tests_path.read_bytes()
    except FileNotFoundError:
        tests = None
    except OSError as exc:
        raise PublishRefused(f"Cannot read {tests_path.name}: {exc.strerror or exc}.") from None
    others = choose([v for v in published if v.sop_id != sop_id], today).chosen
    with _trial_set(others, path.name, rewritten.data, tests, today) as after:
        if after.errors:
            raise PublishRefused(
                f"{path.name} was not published: the SOPs would have errors: "
                + _list_problems(rewritten.fix(after.errors))
            )
        report = run_tests(after)
        if not report.ok:
            raise PublishRefused(
                f"{path.name} was not published: the SOPs would fail their tests: "
                + _first_test_failure(report, rewritten)
            )
        sop = next((s for s in after.sops if s.path.name == path.name), None)
    if sop is None or not sop.active or sop.meta.approved_by != approver:  # pragma: no cover
        raise PublishRefused(f"{path.name} was not published: the rewritten file did not check.")
    return Prepared(sop_id, version, new_sha, rewritten.data, tests, original, path, previous)


@contextmanager
def _trial_set(
    others: Sequence[PublishedText], name: str, data: bytes, tests: bytes | None, today: date
) -> Iterator[SopSet]:
    """A throw-away folder holding the published versions of the other SOPs (with their tests)
    and the new file (with its tests), loaded as a set."""
    with tempfile.TemporaryDirectory(prefix="ehub-sop-publish-") as tmp:
        trial = Path(tmp)
        taken = {name}
        published: set[str] = set()
        for v in others:
            file_name = Path(v.name).name
            if file_name in taken or not file_name.endswith(SOP_SUFFIX):
                file_name = f"{v.sop_id}--published{SOP_SUFFIX}"
            taken.add(file_name)
            published.add(file_name)
            (trial / file_name).write_bytes(v.text)
            if v.tests is not None:
                tests_file_for(trial / file_name).write_bytes(v.tests)
        (trial / name).write_bytes(data)
        if tests is not None:
            tests_file_for(trial / name).write_bytes(tests)
        # the others are published versions (maybe from before destination codes); the one
        # being published must have every code
        yield load_set([trial], today, published=published)


def write_back(prepared: Prepared) -> str | None:
    """Once published, make the author's file the published text (status: active, approved_by),
    so the overview shows it as published. Only if the file is still as it was read; returns
    why not (None: written)."""
    path = prepared.file
    try:
        if path.read_bytes() != prepared.original:
            return f"{path.name} changed while it was being published; it was left as it is."
        if prepared.data != prepared.original:
            _write_atomically(path, prepared.data)
    except OSError as exc:
        return f"{path.name} could not be updated: {exc.strerror or exc}."
    return None


def _where(p: Problem) -> str:
    name = p.file if p.file == SET_FILE else Path(p.file).name
    return f"{name}:{p.line}:{p.col}"


def _list_problems(problems: list[Problem]) -> str:
    shown = "; ".join(f"{_where(p)}: {p.message}" for p in problems[:MAX_LISTED])
    more = len(problems) - MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "") + "."


def _first_test_failure(report: TestReport, published: _Published) -> str:
    if report.failed:
        r = report.failed[0]
        more = len(report.failed) - 1
        return (
            f"{Path(r.case.file).name}:{r.case.mark.line}: case {r.case.id}: "
            + "; ".join(r.failures)
            + (f" (and {more} more failing case(s))" if more else "")
            + "."
        )
    errors = [p for p in report.problems if p.severity == "error"]
    if errors:
        return _list_problems(published.fix(errors))
    return (report.boundary_failures + report.random_failures)[0] + "."


@dataclass(frozen=True)
class _Published:
    """A SOP file as it would be once published, and how its lines moved."""

    name: str
    data: bytes
    moves: tuple[tuple[int, int, int], ...]  # (line in the original, lines removed, lines added)
    sop_id: str = ""
    version: str = ""

    def original_line(self, line: int) -> int:
        """The line of the original file that ``line`` of the published one comes from."""
        delta = 0
        for old, removed, added in self.moves:
            start = old + delta
            if line < start:
                break
            if line <= start + added:
                return min(old + (line - start), old + removed)
            delta += added - removed
        return line - delta

    def fix(self, problems: Iterable[Problem]) -> list[Problem]:
        """Problems found in the published text, with the lines of the author's file."""
        return [
            replace(p, line=self.original_line(p.line))
            if p.file != SET_FILE and Path(p.file).name == self.name
            else p
            for p in problems
        ]


def _published(path: Path, approver: str, data: bytes | None = None) -> _Published:
    """The file as it would be with ``status: active`` and ``approved_by: approver`` (refuses
    when the file is not a readable draft or active SOP)."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PublishRefused(f"Cannot read {path.name}: {exc.strerror or exc}.") from None
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PublishRefused(f"{path.name} is not UTF-8 text.") from None
    try:
        tree = load_yaml(text)
    except YamlError as exc:
        where = f"{path.name}:{exc.mark.line}:{exc.mark.col}" if exc.mark else path.name
        raise PublishRefused(f"{path.name} was not published: {where}: {exc.message}.") from None
    meta = tree.get("sop") if isinstance(tree, MarkedDict) else None
    if not isinstance(meta, MarkedDict):
        raise PublishRefused(f"{path.name} was not published: it has no 'sop:' section.")
    status = meta.get("status")
    if status not in ("draft", "active"):
        if status == "retired":
            raise PublishRefused(
                f"{path.name} is retired: only a draft or active SOP can be published. To use it "
                "again, set 'status: draft' with a new version."
            )
        raise PublishRefused(
            f"{path.name} was not published: its status is not 'draft' or 'active'."
        )
    edits = _status_edits(text, approver)
    new_text = _apply(text, edits)
    # The rewrite must change nothing but those two keys.
    new_tree = load_yaml(new_text)
    if _without_publish_keys(new_tree) != _without_publish_keys(tree) or (
        new_tree["sop"].get("status") != "active"
        or str(new_tree["sop"].get("approved_by")) != approver
    ):
        raise PublishRefused(
            f"{path.name} was not published: its 'status:' and 'approved_by:' lines could not be "
            "rewritten safely; set them by hand (status: active, approved_by: …)."
        )
    moves = tuple(
        (text.count("\n", 0, start) + 1, text.count("\n", start, stop), new.count("\n"))
        for start, stop, new in sorted(edits)
    )
    data = (b"\xef\xbb\xbf" if bom else b"") + new_text.encode()
    return _Published(
        path.name, data, moves, str(meta.get("id") or ""), str(meta.get("version") or "")
    )


def _without_publish_keys(tree: Any) -> Any:
    out = dict(tree)
    meta = dict(out["sop"])
    meta.pop("status", None)
    meta.pop("approved_by", None)
    out["sop"] = meta
    return out


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .,'()&/-]*")


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar that reads back as exactly ``value`` (plain when it can be)."""
    if _PLAIN.fullmatch(value) and not value.endswith(" "):
        try:
            if load_yaml(f"x: {value}\n") == {"x": value}:
                return value
        except YamlError:
            pass
    return json.dumps(value, ensure_ascii=False)


def rewrite_status(text: str, approver: str) -> str:
    """Set ``sop.status`` to ``active`` and ``sop.approved_by`` to ``approver`` in SOP text,
    touching nothing else (a trailing comment on the status line keeps its column)."""
    return _apply(text, _status_edits(text, approver))


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, stop, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[stop:]
    return text


def _status_edits(text: str, approver: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) spans that publish the SOP text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise PublishRefused(f"the YAML could not be read: {exc}") from None
    meta = _child(root, "sop")
    if meta is None or not isinstance(meta[1], yaml.MappingNode) or meta[1].flow_style:
        raise PublishRefused("the 'sop:' section must be a block of 'key: value' lines")
    status = _child(meta[1], "status")
    if status is None:
        raise PublishRefused("the 'sop:' section has no 'status:'")
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), applied back to front
    s_key, s_val = status
    old_len = s_val.end_mark.index - s_val.start_mark.index
    new_status = "active"
    end = s_val.end_mark.index
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    rest = text[end:line_end]
    gap = len(rest) - len(rest.lstrip(" "))
    if rest.lstrip(" ").startswith("#") and gap >= 2:
        # keep the comment's column: take the difference out of (or add it to) the gap
        new_gap = max(1, gap - (len(new_status) - old_len))
        edits.append((s_val.start_mark.index, end + gap, new_status + " " * new_gap))
    else:
        edits.append((s_val.start_mark.index, end, new_status))
    scalar = yaml_scalar(approver)
    approved = _child(meta[1], "approved_by")
    if approved is None:
        indent = " " * s_key.start_mark.column
        newline = "\r\n" if text[line_end - 1 : line_end] == "\r" else "\n"
        if line_end >= len(text):
            edits.append((len(text), len(text), f"{newline}{indent}approved_by: {scalar}"))
        else:
            insert_at = line_end + 1
            edits.append((insert_at, insert_at, f"{indent}approved_by: {scalar}{newline}"))
    else:
        a_key, a_val = approved
        colon = text.index(":", a_key.end_mark.index) + 1
        start, stop = a_val.start_mark.index, a_val.end_mark.index
        if isinstance(a_val, yaml.ScalarNode) and a_val.value == "" and a_val.style is None:
            start = stop = colon  # `approved_by:` with nothing after it
            scalar = " " + scalar
        tail = text[start:stop]
        if tail.endswith("\n"):  # a block scalar runs to the start of the next line
            scalar += "\r\n" if tail.endswith("\r\n") else "\n"
        edits.append((start, stop, scalar))
    return edits


def _child(node: Any, key: str) -> tuple[Any, Any] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the file, flush it to disk, then swap it in (readers see old or new)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable where the platform allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
