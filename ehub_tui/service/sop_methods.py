"""HubService's SOP methods: the guidance that decides an item (the SOP library in use, its
routes and templates, the prescreen) and the authoring that publishes new versions.

A part of HubService's facade kept in its own module so the composition root stays small
(hub.py); each method delegates in one line to the guidance or authoring part.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ehub_tui.domain.models import Consultation, SopPublished, UserInfo
from ehub_tui.service.guidance import GuidanceState

if TYPE_CHECKING:
    from ehub_tui.service.parts import Parts
    from ehub_tui.sop.authoring import Prepared, SopStatus
    from ehub_tui.sop.engine import Decision
    from ehub_tui.sop.library import PublishedText, ReloadResult, SopLibrary
    from ehub_tui.sop.models import Route


class SopMethods:
    """SOP guidance and authoring, as HubService offers them."""

    parts: Parts

    @property
    def sops(self) -> SopLibrary:
        """The SOP library guiding this hub's navigators (loaded from the hub on first use)."""
        return self.parts.guidance.library

    def use_sop_library(self, library: SopLibrary | None) -> None:
        """Be guided by ``library`` (a test's or tool's, already loaded); None: the hub's."""
        self.parts.guidance.use(library)

    def guidance_state(self) -> GuidanceState:
        """Whether SOP guidance is available (loads the SOPs the first time: from a worker)."""
        return self.parts.guidance.state()

    def guidance_changes(self) -> ReloadResult | None:
        """Take a newly published SOP version (None: nothing changed); an app polls this."""
        return self.parts.guidance.changes()

    def routes(self) -> list[Route]:
        """Every route of every SOP in use: what an override may choose."""
        return self.parts.guidance.routes()

    def message_template(self, name: str) -> str | None:
        """A patient-message template from the SOPs in use."""
        return self.parts.guidance.message_template(name)

    def decide(
        self,
        item: Consultation,
        answers: Mapping[str, Any],
        *,
        dismissed: Collection[str] = (),
        pathway: str | None = None,
    ) -> Decision | None:
        """The SOP decision for an item with the navigator's answers so far (None: no SOPs)."""
        return self.parts.guidance.decide(item, answers, dismissed=dismissed, pathway=pathway)

    def prescreen(self, limit: int = 500) -> int:
        """Screen up to ``limit`` new consultations for SOP red flags; returns how many."""
        return self.parts.guidance.prescreen(limit)

    def published_sops(self) -> list[PublishedText]:
        """Every published SOP version, in publishing order (seeded when there are none)."""
        return self.parts.guidance.published()

    def sops_folder(self) -> Path:
        """The authoring folder (``sops_dir``, else the shipped SOPs)."""
        return self.parts.authoring.folder()

    def sop_approvers(self) -> list[UserInfo]:
        """The active clinical approvers (who may publish a SOP)."""
        return self.parts.authoring.approvers()

    def sop_overview(self) -> list[SopStatus]:
        """Every SOP file of the authoring folder, checked, against what is published."""
        return self.parts.authoring.overview()

    def submit_sop(self, path: Path | str) -> Prepared:
        """Ask for a new SOP version to be approved (SOP authors); audited."""
        return self.parts.authoring.submit(path)

    def publish_sop(self, path: Path | str) -> SopPublished:
        """Publish a new version of a SOP (clinical approvers only); audited."""
        return self.parts.authoring.publish(path)

    def submit_upload(self, file_name: str, text: bytes, tests: bytes | None = None) -> Prepared:
        """Submit a SOP file sent to the hub (SOP authors); the hub checks it itself."""
        return self.parts.authoring.submit_upload(file_name, text, tests)

    def publish_upload(
        self, file_name: str, text: bytes, tests: bytes | None = None
    ) -> SopPublished:
        """Publish a SOP file sent to the hub (clinical approvers); checked against what the
        hub has published, audited."""
        return self.parts.authoring.publish_upload(file_name, text, tests)

    def sop_submissions(self) -> dict[str, str]:
        """sha256 of each submitted SOP file → its submitter (authors and clinical approvers)."""
        return self.parts.authoring.submissions()

    def sop_stamp(self) -> tuple[int, int]:
        """A cheap value that changes whenever a SOP version is published."""
        return self.parts.guidance.stamp()
