"""SOP guidance: the library of published SOPs that guides navigators, the decision for an item,
and the prescreen for red flags. The library is injected (a test or tool may hand one in) or
loaded from the hub on first use."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ehub_tui.domain.models import Consultation
from ehub_tui.service import sop_health
from ehub_tui.service.context import HubContext, aware
from ehub_tui.service.session import SYSTEM
from ehub_tui.store import audit
from ehub_tui.store import sops as store_sops
from ehub_tui.store.engine import read_tx, write_tx

if TYPE_CHECKING:  # the SOP engine loads lazily: a CLI command that needs no SOPs starts fast
    from ehub_tui.sop.engine import Decision
    from ehub_tui.sop.incomplete import Unloaded
    from ehub_tui.sop.library import PublishedText, ReloadResult, SopLibrary
    from ehub_tui.sop.models import Route

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GuidanceState:
    """Whether SOP guidance is available, and why not. ``version`` changes whenever another
    set of SOPs comes into use (a screen then asks for a new decision)."""

    available: bool
    problem: str | None
    version: object
    # each published SOP not in use at its newest version, and what stands in (sop/incomplete.py)
    unloaded: tuple[Unloaded, ...] = ()


class Guidance:
    """The SOP library this hub's navigators are guided by, and what it decides."""

    def __init__(
        self, ctx: HubContext, library: SopLibrary | None = None, shared: Guidance | None = None
    ) -> None:
        self._ctx = ctx
        self._library = library
        # the hub server's per-request services share the hub's one library (loaded once)
        self._shared = shared
        # the first asker loads the library; others asking meanwhile wait for it
        self._loading = threading.Lock()

    @property
    def loaded(self) -> SopLibrary | None:
        """The library if it is loaded (None before the first use)."""
        if self._library is None and self._shared is not None:
            return self._shared.loaded
        return self._library

    def use(self, library: SopLibrary | None) -> None:
        """Be guided by ``library`` from now on (None: load from the hub at the next use)."""
        self._library = library

    @property
    def library(self) -> SopLibrary:
        """The SOP library guiding this hub's navigators: the newest published version of each
        SOP that loads, read from the hub (never from a folder); seeded from the SOPs shipped
        inside the package when the hub has none. Loaded once; safe to ask from several
        threads (the first asker loads, the others wait). ``check_for_changes()`` takes a newly
        published version."""
        lib = self._library
        if lib is not None:
            return lib
        if self._shared is not None:
            return self._shared.library
        with self._loading:
            lib = self._library
            if lib is None:
                from ehub_tui.sop.library import SopLibrary

                lib = SopLibrary(
                    _StoreSops(self), today=self._ctx.today, last_resort=_shipped_red_flags
                )
                lib.reload()
                self._library = lib
                self._announce(lib.unloaded)
        return lib

    def decide(
        self,
        item: Consultation,
        answers: Mapping[str, Any],
        *,
        dismissed: Collection[str] = (),
        pathway: str | None = None,
    ) -> Decision | None:
        """The SOP decision for an item with the navigator's answers so far (None: no SOPs);
        ``dismissed``: flags dismissed with a reason, ``pathway``: an accepted proposal."""
        engine = self.library.engine
        if engine is None:
            return None
        # the engine reads an item's facts by column name (conditions name them)
        return engine.evaluate(
            item.model_dump(), answers, self._ctx.today(), dismissed=dismissed, pathway=pathway
        )

    def state(self) -> GuidanceState:
        """Whether guidance is available and what is wrong if not; loads the library the first
        time (call it from a worker: loading takes about a second)."""
        library = self.library
        return GuidanceState(
            library.engine is not None,
            library.last_problem,
            library.engine,
            tuple(library.unloaded),
        )

    def changes(self) -> ReloadResult | None:
        """Take a newly published SOP version if there is one (None: nothing changed)."""
        result = self.library.check_for_changes()
        if result is not None:
            self._announce(self.library.unloaded)
        return result

    def routes(self) -> list[Route]:
        """Every route of every SOP in use: what an override may choose."""
        engine = self.library.engine
        return [] if engine is None else [r.spec for s in engine.sops for r in s.routes]

    def message_template(self, name: str) -> str | None:
        """The patient-message template called ``name``, if an SOP in use has one."""
        engine = self.library.engine
        if engine is None:
            return None
        return next((s.messages[name] for s in engine.sops if name in s.messages), None)

    def prescreen(self, limit: int = 500) -> int:
        """Screen up to ``limit`` new consultations for SOP red flags; returns how many.

        A red flag raises the item's priority (emergency → 2, urgent → 1; never lowered) and,
        with it, its due time. Any signed-in client may run this; it is idempotent.
        """
        from ehub_tui.store import screening

        ctx = self._ctx
        engine = self.library.engine
        if engine is None:
            return 0
        with read_tx(ctx.engine) as conn:
            items = screening.unscreened(conn, limit)
        if not items:
            return 0
        today = ctx.today()
        results = []
        for item in items:
            # the SOPs' own flags only: the hub's priority is what these flags set
            d = engine.evaluate(item, {}, today, trace=False, hub_priority=False)
            results.append((item, [{"id": f.id, "level": f.level} for f in d.red_flags]))
        sops = [{"id": s.id, "version": s.meta.version, "sha256": s.sha256} for s in engine.sops]
        with write_tx(ctx.engine) as conn:
            screening.record(conn, results, ctx.actor, ctx.now(), ctx.due_by, sops)
        return len(items)

    # -- published versions ----------------------------------------------------------------------

    def published(self) -> list[PublishedText]:
        """Every published SOP version, in publishing order. A hub with none is first seeded
        from the SOPs shipped inside the package."""
        with read_tx(self._ctx.engine) as conn:
            rows = store_sops.all_versions(conn)
        if not rows:
            self.seed()
            with read_tx(self._ctx.engine) as conn:
                rows = store_sops.all_versions(conn)
        texts = [_published_text(r) for r in rows]
        # a text changed behind the hub's back is announced at the first fetch that sees it
        self._announce(sop_health.mismatched(texts))
        return texts

    def _announce(self, unloaded: Sequence[Unloaded]) -> None:
        """Log and audit SOPs that cannot be used (once each; service/sop_health.py). Never
        stands in the way of guidance: a failure to announce is logged."""
        if not unloaded:
            return
        try:
            sop_health.announce(self._ctx, unloaded)
        except Exception:  # the store refused the write: the log still has it
            log.exception("could not audit a SOP that cannot be used")

    def stamp(self) -> tuple[int, int]:
        """(highest sop_version id, rows): a cheap look for a newly published version."""
        with read_tx(self._ctx.engine) as conn:
            return store_sops.stamp(conn)

    def seed(self) -> None:
        """Record the shipped SOPs (each active file and its tests) as published by the system,
        approved by whoever each file names, audited; only when the hub has no published
        version yet and the whole shipped set loads without errors."""
        from ehub_tui.sop.library import shipped_sops_dir
        from ehub_tui.sop.loader import SOP_SUFFIX, load_texts
        from ehub_tui.sop.testing import tests_file_for

        ctx = self._ctx
        files = []
        for path in sorted(shipped_sops_dir().glob(f"*{SOP_SUFFIX}")):
            tests_path = tests_file_for(path)
            tests_data = tests_path.read_bytes() if tests_path.is_file() else None
            files.append((path.name, path.read_bytes(), tests_data))
        loaded = load_texts([(Path(name), data) for name, data, _ in files], ctx.today())
        if not files or loaded.errors:
            return  # the library says "no SOPs are published" and keeps the red flags
        by_name = {s.path.name: s for s in loaded.sops}
        now = ctx.now()
        with write_tx(ctx.engine) as conn:
            store_sops.lock(conn)
            if store_sops.stamp(conn)[1]:
                return  # another app seeded first
            events = []
            for name, data, tests in files:
                sop = by_name[name]
                if not sop.active:
                    continue
                approver = sop.meta.approved_by or ""
                sop_row = store_sops.insert(
                    conn,
                    sop_id=sop.id,
                    version=sop.meta.version,
                    sha256=sop.sha256,
                    file_name=name,
                    sop_text=data.decode("utf-8"),
                    tests_text=tests.decode("utf-8") if tests is not None else None,
                    approved_by=approver,
                    submitted_by=None,
                    published_by=SYSTEM,
                    published_at=now,
                )
                body = {
                    "sop": sop.id,
                    "version": sop.meta.version,
                    "sha256": sop.sha256,
                    "old_version": None,
                    "old_sha256": None,
                    "file": name,
                    "approved_by": approver,
                    "submitted_by": None,
                    "seeded": True,
                }
                rows = (("sop_version", "id", [sop_row]),)
                events.append(audit.Event(SYSTEM, "sop_publish", None, body, rows=rows))
            audit.append(conn, events, now)


