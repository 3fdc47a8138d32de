"""Small display helpers shared by the screens (UK local time, due times, ages, safe text)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ehub_tui.domain.clock import LONDON
from ehub_tui.domain.patient import age_on, age_years, is_approximate

# hub text is made safe in one place for the CLI and the screens alike (ehub_tui/textsafe.py);
# the screens import these names from here
from ehub_tui.textsafe import fit, literal, one_line, visible, visible_text

__all__ = [
    "DUE_NOW",
    "DUE_OVERDUE",
    "DUE_SOON",
    "age_sex",
    "age_years",
    "due_cell",
    "due_text",
    "fit",
    "literal",
    "local",
    "notify",
    "one_line",
    "short_time",
    "span",
    "template_words",
    "visible",
    "visible_text",
]


def local(dt: datetime) -> datetime:
    """UTC → UK local time."""
    return dt.astimezone(LONDON)


def short_time(dt: datetime, now: datetime) -> str:
    """``14:05`` today, ``Mon 14:05`` this week, else ``12 Nov``."""
    d, n = local(dt), local(now)
    if d.date() == n.date():
        return d.strftime("%H:%M")
    if (n.date() - d.date()).days < 7:
        return d.strftime("%a %H:%M")
    return d.strftime("%d %b")


def span(delta: timedelta) -> str:
    """A duration in the largest sensible units: ``2d 3h``, ``3h 05m``, ``12m``."""
    secs = int(abs(delta.total_seconds()))
    days, rem = divmod(secs, 86400)
    hours, rem = divmod(rem, 3600)
    mins = rem // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


def due_text(due: datetime, now: datetime) -> tuple[str, str]:
    """Time left to the response standard and a style: overdue red, under 1 h amber."""
    left = due - now
    if left.total_seconds() < 0:
        return f"-{span(left)}", "bold red"
    if left <= timedelta(hours=1):
        return span(left), "bold yellow"
    return span(left), ""


DUE_NOW = "now"
DUE_OVERDUE = "overdue"
DUE_SOON = "soon"
SOON = timedelta(hours=1)


def due_cell(due: datetime, now: datetime, emergency: bool = False) -> tuple[str, str]:
    """A due column's text and its kind (``DUE_NOW``, ``DUE_OVERDUE``, ``DUE_SOON`` or ""): the
    text says it without colour (``now`` for an emergency, ``-2h 05m`` overdue, ``soon 45m``
    within the hour, ``3h 10m``); the kind picks the theme's style.

    ``emergency``: the item's flag mark is an emergency (``domain.flags``). Its due time follows
    core hours (right for the response standard), so one received on a Saturday would read
    "1d 22h" and look as if it could wait: it says ``now`` instead."""
    if emergency:
        return "now", DUE_NOW
    left = due - now
    if left.total_seconds() < 0:
        return f"-{span(left)}", DUE_OVERDUE
    if left <= SOON:
        return f"soon {span(left)}", DUE_SOON
    return span(left), ""


def age_sex(dob: date, sex: str, today: date, precision: str | None = None) -> str:
    """``34F``, ``7mM`` for babies (ages as ``domain.patient`` counts them); ``≈47F`` when the
    supplier gave only the month or year of birth (the age counted from its first day)."""
    years, months = age_on(dob, today)
    s = {"male": "M", "female": "F", "other": "X"}.get(sex, "?")
    mark = "≈" if is_approximate(precision) else ""
    if years < 2:
        return f"{mark}{max(months, 0)}m{s}"
    return f"{mark}{years}{s}"


def template_words(template: str | None) -> str:
    """``sore_throat`` → ``sore throat``."""
    return (template or "—").replace("_", " ")


def notify(node: Any, message: str, *, title: str = "", **kwargs: Any) -> None:
    """A toast that may quote hub text (a name, a reason, an error from the hub): shown as
    written, never as markup (no ``[@click=…]`` actions, no ``[/b]`` crash), its control
    characters visible."""
    node.notify(visible(message), title=one_line(title), markup=False, **kwargs)
