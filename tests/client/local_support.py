"""Values for the local store's and the sync engine's tests: claims, consultations and queue
lines as the hub would hand them over."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ehub_tui.client.local.cache import row_from_consultation
from ehub_tui.domain.models import Consultation
from ehub_tui.domain.queue import Claim, QueueRow
from tests.support.factories import as_consultation

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def claim_of(item_id: int, *, epoch: int = 2, owner: str = "nav1") -> Claim:
    """A claim of ``owner`` on an item, its lease ending 15 minutes after NOW."""
    return Claim(item_id, epoch, NOW + timedelta(minutes=15), owner)


def consultation(item_id: int, **fields: Any) -> Consultation:
    """A consultation numbered ``item_id`` as the hub would hand it over."""
    return as_consultation(fields, item_id=item_id)


def as_row(item_id: int, **changes: Any) -> QueueRow:
    """The queue line of ``consultation(item_id)``, with ``changes``."""
    return row_from_consultation(consultation(item_id), **changes)


def wait_until(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll ``check`` until it holds (a deadline, never a fixed sleep); fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.02)
