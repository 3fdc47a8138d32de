"""What the triage screen shows, as ``rich.text.Text``: the banner, the request with the words
behind each flag highlighted, and the guidance panel (flags, cautions, the question, the route
and the message). Pure functions of a ``TriageSession`` and the time: no widgets, no I/O.

Every text from the record (names, answers, free text) and from the SOPs goes through
``visible()``/``one_line()`` or is made visible by the caller: shown as written, never as markup
(Text, not a markup string) and never as terminal control (escape codes become ␛).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from ehub_tui.domain.flags import EMERGENCY, flag_mark
from ehub_tui.domain.nhs import format_nhs_number
from ehub_tui.triage import why_not
from ehub_tui.triage.guidance import GUIDANCE_UNAVAILABLE
from ehub_tui.ui.format import (
    age_sex,
    due_text,
    local,
    one_line,
    short_time,
    template_words,
    visible,
)
from ehub_tui.ui.screens.triage_words import REWORD_HINT
from ehub_tui.ui.widgets.outcome_panel import outcome_panel_text

if TYPE_CHECKING:
    from ehub_tui.domain.models import Consultation
    from ehub_tui.sop.decision import Decision
    from ehub_tui.triage.session import TriageSession

HELP_INTRO = (
    "Red flags come first: escalate (e, asks to confirm, then completes the "
    "item as an escalation), for an amber flag send to a same-day clinician (c), "
    "or dismiss with a reason (x) — only a dismissed flag lets the pathway's own "
    "route through. Each flag shows the words that raised it; cautions are words "
    "the patient wrote as absent, past or about someone else: read them yourself. "
    "When the text reads like another pathway, p takes it (p again goes back). "
    "Attributes stated in the text (pregnant…) count until you change them (a). "
    "Then answer "
    "the SOP's questions with the number keys (backspace goes back). The outcome panel "
    "shows the route, its team, urgency and mode of contact: u makes it more urgent "
    "(never less than the route or a red flag allows), t changes how the patient is "
    "contacted. Then enter "
    "accepts the suggested route and completes the item; o overrides it with a "
    "reason (type a few letters to filter the routes). n adds a note, m edits the "
    "message to the patient, r returns the item to the queue with a reason, escape "
    "leaves it in your Mine list with your draft kept for when you reopen it."
)

HELP_OFFLINE = (
    "\n\nYour draft is saved on this workstation a second after each change and sent to the "
    "hub then too (at most every few seconds, and when you leave the item), so a supervisor "
    "who hands the item on can send your draft with it. When the hub is not answering the "
    'line under the top bar says "offline": you can still finish this item; completing it '
    "saves the outcome on this workstation and it is sent when the hub is back. If the hub "
    "refuses it (the item was reassigned or returned to the queue meanwhile) the screen says "
    '"not applied": your outcome is kept, and v shows it with the hub\'s reason. Offline, an '
    "escalation reaches the supervisor only when the hub is back: phone or tell the duty "
    "clinician yourself at once. If your claim has ended by the hub's clock (Mine says "
    '"lease ended") completing asks first: the hub refuses the outcome if the item went back '
    "to the queue meanwhile."
)


def choice_words(value: object) -> str:
    """An SOP's answer value in words: ``not_sure`` → ``not sure`` (trial 15b showed the raw
    value among the answer options); ``True``/``False`` → ``yes``/``no``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")


def span_secs(seconds: float) -> str:
    """``3:07`` minutes and seconds."""
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def is_emergency(it: Consultation) -> bool:
    """The item's flag mark is an emergency (``domain.flags``: priority or a red flag found)."""
    levels = (
        None
        if it.screened_at is None
        else tuple(str(f.get("level", "")) for f in it.sop_flags or [])
    )
    return flag_mark(int(it.priority), levels, str(it.status)).level == EMERGENCY


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells, an ellipsis marking the cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)).rstrip() + "…" if width > 0 else ""


def initialled(given: str, family: str) -> str:
    """``Anastasia W. B. Featherstonehaugh``: the first given name, the others as initials
    (a long name keeps the family name in view before anything is cut)."""
    first, *others = given.split() or [""]
    return " ".join([first, *(f"{o[0]}." for o in others), family]).strip()


