"""What a retention purge run did (or, dry, would do): counts only, never who (issue 16)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RetentionResult(BaseModel):
    """One ``retention purge`` run: items purged (or ready, on a dry run), items old enough but
    waiting for their days' returns to be exported, and whether more old items remain beyond
    this run's batch (the next run takes them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    retention_days: int
    before: datetime  # items that closed before this (hub time) are old enough
    dry_run: bool
    purged: int  # 0 on a dry run
    ready: int  # old enough and exported: purged now (or, dry, would be)
    waiting_for_export: int
    more: bool
    # quarantine entries resolved before ``before`` whose copy of the record was blanked (or,
    # dry, would be): records never stored, so no return waits for them
    quarantine: int = 0
