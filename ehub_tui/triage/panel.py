"""The outcome panel of a triage session: the chosen route's team, urgency and mode of contact.

The navigator may make the urgency MORE urgent than the route's (u), never less urgent than the
route allows nor less than a standing red flag demands (domain/contact.py), and choose the mode
of contact (t; the route's usual one to start with). What is recorded is checked again when the
outcome is built: a choice that the route no longer allows (the answers changed the suggestion,
or an override chose another route) falls back to the route's own, never below its limits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ehub_tui.domain import contact

if TYPE_CHECKING:
    from ehub_tui.triage.outcome import Closing


@dataclass(frozen=True)
class Panel:
    """What the outcome panel shows for the chosen route."""

    route: Any
    team: str
    urgency: str
    urgencies: list[str]  # the urgencies allowed, least urgent first
    contact: str
    contacts: list[str]
    snomed: str | None


def standing_levels(session: Any) -> list[str]:
    """The levels of the red flags that stand (raised, and not dismissed with a reason)."""
    dismissed = {fid for fid, (how, _) in session.draft.flags.items() if how == "dismissed"}
    return [f.level for f in session.red_flags if f.id not in dismissed]


def _code(route: Any) -> str | None:
    return getattr(route, "destination_code", None)


def panel(session: Any) -> Panel | None:
    """The panel for the chosen route (None when there is no route to show)."""
    route = session.chosen_route()
    if route is None:
        return None
    urgencies = contact.urgency_choices(route.urgency, standing_levels(session))
    chosen = session.draft.urgency
    urgency = chosen if chosen in urgencies else urgencies[0]
    modes: list[str] = list(contact.contact_choices(route.category))
    mode = session.draft.contact
    if mode not in modes:
        mode = contact.default_contact(route.category, _code(route))
    return Panel(
        route=route,
        team=contact.team_words(_code(route)),
        urgency=urgency,
        urgencies=urgencies,
        contact=mode,
        contacts=modes,
        snomed=route.snomed,
    )


def _next(values: list[str], current: str) -> str:
    i = values.index(current) if current in values else -1
    return values[(i + 1) % len(values)]


def urgency_fixed(session: Any) -> str | None:
    """Why the urgency cannot be changed, in a sentence (None: it can, or there is no route).

    A route whose own urgency is already the quickest slot it allows (Pharmacy First is
    today; an emergency flag is now) offers one urgency: quicker is another route or an
    escalation, never the same team sooner."""
    p = panel(session)
    if p is None or len(p.urgencies) > 1:
        return None
    now = p.urgency == "immediate"
    name = getattr(p.route, "destination", None) or "it"
    why = f"{name} is {contact.urgency_words(p.urgency)}" + (
        "" if now else ", the quickest it offers"
    )
    sooner = "nothing is quicker." if now else "for something quicker, choose another route (o)."
    return f"This route is already as urgent as it allows: {why}; {sooner}"


def cycle_urgency(session: Any, tell: Callable[[str], object] | None = None) -> str | None:
    """Make the outcome one step more urgent (after the most urgent allowed, back to the
    route's own); returns the urgency now set (None: no route, or it cannot change, when
    ``tell`` is given the reason in a sentence: the key never does nothing silently)."""
    p = panel(session)
    if p is None:
        return None
    if len(p.urgencies) == 1:
        why = urgency_fixed(session)
        if tell is not None and why is not None:
            tell(why)
        return None
    chosen = session.draft.urgency = _next(p.urgencies, p.urgency)
    return chosen


def cycle_contact(session: Any) -> str | None:
    """The next mode of contact the route allows; returns the one now set (None: no route)."""
    p = panel(session)
    if p is None:
        return None
    chosen = session.draft.contact = _next(p.contacts, p.contact)
    return chosen


def reset(session: Any) -> None:
    """Another route was chosen: its own urgency and usual contact again."""
    session.draft.urgency = None
    session.draft.contact = None


def finish(session: Any, closing: Closing) -> Closing:
    """``closing`` with the panel's team, urgency and contact: the navigator's choices when it
    completes the chosen route (checked against its limits once more), else the defaults of
    where it goes (an escalation or a same-day referral keeps its own urgency)."""
    p = panel(session)
    if p is not None and p.route.id == closing.route:
        return closing._replace(urgency=p.urgency, contact=p.contact, team=p.team)
    return closing._replace(
        contact=contact.default_contact(closing.category, closing.code),
        team=contact.team_words(closing.code),
    )
