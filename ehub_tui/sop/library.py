"""Hot reload: a running app takes a changed SOP set only if it validates and its tests pass;
otherwise it keeps the last good set and says why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ehub_tui.sop.engine import Engine
from ehub_tui.sop.loader import SOP_SUFFIX, TESTS_SUFFIX, SopSet, load_set
from ehub_tui.sop.testing import run_tests

REPO_SOPS = Path(__file__).resolve().parents[2] / "sops"


def default_sops_dir(configured: Path | None = None) -> Path:
    """The configured folder, else ./sops, else the sops/ shipped beside the package."""
    if configured:
        return configured
    here = Path.cwd() / "sops"
    return here if here.is_dir() else REPO_SOPS


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did."""

    taken: bool
    message: str


class SopLibrary:
    """The SOP folder a running app is guided by."""

    def __init__(self, folder: Path, today: Callable[[], date] = date.today) -> None:
        self.folder = folder
        self.today = today
        self.engine: Engine | None = None
        self.sop_set: SopSet | None = None
        self._fingerprint: tuple[tuple[str, int, int], ...] | None = None
        self.last_problem: str | None = None

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
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

    def reload(self) -> ReloadResult:
        """Load, validate and test the folder; take it only when all is well."""
        fp = self.fingerprint()
        candidate = load_set([self.folder], self.today())
        result = self._judge(candidate)
        self._fingerprint = fp
        if result is None:
            self.sop_set = candidate
            self.engine = Engine(candidate)
            self.last_problem = None
            versions = ", ".join(f"{s.id} {s.meta.version}" for s in candidate.sops if s.active)
            return ReloadResult(True, f"SOPs in use: {versions}")
        self.last_problem = result
        kept = (
            " Keeping the SOPs already in use."
            if self.engine
            else (" No SOPs are in use: navigators get no guidance until this is fixed.")
        )
        return ReloadResult(False, result + kept)

    def check_for_changes(self) -> ReloadResult | None:
        """Reload if any file changed since the last look; None when nothing changed."""
        fp = self.fingerprint()
        if fp == self._fingerprint:
            return None
        return self.reload()

    @staticmethod
    def _judge(candidate: SopSet) -> str | None:
        if candidate.errors:
            first = candidate.errors[0]
            more = f" (and {len(candidate.errors) - 1} more)" if len(candidate.errors) > 1 else ""
            return f"The SOPs have errors: {first}{more}."
        report = run_tests(candidate)
        if not report.ok:
            if report.failed:
                r = report.failed[0]
                why = f"{r.case.file}:{r.case.mark.line} {r.case.id}: {'; '.join(r.failures)}"
            elif report.problems:
                why = str(report.problems[0])
            else:
                why = (report.boundary_failures + report.random_failures)[0]
            return f"The SOPs fail their tests: {why}."
        return None
