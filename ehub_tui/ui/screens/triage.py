"""Triage: red flags first, then the SOP's questions one at a time, then the suggested route.

The draft (answers, flag handling, override, note, message) lives here until it is completed;
if the item is reassigned or the lease is lost, the screen says so at once and keeps the draft.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ehub_tui.domain import destinations
from ehub_tui.domain.nhs import format_nhs_number
from ehub_tui.sop.messages import message_context, render_message
from ehub_tui.ui.format import (
    age_sex,
    due_text,
    literal,
    local,
    notify,
    one_line,
    short_time,
    span,
    template_words,
    visible,
    visible_text,
)

if TYPE_CHECKING:
    from ehub_tui.service import Claim
    from ehub_tui.ui.app import EhubApp


@dataclass
class Draft:
    """Everything the navigator has decided so far (kept while the app runs, and shown if the
    item is lost)."""

    answers: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # questions answered, in order (for back)
    flags: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # id → (escalated|dismissed|same_day, why)
    override: tuple[str, str] | None = None  # (route id, reason)
    pathway: str | None = None  # a pathway taken from the text's proposal (p)
    note: str = ""
    message: str | None = None
    first_viewed_at: datetime | None = None
    seconds: float = 0.0


class TriageScreen(Screen[None]):
    """Work one claimed consultation."""

    BINDINGS = [
        Binding("enter", "accept", "Accept & complete", id="accept"),
        Binding("e", "escalate", "Escalate flag", id="escalate"),
        Binding("x", "dismiss_flag", "Dismiss flag", id="dismiss"),
        Binding("c", "same_day", "Same-day clinician", id="same_day"),
        Binding("p", "pathway", "Use pathway", id="pathway"),
        Binding("a", "change_stated", "Change stated", id="stated"),
        Binding("backspace", "back", "Back", id="back"),
        Binding("o", "override", "Override route", id="override"),
        Binding("n", "note", "Note", id="note"),
        Binding("m", "message", "Message", id="message"),
        Binding("r", "release", "Return to queue", id="release"),
        Binding("escape", "leave", "Leave (keep)", id="leave"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        *[Binding(str(i), f"answer({i})", "", show=False) for i in range(1, 10)],
    ]

    def __init__(self, claim: Claim, item: dict[str, Any], draft: Draft | None = None) -> None:
        super().__init__()
        self.claim = claim
        self.item = item
        self.draft = draft or Draft()
        self.decision: Any = None
        self.lost: str | None = None
        self.busy = False
        self.first_viewed_at: datetime | None = None
        self._active_since: datetime | None = None
        self._active_seconds = 0.0

    @property
    def ehub(self) -> EhubApp:
        return self.app  # type: ignore[return-value]

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(visible_text(self.ehub.title_line(), multiline=False), id="topbar")
        yield Static("", id="banner")
        yield Static("", id="lost")
        with Horizontal(id="triage"):
            with VerticalScroll(id="request"):
                yield Static("", id="request-body")
            with VerticalScroll(id="guidance"):
                yield Static("", id="guidance-body")
        yield Footer()

    def on_mount(self) -> None:
        self.first_viewed_at = self.draft.first_viewed_at or self.ehub.now()
        self.draft.first_viewed_at = self.first_viewed_at
        self._active_seconds = self.draft.seconds
        self._active_since = self.ehub.now()
        self._resumed_at = 0.0
        self._resumes = 0
        self.finishing = False
        self._engine_seen = self.ehub.service.sops.engine
        self.query_one("#lost").display = False
        self._decide()
        self._render_request()
        self._render_banner()
        self.set_interval(1.0, self._render_banner)
        self.set_interval(self.ehub.poll_interval, self._check_still_mine)
        self.set_interval(self.ehub.heartbeat_interval, self._heartbeat)

    def on_screen_suspend(self) -> None:
        if self._active_since is not None:
            self._active_seconds += (self.ehub.now() - self._active_since).total_seconds()
            self._active_since = None

    def on_screen_resume(self) -> None:
        self._resumes += 1
        if self._resumes > 1:  # back from a dialog: the key that closed it must not act here
            self._resumed_at = time.monotonic()
        if self._active_since is None:
            self._active_since = self.ehub.now()

    def handling_seconds(self) -> float:
        """Seconds this item has been on screen (by the app's clock)."""
        extra = (
            (self.ehub.now() - self._active_since).total_seconds() if self._active_since else 0.0
        )
        return round(self._active_seconds + extra, 1)

    # -- the decision ----------------------------------------------------------------------------

    def _decide(self) -> None:
        dismissed = [fid for fid, (how, _) in self.draft.flags.items() if how == "dismissed"]
        self.decision = self.ehub.service.decide(
            self.item, self.draft.answers, dismissed=dismissed, pathway=self.draft.pathway
        )
        self._render_guidance()
        self._render_request()
        self.refresh_bindings()

    @property
    def open_flags(self) -> list[Any]:
        if self.decision is None:
            return []
        return [f for f in self.decision.red_flags if f.id not in self.draft.flags]

    @property
    def step(self) -> str:
        if self.decision is None:
            return "nosop"
        if self.open_flags:
            return "flag"
        if self.decision.next_question is not None:
            return "question"
        return "route"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        step = self.step
        if action in ("escalate", "dismiss_flag"):
            return step == "flag" and not self.lost
        if action == "same_day":
            flags = self.open_flags
            return step == "flag" and not self.lost and flags[0].level != "emergency"
        if action == "pathway":
            d = self.decision
            has = d is not None and (d.proposal is not None or self.draft.pathway is not None)
            return has and step in ("question", "route") and not self.lost
        if action == "change_stated":
            return bool(self.decision and self.decision.stated) and step != "flag"
        if action == "answer":
            return step == "question"
        if action == "back":
            return bool(self.draft.order) and step != "flag"
        if action in ("accept", "override"):
            return step in ("route", "nosop") and not self.lost
        return True

    # -- rendering -------------------------------------------------------------------------------

    def _render_banner(self) -> None:
        engine = self.ehub.service.sops.engine
        if engine is not self._engine_seen:  # the SOPs were reloaded: decide again
            self._engine_seen = engine
            self._decide()
        it = self.item
        now = self.ehub.now()
        name = f"{it.get('given_name', '')} {it.get('family_name', '')}".strip()
        practice = one_line(self.ehub.service.practice_name(it["practice_ods"]))
        due, style = due_text(it["due_by"], now)
        due_local = local(it["due_by"])
        fmt = "%H:%M today" if due_local.date() == local(now).date() else "%a %d %b %H:%M"
        due_part = f"due {due_local.strftime(fmt)} ({due}"
        due_part += " overdue)" if due.startswith("-") else " left)"
        name = one_line(name)  # the patient's name as written: one line, its controls visible
        text = Text()
        text.append(f" {name} ", "bold")
        text.append(f"· NHS {format_nhs_number(it['nhs_number'])} · ")
        text.append(f"{age_sex(it['date_of_birth'], it['sex'], local(now).date())} · {practice}\n")
        text.append(f" #{it['id']} · on screen {span_secs(self.handling_seconds())} · ")
        text.append(due_part, style or "")
        self.query_one("#banner", Static).update(visible_text(text))

    def _render_request(self) -> None:
        it = self.item
        now = self.ehub.now()
        out = Text()
        # every text from the record goes through visible(): shown as written, never as markup
        # (Text, not a markup string) and never as terminal control (escape codes become ␛)
        out.append(
            one_line(f"{it['request_type'].title()} request · {template_words(it['template'])}")
            + "\n",
            "bold",
        )
        out.append(one_line(f"via {it['source']} · received {short_time(it['received_at'], now)}"))
        out.append("\n")
        if it.get("supplier_flags"):
            out.append(
                one_line(f"Supplier flags: {', '.join(map(str, it['supplier_flags']))}") + "\n",
                "bold yellow",
            )
        answers = it.get("answers") or {}
        if answers:
            out.append("\nAnswers\n", "bold underline")
            for k, v in answers.items():
                shown = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
                out.append(one_line(f"  {k.replace('_', ' ')}: "), "dim")
                out.append(one_line(shown) + "\n")
        out.append("\nIn their words\n", "bold underline")
        out.append_text(self._highlighted(visible(it.get("free_text") or "(nothing written)")))
        self.query_one("#request-body", Static).update(out)

    def _highlighted(self, text: str) -> Text:
        """The free text with the words behind every flag (red), caution (yellow), proposal
        (cyan) and stated attribute (magenta) highlighted."""
        result = Text(text)
        if self.decision is None:
            return result
        d = self.decision
        marks = [
            *((e, "bold white on red") for f in d.red_flags for e in f.evidence),
            *((e, "black on yellow") for c in d.cautions for e in c.evidence),
            *((e, "bold cyan underline") for e in (d.proposal.evidence if d.proposal else ())),
            *((e, "bold magenta underline") for e in d.stated.values()),
        ]
        for e, style in marks:
            if e.kind == "text" and e.start is not None and e.end is not None:
                result.stylize(style, e.start, e.end)
        flag_rules = {f"red_flags.{f.id}" for f in self.decision.red_flags}
        phrases = {
            str(p)
            for t in self.decision.trace
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

    def _render_guidance(self) -> None:
        body = self.query_one("#guidance-body", Static)
        d = self.decision
        step = self.step
        out = Text()
        if step == "nosop":
            problem = self.ehub.service.sops.last_problem or "No SOPs are loaded."
            out.append("No SOP guidance is available\n\n", "bold red")
            out.append(
                problem + "\n\nWithout tested SOPs nothing can be completed here: "
                "return the item to the queue (r) and tell the hub lead.\n"
            )
            body.update(visible_text(out))
            return
        if d.red_flags:
            out.append("RED FLAGS\n", "bold white on red")
            for f in d.red_flags:
                handled = self.draft.flags.get(f.id)
                mark = "→" if f is (self.open_flags or [None])[0] else " "
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
            first = self.open_flags[0]
            out.append("Deal with the red flag first:\n", "bold")
            if first.level == "emergency":
                out.append("  e  escalate now (records an escalation the supervisor sees)\n")
            else:
                out.append("  c  same-day clinician (the minimum while this amber flag stands)\n")
                out.append("  e  escalate now instead\n")
            out.append("  x  dismiss, with a reason (only then does the pathway's route apply)\n")
            body.update(visible_text(out))
            return
        if d.proposal and not self.draft.pathway:
            p = d.proposal
            out.append(f"Reads like {p.label}", "bold cyan")
            out.append(f" — use the {template_words(p.template)} pathway? press p\n", "cyan")
            words = ", ".join(f'"{e.words}"' for e in p.evidence[:3])
            out.append(one_line(f"  the text says {words}") + "\n\n", "dim")
        elif self.draft.pathway:
            out.append(
                f"Pathway: {template_words(self.draft.pathway)} (from the text; p goes back)\n\n",
                "cyan",
            )
        if d.stated:
            out.append("Stated in text — confirm (a to change)\n", "bold magenta")
            for attr, e in d.stated.items():
                out.append(f"  {attr.replace('_', ' ')}: yes", "magenta")
                out.append(one_line(f'  "{e.words}"') + "\n", "dim")
            out.append("\n")
        if self.draft.order:
            out.append("Answers given\n", "bold underline")
            for qid in self.draft.order:
                out.append(f"  {qid.replace('_', ' ')}: {self.draft.answers[qid]}\n")
            out.append("\n")
        if step == "question":
            q = d.next_question
            out.append("Ask the patient (or read it from the request)\n", "bold underline")
            out.append(f"{q.text}\n\n", "bold")
            for i, a in enumerate(q.answers, start=1):
                out.append(f"  [{i}] ", "bold cyan")
                out.append(f"{a}\n")
            if d.route:
                out.append(f"\nSo far the route would be: {d.route.destination}\n", "dim")
            out.append("\nnumber keys answer · backspace goes back\n", "dim")
            body.update(visible_text(out))
            return
        route = self.chosen_route()
        if self.draft.override:
            out.append("Route (overridden)\n", "bold underline")
        else:
            out.append("Suggested route\n", "bold underline")
        if route is not None:
            out.append(f"{route.destination}\n", "bold green")
            out.append(f"{route.category} · {route.urgency.replace('_', ' ')}")
            out.append(f" · SNOMED {route.snomed}\n" if route.snomed else "\n")
            if not self.draft.override:
                out.append(f"Because: {route.because}\n")
        if self.draft.override:
            out.append(f"Your reason: {self.draft.override[1]}\n", "yellow")
        elif d.why_not:
            out.append("\nWhy not:\n", "dim")
            for w in d.why_not[:4]:
                out.append(f"  {w.route}: {'; '.join(w.failed)}\n", "dim")
        if self.draft.note:
            out.append(f"\nNote: {self.draft.note}\n", "italic")
        msg = self.message_text()
        if msg:
            out.append("\nMessage to the patient (m to edit):\n", "bold")
            out.append(msg + "\n", "italic")
        out.append(
            "\nenter accept & complete · o override · n note · m message · r return\n", "dim"
        )
        # SOP text, the message (with the patient's name in it), notes and reasons: all shown as
        # written, their control characters visible
        body.update(visible_text(out))

    # -- the route and message -------------------------------------------------------------------

    def all_routes(self) -> list[Any]:
        """Every route of every active SOP (for an override)."""
        lib = self.ehub.service.sops
        if lib.engine is None:
            return []
        return [r.spec for s in lib.engine.sops for r in s.routes]

    def chosen_route(self) -> Any:
        if self.draft.override:
            rid = self.draft.override[0]
            return next((r for r in self.all_routes() if r.id == rid), None)
        return self.decision.route if self.decision else None

    def message_text(self) -> str:
        if self.draft.message is not None:
            return self.draft.message
        route = self.chosen_route()
        if route is None or not route.message:
            return ""
        lib = self.ehub.service.sops
        template = (
            next(
                (
                    s.messages.get(route.message)
                    for s in lib.engine.sops
                    if route.message in s.messages
                ),
                None,
            )
            if lib.engine
            else None
        )
        if not template:
            return ""
        ctx = message_context(
            self.item,
            destination=route.destination,
            practice_name=self.ehub.service.practice_name(self.item["practice_ods"]),
            hub_phone=self.ehub.service.settings.hub_phone,
        )
        return render_message(template, ctx)

    # -- actions ---------------------------------------------------------------------------------

    def action_answer(self, n: int) -> None:
        q = self.decision.next_question if self.decision else None
        if q is None or n > len(q.answers):
            return
        self.draft.answers[q.id] = q.answers[n - 1]
        self.draft.order.append(q.id)
        self._decide()

    def action_back(self) -> None:
        if self.draft.order:
            qid = self.draft.order.pop()
            self.draft.answers.pop(qid, None)
            self._decide()

    def action_dismiss_flag(self) -> None:
        flags = self.open_flags
        if not flags:
            return
        flag = flags[0]
        from ehub_tui.ui.screens.dialogs import ReasonDialog

        def done(reason: str | None) -> None:
            if reason:
                self.draft.flags[flag.id] = ("dismissed", reason)
                self._decide()

        self.app.push_screen(
            ReasonDialog(f"Dismiss red flag: {flag.say}", "Why it is safe to dismiss"), done
        )

    def action_escalate(self) -> None:
        flags = self.open_flags
        if not flags or self.busy or self.lost or self._just_resumed():
            return
        flag = flags[0]
        from ehub_tui.ui.screens.dialogs import ConfirmDialog

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._escalate(flag)

        self.app.push_screen(
            ConfirmDialog(
                f"Escalate now: {flag.say}",
                f"Action: {flag.action}\n\nThis completes the item as an escalation that the "
                "supervisor sees. Do the action now.",
            ),
            confirmed,
        )

    def _escalate(self, flag: Any) -> None:
        self.draft.flags[flag.id] = ("escalated", flag.action)
        outcome = self._outcome(
            category="escalate",
            route=f"escalate_{flag.id}",
            destination=f"Duty clinician now: {flag.action}",
            urgency="immediate",
            snomed=None,
            code=destinations.ESCALATION,
        )
        self._complete(outcome, f"Escalated #{self.claim.item_id}: {flag.say}")

    def action_same_day(self) -> None:
        """Amber flag: send to a same-day clinician (the least it allows), completing the item."""
        flags = self.open_flags
        if not flags or flags[0].level == "emergency" or self.busy or self.lost:
            return
        if self._just_resumed():
            return
        flag = flags[0]
        from ehub_tui.sop.engine import SAME_DAY_DESTINATION
        from ehub_tui.ui.screens.dialogs import ConfirmDialog

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            self.draft.flags[flag.id] = ("same_day", flag.action)
            outcome = self._outcome(
                category="clinical",
                route=f"same_day_{flag.id}",
                destination=SAME_DAY_DESTINATION,
                urgency="same_day",
                snomed=None,
                code=destinations.SAME_DAY,
            )
            self._complete(outcome, f"#{self.claim.item_id} → same-day clinician: {flag.say}")

        self.app.push_screen(
            ConfirmDialog(
                f"Same-day clinician: {flag.say}",
                f"Action: {flag.action}\n\nThis completes the item as a same-day clinician "
                "referral (the least an amber flag allows).",
            ),
            confirmed,
        )

    def action_pathway(self) -> None:
        """Take the pathway the text describes (or go back to the template it came with)."""
        d = self.decision
        if self.draft.pathway:
            self.draft.pathway = None
        elif d is not None and d.proposal is not None:
            self.draft.pathway = d.proposal.template
        else:
            return
        self._decide()

    def action_change_stated(self) -> None:
        """Change an attribute read from the text (pregnant, immunosuppressed…)."""
        d = self.decision
        if d is None or not d.stated:
            return
        from ehub_tui.ui.screens.dialogs import PickDialog

        def picked(choice: str | None) -> None:
            if not choice:
                return
            attr, value = choice.split("=", 1)
            self.draft.answers[attr] = value
            self.draft.order.append(attr)
            self._decide()

        options = [
            (f"{attr}=no", f"{attr.replace('_', ' ')}: no (the text is wrong)") for attr in d.stated
        ] + [(f"{attr}=yes", f"{attr.replace('_', ' ')}: yes (confirmed)") for attr in d.stated]
        self.app.push_screen(PickDialog("What the patient says", options), picked)

    def _just_resumed(self) -> bool:
        if time.monotonic() - getattr(self, "_resumed_at", 0.0) < 0.4:
            notify(self, "Press the key again to go ahead.", timeout=2)
            return True
        return False

    def action_accept(self) -> None:
        if self.busy or self.lost or self._just_resumed():
            return
        route = self.chosen_route()
        if route is None:
            notify(self, "Choose a route first (o).", severity="warning")
            return
        outcome = self._outcome(
            category=route.category,
            route=route.id,
            destination=route.destination,
            urgency=route.urgency,
            snomed=route.snomed,
            # a version published before destination codes has none: returns count it as OTHER
            code=getattr(route, "destination_code", None) or destinations.OTHER,
        )
        self._complete(outcome, f"Completed #{self.claim.item_id} → {route.destination}")

    def action_override(self) -> None:
        from ehub_tui.ui.screens.dialogs import PickDialog, ReasonDialog

        routes = self.all_routes()
        if not routes:
            notify(self, "No routes are loaded.", severity="error")
            return
        options: list[tuple[str, str]] = []
        seen: set[tuple[str, str, str]] = set()
        for r in sorted(routes, key=lambda r: (r.category, r.destination, r.urgency)):
            key = (r.destination, r.category, r.urgency)
            if key in seen:
                continue
            seen.add(key)
            options.append(
                (r.id, f"{r.destination} · {r.category} · {r.urgency.replace('_', ' ')}")
            )

        def picked(rid: str | None) -> None:
            if not rid:
                return

            def reasoned(reason: str | None) -> None:
                if reason:
                    self.draft.override = (rid, reason)
                    if self.draft.message is not None:
                        notify(self, "The patient message was reset for the new route.", timeout=5)
                    self.draft.message = None
                    self._render_guidance()
                    self.refresh_bindings()

            self.app.push_screen(ReasonDialog("Why override the suggested route?"), reasoned)

        self.app.push_screen(PickDialog("Choose the route", options), picked)

    def action_note(self) -> None:
        from ehub_tui.ui.screens.dialogs import TextDialog

        def done(text: str | None) -> None:
            if text is not None:
                self.draft.note = text.strip()
                self._render_guidance()

        self.app.push_screen(TextDialog("Note for the record", self.draft.note), done)

    def action_message(self) -> None:
        from ehub_tui.ui.screens.dialogs import TextDialog

        def done(text: str | None) -> None:
            if text is not None:
                self.draft.message = text
                self._render_guidance()

        self.app.push_screen(TextDialog("Message to the patient", self.message_text()), done)

    def action_release(self) -> None:
        from ehub_tui.ui.screens.dialogs import ReasonDialog

        if self.lost:
            self.dismiss(None)
            return

        def done(reason: str | None) -> None:
            if reason:
                self._release(reason)

        self.app.push_screen(ReasonDialog("Return this item to the queue: why?"), done)

    def action_leave(self) -> None:
        self._keep_draft()
        notify(
            self, f"#{self.claim.item_id} stays yours (Mine tab); your draft is kept.", timeout=4
        )
        self.dismiss(None)

    def _keep_draft(self) -> None:
        self.draft.seconds = self.handling_seconds()
        self.ehub.drafts[self.claim.item_id] = self.draft

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Triage",
                extra=[("1-9", "answer the question shown"), ("tab", "move between panels")],
                intro="Red flags come first: escalate (e, asks to confirm, then completes the "
                "item as an escalation), for an amber flag send to a same-day clinician (c), "
                "or dismiss with a reason (x) — only a dismissed flag lets the pathway's own "
                "route through. Each flag shows the words that raised it; cautions are words "
                "the patient wrote as absent, past or about someone else: read them yourself. "
                "When the text reads like another pathway, p takes it (p again goes back). "
                "Attributes stated in the text (pregnant…) count until you change them (a). "
                "Then answer "
                "the SOP's questions with the number keys (backspace goes back). Then enter "
                "accepts the suggested route and completes the item; o overrides it with a "
                "reason. n adds a note, m edits the message to the patient, r returns the item "
                "to the queue with a reason, escape leaves it in your Mine list with your draft "
                "kept for when you reopen it.",
            )
        )

    # -- the outcome -----------------------------------------------------------------------------

    def _outcome(
        self,
        *,
        category: str,
        route: str,
        destination: str,
        urgency: str,
        snomed: str | None,
        code: str,
    ) -> dict[str, Any]:
        d = self.decision
        sop = d.routing_sop if d else None
        detail = {
            "answers": dict(self.draft.answers),
            "red_flags": [
                {
                    "id": f.id,
                    "level": f.level,
                    "handled": self.draft.flags.get(f.id, ("", ""))[0],
                    "reason": self.draft.flags.get(f.id, ("", ""))[1],
                }
                for f in (d.red_flags if d else [])
            ],
            "suggested_route": d.route.id if d and d.route else None,
            "pathway_route": d.pathway_route.id if d and d.pathway_route else None,
            "pathway": self.draft.pathway,
            "proposal": d.proposal.template if d and d.proposal else None,
            "stated": {k: e.as_dict() for k, e in d.stated.items()} if d else {},
            "cautions": [
                {"id": c.id, "say": c.say, "evidence": [e.as_dict() for e in c.evidence]}
                for c in (d.cautions if d else [])
            ],
            "flag_evidence": {
                f.id: [e.as_dict() for e in f.evidence] for f in (d.red_flags if d else [])
            },
            "sops": [s.as_dict() for s in d.sops] if d else [],
            "matched_rules": d.matched_rules if d else [],
            "trace": [t.as_dict() for t in d.trace] if d else [],
        }
        return {
            "category": category,
            "route": route,
            "destination": destination,
            "destination_code": code,
            "urgency": urgency,
            "snomed_code": snomed,
            "sop_id": sop.id if sop else None,
            "sop_version": sop.version if sop else None,
            "sop_sha256": sop.sha256 if sop else None,
            "engine_version": d.engine_version if d else None,
            "override_reason": self.draft.override[1] if self.draft.override else None,
            "note": self.draft.note or None,
            "message": self.message_text() or None,
            "first_viewed_at": self.first_viewed_at,
            "handling_seconds": self.handling_seconds(),
            "detail": detail,
        }

    def _complete(self, outcome: dict[str, Any], done_text: str) -> None:
        self.finishing = True  # our own completion must not look like a lost item
        self._complete_work(outcome, done_text)

    @work(thread=True, exclusive=True, group="complete")
    def _complete_work(self, outcome: dict[str, Any], done_text: str) -> None:
        from ehub_tui.service import LostClaim, StoreError

        self.busy = True
        try:
            self.ehub.service.complete(self.claim, outcome)
        except LostClaim as exc:
            self.app.call_from_thread(self._set_lost, str(exc), True)
            return
        except StoreError as exc:
            self.app.call_from_thread(
                notify, self, f"Not saved: {exc}", severity="error", timeout=10
            )
            return
        finally:
            self.busy = False
        self.app.call_from_thread(self._finished, done_text)

    def _release(self, reason: str) -> None:
        self.finishing = True
        self._release_work(reason)

    @work(thread=True, exclusive=True, group="complete")
    def _release_work(self, reason: str) -> None:
        from ehub_tui.service import LostClaim, StoreError

        try:
            self.ehub.service.release(self.claim, reason)
        except LostClaim as exc:
            self.app.call_from_thread(self._set_lost, str(exc), True)
            return
        except StoreError as exc:
            self.finishing = False
            self.app.call_from_thread(notify, self, str(exc), severity="error", timeout=10)
            return
        self.app.call_from_thread(self._finished, f"#{self.claim.item_id} returned to the queue")

    def _finished(self, text: str) -> None:
        self.ehub.drafts.pop(self.claim.item_id, None)
        notify(self, text, timeout=4)
        self.dismiss(None)

    # -- still mine? -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="still-mine")
    def _check_still_mine(self) -> None:
        if self.lost or self.finishing:
            return
        try:
            status, owner, epoch = self.ehub.service.item_state(self.claim.item_id)
        except Exception:  # the hub is unreachable: the heartbeat will tell
            return
        if (status, owner, epoch) != ("claimed", self.claim.owner, self.claim.epoch):
            from ehub_tui.store.queue import describe_loss

            message = describe_loss(self.claim.item_id, status, owner)
            try:
                last = self.ehub.service.audit_events(self.claim.item_id, limit=1)
                reason = last[0]["body"].get("reason") if last else None
            except Exception:
                reason = None
            if reason:
                message += f" Reason given: {reason}."
            self.app.call_from_thread(self._set_lost, message)

    @work(thread=True, exclusive=True, group="heartbeat")
    def _heartbeat(self) -> None:
        from ehub_tui.service import LostClaim, StoreError

        if self.lost:
            return
        try:
            self.claim = self.ehub.service.heartbeat(self.claim)
        except LostClaim as exc:
            self.app.call_from_thread(self._set_lost, str(exc))
        except StoreError:
            pass

    def _set_lost(self, message: str, force: bool = False) -> None:
        if self.lost or (self.finishing and not force):
            return
        self.lost = message
        banner = self.query_one("#lost", Static)
        banner.update(  # the message may quote a supervisor's reason: a Text, never markup
            literal(
                f" {message} It stays on this screen only: note anything you need, then "
                "press r or escape to go back to the queue. "
            )
        )
        banner.display = True
        notify(self, message, title="Item no longer yours", severity="error", timeout=15)
        self.refresh_bindings()


def span_secs(seconds: float) -> str:
    """``3:07`` minutes and seconds."""
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


__all__ = ["Draft", "TriageScreen", "span"]
