"""Triage: red flags first, then the SOP's questions one at a time, then the suggested route.

The screen renders a ``TriageSession`` (ehub_tui/triage: the draft, the step, the outcome) and
dispatches keys to it. What it shows is built in ``triage_view``; the hub calls (completing,
returning, the heartbeat and the still-mine check) run in ``triage_work``'s thread workers,
which post typed messages back. If the item is reassigned or the lease is lost, the screen says
so at once and keeps the draft. If the hub refuses a completion this workstation saved (issue 14),
the screen says "not applied — v to review" with the hub's reason in the same banner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Static

from ehub_tui.triage import panel
from ehub_tui.triage.session import Draft
from ehub_tui.ui.format import literal, notify, span, visible_text
from ehub_tui.ui.messages import ItemLost
from ehub_tui.ui.screens.override import open_override
from ehub_tui.ui.screens.park import ParkingPanel
from ehub_tui.ui.screens.triage_edit import TriageEdits
from ehub_tui.ui.screens.triage_park import ParkActions, ReturnedPanel
from ehub_tui.ui.screens.triage_view import (
    banner_text,
    guidance_text,
    request_text,
    span_secs,
)
from ehub_tui.ui.screens.triage_words import REWORD_HINT, message_words
from ehub_tui.ui.screens.triage_work import TriageWork, lost_words, offline_words

if TYPE_CHECKING:
    from ehub_tui.sop.decision import RaisedFlag


class TriageScreen(ParkActions, TriageEdits, TriageWork):
    """Work one claimed consultation: renders a ``TriageSession`` and dispatches keys to it."""

    BINDINGS = [
        # esc and ? first: the footer cuts from the right, and at 80 columns they must stay
        Binding("escape", "leave", "Leave (keep)", id="leave"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        Binding("enter", "accept", "Accept", id="accept"),
        Binding("e", "escalate", "Escalate flag", id="escalate"),
        Binding("x", "dismiss_flag", "Dismiss flag", id="dismiss"),
        Binding("c", "same_day", "Same-day", id="same_day"),
        Binding("p", "pathway", "Use pathway", id="pathway"),
        Binding("a", "change_stated", "Change stated", id="stated"),
        Binding("backspace", "back", "Back", id="back"),
        Binding("o", "override", "Override", id="override"),
        # not in the footer (it keeps esc and ? at 80 columns): the panel shows (u) and (t)
        Binding("u", "urgency", "Urgency", id="urgency", show=False),
        Binding("t", "contact", "Contact", id="contact", show=False),
        Binding("n", "note", "Note", id="note"),
        Binding("m", "message", "Message", id="message"),
        Binding("r", "release", "Return", id="release"),
        Binding("w", "park", "Await patient", id="park", show=False),
        Binding("h", "history", "History", id="history", show=False),
        *[Binding(str(i), f"answer({i})", "", show=False) for i in range(1, 10)],
    ]

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(visible_text(self.ctx.title_line(), multiline=False), id="topbar")
        yield self.sync_line()
        yield Static("", id="banner")
        yield Static("", id="lost")
        yield ReturnedPanel(id="returned")
        yield ParkingPanel(id="parking")
        with Horizontal(id="triage"):
            with VerticalScroll(id="request"):
                yield Static("", id="request-body")
            with VerticalScroll(id="guidance"):
                yield Static("", id="guidance-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#lost").display = False
        self.session.start(self.ctx.now())
        self.mark_viewed()
        self._decided()
        self._render_banner()
        # a parked item that came back shows the question and reply; a returned one, why
        self.read_parking()
        self.ctx.practices_loaded.subscribe(self, lambda _: self._practices_changed())
        self.set_interval(1.0, self._render_banner)
        self.set_interval(self.ctx.poll_interval, self._check_still_mine)
        self.set_interval(self.ctx.heartbeat_interval, self._heartbeat)

    def _practices_changed(self) -> None:
        self._render_banner()
        self._render_guidance()  # the message names the practice

    def on_screen_suspend(self) -> None:
        self._covering = self.app.screen  # the dialog or view now on top (pushed already)
        self.session.hidden(self.ctx.now())

    def on_screen_resume(self) -> None:
        # the key that closed it is guarded for a moment (nothing after escape, or a view
        # that does not say: history, help)
        closed_by = getattr(getattr(self, "_covering", None), "closed_by", None)
        self.session.shown(self.ctx.now(), closed_by)

    def handling_seconds(self) -> float:
        """Seconds this item has been on screen (by the app's clock)."""
        return self.session.handling_seconds(self.ctx.now())

    # -- the decision ----------------------------------------------------------------------------

    def _decided(self) -> None:
        """The session decided again: show it (and save the draft a second later)."""
        self._render_guidance()
        self._render_request()
        self.refresh_bindings()
        self.draft_changed()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.session.allowed(action)

    # -- rendering (the texts are built in triage_view) ------------------------------------------

    def _render_banner(self) -> None:
        if self.session.decide_if_reloaded():  # the SOPs were reloaded: decided again
            self._decided()
        it = self.item
        practice = self.ctx.practice_name(it.practice_ods)
        banner = self.query_one("#banner", Static)
        width = banner.size.width or self.app.size.width  # before layout: the terminal's
        text = banner_text(it, self.ctx.now(), practice, self.handling_seconds(), width)
        banner.update(visible_text(text))

    def on_resize(self) -> None:
        self._render_banner()  # each banner line is cut to the width: cut again at once

    def _render_request(self) -> None:
        text = request_text(self.item, self.decision, self.ctx.now())
        self.query_one("#request-body", Static).update(text)

    def _render_guidance(self) -> None:
        # SOP text, the message (with the patient's name in it), notes and reasons: all shown as
        # written, their control characters visible
        text = guidance_text(self.session)
        self.query_one("#guidance-body", Static).update(visible_text(text))

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
        if not self.open_flags or self.busy or self.lost or self._just_resumed("e"):
            return
        self.read_lease("escalate")  # with the hub away the confirm step says more

    def lease_known(self, purpose: str, left: float | None) -> None:
        """The lease is known (None online): confirm the completion ``purpose``."""
        extra = offline_words(self.ctx.offline, left, escalation=purpose == "escalate")
        if purpose == "accept":
            if extra:  # offline with the claim ended: said plainly before saving
                self._confirm("Complete while the hub is away?", extra, self._accept_now)
            else:
                self._accept_now()
            return
        flags = self.open_flags
        if not flags or self.busy or self.lost:
            return
        flag = flags[0]
        # the message this completion sends, rendered for where it goes, shown before it goes
        closing = self.session.flag_closing(
            flag, "escalate" if purpose == "escalate" else "same_day"
        )
        sent = message_words(
            self.session.message_for(closing), self.session.message_warning(closing)
        )
        also = flags[1:]  # dealt with by the same completion, and recorded so
        if also:
            sent = (
                "It also deals with: "
                + "; ".join(f"{f.say} (Action: {f.action})" for f in also)
                + f"\n\n{sent}"
            )
        if purpose == "escalate":
            self._confirm(
                f"Escalate now: {flag.say}",
                f"Action: {flag.action}\n\nThis completes the item as an escalation that the "
                f"supervisor sees. Do the action now.\n\n{sent}"
                + (f"\n\n{extra}" if extra else ""),
                lambda: self._escalate(flag),
            )
        elif purpose == "same_day":
            self._confirm(
                f"Same-day clinician: {flag.say}",
                f"Action: {flag.action}\n\nThis completes the item as a same-day clinician "
                f"referral (the least an amber flag allows).\n\n{sent}"
                + (f"\n\n{extra}" if extra else ""),
                lambda: self._same_day(flag),
            )

    def _confirm(self, title: str, body: str, then: Any) -> None:
        from ehub_tui.ui.screens.dialogs import ConfirmDialog

        def confirmed(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(ConfirmDialog(title, body), confirmed)

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
        if self._just_resumed("c"):
            return
        self.read_lease("same_day")

    def _same_day(self, flag: RaisedFlag) -> None:
        if not self._may_submit("same_day"):
            return
        outcome = self.session.same_day(flag, self.ctx.now())
        self._complete(outcome, f"#{self.claim.item_id} → same-day clinician: {flag.say}")

    def action_pathway(self) -> None:
        """Take the pathway the text describes (or go back to the template it came with)."""
        if self.session.toggle_pathway():
            self._decided()

    def _just_resumed(self, key: str) -> bool:
        """Was ``key`` the key that closed a dialog, pressed again at once? Said in words."""
        if self.session.keys.too_soon(key):
            notify(self, self.session.keys.words(key), timeout=3)
            return True
        return False

    def _may_submit(self, action: str) -> bool:
        """May a completion start now? (Not while one runs, nor once the item is lost, nor at
        a step that does not allow ``action``.)"""
        return not self.busy and not self.lost and self.session.allowed(action)

    def action_accept(self) -> None:
        if self.busy or self.lost or self._just_resumed("enter"):
            return
        if not self.session.allowed("accept"):
            return
        self.read_lease("accept")

    def _accept_now(self, checked: bool = False) -> None:
        if self.busy or self.lost or not self.session.allowed("accept"):
            return
        warning = None if checked else self.session.message_warning()
        if warning:  # an edited message that no longer fits: never sent unseen (trial 15d)
            self.check_message(warning, lambda: self._accept_now(checked=True))
            return
        outcome = self.session.accept(self.ctx.now())
        if outcome is None:
            notify(self, "Choose a route first (o).", severity="warning")
            return
        self._complete(outcome, f"Completed #{self.claim.item_id} → {outcome.destination}")

    def action_override(self) -> None:
        open_override(self)  # type to filter, grouped by category (ui/screens/override.py)

    def action_urgency(self) -> None:
        """The outcome panel: one step more urgent (never below the route's limits)."""
        if panel.cycle_urgency(self.session, tell=lambda text: notify(self, text)):
            self.panel_changed()
            warning = self.session.message_warning()
            if warning:  # an edited message keeps its words: said at once, and on the panel
                notify(self, f"{warning} {REWORD_HINT}", severity="warning", timeout=8)

    def action_contact(self) -> None:
        """The outcome panel: the next mode of contact."""
        if panel.cycle_contact(self.session):
            self.panel_changed()

    def panel_changed(self) -> None:
        """The route, urgency or contact changed: show it and save the draft."""
        self._render_guidance()
        self.refresh_bindings()
        self.draft_changed()

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
        if self.refused is not None:  # saved and refused: nothing left to keep here
            self.dismiss(None)
            return
        self._keep_draft()
        if self.lost is None:  # once lost it is not ours, and the draft went nowhere new
            notify(
                self,
                f"#{self.claim.item_id} stays yours (Mine tab); your draft is kept.",
                timeout=4,
            )
        self.dismiss(None)

    # -- the item lost ---------------------------------------------------------------------------

    def on_item_lost(self, message: ItemLost) -> None:
        pending = self._draft_timer is not None  # a change not yet saved, so not sent
        self._stop_draft_timer()  # nothing more is sent: the hub would refuse it
        sends = self.sends if self._saves_drafts() else None
        self._set_lost(lost_words(message.message, sends, pending), message.ours)

    def show_refused(self, text: str) -> None:
        """The hub refused our saved completion: the lost banner, in the hub's words."""
        self._set_lost(text, force=True, title="Not applied — v to review")

    def _set_lost(
        self, message: str, force: bool = False, title: str = "Item no longer yours"
    ) -> None:
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
        notify(self, message, title=title, severity="error", timeout=15)
        self.refresh_bindings()


__all__ = ["Draft", "TriageScreen", "span", "span_secs"]
