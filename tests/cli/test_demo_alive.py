"""The demo hub reads as today (issue 15, part 9): built with a frozen "now" by the hub's clock,
its queue has new, due-soon and overdue items, and the reports of this week and last week have
figures (the older fixtures completed over the two weeks before now by the demo navigators)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ehub_tui.cli.demo import build_demo
from ehub_tui.config import Settings
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from tests.conftest import FrozenClock

# a Tuesday afternoon, 17:50 in the UK (GMT): items received on Monday are due at today's close
NOW = datetime(2026, 12, 1, 17, 50, tzinfo=UTC)


def _open(tmp_path: Path, clock: FrozenClock) -> HubService:
    settings = Settings(data_dir=tmp_path / "data", hub_url=f"sqlite:///{tmp_path / 'hub.db'}")
    return HubService.open(settings, None, clock=clock)


def test_demo_reads_as_today(tmp_path: Path) -> None:
    clock = FrozenClock(NOW)
    hub = _open(tmp_path, clock)
    try:
        result = build_demo(hub, NOW)
        assert result["new"] > 100 and result["completed"] > 50

        rows, total = hub.queue_page("queue", QueueFilter(), 0, 1000)
        assert total == len(rows) > 10
        new = [r for r in rows if NOW - r.received_at <= timedelta(hours=1)]
        soon = [r for r in rows if timedelta(0) <= r.due_by - NOW <= timedelta(hours=1)]
        overdue = [r for r in rows if r.due_by < NOW]
        assert new and soon and overdue, (len(new), len(soon), len(overdue))
        assert len(overdue) < total / 2  # a few, not everything
        assert all(r.received_at <= NOW for r in rows)  # nothing from the future

        for period in ("week", "last_week"):
            figures = hub.report(period).hub
            assert (figures["OC_TOTAL_SUBMISSIONS"] or 0) > 0, (period, figures)
            assert (figures["PROCESSED"] or 0) > 0, (period, figures)
        assert hub.verify_audit().ok  # the history's completions keep the chain in order

        # a rerun adds nothing and completes nothing again
        again = build_demo(hub, NOW + timedelta(minutes=5))
        assert again["new"] == 0 and again["completed"] == 0
    finally:
        hub.close()
