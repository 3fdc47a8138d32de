"""The capacity plan: from the hub's history to navigators needed per hour of a coming week.

``build_plan`` is pure (history in, ``CapacityPlan`` out; no I/O) and deterministic for a seed.
The steps, each a module of this package:

1. Demand (``demand``): arrivals per UK-local hour of week over the history's whole weeks, bank
   holidays and closures left out, by type and practice.
2. Forecast (``forecast``): the seasonal mean of the same hour over the last weeks, back-tested
   against "same hour last week" on the hub's own history and reported beside it.
3. Work (``work``): handling times resampled from the hub's own active seconds.
4. Need (``need``): the fewest navigators per open hour meeting the share, by simulating the
   queue with the real due-time rules; Erlang C beside it for the busiest hours.
5. Rota (``rota``, optional): the rota simulated on the same arrivals, compared hour by hour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from ehub_tui.capacity import need as needs
from ehub_tui.capacity.demand import HOURS_PER_WEEK, Window, demand_by, hour_of_week, weekly_rates
from ehub_tui.capacity.erlang import UnstableQueue, fewest_servers
from ehub_tui.capacity.forecast import Seasonal, backtest, seasonal_forecast
from ehub_tui.capacity.work import DEFAULT_SECONDS, HandlingModel
from ehub_tui.domain.capacity import (
    DEFAULT_SHARE,
    CapacityHistory,
    CapacityPlan,
    ForecastScore,
    HistoryArrival,
    HourPlan,
)
from ehub_tui.domain.clock import LONDON, CoreHours, local_midnight

if TYPE_CHECKING:
    from ehub_tui.capacity.rota import Rota

__all__ = ["build_plan", "next_monday"]

#: The seasonal method's weeks (fewer when the history is shorter).
SEASONAL_WEEKS = 6
#: Busiest open hours Erlang C is shown for.
ERLANG_HOURS = 5
NAIVE_METHOD = "same hour last week"

Report = Callable[[str, float], None]


def next_monday(at: datetime) -> date:
    """The Monday after ``at``'s UK-local day (always strictly after: a Monday gives the next)."""
    day = at.astimezone(LONDON).date()
    return day + timedelta(days=7 - day.weekday())


def _week_exposure(week_of: date) -> list[int]:
    """Real hours in each local hour of the week (0 or 2 at the clock changes, else 1)."""
    counts = [0] * HOURS_PER_WEEK
    hour, end = local_midnight(week_of), local_midnight(week_of + timedelta(weeks=1))
    while hour < end:
        counts[hour_of_week(hour)] += 1
        hour += timedelta(hours=1)
    return counts


def _per_week(arrivals: Sequence[tuple[datetime, str]], window: Window) -> dict[str, float]:
    """Mean arrivals per week by key: each hour's mean over the hours it was observed, summed."""
    return {
        key: sum(m for m in summary.means() if m is not None)
        for key, summary in sorted(demand_by(arrivals, window).items())
    }


def _hour_start(day: date, hour: int) -> datetime:
    # fold=0: the missing spring hour maps onto the next real one (a closed Sunday night hour)
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


def _erlang(
    arrivals: Sequence[float], open_hours: Sequence[bool], mean: float, share: float
) -> tuple[dict[int, int], list[str]]:
    busiest = sorted(
        (h for h in range(HOURS_PER_WEEK) if open_hours[h] and arrivals[h] > 0),
        key=lambda h: (-arrivals[h], h),
    )[:ERLANG_HOURS]
    out: dict[int, int] = {}
    troubles: list[str] = []
    for h in busiest:
        try:
            out[h] = fewest_servers(arrivals[h], 3600.0 / mean, 1.0, share)
        except (UnstableQueue, ValueError) as err:
            troubles.append(str(err))
    return out, troubles


def _from_first_arrival(window: Window, seen: Sequence[HistoryArrival], notes: list[str]) -> Window:
    """The window from when the hub went live: weeks before its first arrival are not weeks of
    no demand, and counting them as such would pull every forecast hour towards zero.

    Whole weeks before the first arrival's week are left out; within that week, the hours before
    it are unobserved when it came over a day after the week began (a hub that went live on the
    Thursday): a day with no request at all is not how a live hub looks, while a quiet night is.
    """
    if not seen:
        return window
    first_at = min(a.at for a in seen)
    week = (first_at.astimezone(LONDON).date() - window.first_monday).days // 7
    start = window.first_monday + timedelta(weeks=week)
    late = first_at - local_midnight(start) > timedelta(days=1)
    if week == 0 and not late:
        return window
    trimmed = Window(start, window.weeks - week, window.closures,
                     live_from=first_at if late else None)  # fmt: skip
    weeks = f"{trimmed.weeks} week{'s' if trimmed.weeks != 1 else ''}"
    since = first_at.astimezone(LONDON)
    notes.append(
        f"The hub's history starts on {since:%A} {since.day} {since:%B %Y}, with its first "
        f"request: {weeks} read from then"
        + (f", not the {window.weeks} asked for." if week else ".")
    )
    return trimmed


