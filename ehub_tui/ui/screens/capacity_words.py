"""What the Capacity view says beside its heat map, as ``rich`` text: the plan's status line,
demand and handling time, need against the rota, the day outlook, Erlang C beside the busiest
hours and the plan's notes. Pure functions of a ``CapacityPlan``: no widgets, no I/O.

Method names, practice codes, the rota's name and the notes are data: each goes on screen through
``ui.format.literal`` (a ``Text`` made visible), never as markup.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from rich.text import Text

from ehub_tui.ui.format import literal, local
from ehub_tui.ui.widgets.capacity_heatmap import MARK_OVER, MARK_UNDER

if TYPE_CHECKING:
    from ehub_tui.domain.capacity import CapacityPlan, ForecastScore, HourPlan

BUSIEST = 8  # hours listed beside Erlang C


def pct(share: float) -> str:
    """0.958 → ``95.8%``; 0.95 → ``95%``."""
    return f"{share * 100:.1f}".removesuffix(".0") + "%"


def minutes(seconds: float) -> str:
    """Active seconds as ``3m 40s`` (``45s`` under a minute)."""
    m, s = divmod(round(seconds), 60)
    return f"{m}m {s:02d}s" if m else f"{s}s"


def status_parts(plan: CapacityPlan) -> list[Text]:
    """The line under the top bar: which week, from which history, aiming at what."""
    end = plan.history_first_monday + timedelta(days=7 * plan.history_weeks - 1)
    parts = [
        Text(f"Week of {plan.week_of:%a} {plan.week_of.day} {plan.week_of:%b %Y}", style="bold"),
        Text(
            f"from {plan.history_weeks} weeks of history "
            f"({plan.history_first_monday:%a} {plan.history_first_monday.day} "
            f"{plan.history_first_monday:%b} – {end:%a} {end.day} {end:%b})"
        ),
        Text(f"target {pct(plan.share)} within the standard"),
    ]
    if plan.excluded_days:
        n = len(plan.excluded_days)
        parts.append(Text(f"{n} bank holiday or closure day{'s' * (n != 1)} left out"))
    as_of = local(plan.as_of)
    parts.append(Text(f"history as of {as_of:%a} {as_of.day} {as_of:%b %H:%M}", style="dim"))
    return parts


def _scores(plan: CapacityPlan) -> tuple[ForecastScore | None, ForecastScore | None]:
    """The forecast method's back-test score and the naive baseline's."""
    ours = next((s for s in plan.backtest if s.method == plan.forecast_method), None)
    if ours is None and plan.backtest:
        ours = plan.backtest[0]
    base = next((s for s in plan.backtest if s is not ours), None)
    return ours, base


def backtest_line(plan: CapacityPlan) -> Text:
    """The forecast's measured error, beside the simple guess's, in plain words."""
    ours, base = _scores(plan)
    if ours is None:
        return Text(
            "Too little history to try the forecast on past weeks: treat it with care.",
            style="italic",
        )
    t = Text(f"Forecast error {ours.mae:.1f} an hour", style="bold")
    if base is not None:
        t.append("; ")
        t.append_text(literal(base.method))
        t.append(f" {base.mae:.1f}")
        if ours.mae < base.mae:
            t.append(" — the forecast is better")
        else:
            t.append(" — the simple guess did as well: treat the forecast with care", "bold")
    t.append(
        f" (tried on the last {ours.weeks} week{'s' * (ours.weeks != 1)} of history; "
        f"off by {ours.wape:.0%} of the arrivals in all).\nMethod: "
    )
    t.append_text(literal(ours.method))
    t.append(".")
    return t


def _counts(label: str, counts: dict[str, float]) -> Text:
    """``label a · 12 · b · 3``, busiest first, each name (data) shown as written."""
    t = Text(label)
    for i, (name, n) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))):
        t.append(" · " if i else " ")
        t.append_text(literal(name))
        t.append(f" {n:,.0f}")
    return t


def demand_lines(plan: CapacityPlan) -> Text:
    """Arrivals forecast (by type and practice), the back-test and the handling times."""
    t = Text(f"Forecast {plan.arrivals_per_week:,.0f} arrivals in the week", style="bold")
    t.append(f" ({pct(plan.urgent_share)} urgent or emergency).\n")
    if plan.by_type:
        t.append_text(_counts("By type a week:", plan.by_type))
        t.append("\n")
    if plan.by_practice:
        t.append_text(_counts("By practice a week:", plan.by_practice))
        t.append("\n")
    t.append_text(backtest_line(plan))
    pooled = next(
        (h for h in plan.handling if h.request_type == "all" and h.category == "all"), None
    )
    if pooled is not None:
        t.append(
            f"\nHandling time (active work on a request, from {pooled.count:,} completed): "
            f"median {minutes(pooled.median_seconds)}, 9 in 10 within "
            f"{minutes(pooled.p90_seconds)}."
        )
    by_type = [h for h in plan.handling if h.category == "all" and h.request_type != "all"]
    if by_type:
        t.append("\nMedian by type:")
        for i, h in enumerate(by_type):
            t.append(" · " if i else " ")
            t.append_text(literal(h.request_type))
            t.append(f" {minutes(h.median_seconds)}")
    if pooled is None and not by_type:
        t.append("\nNo completed requests to learn handling time from: a default is used.")
    return t


def need_lines(plan: CapacityPlan) -> Text:
    """Navigator-hours and the share met, by the need and by the rota, and the hours marked."""
    t = Text("Need: ", style="bold")
    t.append(
        f"{plan.need_hours:,} navigator-hours in the week; with them "
        f"{pct(plan.need_share_met)} of requests meet the standard (target {pct(plan.share)})."
    )
    if plan.rota_name is None and plan.rota_hours is None:
        t.append(
            "\nNo rota to compare: name one in the capacity_rota_file setting to check it.",
            style="dim",
        )
        return t
    t.append("\nRota ", style="bold")
    t.append_text(literal(plan.rota_name or "(unnamed)", "bold"))
    t.append(": ", style="bold")
    hours = f"{plan.rota_hours:,}" if plan.rota_hours is not None else "?"
    met = pct(plan.rota_share_met) if plan.rota_share_met is not None else "?"
    t.append(f"{hours} navigator-hours; with it {met} meet the standard.")
    t.append(f"\n{plan.under_hours} open hour{'s' * (plan.under_hours != 1)} under-staffed ")
    t.append(MARK_UNDER, style="bold")
    t.append(f", {plan.over_hours} with more than needed ")
    t.append(MARK_OVER, style="bold")
    t.append(".")
    return t


DAY_HEAD = ("Day", "Arrivals", "Completed", "Waiting at close", "Breaches")


def days_table(plan: CapacityPlan) -> Text:
    """The day outlook as aligned columns (means over the simulation's runs)."""
    if not plan.days:
        return Text("No day outlook in this plan.", style="dim")
    widths = [18, *(len(h) + 2 for h in DAY_HEAD[1:])]  # "Wed 30 Dec closed" and a space
    t = Text(DAY_HEAD[0].ljust(widths[0]), style="bold")
    for head, w in zip(DAY_HEAD[1:], widths[1:], strict=True):
        t.append(head.rjust(w), style="bold")
    for d in plan.days:
        label = f"{d.day:%a} {d.day.day} {d.day:%b}" + ("" if d.working else " closed")
        t.append("\n" + label.ljust(widths[0]), style="" if d.working else "dim")
        figures = (f"{d.arrivals:,.0f}", f"{d.completed:,.0f}", f"{d.backlog_end:,.0f}")
        for text, w in zip(figures, widths[1:4], strict=True):
            t.append(text.rjust(w))
        breaches = (
            f"{d.breaches:,.0f}" if d.breaches >= 10 or d.breaches < 0.05 else f"{d.breaches:.1f}"
        )
        t.append(breaches.rjust(widths[4]), style="bold" if d.breaches >= 0.5 else "")
    return t


def _hour_label(h: HourPlan) -> str:
    return f"{h.day:%a} {h.day.day} {h.day:%b} {h.hour:02d}:00"


def erlang_lines(plan: CapacityPlan) -> Text:
    """The busiest hours: the simulation's need beside Erlang C's count (and the rota's)."""
    checked = [h for h in plan.hours if h.erlang is not None]
    if not checked:
        return Text("No busy hours to check against Erlang C.", style="dim")
    busiest = sorted(checked, key=lambda h: (-h.arrivals, h.start))[:BUSIEST]
    t = Text(
        "Erlang C is the textbook formula for a steady queue; the simulation also follows the "
        "real due times and carries work from hour to hour, so the two may differ.",
        style="dim",
    )
    for h in sorted(busiest, key=lambda h: h.start):
        t.append(f"\n{_hour_label(h):<17}{h.arrivals:>6.1f} arrivals   ")
        t.append(f"need {h.need:>2}   Erlang C {h.erlang:>2}")
        if h.rota is not None:
            t.append(f"   rota {h.rota:>2}")
            if h.short:
                t.append(f" {MARK_UNDER}", style="bold")
    return t


def notes_lines(plan: CapacityPlan) -> Text:
    """The plan's limits, one bullet each (the engine's words, shown as written)."""
    if not plan.notes:
        return Text("No notes.", style="dim")
    t = Text()
    for i, note in enumerate(plan.notes):
        if i:
            t.append("\n")
        t.append("• ")
        t.append_text(literal(note))
    return t
