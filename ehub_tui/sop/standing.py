"""Where a file of the authoring folder stands against what the hub has published (a
:class:`SopStatus` row of the overview), what a checked publication carries (:class:`Prepared`),
and the words and limits both use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ehub_tui.sop.library import PublishedText
from ehub_tui.sop.loaded import Problem

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


def _where(p: Problem) -> str:
    name = p.file if p.file == SET_FILE else Path(p.file).name
    return f"{name}:{p.line}:{p.col}"


def _list_problems(problems: list[Problem]) -> str:
    shown = "; ".join(f"{_where(p)}: {p.message}" for p in problems[:MAX_LISTED])
    more = len(problems) - MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "") + "."
