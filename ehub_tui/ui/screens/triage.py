"""Triage: red flags first, then the SOP's questions one at a time, then the suggested route.

The screen renders a ``TriageSession`` (ehub_tui/triage: the draft, the step, the outcome) and
dispatches keys to it; completing, returning, the heartbeat and the still-mine check run in thread
workers that post typed messages back. If the item is reassigned or the lease is lost, the screen
says so at once and keeps the draft.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Static

from ehub_tui.domain.nhs import format_nhs_number
from ehub_tui.domain.queue import describe_loss
from ehub_tui.triage.guidance import ServiceGuidance
from ehub_tui.triage.session import Draft, Step, TriageSession
from ehub_tui.ui.context import EhubScreen, UiContext
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
from ehub_tui.ui.messages import ClaimRenewed, ItemLost, NotSaved, Saved

if TYPE_CHECKING:
    from ehub_tui.domain.models import Consultation, Outcome
    from ehub_tui.service import Claim
    from ehub_tui.sop.engine import Decision, RaisedFlag


class TriageScreen(EhubScreen[None]):
    """Work one claimed consultation: renders a ``TriageSession`` and dispatches keys to it."""

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

    def __init__(
        self,
        claim: Claim,
        item: Consultation,
        draft: Draft | None = None,
        *,
        ctx: UiContext | None = None,
    ) -> None:
        super().__init__(ctx)
        self._made: tuple[Claim, Consultation, Draft | None] = (claim, item, draft)
        self._session: TriageSession | None = None

    @property
    def session(self) -> TriageSession:
        """The triage this screen shows (made from the context once the screen has one)."""
        if self._session is None:
            claim, item, draft = self._made
            self._session = TriageSession(
                claim,
                item,
                ServiceGuidance(self.ctx.service),
                draft=draft,
                practice_name=self.ctx.practice_name,
                hub_phone=self.ctx.settings.hub_phone,
                monotonic=self.ctx.monotonic,
            )
        return self._session

    # the session's state, by the names the screen has always had
    @property
    def claim(self) -> Claim:
        return self.session.claim  # type: ignore[return-value]

    @property
    def item(self) -> Consultation:
        return self.session.item

    @property
    def draft(self) -> Draft:
        return self.session.draft

    @property
    def decision(self) -> Decision | None:
        return self.session.decision

    @property
    def lost(self) -> str | None:
        return self.session.lost

    @property
    def busy(self) -> bool:
        return self.session.busy

    @property
    def finishing(self) -> bool:
        return self.session.finishing

    @property
    def first_viewed_at(self) -> datetime | None:
        return self.session.first_viewed_at

    @property
    def open_flags(self) -> list[RaisedFlag]:
        return self.session.open_flags

    @property
    def step(self) -> Step:
        return self.session.step

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(visible_text(self.ctx.title_line(), multiline=False), id="topbar")
        yield Static("", id="banner")
        yield Static("", id="lost")
        with Horizontal(id="triage"):
            with VerticalScroll(id="request"):
                yield Static("", id="request-body")
            with VerticalScroll(id="guidance"):
                yield Static("", id="guidance-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#lost").display = False
        self.session.start(self.ctx.now())
        self._decided()
        self._render_banner()
        self.ctx.practices_loaded.subscribe(self, lambda _: self._practices_changed())
        self.set_interval(1.0, self._render_banner)
        self.set_interval(self.ctx.poll_interval, self._check_still_mine)
        self.set_interval(self.ctx.heartbeat_interval, self._heartbeat)

    def _practices_changed(self) -> None:
        self._render_banner()
        self._render_guidance()  # the message names the practice

    def on_screen_suspend(self) -> None:
        self.session.hidden(self.ctx.now())

    def on_screen_resume(self) -> None:
        self.session.shown(self.ctx.now())

    def handling_seconds(self) -> float:
        """Seconds this item has been on screen (by the app's clock)."""
        return self.session.handling_seconds(self.ctx.now())

    # -- the decision ----------------------------------------------------------------------------

    def _decided(self) -> None:
        """The session decided again: show it."""
        self._render_guidance()
        self._render_request()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.session.allowed(action)

    # -- rendering -------------------------------------------------------------------------------

    def _render_banner(self) -> None:
        if self.session.decide_if_reloaded():  # the SOPs were reloaded: decided again
            self._decided()
        it = self.item
        now = self.ctx.now()
        name = f"{it.given_name} {it.family_name}".strip()
        practice = one_line(self.ctx.practice_name(it.practice_ods))
        due, style = due_text(it.due_by, now)
        due_local = local(it.due_by)
        fmt = "%H:%M today" if due_local.date() == local(now).date() else "%a %d %b %H:%M"
        due_part = f"due {due_local.strftime(fmt)} ({due}"
        due_part += " overdue)" if due.startswith("-") else " left)"
        name = one_line(name)  # the patient's name as written: one line, its controls visible
        text = Text()
        text.append(f" {name} ", "bold")
        text.append(f"· NHS {format_nhs_number(it.nhs_number)} · ")
        text.append(f"{age_sex(it.date_of_birth, it.sex, local(now).date())} · {practice}\n")
        text.append(f" #{it.id} · on screen {span_secs(self.handling_seconds())} · ")
        text.append(due_part, style or "")
        self.query_one("#banner", Static).update(visible_text(text))

    def _render_request(self) -> None:
        it = self.item
        now = self.ctx.now()
        out = Text()
        # every text from the record goes through visible(): shown as written, never as markup
        # (Text, not a markup string) and never as terminal control (escape codes become ␛)
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
        out.append_text(self._highlighted(visible(it.free_text or "(nothing written)")))
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
            problem = self.session.guidance.problem or "No SOPs are loaded."
            out.append("No SOP guidance is available\n\n", "bold red")
            out.append(
                problem + "\n\nWithout tested SOPs nothing can be completed here: "
                "return the item to the queue (r) and tell the hub lead.\n"
            )
            body.update(visible_text(out))
            return
        assert d is not None  # every step but nosop has a decision
        if d.red_flags:
            out.append("RED FLAGS\n", "bold white on red")
            for f in d.red_flags:
                handled = self.draft.flags.get(f.id)
                mark = "→" if self.open_flags and f is self.open_flags[0] else " "
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
        if step == "question" and d.next_question is not None:
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
        return self.session.all_routes()

    def chosen_route(self) -> Any:
        return self.session.chosen_route()

    def message_text(self) -> str:
        return self.session.message_text()

    # -- actions ---------------------------------------------------------------------------------

    def action_answer(self, n: int) -> None:
        if self.session.answer(n):
            self._decided()

    def action_back(self) -> None:
        if self.session.back():
            self._decided()

    def action_dismiss_flag(self) -> None:
        flags = self.open_flags
        if not flags:
            return
        flag = flags[0]
        from ehub_tui.ui.screens.dialogs import ReasonDialog

        def done(reason: str | None) -> None:
            if reason and self.session.allowed("dismiss_flag"):
                self.session.dismiss_flag(flag.id, reason)
                self._decided()

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

    def _escalate(self, flag: RaisedFlag) -> None:
        if not self._may_submit("escalate"):
            return
        outcome = self.session.escalate(flag, self.ctx.now())
        self._complete(outcome, f"Escalated #{self.claim.item_id}: {flag.say}")

    def action_same_day(self) -> None:
        """Amber flag: send to a same-day clinician (the least it allows), completing the item."""
        flags = self.open_flags
        if not flags or flags[0].level == "emergency" or self.busy or self.lost:
            return
        if self._just_resumed():
            return
        flag = flags[0]
        from ehub_tui.ui.screens.dialogs import ConfirmDialog

        def confirmed(ok: bool | None) -> None:
            if not ok or not self._may_submit("same_day"):
                return
            outcome = self.session.same_day(flag, self.ctx.now())
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
        if self.session.toggle_pathway():
            self._decided()

    def action_change_stated(self) -> None:
        """Change an attribute read from the text (pregnant, immunosuppressed…)."""
        d = self.decision
        if d is None or not d.stated:
            return
        from ehub_tui.ui.screens.dialogs import PickDialog

        def picked(choice: str | None) -> None:
            if choice:
                self.session.change_stated(choice)
                self._decided()

        self.app.push_screen(
            PickDialog("What the patient says", self.session.stated_options()), picked
        )

    def _just_resumed(self) -> bool:
        if self.session.keys.too_soon():
            notify(self, "Press the key again to go ahead.", timeout=2)
            return True
        return False

    def _may_submit(self, action: str) -> bool:
        """May a completion start now? (Not while one runs, nor once the item is lost, nor at
        a step that does not allow ``action``.)"""
        return not self.busy and not self.lost and self.session.allowed(action)

    def action_accept(self) -> None:
        if self.busy or self.lost or self._just_resumed():
            return
        if not self.session.allowed("accept"):
            return
        outcome = self.session.accept(self.ctx.now())
        if outcome is None:
            notify(self, "Choose a route first (o).", severity="warning")
            return
        self._complete(outcome, f"Completed #{self.claim.item_id} → {outcome.destination}")

    def action_override(self) -> None:
        from ehub_tui.ui.screens.dialogs import PickDialog, ReasonDialog

        options = self.session.route_options()
        if not options:
            notify(self, "No routes are loaded.", severity="error")
            return

        def picked(rid: str | None) -> None:
            if not rid:
                return

            def reasoned(reason: str | None) -> None:
                if reason and self.session.allowed("override"):
                    if self.session.override(rid, reason):
                        notify(self, "The patient message was reset for the new route.", timeout=5)
                    self._render_guidance()
                    self.refresh_bindings()

            self.app.push_screen(ReasonDialog("Why override the suggested route?"), reasoned)

        self.app.push_screen(PickDialog("Choose the route", options), picked)

    def action_note(self) -> None:
        from ehub_tui.ui.screens.dialogs import TextDialog

        def done(text: str | None) -> None:
            if text is not None:
                self.session.set_note(text)
                self._render_guidance()

        self.app.push_screen(TextDialog("Note for the record", self.draft.note), done)

    def action_message(self) -> None:
        from ehub_tui.ui.screens.dialogs import TextDialog

        def done(text: str | None) -> None:
            if text is not None:
                self.session.set_message(text)
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
        self.ctx.drafts[self.claim.item_id] = self.session.keep(self.ctx.now())

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

    # -- completing and returning ----------------------------------------------------------------

    def _complete(self, outcome: Outcome, done_text: str) -> None:
        # the busy flag is set HERE, on the UI thread, before the worker starts: a second key
        # press, however quick, finds the session busy (set inside the worker, a double press
        # slipped past it and a completion was lost)
        if not self.session.begin_submit():
            return
        self._complete_work(self.claim, outcome, done_text)

    @work(thread=True, group="complete")
    def _complete_work(self, claim: Claim, outcome: Outcome, done_text: str) -> None:
        from ehub_tui.service import LostClaim, StoreError

        try:
            self.ctx.service.complete(claim, outcome)
        except LostClaim as exc:
            self.post_message(ItemLost(str(exc), ours=True))
            return
        except StoreError as exc:
            self.post_message(NotSaved(f"Not saved: {exc}"))
            return
        self.post_message(Saved(done_text))

    def _release(self, reason: str) -> None:
        if not self.session.begin_submit():
            return
        self._release_work(self.claim, reason)

    @work(thread=True, group="complete")
    def _release_work(self, claim: Claim, reason: str) -> None:
        from ehub_tui.service import LostClaim, StoreError

        try:
            self.ctx.service.release(claim, reason)
        except LostClaim as exc:
            self.post_message(ItemLost(str(exc), ours=True))
            return
        except StoreError as exc:
            self.post_message(NotSaved(str(exc)))
            return
        self.post_message(Saved(f"#{claim.item_id} returned to the queue"))

    def on_saved(self, message: Saved) -> None:
        self.session.submitted()
        self.ctx.drafts.pop(self.claim.item_id, None)
        notify(self, message.text, timeout=4)
        self.dismiss(None)

    def on_not_saved(self, message: NotSaved) -> None:
        self.session.submit_failed()
        notify(self, message.problem, severity="error", timeout=10)

    def on_item_lost(self, message: ItemLost) -> None:
        self._set_lost(message.message, message.ours)

    def on_claim_renewed(self, message: ClaimRenewed) -> None:
        self.session.claim = message.claim

    # -- still mine? -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="still-mine")
    def _check_still_mine(self) -> None:
        if self.lost or self.finishing:
            return
        claim = self.claim
        service = self.ctx.service
        try:
            status, owner, epoch = service.item_state(claim.item_id)
        except Exception:  # the hub is unreachable: the heartbeat will tell
            return
        if (status, owner, epoch) != ("claimed", claim.owner, claim.epoch):
            message = describe_loss(claim.item_id, status, owner)
            try:
                last = service.audit_log(claim.item_id, limit=1)
                reason = last[0].body.get("reason") if last else None
            except Exception:
                reason = None
            if reason:
                message += f" Reason given: {reason}."
            self.post_message(ItemLost(message))

    @work(thread=True, exclusive=True, group="heartbeat")
    def _heartbeat(self) -> None:
        from ehub_tui.service import LostClaim, StoreError

        if self.lost:
            return
        try:
            claim = self.ctx.service.heartbeat(self.claim)
        except LostClaim as exc:
            self.post_message(ItemLost(str(exc)))
        except StoreError:
            pass
        else:
            self.post_message(ClaimRenewed(claim))

    def _set_lost(self, message: str, force: bool = False) -> None:
        if not self.session.mark_lost(message, force):
            return
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
