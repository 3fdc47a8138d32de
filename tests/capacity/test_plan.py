"""build_plan: from a history to the week's hours, need, Erlang C, rota check and day outlook."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ehub_tui.capacity.erlang import fewest_servers
from ehub_tui.capacity.need import NeedNotMet
from ehub_tui.capacity.plan import build_plan, next_monday
from ehub_tui.capacity.rota import parse_rota
from ehub_tui.capacity.synth import generate_history
from ehub_tui.capacity.work import HandlingModel
from ehub_tui.domain.capacity import CapacityHistory, CapacityPlan
from ehub_tui.domain.clock import LONDON, local_midnight

AS_OF = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday; history 28 Sep - 22 Nov
WEEK = date(2026, 11, 30)


@pytest.fixture(scope="module")
def history() -> CapacityHistory:
    return generate_history(as_of=AS_OF, weeks=8, per_month=4500, seed=0)


@pytest.fixture(scope="module")
def plan(history: CapacityHistory) -> CapacityPlan:
    return build_plan(history)


def test_a_week_of_168_hours_with_sane_totals(history: CapacityHistory, plan: CapacityPlan) -> None:
    assert plan.week_of == WEEK
    assert len(plan.hours) == 168
    first = plan.hours[0]
    assert (first.day, first.hour) == (WEEK, 0)
    assert first.start == datetime(2026, 11, 30, 0, tzinfo=LONDON)
    assert [h.start for h in plan.hours] == [
        first.start + timedelta(hours=i) for i in range(168)
    ]  # no clock change this week
    weekly = sum(h.arrivals for h in plan.hours)
    assert weekly == pytest.approx(4500 * 12 / 52, rel=0.08)
    assert plan.arrivals_per_week == pytest.approx(weekly, rel=0.08)
    assert sum(plan.by_type.values()) == pytest.approx(plan.arrivals_per_week)
    assert set(plan.by_type) == {"clinical", "admin", "other"}
    assert len(plan.by_practice) == 4
    assert plan.urgent_share == pytest.approx(0.11, abs=0.02)
    open_hours = [h for h in plan.hours if h.open]
    assert len(open_hours) == 55  # Monday to Friday 08:00-18:30
    assert all(h.need >= 1 for h in open_hours)
    assert all(h.need == 0 for h in plan.hours if not h.open)
    assert plan.need_share_met >= plan.share == 0.95
    # the need covers the week's work: the forecast arrivals times the mean handling sample,
    # worked out here from the history, not by the code under test
    samples = [x.seconds for x in history.handling]
    work_hours = weekly * (sum(samples) / len(samples)) / 3600
    assert plan.need_hours >= 0.95 * work_hours
    monday_9 = plan.hours[9]
    assert monday_9.need == max(h.need for h in plan.hours)
    assert plan.handling[-1].request_type == plan.handling[-1].category == "all"
    assert plan.closed_days == [] and plan.excluded_days == []
    assert plan.rota_name is None and plan.rota_share_met is None and plan.under_hours == 0


def test_backtest_beside_the_naive_forecast(plan: CapacityPlan) -> None:
    seasonal, naive = plan.backtest
    assert seasonal.method == plan.forecast_method
    assert naive.method == "same hour last week"
    assert seasonal.weeks == naive.weeks == 2 and seasonal.hours == naive.hours == 336
    assert seasonal.mae < naive.mae


def test_erlang_for_the_five_busiest_open_hours(
    history: CapacityHistory, plan: CapacityPlan
) -> None:
    shown = [h for h in plan.hours if h.erlang is not None]
    assert len(shown) == 5
    busiest = sorted((h for h in plan.hours if h.open), key=lambda h: -h.arrivals)[:5]
    assert {h.start for h in shown} == {h.start for h in busiest}
    assert all(h.erlang is not None and h.erlang >= 1 for h in shown)
    assert any("Erlang C" in n for n in plan.notes)
    # in hours: arrivals an hour, services an hour, every item started within one hour
    mean = HandlingModel.from_samples(history.handling).mean_seconds()
    for h in shown:
        assert h.erlang == fewest_servers(h.arrivals, 3600.0 / mean, 1.0, plan.share)


def test_same_seed_same_plan(history: CapacityHistory, plan: CapacityPlan) -> None:
    assert build_plan(history) == plan
    other = build_plan(history, seed=1)
    assert other.days != plan.days


def test_default_week_is_strictly_after_as_of() -> None:
    assert next_monday(datetime(2026, 11, 30, 9, tzinfo=UTC)) == date(2026, 12, 7)
    # Sunday 23:30 UTC in summer is already Monday in London
    assert next_monday(datetime(2026, 6, 28, 23, 30, tzinfo=UTC)) == date(2026, 7, 6)
    assert next_monday(datetime(2026, 6, 28, 22, 30, tzinfo=UTC)) == date(2026, 6, 29)


def test_bank_holidays_in_the_planned_week(history: CapacityHistory) -> None:
    # Monday 28 December 2026 (Boxing Day's substitute) and Friday 1 January 2027
    plan = build_plan(history, week_of=date(2026, 12, 30))  # any day: its Monday is planned
    assert plan.week_of == date(2026, 12, 28)
    assert plan.closed_days == [date(2026, 12, 28), date(2027, 1, 1)]
    for day in plan.closed_days:
        hours = [h for h in plan.hours if h.day == day]
        assert len(hours) == 24
        assert not any(h.open or h.need or h.erlang for h in hours)
        assert sum(h.arrivals for h in hours) > 50  # patients still write
    monday, *_, friday, _, _ = plan.days
    assert not monday.working and not friday.working
    assert monday.completed == 0 and monday.backlog_end > 200
    assert any("closed on Monday 28 December, Friday 1 January" in n for n in plan.notes)
    assert plan.need_share_met >= 0.95


def test_clock_change_weeks_count_real_hours(history: CapacityHistory) -> None:
    sunday_1am = 6 * 24 + 1
    autumn = build_plan(history, week_of=date(2026, 10, 19), replications=1)  # 25 October
    spring = build_plan(history, week_of=date(2027, 3, 22), replications=1)  # 28 March
    plain = build_plan(history, week_of=date(2026, 11, 2), replications=1)
    assert autumn.hours[sunday_1am].arrivals == pytest.approx(2 * plain.hours[sunday_1am].arrivals)
    assert spring.hours[sunday_1am].arrivals == 0
    assert plain.hours[sunday_1am].arrivals > 0


ROTA = """\
name: Nobody on Monday
navigators:
{people}
"""


def test_a_rota_with_nobody_on_monday_carries_its_work_to_tuesday(
    history: CapacityHistory, plan: CapacityPlan
) -> None:
    people = "\n".join(f'  - name: N{i}\n    tue-fri: "08:00-18:30"' for i in range(4))
    rota = parse_rota(ROTA.format(people=people), "rota.yaml")
    checked = build_plan(history, rota=rota)
    assert checked.rota_name == "Nobody on Monday"
    assert checked.rota_hours == 4 * 4 * 10.5
    mon, tue = checked.days[:2]
    assert mon.completed == 0
    # Monday's arrivals (and the weekend's) are all still waiting at Monday's close
    assert mon.backlog_end > mon.arrivals
    assert mon.breaches > 0  # urgent items due on Monday
    assert tue.completed > tue.arrivals
    assert tue.backlog_end < mon.backlog_end
    # against the need's own outlook, Monday is worse
    assert plan.days[0].backlog_end < mon.backlog_end and plan.days[0].breaches < mon.breaches
    monday_open = [h for h in checked.hours if h.open and h.day == WEEK]
    assert all(h.rota == 0 and h.short == h.need for h in monday_open)
    assert checked.under_hours >= len(monday_open)
    assert checked.under_hours + checked.over_hours <= 55
    assert checked.rota_share_met is not None and checked.rota_share_met < plan.need_share_met


def test_little_history_and_no_handling_said_in_notes() -> None:
    short = generate_history(as_of=AS_OF, weeks=3, per_month=1500, seed=2)
    plan = build_plan(short.model_copy(update={"handling": []}), replications=1)
    assert plan.backtest == []
    assert plan.handling == []
    assert any("could not be back-tested" in n for n in plan.notes)
    assert any("No handling times" in n and "240 seconds" in n for n in plan.notes)
    assert len(plan.hours) == 168 and plan.need_share_met >= 0.95


def test_progress_and_bad_arguments(history: CapacityHistory) -> None:
    seen: list[tuple[str, float]] = []
    build_plan(history, replications=1, progress=lambda stage, f: seen.append((stage, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and seen[-1] == ("done", 1.0)
    assert {"demand", "forecast", "need", "outlook"} <= {s for s, _ in seen}
    with pytest.raises(ValueError, match="between 0 and 1"):
        build_plan(history, share=1.0)
    with pytest.raises(ValueError, match="replication"):
        build_plan(history, replications=0)


def test_weeks_before_the_hub_went_live_are_not_weeks_of_no_demand() -> None:
    # two weeks of real history inside an eight-week window: the six empty weeks before the
    # first arrival are left out, so the forecast is the live weeks' demand, not a quarter of it
    live = generate_history(as_of=AS_OF, weeks=2, per_month=4500, seed=0)
    asked = live.model_copy(update={"first_monday": live.first_monday - timedelta(weeks=6),
                                    "weeks": 8})  # fmt: skip
    plan = build_plan(asked)
    assert (plan.history_first_monday, plan.history_weeks) == (live.first_monday, 2)
    assert sum(h.arrivals for h in plan.hours) == pytest.approx(4500 * 12 / 52, rel=0.12)
    assert any("history starts on" in n and "2 weeks read from then, not the 8" in n
               for n in plan.notes)  # fmt: skip


def test_a_hub_live_from_a_thursday_is_not_quiet_on_the_days_before() -> None:
    # three weeks of history, the hub live only from Thursday of the first: Monday to Wednesday
    # of that week were not observed, so they do not pull Monday's forecast down
    full = generate_history(as_of=AS_OF, weeks=3, per_month=4500, seed=0)
    thursday = local_midnight(full.first_monday + timedelta(days=3))
    late = full.model_copy(
        update={
            "arrivals": [a for a in full.arrivals if a.at >= thursday],
            "handling": full.handling,
        }
    )
    whole, partial = build_plan(full), build_plan(late)
    monday = slice(0, 24)
    assert sum(h.arrivals for h in partial.hours[monday]) == pytest.approx(
        sum(h.arrivals for h in whole.hours[monday]), rel=0.15
    )
    assert partial.need_hours >= whole.need_hours * 0.9
    assert any("history starts on Thursday" in n for n in partial.notes)
    assert not any("history starts" in n for n in whole.notes)


def test_a_share_no_staffing_can_meet_is_refused_with_the_most_that_can(
    history: CapacityHistory,
) -> None:
    # some urgent requests arrive minutes before the close: 99.99% is out of reach, and the
    # refusal says how much is within it, which then plans
    with pytest.raises(NeedNotMet, match=r"no staffing meets 99\.99%") as caught:
        build_plan(history, share=0.9999)
    reachable = float(str(caught.value).rsplit("choose a share of ", 1)[1].split()[0])
    assert 0.95 < reachable < 0.9999
    assert build_plan(history, share=reachable).need_share_met >= reachable
