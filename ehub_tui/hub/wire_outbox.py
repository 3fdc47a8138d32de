"""The hub API's wire form for the FHIR outbox's read (issue 16): GET /v1/outbox/outcomes
answers an OutboxPage (domain.outbox), read back by the same adapter."""

from __future__ import annotations

from pydantic import TypeAdapter

from ehub_tui.domain.outbox import OutboxPage

OUTBOX_PAGE = TypeAdapter(OutboxPage)
