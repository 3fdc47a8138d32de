"""The queue simulation: matches Erlang C, carries work over closed days, uses the real clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from ehub_tui.capacity.erlang import mean_wait
from ehub_tui.capacity.sim import (
    Arrival,
    exponential_handling,
    poisson_arrivals,
    run_queue,
    simulate,
)
from ehub_tui.domain.clock import DEFAULT_CORE_HOURS, LONDON


def _fixed(seconds: float):  # type: ignore[no-untyped-def]
    return lambda rng, priority: seconds


def _weekday_staff(count: int, closed: set[int] | None = None):  # type: ignore[no-untyped-def]
    """``count`` on duty 08:00-18:00 London time on working days (not the weekdays in closed)."""

    def staff(at: datetime) -> int:
        local = at.astimezone(LONDON)
        if not DEFAULT_CORE_HOURS.is_working_day(local.date()):
            return 0
        if closed and local.weekday() in closed:
            return 0
        return count if 8 <= local.hour < 18 else 0

    return staff


def test_constant_rate_matches_erlang_c() -> None:
    # M/M/3 with λ = 20/h and 6-minute handling: a = 2, W_q = (4/9) / (30 - 20) h = 160 s.
    # Arrivals and handling use separate generators: one shared stream would correlate gaps with
    # handling times and shorten the waits.
    start = datetime(2025, 1, 6, tzinfo=UTC)
    arrivals = poisson_arrivals(random.Random("arrivals"), start, start + timedelta(days=150), 20)
    result = simulate(arrivals, exponential_handling(360), lambda at: 3, seed=7)
    expected = mean_wait(3, 20.0, 10.0) * 3600
    assert expected == pytest.approx(160.0)
    assert result.mean_wait_seconds == pytest.approx(expected, rel=0.10)


def test_zero_staff_day_carries_arrivals_to_next_working_day() -> None:
    # Monday 3 March 2025 has nobody on duty; its arrivals wait for Tuesday 08:00
    monday = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    arrivals = [Arrival(monday + timedelta(minutes=20 * k)) for k in range(12)]
    result = simulate(arrivals, _fixed(600), _weekday_staff(2, closed={0}))
    tuesday_open = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)  # GMT: London 08:00 is 08:00 UTC
    assert all(h.started is not None and h.started >= tuesday_open for h in result.items)
    assert result.items[0].started == tuesday_open
    # normal items are due by the end of the next working day (Tuesday 18:30): all met
    assert result.share_met == 1.0


def test_bank_holiday_respected_by_due_time() -> None:
    # Thursday 17 April 2025, 18:00 London (after the staff leave); Good Friday and Easter Monday
    # are bank holidays, so the next working day is Tuesday 22 April.
    arrived = datetime(2025, 4, 17, 18, 0, tzinfo=LONDON).astimezone(UTC)
    result = simulate(
        [(arrived, 0), (arrived, 1)], _fixed(300), _weekday_staff(1), core_hours=DEFAULT_CORE_HOURS
    )
    normal, urgent = result.items
    tuesday_close = datetime(2025, 4, 22, 18, 30, tzinfo=LONDON)
    assert normal.due_by == tuesday_close
    assert urgent.due_by == datetime(2025, 4, 17, 18, 30, tzinfo=LONDON)
    # the urgent one is taken first, on Tuesday at 08:00, and has breached; the normal one met
    assert urgent.started == datetime(2025, 4, 22, 8, 0, tzinfo=LONDON)
    assert normal.started == urgent.started + timedelta(seconds=300)
    assert not urgent.met
    assert normal.met


def test_higher_priority_first_then_oldest() -> None:
    t0 = datetime(2025, 3, 4, 7, 0, tzinfo=UTC)  # before opening: all queue up
    arrivals = [(t0, 0), (t0 + timedelta(minutes=1), 2), (t0 + timedelta(minutes=2), 0)]
    result = simulate(arrivals, _fixed(60), _weekday_staff(1))
    starts = [h.started for h in result.items]
    assert starts[1] is not None and starts[0] is not None and starts[2] is not None
    assert starts[1] < starts[0] < starts[2]


def test_same_seed_same_result_and_nobody_ever_on_duty_ends() -> None:
    start = datetime(2025, 3, 3, tzinfo=UTC)
    arrivals = poisson_arrivals(random.Random(1), start, start + timedelta(days=7), 4)
    staff = _weekday_staff(1)
    first = simulate(arrivals, exponential_handling(900), staff, seed=3)
    assert first == simulate(arrivals, exponential_handling(900), staff, seed=3)
    assert first != simulate(arrivals, exponential_handling(900), staff, seed=4)
    nobody = simulate(arrivals, _fixed(60), lambda at: 0, horizon=timedelta(days=1))
    assert all(h.started is None and not h.met for h in nobody.items)


def test_half_hour_step_reads_staffing_at_half_past() -> None:
    # one navigator from 08:30 only: with a half-hour step the 08:00 arrival starts at 08:30;
    # re-read hourly the hour's first reading (08:00, nobody) holds until 09:00
    t0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)

    def staff(at: datetime) -> int:
        return 1 if at >= t0 + timedelta(minutes=30) else 0

    half = simulate([(t0, 0)], _fixed(60), staff, step=1800)
    hourly = simulate([(t0, 0)], _fixed(60), staff)
    assert half.items[0].started == t0 + timedelta(minutes=30)
    assert hourly.items[0].started == t0 + timedelta(hours=1)
    with pytest.raises(ValueError, match="step"):
        simulate([(t0, 0)], _fixed(60), staff, step=0)


def test_run_queue_counts_measured_items_met_and_stops_early() -> None:
    # five items at 0 s, each 600 s, one navigator: finishes at 600, 1200, ... 3000
    times = [0.0] * 5
    due = [1000.0, 1000.0, 2000.0, 5000.0, 5000.0]
    work = [600.0] * 5
    common = {"until": 10_000.0, "due": due}
    assert run_queue(times, [0] * 5, work.__getitem__, lambda k: 1, **common) == 4
    # the first two are warm-up, not counted
    assert run_queue(times, [0] * 5, work.__getitem__, lambda k: 1, first_measured=2, **common) == 3
    # an urgent one jumps the line (after the first, already started): the next two now miss
    assert run_queue(times, [0, 0, 0, 0, 2], work.__getitem__, lambda k: 1, **common) == 3
    assert run_queue(times, [0] * 5, work.__getitem__, lambda k: 1, max_misses=0, **common) == -1
    started: list[float | None] = [None] * 5
    run_queue(times, [0] * 5, work.__getitem__, lambda k: 2, started=started, **common)
    assert started == [0.0, 0.0, 600.0, 600.0, 1200.0]
