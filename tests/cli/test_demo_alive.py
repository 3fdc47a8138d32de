"""The demo hub reads as today (issue 15, part 9; the tmux trial's fixes): built with a frozen
"now" by the hub's clock, its queue has new items, few overdue (by hours, never days), no
red-flag emergency from days ago, "soon" on a working afternoon; the reports of this week and
last week have figures, Pharmacy First and escalations among them; and every completed item's
history was screened before it was completed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ehub_tui.cli.demo import build_demo
from ehub_tui.cli.demotime import LEFT_OVERDUE, RECENT
from ehub_tui.config import Settings
from ehub_tui.domain.clock import LONDON
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from tests.conftest import FrozenClock

# a Tuesday afternoon, 17:50 in the UK (GMT): items received on Monday are due at today's close
TUESDAY = datetime(2026, 12, 1, 17, 50, tzinfo=UTC)
# a Saturday evening, 19:00 (as the trial ran): nothing is due before Monday but Friday's late
SATURDAY = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)


def _open(tmp_path: Path, clock: FrozenClock) -> HubService:
    settings = Settings(data_dir=tmp_path / "data", hub_url=f"sqlite:///{tmp_path / 'hub.db'}")
    return HubService.open(settings, None, clock=clock)


@pytest.mark.parametrize("now", [TUESDAY, SATURDAY], ids=["tuesday-afternoon", "saturday-evening"])
def test_demo_reads_as_today(tmp_path: Path, now: datetime) -> None:
    clock = FrozenClock(now)
    hub = _open(tmp_path, clock)
    try:
        result = build_demo(hub, now)
        assert result["new"] > 100 and result["completed"] > 50

        rows, total = hub.queue_page("queue", QueueFilter(), 0, 1000)
        assert total == len(rows) > 5
        new = [r for r in rows if now - r.received_at <= timedelta(hours=1)]
        overdue = [r for r in rows if r.due_by < now]
        assert new, "new items"
        assert 0 < len(overdue) <= LEFT_OVERDUE, [(r.id, r.due_by) for r in overdue]
        # overdue since the last close only (Monday's on Tuesday, Friday's on Saturday)
        assert all(now - r.due_by < timedelta(hours=30) for r in overdue)
        assert all(r.received_at <= now for r in rows)  # nothing from the future
        # recent: received since the previous working day's start (Tuesday: Monday's; Saturday:
        # since Friday's close); the overdue few: a weekday's
        assert all(now - timedelta(hours=34) <= r.received_at for r in rows if r.due_by >= now)
        today = now.astimezone(LONDON).date()
        emergencies = [r for r in rows if r.priority >= 2]
        for r in emergencies:  # a red-flag emergency left open arrived just now, today, in
            # core hours; or since the hub closed (it waits for the hub to open)
            if now == TUESDAY:
                assert now - r.received_at <= RECENT, (r.id, r.received_at)
                assert r.received_at.astimezone(LONDON).date() == today
            else:
                assert r.received_at >= datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
        if now == TUESDAY:  # a working afternoon: Monday's items are due at today's close
            soon = [r for r in rows if timedelta(0) <= r.due_by - now <= timedelta(hours=1)]
            assert soon

        for period in ("week", "last_week"):
            figures = hub.report(period).hub
            for metric in (
                "OC_TOTAL_SUBMISSIONS",
                "PROCESSED",
                "PHARMACY_FIRST_REFERRALS",
                "ESCALATIONS",
            ):
                assert (figures[metric] or 0) > 0, (period, metric, figures)
        assert hub.verify_audit().ok  # the history's completions keep the chain in order

        # every completed item was screened before it was claimed and completed
        completed = _completed_ids(hub)
        assert len(completed) == result["completed"]
        for item in completed[:: max(1, len(completed) // 25)]:
            history = hub.item_history(item)
            actions = [e.action for e in history]
            assert "screened" in actions and "complete" in actions, actions
            assert actions.index("screened") < actions.index("complete"), actions
            assert [e.at for e in history] == sorted(e.at for e in history)

        # a rerun adds nothing and completes nothing again
        again = build_demo(hub, now + timedelta(minutes=5))
        assert again["new"] == 0 and again["completed"] == 0
    finally:
        hub.close()


def _completed_ids(hub: HubService) -> list[int]:
    from sqlalchemy import select

    from ehub_tui.store.engine import read_tx
    from ehub_tui.store.models import Consultation

    c = Consultation.__table__  # type: ignore[attr-defined]
    with read_tx(hub.engine) as conn:
        return [
            int(i) for i in conn.execute(select(c.c.id).where(c.c.status == "completed")).scalars()
        ]
