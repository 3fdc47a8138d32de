"""The words of a refused event (issue 14): what it carried in a few words (an escalation
marked as one), one line of a list, and the whole event for the review screen. Built from a
``RejectedEvent`` alone; every value is data, shown as written (never markup).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from ehub_tui.ui.format import local, visible_text

if TYPE_CHECKING:
    from ehub_tui.domain.sync import RejectedEvent

KIND_WORDS = {
    "complete": "completion",
    "release": "return to the queue",
    "draft": "draft",
    "viewed": "first view",
}
# outcome fields first, in the order a reader wants them; the rest follow by name
FIRST_FIELDS = ("route", "destination", "category", "urgency", "override_reason", "message")


def when(at: datetime | None) -> str:
    """``Mon 23 Nov 10:05`` in UK local time ("—" when unknown)."""
    return local(at).strftime("%a %d %b %H:%M") if at is not None else "—"


def outcome_words(e: RejectedEvent) -> str:
    """What a refused event carried, in a few words: a completion's category and route, an
    escalation marked as one ("escalate · ‼ emergency": a red flag is never hidden); any other
    event's kind."""
    outcome = e.payload.get("outcome") if isinstance(e.payload, dict) else None
    if e.kind != "complete" or not isinstance(outcome, dict):
        return KIND_WORDS.get(e.kind, e.kind)
    category = str(outcome.get("category") or "completion")
    detail = outcome.get("detail")
    flags = detail.get("red_flags") if isinstance(detail, dict) else None
    levels = {
        str(f.get("level"))
        for f in (flags if isinstance(flags, list) else [])
        if isinstance(f, dict) and f.get("handled")
    }
    if category == "escalate":
        # an escalation is a red flag acted on: emergency unless its flag says otherwise
        urgent_only = levels and "emergency" not in levels
        return f"{category} · {'! urgent red flag' if urgent_only else '‼ emergency'}"
    words = f"{category} · {outcome.get('route') or '—'}"
    if levels:
        words += " · ‼ red flag" if "emergency" in levels else " · ! red flag"
    return words


def is_escalation(e: RejectedEvent) -> bool:
    """Did the refused event complete its item as an escalation?"""
    outcome = e.payload.get("outcome") if isinstance(e.payload, dict) else None
    return isinstance(outcome, dict) and outcome.get("category") == "escalate"


def refused_row(e: RejectedEvent) -> tuple[str, ...]:
    """One line of a list of refused events: item, what it carried, who, when, why."""
    return (
        f"#{e.item_id}",
        outcome_words(e),
        e.username,
        when(e.client_at),
        e.reason,
    )


def _value_lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    if isinstance(value, dict):
        out: list[str] = []
        keys = [k for k in FIRST_FIELDS if k in value] + sorted(
            k for k in value if k not in FIRST_FIELDS
        )
        for k in keys:
            v = value[k]
            label = str(k).replace("_", " ")
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{label}:")
                out.extend(_value_lines(v, indent + 1))
            else:
                out.append(f"{pad}{label}: {_scalar(v)}")
        return out
    if isinstance(value, list):
        out = []
        for v in value:
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}-")
                out.extend(_value_lines(v, indent + 1))
            else:
                out.append(f"{pad}- {_scalar(v)}")
        return out
    return [f"{pad}{_scalar(value)}"]


def _scalar(v: Any) -> str:
    if v is None or v == [] or v == {}:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def refused_detail(e: RejectedEvent) -> Text:
    """The whole refused event: what, whose, when, why, and everything it carried (the
    outcome field by field). Made visible: each value is shown as written."""
    head = Text()
    head.append(f"#{e.item_id} · {KIND_WORDS.get(e.kind, e.kind)} by {e.username}\n", "bold")
    head.append(f"Not applied: {e.reason}\n", "bold red")
    if e.kind == "complete":  # the outcome at a glance: an escalation is never hidden
        head.append(f"Outcome: {outcome_words(e)}\n", "bold red" if is_escalation(e) else "bold")
    head.append(f"code {e.code} · saved {when(e.client_at)} · refused {when(e.rejected_at)}\n")
    head.append(f"device {e.device_id} · event {e.event_id}\n", "dim")
    if e.resolved_at is not None:
        head.append(
            f"Resolved {when(e.resolved_at)} by {e.resolved_by or '—'}: {e.resolution or ''}\n",
            "green",
        )
    head.append("\n")
    payload = dict(e.payload)
    outcome = payload.pop("outcome", None)
    if isinstance(outcome, dict):
        head.append("The outcome as it was saved\n", "bold underline")
        head.append("\n".join(_value_lines(outcome, 1)) + "\n")
    if payload:
        head.append("\nWhat else it carried\n", "bold underline")
        head.append("\n".join(_value_lines(payload, 1)) + "\n")
    out = visible_text(head)  # hub and navigator text: its controls shown, never obeyed
    return out
