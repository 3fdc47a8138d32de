"""The typed ``Outcome`` a triage session ends in, built from its decision and draft.

Three ways to close an item, each a ``Closing`` (where it goes and, for a red flag, how the flag
was handled): accepting the chosen route, escalating an open red flag, or sending an amber flag
to a same-day clinician. ``build_outcome`` adds what every outcome records: every red flag
raised (handled or not), the answers, the SOPs and rules behind the decision, its trace, the
note, the message and the time on screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from ehub_tui.domain import destinations
from ehub_tui.domain.models import FlagHandling, Outcome, OutcomeDetail

if TYPE_CHECKING:
    from ehub_tui.sop.decision import Decision, RaisedFlag
    from ehub_tui.triage.draft import Draft, RouteLike


class Closing(NamedTuple):
    """Where an item goes when it is completed; ``handled``: flag id → (how, why) for a red
    flag this completion deals with (recorded only in the outcome it completes)."""

    category: str
    route: str
    destination: str
    urgency: str
    snomed: str | None
    code: str
    handled: Mapping[str, tuple[str, str]] = {}
    contact: str | None = None  # the outcome panel's mode of contact (triage/panel.py)
    team: str | None = None  # the team that acts, in words


def accepted(route: RouteLike) -> Closing:
    """Accepting ``route`` (the suggested one or the override)."""
    return Closing(
        category=route.category,
        route=route.id,
        destination=route.destination,
        urgency=route.urgency,
        snomed=route.snomed,
        # a version published before destination codes has none: returns count it as OTHER
        code=getattr(route, "destination_code", None) or destinations.OTHER,
    )


def _handled(
    how: str, flag: RaisedFlag, others: Sequence[RaisedFlag]
) -> dict[str, tuple[str, str]]:
    """Every open flag this completion deals with, each with its own action (trial 15d: the
    second amber flag of an item sent to a same-day clinician was recorded as never handled)."""
    return {f.id: (how, f.action) for f in (flag, *others)}


def escalation(flag: RaisedFlag, others: Sequence[RaisedFlag] = ()) -> Closing:
    """Escalating an open red flag now (to the duty clinician); ``others``: the other open
    flags, which an escalation deals with too."""
    return Closing(
        category="escalate",
        route=f"escalate_{flag.id}",
        destination=f"Duty clinician now: {flag.action}",
        urgency="immediate",
        snomed=None,
        code=destinations.ESCALATION,
        handled=_handled("escalated", flag, others),
    )


def same_day(flag: RaisedFlag, others: Sequence[RaisedFlag] = ()) -> Closing:
    """Sending an amber flag to a same-day clinician (the least it allows); ``others``: the
    other open amber flags, whose least it is too."""
    from ehub_tui.sop.engine import SAME_DAY_DESTINATION  # the SOP engine loads lazily

    return Closing(
        category="clinical",
        route=f"same_day_{flag.id}",
        destination=SAME_DAY_DESTINATION,
        urgency="same_day",
        snomed=None,
        code=destinations.SAME_DAY,
        handled=_handled("same_day", flag, others),
    )


def build_outcome(
    closing: Closing,
    decision: Decision | None,
    draft: Draft,
    *,
    message: str,
    first_viewed_at: datetime | None,
    handling_seconds: float,
) -> Outcome:
    """The outcome of closing an item as ``closing`` after ``decision`` with ``draft``."""
    d = decision
    red_flags = list(d.red_flags) if d else []
    flags = {**draft.flags, **closing.handled}
    sop = d.routing_sop if d else None
    detail = OutcomeDetail(
        answers=dict(draft.answers),
        red_flags=[
            FlagHandling(
                id=f.id,
                level=f.level,
                handled=flags.get(f.id, ("", ""))[0],
                reason=flags.get(f.id, ("", ""))[1],
            )
            for f in red_flags
        ],
        suggested_route=d.route.id if d and d.route else None,
        pathway_route=d.pathway_route.id if d and d.pathway_route else None,
        pathway=draft.pathway,
        proposal=d.proposal.template if d and d.proposal else None,
        stated={k: e.as_dict() for k, e in d.stated.items()} if d else {},
        cautions=[
            {"id": c.id, "say": c.say, "evidence": [e.as_dict() for e in c.evidence]}
            for c in (d.cautions if d else [])
        ],
        flag_evidence={f.id: [e.as_dict() for e in f.evidence] for f in red_flags},
        sops=[s.as_dict() for s in d.sops] if d else [],
        matched_rules=d.matched_rules if d else [],
        trace=[t.as_dict() for t in d.trace] if d else [],
    )
    return Outcome(
        category=closing.category,
        route=closing.route,
        destination=closing.destination,
        destination_code=closing.code,
        urgency=closing.urgency,
        snomed_code=closing.snomed,
        contact_mode=closing.contact,  # type: ignore[arg-type]  # checked by the model
        team=closing.team,
        sop_id=sop.id if sop else None,
        sop_version=sop.version if sop else None,
        sop_sha256=sop.sha256 if sop else None,
        engine_version=d.engine_version if d else None,
        override_reason=draft.override[1] if draft.override else None,
        note=draft.note or None,
        message=message or None,
        first_viewed_at=first_viewed_at,
        handling_seconds=handling_seconds,
        detail=detail,
    )