def _why_above(
    met: float,
    share: float,
    need: Sequence[int],
    open_hours: Sequence[bool],
    scenario: needs.Scenario,
    slots: Sequence[int],
) -> str:
    """Why the need meets more than the share asked for: what sets the numbers instead."""
    above = (
        f"The need meets the standard for {met:.1%} of requests, well above the {share:.0%} "
        "asked for: "
    )
    if all(n == 1 for n, o in zip(need, open_hours, strict=True) if o):
        return above + (
            "at this demand the one-navigator minimum in every open hour (not the share) sets "
            "the numbers."
        )
    # one navigator-hour more than the work would be slack: keeping up is what binds
    if scenario.navigator_hours(slots) * 3600 <= scenario.work_seconds + 3600 * 2:
        return above + "at this demand, keeping up with the week's work (not the share) sets it."
    return above + (
        "keeping up with the week's work and the one-navigator minimum in quiet hours set the "
        "numbers, not the share."
    )


def build_plan(
    history: CapacityHistory,
    *,
    rota: Rota | None = None,
    share: float = DEFAULT_SHARE,
    week_of: date | None = None,
    seed: int = 0,
    replications: int = 3,
    progress: Report | None = None,
) -> CapacityPlan:
    """Plan the week of ``week_of`` (default: the Monday after ``history.as_of``'s UK day).

    ``week_of`` may be any day of the week wanted: the plan is for its Monday-to-Sunday week.
    ``progress(stage, fraction)`` is told each stage and the overall fraction done (0..1).
    Raises ValueError in plain words for a share outside (0, 1) or no replications.
    """
    if not 0 < share < 1:
        raise ValueError(f"the share to meet must be between 0 and 1 (e.g. 0.95), not {share}")
    if replications < 1:
        raise ValueError(f"the plan needs at least one replication, not {replications}")

    def tell(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)

    tell("demand", 0.0)
    notes: list[str] = []
    closures = frozenset(history.closed_days)
    window = Window(history.first_monday, history.weeks, closures)
    core = CoreHours(start=history.core_start, end=history.core_end, extra_closed_days=closures)
    planned = week_of - timedelta(days=week_of.weekday()) if week_of else next_monday(history.as_of)
    seen = [a for a in history.arrivals if window.locate(a.at) is not None]
    window = _from_first_arrival(window, seen, notes)
    rates = weekly_rates((a.at for a in seen), window)

    tell("forecast", 0.05)
    k = min(SEASONAL_WEEKS, window.weeks)
    cfg = Seasonal(k=k)
    method = f"seasonal mean of the same hour over the last {k} weeks"
    ahead = max(1, (planned - window.end_monday).days // 7 + 1)
    forecast = seasonal_forecast(rates, cfg, horizon=ahead)[-1]
    scores: list[ForecastScore] = []
    if window.weeks > k:
        bt = backtest(rates, cfg)
        scores = [
            ForecastScore(method=method, mae=bt.seasonal.mae, wape=bt.seasonal.wape,
                          hours=bt.seasonal.hours, weeks=bt.weeks),
            ForecastScore(method=NAIVE_METHOD, mae=bt.naive.mae, wape=bt.naive.wape,
                          hours=bt.naive.hours, weeks=bt.weeks),
        ]  # fmt: skip
    else:
        notes.append(
            f"Only {window.weeks} week{'s' if window.weeks != 1 else ''} of history: the "
            f"forecast could not be back-tested (that needs at least {k + 1} weeks)."
        )
    unseen = sum(1 for v in forecast if v is None)
    if unseen:
        notes.append(
            f"{unseen} hour{'s' if unseen != 1 else ''} of the week never observed in the "
            "history (bank holidays or closures every week): forecast as no arrivals."
        )
    hour_rate = [v or 0.0 for v in forecast]
    exposure = _week_exposure(planned)
    arrivals = [r * e for r, e in zip(hour_rate, exposure, strict=True)]

    tell("handling", 0.1)
    model = HandlingModel.from_samples(history.handling)
    mean = model.mean_seconds()
    if model.defaulted:
        notes.append(
            "No handling times in the history: each item is assumed to take "
            f"{DEFAULT_SECONDS:.0f} seconds on average (exponential); the need is only as good "
            "as that guess."
        )

    scenario = needs.build_scenario(
        week_of=planned,
        core=core,
        rates=hour_rate,
        mix=[(a.request_type, a.priority) for a in seen],
        handling=model,
        seed=seed,
        replications=replications,
    )
    open_hours = scenario.open_hours
    days = [planned + timedelta(days=d) for d in range(7)]
    closed = [d for d in days if d.weekday() < 5 and not core.is_working_day(d)]
    if closed:
        notes.append(
            "The hub is closed on "
            + ", ".join(f"{d:%A} {d.day} {d:%B}" for d in closed)
            + ": no staff then; requests written that day are forecast at the usual rate for "
            "the hour of the week and wait for the next working day."
        )

    tell("need", 0.15)
    load = [a * mean / 3600.0 for a in arrivals]
    need = needs.search_need(scenario, load, share, lambda f: tell("need", 0.15 + 0.7 * f))
    need_slots = scenario.slots(need)
    need_met = needs.share_met(scenario, need_slots)
    if not seen:
        notes.append(
            "No requests in the history's weeks: the need is only the one-navigator minimum."
        )
    else:
        notes.append(
            "The need also covers the week's expected handling work "
            f"(about {scenario.work_seconds / 3600:.0f} navigator-hours): fewer could meet the "
            "standard for one week while the backlog grew week after week. These are hours on "
            "the queue; breaks, training and other duties come on top."
        )
    if seen and need_met - share > 0.02:
        notes.append(_why_above(need_met, share, need, open_hours, scenario, need_slots))
    notes.append(
        "Every open hour keeps at least one navigator (someone is there for urgent items and "
        "red flags), even when the queue alone would need none."
    )

    tell("erlang", 0.85)
    erlang, troubles = _erlang(arrivals, open_hours, mean, share)
    if erlang:
        notes.append(
            "Erlang C (shown for the busiest hours) treats each hour as its own steady queue "
            "and counts an item met only if started within the hour: the textbook check. Where "
            "the simulation needs fewer it is using the slack of the day; where it needs more, "
            "it is keeping up with the week's work and puts the extra where the demand peaks."
        )
    notes.extend(f"Erlang C could not be worked out for one hour: {t}" for t in troubles)

    rota_counts: list[int] | None = None
    rota_met: float | None = None
    rota_hours: int | None = None
    staff = need_slots
    if rota is not None:
        tell("rota", 0.9)
        on_duty = rota.staffing(core)
        base = scenario.origin
        staff = [on_duty(base + timedelta(seconds=k * needs.STEP)) for k in range(len(need_slots))]
        rota_met = needs.share_met(scenario, staff)
        rota_counts = rota.hour_counts(planned, core)
        rota_hours = round(rota.navigator_hours(planned, core))

    tell("outlook", 0.95)
    per_day = [sum(arrivals[d * 24 : d * 24 + 24]) for d in range(7)]
    outlook = needs.outlook(scenario, staff, per_day)
    hours = [
        HourPlan(
            start=_hour_start(days[h // 24], h % 24),
            day=days[h // 24],
            hour=h % 24,
            open=open_hours[h],
            arrivals=arrivals[h],
            need=need[h],
            erlang=erlang.get(h),
            rota=None if rota_counts is None else rota_counts[h],
        )
        for h in range(HOURS_PER_WEEK)
    ]
    typed = [(a.at, a.request_type) for a in seen]
    by_practice = [(a.at, a.practice_ods) for a in seen]
    by_type = _per_week(typed, window)
    plan = CapacityPlan(
        as_of=history.as_of,
        week_of=planned,
        history_first_monday=window.first_monday,
        history_weeks=window.weeks,
        excluded_days=window.excluded_days(),
        closed_days=closed,
        share=share,
        seed=seed,
        replications=replications,
        forecast_method=method,
        backtest=scores,
        arrivals_per_week=sum(by_type.values()),
        by_type=by_type,
        by_practice=_per_week(by_practice, window),
        urgent_share=sum(1 for a in seen if a.priority > 0) / len(seen) if seen else 0.0,
        handling=model.summaries(),
        hours=hours,
        need_hours=scenario.navigator_hours(need_slots),
        need_share_met=need_met,
        rota_name=None if rota is None else rota.name,
        rota_hours=rota_hours,
        rota_share_met=rota_met,
        under_hours=sum(1 for h in hours if h.open and h.rota is not None and h.rota < h.need),
        over_hours=sum(1 for h in hours if h.open and h.rota is not None and h.rota > h.need),
        days=outlook,
        notes=notes,
    )
    tell("done", 1.0)
    return plan
