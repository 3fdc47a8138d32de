"""The need search: meets the share, keeps up with the work, and is locally minimal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ehub_tui.capacity.need import NeedNotMet, Scenario, build_scenario, search_need, share_met
from ehub_tui.capacity.synth import generate_history, hourly_rates
from ehub_tui.capacity.work import HandlingModel
from ehub_tui.domain.capacity import HistoryHandling
from ehub_tui.domain.clock import LONDON, CoreHours

CORE = CoreHours()
SHARE = 0.97


def scenario(week_of: date, per_month: int = 2500, replications: int = 2) -> Scenario:
    history = generate_history(
        as_of=datetime(2026, 11, 25, 12, tzinfo=UTC), weeks=2, per_month=per_month, seed=5
    )
    return build_scenario(
        week_of=week_of,
        core=CORE,
        rates=hourly_rates(per_month),
        mix=[(a.request_type, a.priority) for a in history.arrivals],
        handling=HandlingModel.from_samples(history.handling),
        seed=11,
        replications=replications,
    )


def load(s: Scenario, rates: list[float], mean: float) -> list[float]:
    return [r * mean / 3600 if s.open_hours[h] else 0.0 for h, r in enumerate(rates)]


@pytest.fixture(scope="module")
def small() -> tuple[Scenario, list[int]]:
    s = scenario(date(2026, 11, 30))
    rates = hourly_rates(2500)
    return s, search_need(s, load(s, rates, 480.0), SHARE)


def test_need_meets_the_share_and_keeps_up(small) -> None:  # type: ignore[no-untyped-def]
    s, need = small
    staff = s.slots(need)
    assert share_met(s, staff) >= SHARE
    assert s.keeps_up(staff)
    assert s.meets(need, SHARE)
    open_hours = [h for h in range(168) if s.open_hours[h]]
    assert len(open_hours) == 5 * 11  # 08:00..18:00 (the 18:00 hour half open)
    assert all(need[h] >= 1 for h in open_hours)
    assert all(need[h] == 0 for h in range(168) if not s.open_hours[h])
    # the Monday morning peak needs more than a quiet Friday afternoon
    assert need[9] > need[4 * 24 + 17]


def test_one_fewer_in_any_open_hour_fails(small) -> None:  # type: ignore[no-untyped-def]
    s, need = small
    for h in range(168):
        if s.open_hours[h] and need[h] > 1:
            fewer = list(need)
            fewer[h] -= 1
            assert not s.meets(fewer, SHARE), f"hour {h} could drop to {fewer[h]}"


def test_same_seed_same_need(small) -> None:  # type: ignore[no-untyped-def]
    s, need = small
    again = scenario(date(2026, 11, 30))
    assert again.runs == s.runs
    assert search_need(again, load(again, hourly_rates(2500), 480.0), SHARE) == need


def test_planned_week_arrivals_only_are_measured(small) -> None:  # type: ignore[no-untyped-def]
    s, _ = small
    monday = datetime(2026, 11, 30, tzinfo=LONDON).timestamp() - s.origin.timestamp()
    for run in s.runs:
        assert run.times == sorted(run.times)
        assert run.times[run.first_measured - 1] < monday <= run.times[run.first_measured]
        assert run.times[run.end_measured - 1] < monday + 7 * 86400 <= run.times[run.end_measured]
        # due times: never before arrival; urgent and emergency items are due sooner
        assert all(d > t for t, d in zip(run.times, run.due, strict=True))


def test_bank_holiday_is_closed_but_staffed_in_the_warm_up_week() -> None:
    # week of Monday 21 December 2026: Friday 25 is Christmas Day; the warm-up week's Friday
    # (18 December) is a working day, staffed with the planned week's Thursday hours
    s = scenario(date(2026, 12, 21), per_month=600, replications=1)
    friday = 4 * 24
    assert not any(s.open_hours[friday : friday + 24])
    need = [0] * 168
    for h in range(168):
        if s.open_hours[h]:
            need[h] = 1 + h // 24  # Monday 1 .. Thursday 4
    staff = s.slots(need)
    warm_friday_9 = (friday + 9) * 2  # half-hour slots from the warm-up Monday (GMT all along)
    planned_friday_9 = warm_friday_9 + 7 * 48
    assert staff[warm_friday_9] == 4
    assert staff[planned_friday_9] == 0


def test_work_beyond_any_staffing_is_said_plainly() -> None:
    # every item takes 100 hours, longer than any due time allows: no staffing meets the share
    s = build_scenario(
        week_of=date(2026, 11, 30),
        core=CORE,
        rates=hourly_rates(2500),
        mix=[("clinical", 0)],
        handling=HandlingModel.from_samples(
            [
                HistoryHandling(
                    request_type="clinical", category="clinical", priority=0, seconds=360_000.0
                )
            ]
        ),
        seed=1,
        replications=1,
    )
    with pytest.raises(NeedNotMet, match=r"no staffing meets 97% .* 0\.00% would be met"):
        search_need(s, load(s, hourly_rates(2500), 360_000.0), SHARE)


def test_the_simulated_mix_keeps_the_historys_urgent_share() -> None:
    # urgent requests are drawn in the history's proportion (they are what same-day due times
    # and the queue's priority order act on)
    history = generate_history(
        as_of=datetime(2026, 11, 25, 12, tzinfo=UTC), weeks=2, per_month=2500, seed=5
    )
    urgent = sum(1 for a in history.arrivals if a.priority > 0) / len(history.arrivals)
    s = scenario(date(2026, 11, 30))
    drawn = [p for run in s.runs for p in run.priority]
    assert sum(1 for p in drawn if p > 0) / len(drawn) == pytest.approx(urgent, abs=0.02)
    assert {p for p in drawn} == {0, 1, 2}
