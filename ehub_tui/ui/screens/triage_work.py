"""The triage screen's hub work, apart from its layout and keys: the ``TriageSession`` it shows,
and the calls that run in thread workers and post typed messages back — completing, returning,
the heartbeat that keeps the claim and the poll that asks whether the item is still ours.

A worker never touches a widget; what it may do to the screen is what its message says
(``Saved``, ``NotSaved``, ``NotApplied``, ``ItemLost``, ``ClaimRenewed``), handled here on the UI
thread or, for ``ItemLost`` and ``NotApplied``, by the screen (it shows the banner).

On a workstation with an outbox (issue 14) completing commits locally first and answers with a
``Completion``: accepted by the hub (as before), pending (the hub did not answer: "saved on this
workstation", the item leaves Mine and the status line counts it until it is sent) or refused
("not applied — v to review": the outcome is kept, never lost, and this screen will not complete
the item a second time). The draft is saved as the navigator works (a second after the last
change, in a worker) and sent to the hub then too — at most one send every few seconds, the
last change always (``DraftSends``) — so a supervisor who reassigns the item moments later can
send it on with it (trial 15b: the hub had no draft 13 s after a note). Leaving the item sends
it at once; the first view is recorded once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from textual import work

from ehub_tui.domain.sync import SAVED_OFFLINE, Completion
from ehub_tui.errors import LostClaim, StoreError
from ehub_tui.triage.draft import DraftSends
from ehub_tui.triage.guidance import ServiceGuidance
from ehub_tui.triage.session import Draft, Step, TriageSession
from ehub_tui.ui.context import EhubScreen, UiContext
from ehub_tui.ui.format import local, notify
from ehub_tui.ui.messages import (
    ClaimRenewed,
    ItemLost,
    LeaseRead,
    NotApplied,
    NotSaved,
    Saved,
)
from ehub_tui.ui.screens.triage_words import (  # kept importable from here
    DRAFT_KEPT,
    ESCALATE_OFFLINE,
    LEASE_ENDED_OFFLINE,
    completion_of,
    lost_words,
    offline_words,
    refused_text,
    with_full_stop,
)

if TYPE_CHECKING:
    from textual.timer import Timer

    from ehub_tui.domain.models import Consultation, Outcome
    from ehub_tui.domain.queue import Claim
    from ehub_tui.sop.decision import Decision, RaisedFlag

log = logging.getLogger(__name__)

DRAFT_SAVE_SECONDS = 1.0  # a draft is saved this long after the navigator's last change

__all__ = [
    "DRAFT_KEPT",
    "DRAFT_SAVE_SECONDS",
    "ESCALATE_OFFLINE",
    "LEASE_ENDED_OFFLINE",
    "TriageWork",
    "completion_of",
    "lost_words",
    "offline_words",
    "refused_text",
    "with_full_stop",
]


class TriageWork(EhubScreen[None]):
    """A screen working one claimed consultation: its session, and the hub calls made for it."""

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
        self._draft_timer: Timer | None = None
        self._sends: DraftSends | None = None
        self.refused: str | None = None  # the hub refused our completion: why (kept, not redone)

    @property
    def session(self) -> TriageSession:
        """The triage this screen shows (made from the context once the screen has one)."""
        if self._session is None:
            claim, item, draft = self._made
            self._session = TriageSession(
                claim,
                item,
                # the app's clock (a frozen one in tests), in local time: ages on the same day
                ServiceGuidance(
                    self.ctx.service,
                    today=lambda: local(self.ctx.now()).date(),
                    now=self.ctx.now,
                ),
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

    def _keep_draft(self) -> None:
        """Leaving the item: the draft waits in ``ctx.drafts`` and, on a workstation with an
        outbox, is saved there and sent to the hub (so a supervisor sees the work so far).
        Once the item is lost it is kept here only: the hub would refuse it (fenced), and the
        refusal would read as more trouble on the supervisor's board."""
        if self.refused is not None:
            return  # the outcome was saved and refused: kept for review, not a draft to resume
        self.ctx.drafts[self.claim.item_id] = self.session.keep(self.ctx.now())
        self._stop_draft_timer()
        self._save_draft(send=self.lost is None)

    # -- drafts saved as the navigator works (issue 14), and sent (issue 15) -----------------------

    @property
    def sends(self) -> DraftSends:
        """When the draft being worked also goes to the hub (at most one send every few s)."""
        if self._sends is None:
            self._sends = DraftSends(self.ctx.monotonic)
        return self._sends

    def draft_changed(self) -> None:
        """The navigator changed the draft: save it a second after the last change (and send
        it, as ``sends`` allows: a held-back send goes when it may, so the last change does)."""
        if not self._saves_drafts() or self.finishing or self.refused is not None or self.lost:
            return
        self._stop_draft_timer()  # a held-back send is due again a second after this change
        self._draft_timer = self.set_timer(DRAFT_SAVE_SECONDS, self._draft_due)

    def _draft_due(self) -> None:
        self._draft_timer = None
        if self.finishing or self.refused is not None or self.lost:
            return
        if self.sends.sent_at is None and not self.draft.has_work():
            self._save_draft(send=False)  # only looked at: nothing for the hub to hand on
            return
        wait = self.sends.take()
        self._save_draft(send=wait <= 0)
        if wait > 0:  # sent too recently: saved here now, and sent once the wait is over
            self._draft_timer = self.set_timer(wait, self._draft_due)

    def _stop_draft_timer(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None

    def _saves_drafts(self) -> bool:
        return callable(getattr(self.ctx.service, "save_draft", None))

    def _save_draft(self, *, send: bool) -> None:
        """Save the draft in a worker. The app runs it, not this screen: a draft saved on
        leaving must outlive the screen it was left on."""
        if not self._saves_drafts():
            return
        claim = self.claim
        values = self.session.keep(self.ctx.now()).to_dict()
        service = self.ctx.service

        def save() -> None:
            try:
                service.save_draft(claim.item_id, claim.epoch, values, send=send)
            except Exception as exc:  # kept in memory still; the next change saves it again
                log.warning("a draft was not saved on this workstation (%s)", type(exc).__name__)

        self.app.run_worker(save, thread=True, group="draft-save")

    def mark_viewed(self) -> None:
        """Record (once per claim, the service dedupes) when the item was first shown."""
        mark = getattr(self.ctx.service, "mark_viewed", None)
        at = self.session.first_viewed_at
        if not callable(mark) or at is None:
            return
        claim = self.claim

        def work() -> None:
            try:
                mark(claim, at)
            except Exception as exc:  # a record of viewing only: never stops the triage
                log.info("first view not recorded (%s)", type(exc).__name__)

        self.app.run_worker(work, thread=True, group="viewed")

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
        try:
            result = self.ctx.service.complete(claim, outcome)
        except LostClaim as exc:
            self.post_message(ItemLost(str(exc), ours=True))
            return
        except StoreError as exc:
            self.post_message(NotSaved(f"Not saved: {exc}"))
            return
        self._answered(completion_of(result), done_text)

    def _answered(self, done: Completion | None, done_text: str) -> None:
        """Post what a completion or return led to (on the worker's thread)."""
        if done is None or done.state == "accepted":
            self.post_message(Saved(done_text))
        elif done.state == "pending":
            # "…(noisy breathing)." then the saved sentence: one full stop, never two
            self.post_message(Saved(f"{with_full_stop(done_text)} {SAVED_OFFLINE}", pending=True))
        else:
            self.post_message(NotApplied(refused_text(done.reason)))

    # -- the lease, read before completing offline ------------------------------------------------

    def read_lease(self, purpose: str) -> None:
        """Before completing (``purpose``): with the hub away, read the lease left (in a worker:
        the estimate reads this workstation's store) and then call ``lease_known``; online, call
        it at once with None (the hub judges the claim as it completes)."""
        service = self.ctx.service
        if not self.ctx.offline or not callable(getattr(service, "lease_left", None)):
            self.lease_known(purpose, None)
            return
        claim = self.claim

        def work() -> None:
            try:
                left: float | None = float(service.lease_left(claim))
            except Exception as exc:  # not known: the confirm step says only what it knows
                log.info("lease not read (%s)", type(exc).__name__)
                left = None
            self.post_message(LeaseRead(left, purpose))

        self.run_worker(work, thread=True, exclusive=True, group="lease-read")

    def on_lease_read(self, message: LeaseRead) -> None:
        self.lease_known(message.purpose, message.left)

    def lease_known(self, purpose: str, left: float | None) -> None:
        """Go on with the completion ``purpose`` now that the lease is known (the screen
        overrides this)."""

    def _release(self, reason: str) -> None:
        if not self.session.begin_submit():
            return
        self._release_work(self.claim, reason)

    @work(thread=True, group="complete")
    def _release_work(self, claim: Claim, reason: str) -> None:
        try:
            result = self.ctx.service.release(claim, reason)
        except LostClaim as exc:
            self.post_message(ItemLost(str(exc), ours=True))
            return
        except StoreError as exc:  # a hub service (no outbox) that did not answer
            self.post_message(NotSaved(str(exc)))
            return
        done = completion_of(result)
        if done is not None and done.state == "pending":
            # said in its own words: the item is not back in the queue until the hub has it
            self.post_message(
                Saved(
                    f"#{claim.item_id} will go back to the queue when the hub is back. "
                    f"{SAVED_OFFLINE}",
                    pending=True,
                )
            )
            return
        self._answered(done, f"#{claim.item_id} returned to the queue")

    def on_saved(self, message: Saved) -> None:
        self.session.submitted()
        self._stop_draft_timer()
        self.ctx.drafts.pop(self.claim.item_id, None)
        notify(
            self,
            message.text,
            title="Saved on this workstation" if message.pending else "",
            timeout=8 if message.pending else 4,
        )
        self.dismiss(None)

    def on_not_applied(self, message: NotApplied) -> None:
        """The hub refused what was saved: said on this screen, the outcome kept (the service
        holds it for review), and this screen completes nothing more for the item."""
        self.session.submitted()
        self._stop_draft_timer()
        self.refused = message.reason
        self.ctx.drafts.pop(self.claim.item_id, None)
        self.show_refused(message.reason)

    def show_refused(self, text: str) -> None:
        """Show that the hub refused the completion (the screen overrides this)."""
        notify(self, text, title="Not applied", severity="error", timeout=15)

    def on_not_saved(self, message: NotSaved) -> None:
        self.session.submit_failed()
        notify(self, message.problem, severity="error", timeout=10)

    def on_claim_renewed(self, message: ClaimRenewed) -> None:
        self.session.claim = message.claim

    # -- still mine? -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="still-mine")
    def _check_still_mine(self) -> None:
        if self.lost or self.finishing:
            return
        try:
            why = self.ctx.service.why_lost(self.claim)
        except Exception:  # the hub is unreachable: the heartbeat will tell
            return
        if why is not None:
            self.post_message(ItemLost(why))

    @work(thread=True, exclusive=True, group="heartbeat")
    def _heartbeat(self) -> None:
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