def _shares(name: str, short: str, practice: str, room: int) -> tuple[str, str]:
    """The name and practice cut to fit ``room`` cells together (trial 15d: three given names
    and a four-part family name pushed the item number and due time off the banner): first the
    other given names become initials (``short``), then the practice keeps about a third and
    the name the rest, whichever is short lending the other; a cut ends in an ellipsis."""
    if cell_len(name) + cell_len(practice) <= room:
        return name, practice
    name = short
    if cell_len(name) + cell_len(practice) <= room:
        return name, practice
    for_practice = min(cell_len(practice), max(10, room // 3))
    for_name = max(room - for_practice, 0)
    if cell_len(name) < for_name:
        for_name = cell_len(name)
        for_practice = room - for_name
    return clip(name, for_name), clip(practice, for_practice)


def banner_text(
    it: Consultation, now: datetime, practice: str, on_screen: float, width: int | None = None
) -> Text:
    """Who the patient is, their practice, the item and its time left (made visible by the
    caller). ``practice``: the practice's name; ``on_screen``: seconds the item was shown;
    ``width``: the banner's cells, when known — each line is cut to fit (a long name or practice
    with an ellipsis) so both lines always show, the item number and due time among them."""
    due, style = due_text(it.due_by, now)
    due_local = local(it.due_by)
    fmt = "%H:%M today" if due_local.date() == local(now).date() else "%a %d %b %H:%M"
    if is_emergency(it):
        # its due time follows core hours (the response standard): a Saturday's emergency
        # would read "1d 22h left" and look as if it could wait — and a later time beside
        # "now" contradicts it (trial 15b), so only a time already passed is named
        due_part = "due now: emergency — deal with it now"
        if due.startswith("-"):
            due_part += f" ({due[1:]} overdue)"
        style = "bold red"
    else:
        due_part = f"due {due_local.strftime(fmt)} ({due}"
        due_part += " overdue)" if due.startswith("-") else " left)"
    # the patient's name and practice as written: one line each, their controls visible
    name = one_line(f"{it.given_name} {it.family_name}".strip())
    practice = one_line(practice)
    nhs = f"· NHS {format_nhs_number(it.nhs_number)} · "
    age = f"{age_sex(it.date_of_birth, it.sex, local(now).date(), it.dob_precision)} · "
    item = f" #{it.id} · "
    spent = f"on screen {span_secs(on_screen)} · "
    if width is not None:
        room = width - cell_len(f"  {nhs}{age}")
        short = one_line(initialled(it.given_name or "", it.family_name or ""))
        name, practice = _shares(name, short, practice, max(room, 0))
        if cell_len(item + spent + due_part) > width:
            spent = ""  # the item and its due time matter more than the time on screen
        due_part = clip(due_part, width - cell_len(item + spent))
    text = Text()
    text.append(f" {name} ", "bold")
    text.append(nhs)
    text.append(f"{age}{practice}\n")
    text.append(item + spent)
    text.append(due_part, style or "")
    return text


def request_text(it: Consultation, decision: Decision | None, now: datetime) -> Text:
    """The request as the patient sent it: type, template, source, flags, answers, their words."""
    out = Text()
    out.append(
        one_line(f"{it.request_type.title()} request · {template_words(it.template)}") + "\n",
        "bold",
    )
    out.append(one_line(f"via {it.source} · received {short_time(it.received_at, now)}"))
    out.append("\n")
    if it.supplier_flags:
        out.append(
            one_line(f"Supplier flags: {', '.join(map(str, it.supplier_flags))}") + "\n",
            "bold yellow",
        )
    answers = it.answers or {}
    if answers:
        out.append("\nAnswers\n", "bold underline")
        for k, v in answers.items():
            shown = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
            out.append(one_line(f"  {k.replace('_', ' ')}: "), "dim")
            out.append(one_line(shown) + "\n")
    out.append("\nIn their words\n", "bold underline")
    out.append_text(highlighted(visible(it.free_text or "(nothing written)"), decision))
    return out


def highlighted(text: str, decision: Decision | None) -> Text:
    """The free text with the words behind every flag (red), caution (yellow), proposal
    (cyan) and stated attribute (magenta) highlighted."""
    result = Text(text)
    if decision is None:
        return result
    d = decision
    marks = [
        *((e, "bold white on red") for f in d.red_flags for e in f.evidence),
        *((e, "black on yellow") for c in d.cautions for e in c.evidence),
        *((e, "bold cyan underline") for e in (d.proposal.evidence if d.proposal else ())),
        *((e, "bold magenta underline") for e in d.stated.values()),
    ]
    for e, style in marks:
        if e.kind == "text" and e.start is not None and e.end is not None:
            result.stylize(style, e.start, e.end)
    flag_rules = {f"red_flags.{f.id}" for f in d.red_flags}
    phrases = {
        str(p)
        for t in d.trace
        if t.rule in flag_rules
        for step in t.steps
        if step[2] == "contains_any" and step[5]
        for p in step[3]
    }
    for phrase in phrases:
        words = [re.escape(w) for w in re.split(r"\W+", phrase) if w]
        if not words:
            continue
        pattern = re.compile(r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)", re.IGNORECASE)
        for m in pattern.finditer(text):
            result.stylize("bold white on red", m.start(), m.end())
    return result


def guidance_text(session: TriageSession) -> Text:
    """The guidance panel for the session's step (made visible by the caller: SOP text, the
    message with the patient's name in it, notes and reasons are shown as written)."""
    d = session.decision
    step = session.step
    draft = session.draft
    out = Text()
    if step == "nosop":
        # never the loader's words (file:line, YAML): the SOP author sees those on their screen
        out.append(f"{GUIDANCE_UNAVAILABLE}\n\n", "bold red")
        out.append(
            "Without tested SOPs nothing can be completed here: return the item to the queue (r).\n"
        )
        return out
    assert d is not None  # every step but nosop has a decision
    open_flags = session.open_flags
    if d.red_flags:
        out.append("RED FLAGS\n", "bold white on red")
        for f in d.red_flags:
            handled = draft.flags.get(f.id)
            mark = "→" if open_flags and f is open_flags[0] else " "
            colour = "bold red" if f.level == "emergency" else "bold yellow"
            level = "EMERGENCY" if f.level == "emergency" else "AMBER"
            out.append(f"{mark} {level} ", colour)
            out.append(f"{f.say}\n")
            out.append(f"    Action: {f.action}\n", "italic")
            for e in f.evidence[:3]:
                out.append(one_line(f"    raised by {e.describe()}") + "\n", "dim")
            if handled:
                out.append(f"    {handled[0]}: {handled[1]}\n", "dim")
        out.append("\n")
    if d.cautions:
        out.append("CAUTIONS (not flags: read the words yourself)\n", "bold yellow")
        for c in d.cautions:
            out.append(one_line(f"  {c.say}") + "\n", "yellow")
            for e in c.evidence[:2]:
                out.append(one_line(f"    {e.describe()}") + "\n", "dim")
        out.append("\n")
    if step == "flag":
        first = open_flags[0]
        out.append("Deal with the red flag first:\n", "bold")
        if first.level == "emergency":
            out.append("  e  escalate now (records an escalation the supervisor sees)\n")
        else:
            out.append("  c  same-day clinician (the minimum while this amber flag stands)\n")
            out.append("  e  escalate now instead\n")
        out.append("  x  dismiss, with a reason (only then does the pathway's route apply)\n")
        return out
    _pathway_and_answers(session, d, out)
    if step == "question" and d.next_question is not None:
        q = d.next_question
        out.append("Ask the patient (or read it from the request)\n", "bold underline")
        out.append(f"{q.text}\n\n", "bold")
        for i, a in enumerate(q.answers, start=1):
            out.append(f"  [{i}] ", "bold cyan")
            out.append(f"{choice_words(a)}\n")
        if d.route:
            out.append(f"\nSo far the route would be: {d.route.destination}\n", "dim")
        out.append("\nnumber keys answer · backspace goes back\n", "dim")
        return out
    _route(session, d, out)
    return out


def _pathway_and_answers(session: TriageSession, d: Decision, out: Text) -> None:
    """The proposed (or taken) pathway, the attributes stated in the text, the answers given."""
    draft = session.draft
    if d.proposal and not draft.pathway:
        p = d.proposal
        out.append(f"Reads like {p.label}", "bold cyan")
        out.append(f" — use the {template_words(p.template)} pathway? press p\n", "cyan")
        words = ", ".join(f'"{e.words}"' for e in p.evidence[:3])
        out.append(one_line(f"  the text says {words}") + "\n\n", "dim")
    elif draft.pathway:
        out.append(
            f"Pathway: {template_words(draft.pathway)} (from the text; p goes back)\n\n",
            "cyan",
        )
    if d.stated:
        out.append("Stated in text — confirm (a to change)\n", "bold magenta")
        for attr, e in d.stated.items():
            out.append(f"  {attr.replace('_', ' ')}: yes", "magenta")
            out.append(one_line(f'  "{e.words}"') + "\n", "dim")
        out.append("\n")
    if draft.order:
        out.append("Answers given\n", "bold underline")
        for qid in draft.order:
            out.append(f"  {qid.replace('_', ' ')}: {choice_words(draft.answers[qid])}\n")
        out.append("\n")


def _route(session: TriageSession, d: Decision, out: Text) -> None:
    """The route (suggested or overridden), why, the note and the message to the patient."""
    draft = session.draft
    route = session.chosen_route()
    out.append_text(outcome_panel_text(session))
    if route is not None and not draft.override:
        out.append(f"Because: {route.because}\n")
    if draft.override:
        out.append(f"Your reason: {draft.override[1]}\n", "yellow")
    else:
        reasons = why_not.sentences(session)  # plain sentences, never condition code
        if reasons:
            out.append("\nWhy not another route:\n", "dim")
            for sentence in reasons:
                out.append(f"  {sentence}\n", "dim")
    if draft.note:
        out.append(f"\nNote: {draft.note}\n", "italic")
    msg = session.message_text()
    if msg:
        out.append("\nMessage to the patient (m to edit):\n", "bold")
        out.append(msg + "\n", "italic")
    warning = session.message_warning()
    if warning:  # an edited message keeps its words when the outcome changes (trial 15d)
        out.append(f"⚠ {warning} {REWORD_HINT}\n", "bold")
    out.append(
        "\nenter accept & complete · u urgency · t contact · o override · n note · m message · "
        "r return\n",
        "dim",
    )
