"""A real SQLite hub with the fixture practices, and a clock the watcher tests move by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ehub_tui.config import Settings
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
from tests.conftest import FIXTURES, FrozenClock


class Ticker:
    """A monotonic clock (seconds) that moves only when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def ticker() -> Ticker:
    """The watcher's clock."""
    return Ticker()


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    """The folder that holds the hub's SQLite file (tests move it away to lose the hub)."""
    return tmp_path / "hubdir"


@pytest.fixture
def hub(hub_dir: Path, tmp_path: Path, clock: FrozenClock) -> Iterator[HubService]:
    """A system service on a fresh SQLite hub that knows the fixture practices."""
    settings = Settings(data_dir=tmp_path / "data", hub_url=f"sqlite:///{hub_dir / 'hub.sqlite3'}")
    svc = HubService.open(settings, None, clock=clock)
    svc.import_practices(load_practices(FIXTURES / "practices.yaml"))
    yield svc
    svc.close()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """An empty inbox folder."""
    path = tmp_path / "inbox"
    path.mkdir()
    return path
