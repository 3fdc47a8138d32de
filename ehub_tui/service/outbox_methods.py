"""HubService's ``OutboxMethods`` (issue 16): the FHIR outbox's read, delegating to the part
``parts.outbox`` (service/outbox.py, where the role check and the audit are)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ehub_tui.domain.outbox import OutboxPage
from ehub_tui.service.outbox import DEFAULT_PAGE

if TYPE_CHECKING:
    from ehub_tui.service.parts import Parts


class OutboxMethods:
    """The outbox's read, as HubService offers it."""

    parts: Parts

    def outbox_outcomes(
        self, since: date | None = None, after_id: int = 0, limit: int = DEFAULT_PAGE
    ) -> OutboxPage:
        """Outcomes completed since the UK-local day ``since`` (None: all), after outcome id
        ``after_id``, at most ``limit``; with the patient, practice and navigator (admin or the
        service account; audited as a read of patient data)."""
        return self.parts.outbox.outcomes(since, after_id, limit)
