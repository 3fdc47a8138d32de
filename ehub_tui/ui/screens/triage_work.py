"""The triage screen's hub work, apart from its layout and keys: the ``TriageSession`` it shows,
and the calls that run in thread workers and post typed messages back — completing, returning,
the heartbeat that keeps the claim and the poll that asks whether the item is still ours.

A worker never touches a widget; what it may do to the screen is what its message says
(``Saved``, ``NotSaved``, ``ItemLost``, ``ClaimRenewed``), handled here on the UI thread or, for
``ItemLost``, by the screen (it shows the lost banner).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import work

from ehub_tui.errors import LostClaim, StoreError
from ehub_tui.triage.guidance import ServiceGuidance
from ehub_tui.triage.session import Draft, Step, TriageSession
from ehub_tui.ui.context import EhubScreen, UiContext
from ehub_tui.ui.format import notify
from ehub_tui.ui.messages import ClaimRenewed, ItemLost, NotSaved, Saved

if TYPE_CHECKING:
    from ehub_tui.domain.models import Consultation, Outcome
    from ehub_tui.domain.queue import Claim
    from ehub_tui.sop.decision import Decision, RaisedFlag


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

    def _keep_draft(self) -> None:
        self.ctx.drafts[self.claim.item_id] = self.session.keep(self.ctx.now())

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
