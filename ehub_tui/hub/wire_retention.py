"""The hub API's wire forms for the retention purge (issue 16): the request and its result."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, TypeAdapter

from ehub_tui.domain.retention import RetentionResult

RETENTION_RESULT: TypeAdapter[RetentionResult] = TypeAdapter(RetentionResult)


class RetentionPurgeIn(BaseModel):
    """POST /v1/retention/purge: whether only to count what a purge would take."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # a misspelt field: a 422 naming it

    dry_run: bool = False
