"""The demo hub reads as a live hub whatever day it is built (issue 15 part 9, trial 15d): the
demo navigators worked only in core hours on working days; on a working day some items are new,
some due by today's close (soon, late on a Friday), a few overdue since the last close; on a
weekend or bank holiday a few are overdue from the last working day and the rest arrived since
the last close, due on the next working days, and the summary says so; dates in the texts and
answers move with their items (an appointment is never before the item arrived)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ehub_tui.cli.demo import build_demo, hours_line
from ehub_tui.cli.demotime import LEFT_OVERDUE, RECENT
from ehub_tui.config import Settings
from ehub_tui.domain.clock import LONDON, CoreHours
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx
from ehub_tui.store.models import Consultation
from tests.conftest import FrozenClock

MONDAY = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)  # mid-morning (GMT: London time too)
FRIDAY = datetime(2026, 12, 4, 17, 45, tzinfo=UTC)  # late afternoon, 45 min before close
SUNDAY = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # as the trial ran
BANK_HOLIDAY = datetime(2026, 12, 28, 11, 0, tzinfo=UTC)  # Boxing Day's substitute (Monday)
HOURS = CoreHours()  # the hub's default core hours (Settings' defaults)


def _close(day: date) -> datetime:
    return HOURS.close_of(day)


def _last_close(now: datetime) -> datetime:
    day = now.astimezone(LONDON).date()
    while not (HOURS.is_working_day(day) and _close(day) <= now):
        day -= timedelta(days=1)
    return _close(day)


def _in_core_hours(at: datetime) -> bool:
    local = at.astimezone(LONDON)
    return HOURS.is_working_day(local.date()) and HOURS.start <= local.time() <= HOURS.end


def _rows(hub: HubService) -> list[Any]:
    c = Consultation.__table__  # type: ignore[attr-defined]
    with read_tx(hub.engine) as conn:
        return list(conn.execute(select(c)).all())


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pytest.fixture(scope="module", params=[MONDAY, FRIDAY, SUNDAY, BANK_HOLIDAY])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    now: datetime = request.param
    tmp = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=tmp / "data", hub_url=f"sqlite:///{tmp / 'hub.db'}")
    clock = FrozenClock(now)
    hub = HubService.open(settings, None, clock=clock)
    try:
        result = build_demo(hub, now)
        open_rows, total = hub.queue_page("queue", QueueFilter(), 0, 1000)
        assert total == len(open_rows)
        again = None
        if now == FRIDAY:  # built again two days later: it changes nothing (see the last test)
            clock.now = SUNDAY
            again = build_demo(hub, SUNDAY)
            clock.now = now
        yield now, result, open_rows, _rows(hub), again
    finally:
        hub.close()


def test_completions_only_in_core_hours_on_working_days(built: Any) -> None:
    now, result, _, rows, _ = built
    done = [r for r in rows if r.status == "completed"]
    assert len(done) == result["completed"] > 50
    for r in done:
        for at in (_aware(r.claimed_at or r.completed_at), _aware(r.completed_at)):
            assert _in_core_hours(at), (r.id, at.astimezone(LONDON))
            assert at < now


def test_open_items_read_as_today(built: Any) -> None:
    now, result, open_rows, _, _ = built
    today = now.astimezone(LONDON).date()
    closed = _last_close(now)
    overdue = [r for r in open_rows if r.due_by < now]
    # a few overdue, since the last close only (never days of backlog)
    assert 0 < len(overdue) <= LEFT_OVERDUE, [(r.id, r.due_by) for r in overdue]
    assert all(r.due_by >= closed for r in overdue)
    assert all(r.received_at <= now for r in open_rows)
    if HOURS.is_working_day(today):
        assert result["working_day"] and result["open_now"] and hours_line(result) is None
        new = [r for r in open_rows if now - r.received_at <= timedelta(hours=1)]
        due_today = [r for r in open_rows if now <= r.due_by <= _close(today)]
        assert new and due_today
        if now == FRIDAY:  # late afternoon: due within the hour ("soon" in the queue)
            assert any(r.due_by - now <= timedelta(hours=1) for r in due_today)
        later = [r for r in open_rows if r.due_by > _close(today)]
        assert later  # and some due on the next working days
        for r in open_rows:  # an open emergency arrived within RECENT
            if r.priority >= 2:
                assert now - r.received_at <= RECENT, (r.id, r.received_at)
    else:
        assert not result["working_day"] and not result["open_now"]
        line = hours_line(result) or ""
        nxt = HOURS.next_working_day(today)
        assert "not a working day" in line, line
        assert f"{nxt:%A} {nxt.day} {nxt:%B} at 08:00" in line, line
        # overdue: received on earlier working days, still open
        assert all(r.received_at < closed for r in overdue)
        rest = [r for r in open_rows if r.due_by >= now]
        assert len(rest) > 5
        assert all(r.received_at >= closed for r in rest), [(r.id, r.received_at) for r in rest]
        assert all(r.due_by >= _close(nxt) for r in rest)  # due on the next working days


DAY_WORD = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")


def test_dates_in_texts_move_with_their_items(built: Any) -> None:
    _, _, _, rows, _ = built

    checked = 0
    for r in rows:
        received = _aware(r.received_at).astimezone(LONDON).date()
        answers = r.answers or {}
        appointment = answers.get("appointment_date")
        if appointment:  # an appointment is never before the item arrived; its text agrees
            day = date.fromisoformat(appointment)
            assert day >= received, (r.id, day, received)
            found = [int(d) for d in DAY_WORD.findall(r.free_text)]
            assert found == [day.day], (r.id, r.free_text, day)
            weekday = f"{day:%a}".lower()
            assert re.search(rf"\b{weekday}", r.free_text.lower()), (r.id, r.free_text, day)
            checked += 1
        if "physio on the" in r.free_text:
            (n,) = DAY_WORD.findall(r.free_text)
            assert _next_day_numbered(received, int(n)) - received < timedelta(days=21)
            checked += 1
        if "for 6 weeks on" in r.free_text:  # a trip: after the item arrived, written as "2 Dec"
            m = re.search(r"on (\d{1,2}) ([A-Z][a-z]{2})", r.free_text)
            assert m, r.free_text
            trip = datetime.strptime(f"{m[1]} {m[2]} {received.year}", "%d %b %Y").date()
            if trip < received - timedelta(days=180):
                trip = trip.replace(year=trip.year + 1)
            assert trip >= received, (r.id, trip, received)
            checked += 1
        for key in ("test_date", "off_work_since", "referred_date"):  # past dates stay past
            if answers.get(key):
                assert date.fromisoformat(answers[key]) < received, (r.id, key, answers[key])
    assert checked >= 4


def _next_day_numbered(start: date, n: int) -> date:
    d = start
    while d.day != n:
        d += timedelta(days=1)
    return d


def test_a_rerun_adds_nothing_later(built: Any) -> None:
    """Built on Friday and again on Sunday: nothing new, nothing quarantined (the dates a later
    day would write differently are not written again), nothing completed again."""
    now, _, _, _, again = built
    if now != FRIDAY:
        pytest.skip("built again only from Friday's hub")
    assert again["new"] == 0 and again["quarantined"] == 0 and again["completed"] == 0
