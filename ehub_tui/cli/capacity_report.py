"""``ehub-tui capacity``'s plan printed for a hub lead: the history it learnt from, the forecast
and its back-test, handling times, the need as a grid of days by open hours (with a rota, each
cell "needed/on the rota" and under-staffed hours marked with a character, never by colour
alone), Erlang C beside the busiest hours, how each day would end, and the plan's notes.

Every table cell is a ``rich.text.Text``: request types, practice codes, a rota's name and the
notes come from data and are shown as written (``textsafe.literal``), never read as markup.
The tables fit 100 columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from ehub_tui.capacity.workbook import backtest_verdict
from ehub_tui.domain.capacity import CapacityPlan, HourPlan
from ehub_tui.domain.clock import LONDON
from ehub_tui.textsafe import literal

SHORT_MARK = "!"  # an under-staffed hour in the grid (explained in its legend)
CLOSED_MARK = "-"  # an hour outside core hours, or a day the hub is shut
MAX_LISTED = 8  # days listed by date before "and N more"
MAX_BUSIEST = 10  # rows of the busiest-hours table
WIDTH = 100  # the report's width: a terminal's if narrower, and a file's or a pipe's


def _day(day: date) -> str:
    return f"{day:%a %d %b}"


def _days(days: Sequence[date], none: str) -> str:
    """Days as "Mon 28 Dec, Fri 1 Jan and 3 more", or ``none``."""
    if not days:
        return none
    shown = ", ".join(_day(d) for d in sorted(days)[:MAX_LISTED])
    more = len(days) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def _pct(share: float) -> str:
    """0.95 as "95%", 0.961 as "96.1%"."""
    return f"{100 * share:.1f}".removesuffix(".0") + "%"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _table(*columns: tuple[str, JustifyMethod], wrap: int | None = None) -> Table:
    """A plain table (no box, bold headings): (heading, justify) per column; only column
    ``wrap`` (names from data, say) may wrap, never a figure. Its title is printed above it as
    a line of its own (:func:`_titled`): a table's title wraps to the table's width."""
    table = Table(box=None, show_edge=False, header_style="bold", pad_edge=False)
    for i, (heading, justify) in enumerate(columns):
        table.add_column(Text(heading), justify=justify, no_wrap=i != wrap)
    return table


def _titled(title: str | Text, table: Table) -> list[Text | Table]:
    return [Text.assemble(title, style="bold"), table]


def _counts(values: dict[str, float]) -> Text:
    """ "clinical 623, admin 311": the largest first; the names are data, shown as written."""
    text = Text()
    ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    for i, (name, n) in enumerate(ranked):
        if i:
            text.append(", ")
        text.append_text(literal(name))
        text.append(f" {n:,.0f}")
    return text if ranked else Text("none yet")


def heading(plan: CapacityPlan) -> list[Text]:
    """The title and what the plan was made from."""
    first = plan.history_first_monday
    last = first + timedelta(weeks=plan.history_weeks, days=-1)
    made = plan.as_of.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")
    lines = [
        Text(f"Capacity plan for the week of {plan.week_of:%a %d %b %Y}", style="bold"),
        Text(
            f"Made {made} (UK time) from {plan.history_weeks} week(s) of the hub's history, "
            f"{_day(first)} to {last:%a %d %b %Y}."
        ),
        Text(
            "Left out of the history (bank holidays and closures): "
            + _days(plan.excluded_days, "none")
            + "."
        ),
    ]
    if plan.closed_days:
        lines.append(Text(f"Closed in the planned week: {_days(plan.closed_days, 'none')}."))
    lines.append(
        Text(
            f"Target: {_pct(plan.share)} of requests handled within their response standard "
            "(urgent the same day, the rest by the end of the next working day); simulated "
            f"{plan.replications} time(s) with seed {plan.seed}."
        )
    )
    return lines


def forecast(plan: CapacityPlan) -> list[Text | Table]:
    """Arrivals a week, by type and practice, and the back-test against the naive method."""
    parts: list[Text | Table] = [
        Text("Forecast", style="bold underline"),
        Text.assemble(
            f"About {plan.arrivals_per_week:,.0f} requests in the week, {_pct(plan.urgent_share)} "
            "of them urgent or emergency (method: ",
            literal(plan.forecast_method),
            ").",
        ),
        Text.assemble("By type: ", _counts(plan.by_type), "."),
        Text.assemble("By practice: ", _counts(plan.by_practice), "."),
    ]
    if not plan.backtest or not plan.arrivals_per_week:
        parts.append(literal(backtest_verdict(plan.forecast_method, plan.backtest)))
        return parts
    table = _table(
        ("Method", "left"),
        ("Mean error", "right"),
        ("WAPE", "right"),
        ("Hours", "right"),
        ("Weeks", "right"),
        wrap=0,
    )
    for score in plan.backtest:
        table.add_row(
            literal(score.method),
            Text(f"{score.mae:.2f}"),
            Text(f"{100 * score.wape:.1f}%"),
            Text(f"{score.hours:,}"),
            Text(f"{score.weeks}"),
        )
    parts += _titled("Back-test on the hub's own history (requests an hour)", table)
    parts.append(literal(backtest_verdict(plan.forecast_method, plan.backtest)))
    return parts


def handling(plan: CapacityPlan) -> list[Text | Table]:
    """Handling time (active minutes) by request type and route category."""
    if not plan.handling:
        return [Text("Handling time: no recorded handling times yet (see the notes).")]
    table = _table(
        ("Type", "left"),
        ("Route", "left"),
        ("Items", "right"),
        ("Mean", "right"),
        ("Median", "right"),
        ("9 in 10 within", "right"),
        wrap=0,
    )
    for row in plan.handling:
        table.add_row(
            literal(row.request_type),
            literal(row.category),
            Text(f"{row.count:,}"),
            Text(_minutes(row.mean_seconds)),
            Text(_minutes(row.median_seconds)),
            Text(_minutes(row.p90_seconds)),
        )
    return _titled("Handling time (active time on screen)", table)


def open_hours(hours: Iterable[HourPlan]) -> list[int]:
    """The hours of day open on some day of the week (the grid's columns), 08..17 if none."""
    found = sorted({h.hour for h in hours if h.open})
    return found or list(range(8, 18))


def _cell(h: HourPlan | None, with_rota: bool) -> Text:
    if h is None or not h.open:
        return Text(CLOSED_MARK, style="dim")
    if not with_rota:
        return Text(str(h.need))
    text = Text(f"{h.need}/{h.rota if h.rota is not None else 0}")
    if h.short:
        text.append(SHORT_MARK)
        text.stylize("bold red")
    else:
        text.append(" ")
    return text


def need_grid(plan: CapacityPlan) -> list[Text | Table]:
    """The need as days by open hours; with a rota, "needed/on the rota" and a mark."""
    with_rota = plan.rota_name is not None
    columns = open_hours(plan.hours)
    by_day: dict[date, dict[int, HourPlan]] = {}
    for h in plan.hours:
        by_day.setdefault(h.day, {})[h.hour] = h
    title = "Navigators needed each hour" + (" / on the rota" if with_rota else "")
    table = _table(("Day", "left"), *((f"{c:02d}", "right") for c in columns))
    table.collapse_padding = True  # one space between hours: 12 hours of "12/10!" fit 100
    for day in sorted(by_day):
        row = by_day[day]
        label = Text(_day(day))
        if day in plan.closed_days:
            label.append(" shut", style="dim")
        table.add_row(label, *(_cell(row.get(c), with_rota) for c in columns))
    legend = (
        "Each cell: needed/on the rota, for the hour starting at the column's time (UK); "
        f'"{SHORT_MARK}" marks fewer on the rota than needed; "{CLOSED_MARK}" closed.'
        if with_rota
        else "Each cell: navigators needed for the hour starting at the column's time (UK); "
        f'"{CLOSED_MARK}" closed.'
    )
    return [*_titled(title, table), Text(legend, style="italic")]


def busiest(plan: CapacityPlan) -> list[Text | Table]:
    """The busiest hours Erlang C was worked out for, beside the simulation's need."""
    rows = sorted(
        (h for h in plan.hours if h.erlang is not None), key=lambda h: (-h.arrivals, h.start)
    )[:MAX_BUSIEST]
    if not rows:
        return []
    with_rota = plan.rota_name is not None
    cols: list[tuple[str, JustifyMethod]] = [
        ("Hour", "left"),
        ("Requests", "right"),
        ("Needed", "right"),
        ("Erlang C", "right"),
    ]
    if with_rota:
        cols.append(("On the rota", "right"))
    table = _table(*cols)
    for h in rows:
        cells = [
            Text(f"{_day(h.day)} {h.hour:02d}:00"),
            Text(f"{h.arrivals:.1f}"),
            Text(str(h.need)),
            Text(str(h.erlang)),
        ]
        if with_rota:
            mark = f" {SHORT_MARK}" if h.short else ""
            cells.append(Text(f"{h.rota if h.rota is not None else 0}{mark}"))
        table.add_row(*cells)
    return _titled("The busiest hours: the simulation's need beside Erlang C's", table)


def days(plan: CapacityPlan) -> list[Text | Table]:
    """How each day of the week would end (under the rota, else with the need staffed)."""
    if not plan.days:
        return []
    if plan.rota_name is not None:
        title = Text.assemble("How the week would run under the rota ", literal(plan.rota_name))
    else:
        title = Text("How the week would run with the need staffed")
    table = _table(
        ("Day", "left"),
        ("Requests", "right"),
        ("Completed", "right"),
        ("Waiting at close", "right"),
        ("Late", "right"),
    )
    for d in plan.days:
        label = Text(_day(d.day))
        if not d.working:
            label.append(" shut", style="dim")
        table.add_row(
            label,
            Text(f"{d.arrivals:.0f}"),
            Text(f"{d.completed:.0f}"),
            Text(f"{d.backlog_end:.0f}"),
            Text(f"{d.breaches:.0f}"),
        )
    return _titled(title, table)


def summary(plan: CapacityPlan) -> list[Text]:
    """Navigator-hours, share met, under- and over-staffed hours."""
    lines = [
        Text(
            f"Needed: {plan.need_hours:,} navigator-hours; staffed so, "
            f"{_pct(plan.need_share_met)} of requests would meet their standard "
            f"(target {_pct(plan.share)})."
        )
    ]
    if plan.rota_name is None:
        lines.append(
            Text(
                "No rota checked: give --rota FILE (or set capacity_rota_file) to compare one "
                "with the need."
            )
        )
        return lines
    met = "" if plan.rota_share_met is None else f"; {_pct(plan.rota_share_met)} would meet it"
    lines.append(
        Text.assemble(
            "Rota ",
            literal(plan.rota_name),
            f": {plan.rota_hours or 0:,} navigator-hours{met}. Under-staffed: "
            f"{plan.under_hours} open hour(s) (marked {SHORT_MARK}); over-staffed: "
            f"{plan.over_hours}.",
        )
    )
    return lines


def print_plan(plan: CapacityPlan, console: Console) -> None:
    """The whole plan, section by section, a blank line between them."""
    sections: list[Sequence[Text | Table]] = [
        heading(plan),
        forecast(plan),
        handling(plan),
        need_grid(plan),
        busiest(plan),
        days(plan),
        summary(plan),
    ]
    if plan.notes:
        notes: list[Text | Table] = [Text("Notes", style="bold underline")]
        sections.append(notes + [Text.assemble("• ", literal(n)) for n in plan.notes])
    if not console.is_terminal:  # a file or a pipe: the report's own width, not Rich's 80
        console = Console(file=console.file, width=WIDTH)
    width = min(console.width, WIDTH)
    for i, parts in enumerate(p for p in sections if p):
        if i:
            console.print()
        for part in parts:
            console.print(part, width=width)
