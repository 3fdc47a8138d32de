"""Checking a SOP file for publishing (:func:`prepare`: refused in plain English unless the set as
the apps would load it has no errors and passes its tests) and writing the published text back
to the author's file (:func:`write_back`).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from ehub_tui.errors import PublishRefused
from ehub_tui.sop.library import PublishedText, choose, newest_first, version_key
from ehub_tui.sop.loader import SOP_SUFFIX, SopSet, load_set
from ehub_tui.sop.rewrite import _Published, _published, _write_atomically
from ehub_tui.sop.standing import MAX_ID, MAX_VERSION, Prepared, _list_problems
from ehub_tui.sop.testing import TestReport, run_tests, tests_file_for


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