class _StoreSops:
    """The SOP library's source (sop.library.SopSource): the hub's published versions."""

    def __init__(self, guidance: Guidance) -> None:
        self._guidance = guidance

    def stamp(self) -> tuple[int, int]:
        """(highest sop_version id, rows): a cheap look for a newly published version."""
        return self._guidance.stamp()

    def versions(self) -> Sequence[PublishedText]:
        """Every published version."""
        return self._guidance.published()


def _published_text(row: Mapping[str, Any]) -> PublishedText:
    from ehub_tui.sop.library import PublishedText

    tests = row["tests_text"]
    return PublishedText(
        sop_id=row["sop_id"],
        version=row["version"],
        name=row["file_name"],
        text=row["sop_text"].encode("utf-8"),
        tests=tests.encode("utf-8") if tests is not None else None,
        sha256=row["sha256"],
        approved_by=row["approved_by"],
        published_at=aware(row["published_at"]),
        row_id=int(row["id"]),
        published_by=row["published_by"],
        submitted_by=row["submitted_by"],
    )


def _shipped_red_flags() -> list[PublishedText]:
    """The red-flag SOP shipped inside the package: used only when no published version of it
    loads (the red flags are never absent)."""
    from ehub_tui.sop.library import RED_FLAGS, PublishedText, shipped_sops_dir

    path = shipped_sops_dir() / f"{RED_FLAGS}.sop.yaml"
    try:
        data = path.read_bytes()
    except OSError:
        return []
    sha = hashlib.sha256(data).hexdigest()
    return [PublishedText(RED_FLAGS, "shipped", path.name, data, sha256=sha)]
