"""The hub's priority as a red flag: an item a supervisor marked emergency (or urgent) is triaged
as if a red flag of that level stood, so the suggested route is never a plain one while it does.

Why a flag and not a rule in the SOPs: a supervisor's mark is not in the patient's words or
answers, so no SOP can see it; yet at triage it must be dealt with like the supplier's emergency
flag (escalated, or dismissed with a reason). The mark is read from the item's own ``priority``,
which every workstation's cached item carries, so offline triage sees it too. Who marked it and
why are shown when the item carries them (``priority_by`` / ``priority_reason``, optional).

No mark is raised where something else already governs at that level: the supplier's own flag
(its SOP rule routes the item) or a red flag the SOPs raised now (the prescreen raises an item
with an emergency red flag to priority emergency; that flag is the one to handle).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ehub_tui.sop.decision import RaisedFlag, SopRef

MARKED_EMERGENCY = "hub_marked_emergency"
MARKED_URGENT = "hub_marked_urgent"
MARK_IDS = frozenset({MARKED_EMERGENCY, MARKED_URGENT})
# the SOP a mark is shown as coming from when no routing SOP takes part
HUB_SOP = SopRef("hub-priority", "1", "")

_ACTION = {
    "emergency": "Tell the duty clinician now; call 999 if the patient is very unwell.",
    "urgent": "A clinician today (a same-day appointment at the least).",
}


def _level(consultation: Mapping[str, Any]) -> str | None:
    try:
        priority = int(consultation.get("priority") or 0)
    except (TypeError, ValueError):
        return None
    return "emergency" if priority >= 2 else "urgent" if priority == 1 else None


def _levels(found: Any) -> set[str]:
    """The levels in a stored list of flags (dicts with a ``level``) or of supplier flags."""
    out: set[str] = set()
    for f in found or ():
        level = f.get("level") if isinstance(f, Mapping) else f
        if isinstance(level, str):
            out.add(level.strip().lower())
    return out


def hub_mark(
    consultation: Mapping[str, Any], raised: Sequence[RaisedFlag], ref: SopRef | None = None
) -> RaisedFlag | None:
    """The flag the item's hub priority calls for, given the red flags the SOPs ``raised``
    (None when the priority is normal or something else already governs at its level)."""
    level = _level(consultation)
    if level is None:
        return None
    supplier = _levels(consultation.get("supplier_flags"))
    raised_levels = {f.level for f in raised}
    if level == "emergency" and ("emergency" in supplier or "emergency" in raised_levels):
        return None
    if level == "urgent" and (supplier & {"urgent", "emergency"} or raised_levels):
        return None
    by = str(consultation.get("priority_by") or "").strip()
    reason = str(consultation.get("priority_reason") or "").strip()
    if by or reason:
        who = f"Marked {level} by {by or 'a supervisor'}"
        say = f"{who}: {reason}" if reason else f"{who}."
    elif level in _levels(consultation.get("sop_flags")):
        # the prescreen found a flag of this level that the SOPs in use no longer raise
        say = f"The hub's red-flag screening marked this request {level}."
    else:
        say = f"Marked {level} by a supervisor on the hub (h shows who and why)."
    return RaisedFlag(
        MARKED_EMERGENCY if level == "emergency" else MARKED_URGENT,
        level,
        say,
        _ACTION[level],
        ref or HUB_SOP,
    )
