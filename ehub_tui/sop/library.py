"""The SOP set a running app is guided by: the newest published version of each SOP that loads.

Where the texts come from is a *source*: the hub's store for every app (HubService hands the
library a source over the ``sop_version`` table; the library itself never reads the authoring
folder), or a folder for tools and tests (:class:`FolderSource`).

A version that does not load here (a syntax error, or an operator this copy of ehub-tui does not
know yet) never takes guidance away: that SOP falls back to its newest earlier version that does
load, and ``last_problem`` says so. The red-flag SOP is never absent: when no published version
of it loads, the one shipped inside the package is used. A running app asks the source for a
cheap stamp at every check and reloads only when it changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from ehub_tui import resources
from ehub_tui.sop.engine import Engine
from ehub_tui.sop.incomplete import CHECKSUM, IncompleteEngine, Unloaded, unloaded_of
from ehub_tui.sop.loaded import Problem
from ehub_tui.sop.loader import SOP_SUFFIX, TESTS_SUFFIX, SopSet, load_texts

RED_FLAGS = "red-flags"  # the SOP that must always be present


def shipped_sops_dir() -> Path:
    """The SOPs shipped with ehub-tui: inside the installed package (the build installs the
    repository's ``sops/`` there), or, in a source checkout, that ``sops/`` folder itself."""
    return resources.shipped_sops_dir()


def default_sops_dir(configured: Path | None = None) -> Path:
    """The configured authoring folder, else the shipped SOPs (never a folder in the current
    directory)."""
    return Path(configured) if configured else shipped_sops_dir()


@dataclass(frozen=True)
class PublishedText:
    """One version of a SOP as a source holds it."""

    sop_id: str
    version: str
    name: str  # the file name, for messages
    text: bytes
    tests: bytes | None = None
    sha256: str = ""
    approved_by: str = ""
    published_at: datetime | None = None
    row_id: int = 0  # publishing order (the store's row id)
    published_by: str = ""
    submitted_by: str | None = None

    @property
    def label(self) -> str:
        """``id version``."""
        return f"{self.sop_id} {self.version}".strip()


class SopSource(Protocol):
    """Where a library's SOP texts come from."""

    def stamp(self) -> Hashable:
        """A cheap value that changes whenever the versions do."""
        ...

    def versions(self) -> Sequence[PublishedText]:
        """Every version available (all of them: the library picks)."""
        ...


class FolderSource:
    """Every ``*.sop.yaml`` of a folder, each as the only version of its SOP (tools and tests;
    the apps' source is the hub's store)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def stamp(self) -> Hashable:
        """Names, sizes and modification times of the SOP and tests files."""
        out = []
        for pattern in (f"*{SOP_SUFFIX}", f"*{TESTS_SUFFIX}"):
            for p in sorted(self.folder.glob(pattern)):
                try:
                    st = p.stat()
                except FileNotFoundError:
                    continue
                out.append((p.name, st.st_size, st.st_mtime_ns))
        return tuple(out)

    def versions(self) -> list[PublishedText]:
        """Each file as it is now."""
        out = []
        for i, p in enumerate(sorted(self.folder.glob(f"*{SOP_SUFFIX}")), start=1):
            try:
                data = p.read_bytes()
            except OSError:
                continue
            sop_id = p.name.removesuffix(SOP_SUFFIX)
            out.append(PublishedText(sop_id, "", str(p), data, None, _sha(data), row_id=i))
        return out


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
VersionKey = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def version_key(version: str) -> VersionKey | None:
    """A sort key that orders versions as semantic versioning does (1.0.0-rc.1 < 1.0.0 <
    1.0.1 < 1.10.0); None when ``version`` is not MAJOR.MINOR.PATCH[-PRE]."""
    m = _SEMVER.match(str(version).strip())
    if m is None:
        return None
    major, minor, patch, pre = m.groups()
    if pre is None:
        return int(major), int(minor), int(patch), 1, ()
    parts = tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in pre.split("."))
    return int(major), int(minor), int(patch), 0, parts


def newest_first(versions: Sequence[PublishedText]) -> dict[str, list[PublishedText]]:
    """Versions by SOP id, the highest version first (then the latest published)."""
    by_id: dict[str, list[PublishedText]] = {}
    for v in versions:
        by_id.setdefault(v.sop_id, []).append(v)
    lowest: VersionKey = (-1, 0, 0, 0, ())
    for items in by_id.values():
        items.sort(key=lambda v: (version_key(v.version) or lowest, v.row_id), reverse=True)
    return by_id


@dataclass
class Choice:
    """The set a library would use, which version of each SOP it holds, and why any is not
    the newest (``unloaded``: each SOP whose newest published version is not in use)."""

    sop_set: SopSet
    chosen: list[PublishedText]
    notes: list[str] = field(default_factory=list)
    unloaded: list[Unloaded] = field(default_factory=list)


def _where(p: Problem) -> str:
    name = p.file if p.file.startswith("(") else Path(p.file).name
    return f"{name}:{p.line}:{p.col}: {p.message}"


def choose(
    versions: Sequence[PublishedText],
    today: date,
    last_resort: Callable[[], Sequence[PublishedText]] | None = None,
) -> Choice:
    """The newest version of each SOP, stepping a SOP back to an earlier version while it does
    not load (or, for a problem of the set as a whole, the SOP published last), until the set
    loads without errors or nothing can step back. The red-flag SOP comes from ``last_resort``
    when no version of it loads."""
    notes: list[str] = []
    intact = []
    failed: list[tuple[PublishedText, str]] = []  # each version not used, and why (no text)
    for v in versions:
        if v.sha256 and _sha(v.text) != v.sha256:  # changed behind the hub's back
            notes.append(f"SOP {v.label}: its text does not match its sha256; not used")
            failed.append((v, CHECKSUM))
        else:
            intact.append(v)
    by_id = newest_first(intact)
    pos = dict.fromkeys(by_id, 0)
    while True:
        chosen = [by_id[s][i] for s, i in pos.items() if i < len(by_id[s])]
        sop_set = _load(chosen, today)
        if not sop_set.errors:
            break
        by_name = {str(Path(v.name)): v for v in chosen}
        blamed: dict[str, tuple[PublishedText, Problem]] = {}
        for p in sop_set.errors:
            culprit = by_name.get(p.file)
            if culprit is not None and culprit.sop_id not in blamed:
                blamed[culprit.sop_id] = (culprit, p)
        if not blamed:  # the set as a whole: step back the SOP published last, if it can
            movable = [v for v in chosen if pos[v.sop_id] + 1 < len(by_id[v.sop_id])]
            if not movable:
                break
            last = max(movable, key=lambda v: v.row_id)
            blamed[last.sop_id] = (last, sop_set.errors[0])
        for sop_id, (v, p) in blamed.items():
            pos[sop_id] += 1
            earlier = by_id[sop_id][pos[sop_id]] if pos[sop_id] < len(by_id[sop_id]) else None
            then = f"using {earlier.version}" if earlier else "no earlier version loads"
            notes.append(f"SOP {v.label} does not load here ({_where(p)}); {then}")
            failed.append((v, f"it does not load here ({_where(p)})"))
    if last_resort is not None and not any(s.id == RED_FLAGS and s.active for s in sop_set.sops):
        spare = [v for v in last_resort() if v.sop_id == RED_FLAGS]
        if spare:
            chosen = [v for v in chosen if v.sop_id != RED_FLAGS] + spare[:1]
            with_spare = _load(chosen, today)
            shipped = with_spare.get(RED_FLAGS)
            if shipped is not None:
                sop_set = with_spare
                notes.append(
                    f"No published version of {RED_FLAGS} loads here: using the one shipped "
                    f"with ehub-tui ({shipped.meta.version})"
                )
    if sop_set.errors:
        notes.append(f"The SOPs in use still have a problem: {_where(sop_set.errors[0])}")
    used = [v for v in chosen if any(s.sha256 == v.sha256 for s in sop_set.sops)]
    return Choice(sop_set, used, notes, unloaded_of(failed, used, sop_set, version_key))


def _load(chosen: Sequence[PublishedText], today: date) -> SopSet:
    if not chosen:
        return SopSet([], [Problem("(sops)", 1, 1, "no SOPs are published")])
    # versions published before routes had destination codes still guide (codes not required)
    return load_texts([(Path(v.name), v.text) for v in chosen], today, codes_required=False)


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did."""

    taken: bool
    message: str


class SopLibrary:
    """The SOPs a running app is guided by: ``engine``, ``sop_set`` and ``last_problem``."""

    def __init__(
        self,
        source: SopSource | Path,
        today: Callable[[], date] = date.today,
        *,
        last_resort: Callable[[], Sequence[PublishedText]] | None = None,
    ) -> None:
        self.source: SopSource = FolderSource(source) if isinstance(source, Path) else source
        self.today = today
        self.last_resort = last_resort
        self.engine: Engine | None = None
        self.sop_set: SopSet | None = None
        self.in_use: list[PublishedText] = []  # the version of each SOP in use
        self.last_problem: str | None = None
        # each published SOP not in use at its newest version (sop/incomplete.py)
        self.unloaded: list[Unloaded] = []
        self._stamp: Hashable = object()  # nothing seen yet

    def reload(self) -> ReloadResult:
        """Load the newest versions (stepping back where one does not load) and use them.

        A running app keeps the set it has when the new one would load nothing, or would have
        errors where the one in use has none."""
        stamp = self.source.stamp()
        choice = choose(self.source.versions(), self.today(), self.last_resort)
        self._stamp = stamp
        new = choice.sop_set
        problem = _sentence("; ".join(choice.notes)) if choice.notes else None
        worse = new.errors and self.sop_set is not None and not self.sop_set.errors
        if not new.sops or worse:
            self.last_problem = problem or "No SOPs could be loaded."
            kept = (
                "Keeping the SOPs already in use."
                if self.engine
                else "No SOPs are in use: navigators get no guidance until this is fixed."
            )
            return ReloadResult(False, f"{self.last_problem} {kept}")
        self.last_problem = problem
        self.unloaded = choice.unloaded
        # a SOP missing altogether: every decision says so, and a catch-all suggestion is not
        # offered for ⏎ alone (sop/incomplete.py); an earlier version standing in is said by
        # the app's guidance line (``unloaded``)
        missing = [u for u in choice.unloaded if u.missing]
        same = self.sop_set is not None and _shas(self.sop_set) == _shas(new)
        if self.engine is not None and same and _missing(self.engine) == missing:
            return ReloadResult(
                False, f"{problem or 'No new SOP versions.'} Keeping the SOPs in use."
            )
        new.lexicon.prepare()  # here (a worker, or start-up), never on the first key press
        self.sop_set = new
        self.engine = IncompleteEngine(new, missing) if missing else Engine(new)
        self.in_use = choice.chosen
        versions = ", ".join(f"{s.id} {s.meta.version}" for s in new.sops if s.active)
        return ReloadResult(True, f"SOPs in use: {versions}." + (f" {problem}" if problem else ""))

    def check_for_changes(self) -> ReloadResult | None:
        """Reload if the source changed since the last look; None when nothing changed (nor
        the SOPs in use, nor what is wrong)."""
        if self.source.stamp() == self._stamp:
            return None
        before = (self.engine, self.last_problem)
        result = self.reload()
        return None if (self.engine, self.last_problem) == before else result


def _sentence(text: str) -> str:
    return text.strip().rstrip(".") + "."


def _missing(engine: Engine) -> list[Unloaded]:
    return list(engine.missing) if isinstance(engine, IncompleteEngine) else []


def _shas(s: SopSet) -> list[str]:
    return sorted(x.sha256 for x in s.sops)
