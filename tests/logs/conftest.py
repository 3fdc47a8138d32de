"""Every logging test leaves the process's logging as it found it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ehub_tui.logs import reset_logging


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    reset_logging()
    yield
    reset_logging()
