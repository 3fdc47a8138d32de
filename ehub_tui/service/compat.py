"""Transitional HubService methods (issue 12): the mapping-shaped answers the CLI and screens
read today. Each has a typed successor on HubService; this class goes once the callers move
(the integrator's list is in the issue-12 report)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ehub_tui.service.parts import Parts
    from ehub_tui.sop.library import SopLibrary


class Transitional:
    """The mapping-shaped predecessors of typed HubService methods."""

    parts: Parts

    def get_consultation(self, item_id: int) -> dict[str, Any]:
        """One consultation, every column (use ``consultation``: the typed Consultation)."""
        return self.parts.queue.consultation_row(item_id)

    def list_quarantine(self, status: str | None = "open") -> list[dict[str, Any]]:
        """Quarantined records as mappings (use ``quarantined``: QuarantineEntry models)."""
        return self.parts.intake.list_rows(status)

    def get_quarantine(self, qid: int) -> dict[str, Any]:
        """One quarantined record as a mapping (use ``quarantine_entry``)."""
        return self.parts.intake.entry_row(qid)

    def audit_events(
        self, consultation_id: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Recent audit events as mappings (use ``audit_log``: AuditEvent models)."""
        return self.parts.audit.event_rows(consultation_id, limit)

    @property
    def _sops(self) -> SopLibrary | None:
        # tests/ui/conftest.py and tests/hostile/test_screens.py set this to a library loaded
        # once per session; HubService.use_sop_library() is the way in
        return self.parts.guidance.loaded

    @_sops.setter
    def _sops(self, library: SopLibrary | None) -> None:
        self.parts.guidance.use(library)
