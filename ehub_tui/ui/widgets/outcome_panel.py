"""The triage screen's outcome panel, as ``rich.text.Text``: the chosen route, the team that acts,
the urgency and the mode of contact (each with the choices the route allows and the key that
changes it), its category and SNOMED code. A pure function of a ``TriageSession`` (no widget
state, no I/O); the screen shows it inside the guidance panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ehub_tui.domain.contact import contact_words, urgency_words
from ehub_tui.triage import panel

if TYPE_CHECKING:
    from ehub_tui.triage.session import TriageSession


def _choices(out: Text, values: list[str], current: str, words: dict[str, str]) -> None:
    """``[today] · 24 h · 48 h``: every choice, the current one bracketed and bold (never by
    colour alone)."""
    for i, v in enumerate(values):
        if i:
            out.append(" · ", "dim")
        if v == current:
            out.append(f"[{words[v]}]", "bold reverse")
        else:
            out.append(words[v], "dim")


def outcome_panel_text(session: TriageSession) -> Text:
    """The outcome panel for the session's chosen route (empty when there is none)."""
    out = Text()
    p = panel.panel(session)
    if p is None:
        return out
    overridden = session.draft.override is not None
    out.append("Route (overridden)\n" if overridden else "Suggested route\n", "bold underline")
    out.append(f"{p.route.destination}\n", "bold green")
    out.append("  Team     ", "dim")
    out.append(f"{p.team}\n")
    out.append("  Urgency  ", "dim")
    # most urgent last, as the key steps through them
    _choices(out, p.urgencies, p.urgency, {u: urgency_words(u) for u in p.urgencies})
    out.append("  (u)\n" if len(p.urgencies) > 1 else "\n", "dim")
    out.append("  Contact  ", "dim")
    _choices(out, p.contacts, p.contact, {c: contact_words(c) for c in p.contacts})
    out.append("  (t)\n", "dim")
    out.append("  Category ", "dim")
    out.append(p.route.category)
    out.append(f" · SNOMED {p.snomed}\n" if p.snomed else "\n")
    return out
