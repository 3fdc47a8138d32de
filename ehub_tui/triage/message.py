"""The patient message of a triage session, rendered for where the outcome goes.

Every completion renders its message for the ``Closing`` it records (trial 15d, #203: an amber
flag closed with ``c`` recorded "Same-day clinician" while the message, rendered from the
pathway's route, told the patient "the care home team … on Monday"). So the message's
``{destination}``, ``{timescale}`` and safety net always come from the recorded destination,
urgency and category, whichever path completes the item:

- accepting the chosen route (the suggested one or an override): that route's own template;
- a same-day clinician for an amber flag (``c``): the SOPs' ``clinician_today`` message (what the
  engine's governed same-day route sends), else the chosen route's when it is a clinician's;
- an escalation (``e``): the chosen route's template when it is a clinician's or an escalation's
  (a governed emergency route has none: nothing is sent, as before).

A message the navigator EDITED is sent as written, so it cannot follow a later change. The
draft keeps what it was written for (``basis``: destination, urgency, the timescale's words);
``warning`` says in a sentence when the outcome now records something else (trial 15d: an
edited "by the end of Wednesday" went out with the urgency raised to 24 h).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ehub_tui.domain.contact import urgency_words
from ehub_tui.sop.messages import message_context, render_message

if TYPE_CHECKING:
    from ehub_tui.triage.outcome import Closing

CLINICIAN_TODAY = "clinician_today"  # the SOPs' same-day clinician message
_CLINICIANS = ("clinical", "escalate")  # route categories whose message a clinician closing fits


@dataclass(frozen=True)
class Target:
    """What a message is rendered for: its template (by name) and where the outcome goes."""

    template: str | None
    destination: str
    code: str | None
    category: str
    urgency: str


def target(session: Any, closing: Closing) -> Target:
    """The message's template and destination for completing as ``closing``."""
    route = session.chosen_route()
    if route is not None and route.id == closing.route:
        name = route.message  # the route the navigator accepts: its own words
    else:
        own = route.message if route is not None and route.category in _CLINICIANS else None
        same_day = bool(closing.handled) and closing.category != "escalate"
        name = (
            CLINICIAN_TODAY
            if same_day and session.guidance.message_template(CLINICIAN_TODAY)
            else own
        )
    return Target(name, closing.destination, closing.code, closing.category, closing.urgency)


def _template(session: Any, t: Target) -> str:
    return (session.guidance.message_template(t.template) or "") if t.template else ""


def context(session: Any, t: Target) -> dict[str, str]:
    """The placeholders' values for ``t`` on the hub's clock."""
    today = getattr(session.guidance, "today", None)
    now = getattr(session.guidance, "now", None)
    return message_context(
        session.item.model_dump(),
        destination=t.destination,
        destination_code=t.code,
        practice_name=session.practice_name(session.item.practice_ods),
        hub_phone=session.hub_phone,
        category=t.category,
        urgency=t.urgency,
        today=today() if callable(today) else None,
        pathway=session.draft.pathway,
        # the hub's time and core hours: "today" only while a working day's hours last
        now=now() if callable(now) else None,
        hours=getattr(session.guidance, "hours", None),
    )


def render(session: Any, closing: Closing) -> str:
    """The route's template filled in for ``closing`` ("" when it has none)."""
    t = target(session, closing)
    template = _template(session, t)
    return render_message(template, context(session, t)) if template else ""


def basis(session: Any, closing: Closing | None) -> dict[str, str] | None:
    """What a message edited now was written for: the destination in the patient's words, the
    urgency and the timescale's words (None: no route to write for)."""
    if closing is None:
        return None
    t = target(session, closing)
    ctx = context(session, t)
    return {"destination": ctx["destination"], "urgency": t.urgency, "timescale": ctx["timescale"]}


def warning(session: Any, closing: Closing | None) -> str | None:
    """Why the navigator's edited message may contradict what completing as ``closing``
    records, in plain sentences (None: not edited, or nothing changed since it was written)."""
    text = session.draft.message
    if text is None or closing is None:
        return None
    t = target(session, closing)
    template = _template(session, t)
    ctx = context(session, t)
    was = session.draft.message_basis
    said: list[str] = []
    dest, when = ctx["destination"], ctx["timescale"]

    def uses(name: str) -> bool:  # no template known: assume it names both
        return not template or f"{{{name}}}" in template

    if was is not None:
        old_dest, old_when = was.get("destination", ""), was.get("timescale", "")
        old_u = was.get("urgency", "")
        if uses("destination") and old_dest and old_dest != dest:
            said.append(
                f"Your edited message was written for {old_dest}; this completes to {dest} — "
                "check who it names."
            )
        if uses("timescale") and (old_u != t.urgency or old_when != when):
            says = f'says "{old_when}"' if old_when and old_when in text else "was written for"
            said.append(
                f"Your edited message {says} ({urgency_words(old_u)}); the urgency is now "
                f'{urgency_words(t.urgency)} ("{when}") — check the dates.'
            )
    else:  # a draft from before bases were kept: read the text itself
        if template and uses("timescale") and when.lower() not in text.lower():
            said.append(
                f'Your edited message does not say "{when}" (the urgency is '
                f"{urgency_words(t.urgency)}) — check the dates."
            )
        if template and uses("destination") and dest.lower() not in text.lower():
            said.append(f"Your edited message does not name {dest} — check who it names.")
    return " ".join(said) or None
