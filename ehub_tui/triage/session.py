"""One navigator's triage of one claimed item, without a screen.

Red flags come first, then the SOP's questions one at a time, then the suggested route (or an
override with a reason). The session keeps the draft (answers, flag handling, override, pathway,
note, message), the time the item was first viewed and the seconds it was actively on screen,
whether the item was lost, and the busy guard that lets only one completion start; it builds the
typed ``Outcome`` the hub stores (the fields of each outcome are written down in ``outcome``).

Safety rules held here, whatever the screen does:
- every red flag raised stays listed (handled or not) and goes into the outcome;
- while a red flag is open nothing can be accepted or overridden: the only ways on are escalate,
  same-day clinician (amber flags only) or dismiss with a reason;
- an escalation or same-day referral is recorded as the flag's handling only in the outcome it
  completes: if saving fails the flag is still open, never quietly marked handled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ehub_tui.domain.models import Consultation, Outcome
from ehub_tui.triage import message, outcome, override, panel
from ehub_tui.triage.draft import (
    KEY_GUARD_SECONDS,
    ClaimLike,
    Draft,
    KeyGuard,
    NotAllowed,
    RouteLike,
)

if TYPE_CHECKING:
    from ehub_tui.sop.decision import Decision, RaisedFlag
    from ehub_tui.triage.guidance import Guidance
    from ehub_tui.triage.outcome import Closing

Step = Literal["nosop", "flag", "question", "route"]

__all__ = [
    "KEY_GUARD_SECONDS",
    "ClaimLike",
    "Draft",
    "KeyGuard",
    "NotAllowed",
    "RouteLike",
    "Step",
    "TriageSession",
]


class TriageSession:
    """The triage of one claimed consultation, step by step, ending in an ``Outcome``."""

    def __init__(
        self,
        claim: ClaimLike,
        item: Consultation,
        guidance: Guidance,
        *,
        draft: Draft | None = None,
        practice_name: Callable[[str], str] = lambda ods: ods,
        hub_phone: str = "",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.claim = claim
        self.item = item
        self.guidance = guidance
        self.draft = draft or Draft()
        self.practice_name = practice_name
        self.hub_phone = hub_phone
        self.keys = KeyGuard(monotonic)
        self.decision: Decision | None = None
        self.lost: str | None = None  # why the item is no longer ours, once it is not
        self.busy = False  # a completion or release is under way: no second one may start
        self.finishing = False  # our own completion must not look like a lost item
        self.first_viewed_at: datetime | None = None
        self._version: object = object()  # the SOP set the decision was made with
        self._tick = monotonic
        self._active_since: float | None = None  # monotonic seconds
        self._active_seconds = self.draft.seconds
        self._shown = 0

    # -- time on screen --------------------------------------------------------------------------

    # Durations run on the monotonic clock (``self._tick``), never on wall-clock differences: a
    # wall clock stepped mid-task (NTP, a laptop waking, a skewed workstation corrected) must
    # not change a handling time. The ``now`` arguments only stamp when the item was first seen.

    def start(self, now: datetime) -> None:
        """The item is on screen for the first time in this session: decide."""
        self.first_viewed_at = self.draft.first_viewed_at or now
        self.draft.first_viewed_at = self.first_viewed_at
        self._active_seconds = self.draft.seconds
        self._active_since = self._tick()
        self.decide()

    def hidden(self, now: datetime) -> None:
        """Something covers the item (a dialog, help): its time stops counting."""
        if self._active_since is not None:
            self._active_seconds += max(0.0, self._tick() - self._active_since)
            self._active_since = None

    def shown(self, now: datetime, closed_by: str | None = "enter") -> None:
        """The item is on screen again; after a dialog closed by ``closed_by`` that key is
        guarded for a moment (None or escape: nothing is)."""
        self._shown += 1
        if self._shown > 1:  # back from a dialog: the key that closed it must not act here
            self.keys.arm(closed_by)
        if self._active_since is None:
            self._active_since = self._tick()

    def handling_seconds(self, now: datetime | None = None) -> float:
        """Seconds the item has been on screen (this session and any kept draft's), by the
        monotonic clock (``now`` is accepted for callers that pass it, and not used)."""
        since = self._active_since
        extra = max(0.0, self._tick() - since) if since is not None else 0.0
        return round(self._active_seconds + extra, 1)

    def keep(self, now: datetime) -> Draft:
        """The draft, with the time so far, to keep for when the item is opened again."""
        self.draft.seconds = self.handling_seconds(now)
        return self.draft

    # -- the decision ----------------------------------------------------------------------------

    def decide(self) -> None:
        """Ask the SOPs again (after any change to the answers, flags or pathway)."""
        dismissed = [fid for fid, (how, _) in self.draft.flags.items() if how == "dismissed"]
        self._version = self.guidance.version
        self.decision = self.guidance.decide(
            self.item, self.draft.answers, dismissed=dismissed, pathway=self.draft.pathway
        )

    def decide_if_reloaded(self) -> bool:
        """Decide again when another set of SOPs came into use; True when it did."""
        if self.guidance.version is self._version:
            return False
        self.decide()
        return True

    @property
    def red_flags(self) -> list[RaisedFlag]:
        """Every red flag raised, handled or not (never hidden)."""
        return list(self.decision.red_flags) if self.decision else []

    @property
    def open_flags(self) -> list[RaisedFlag]:
        """The red flags not yet handled, first to deal with first."""
        return [f for f in self.red_flags if f.id not in self.draft.flags]

    @property
    def step(self) -> Step:
        """nosop (no SOPs in use) | flag | question | route."""
        if self.decision is None:
            return "nosop"
        if self.open_flags:
            return "flag"
        if self.decision.next_question is not None:
            return "question"
        return "route"

    def allowed(self, action: str) -> bool:
        """May ``action`` be taken now? (The screen shows only the keys this allows.)"""
        step = self.step
        d = self.decision
        if action in ("escalate", "dismiss_flag"):
            return step == "flag" and not self.lost
        if action == "same_day":
            return step == "flag" and not self.lost and self.open_flags[0].level != "emergency"
        if action == "pathway":
            has = d is not None and (d.proposal is not None or self.draft.pathway is not None)
            return has and step in ("question", "route") and not self.lost
        if action == "change_stated":
            return bool(d and d.stated) and step != "flag"
        if action == "answer":
            return step == "question"
        if action == "back":
            return bool(self.draft.order) and step != "flag"
        if action in ("accept", "override"):
            return step in ("route", "nosop") and not self.lost
        if action == "park":  # a red flag is dealt with first, never parked
            return step != "flag" and not self.lost
        if action in ("urgency", "contact"):  # the outcome panel's choices
            return step == "route" and not self.lost and self.chosen_route() is not None
        return True

    def _require(self, action: str) -> None:
        if not self.allowed(action):
            raise NotAllowed(f"{action} is not possible at the {self.step} step")

    # -- the navigator's moves -------------------------------------------------------------------

    def answer(self, n: int) -> bool:
        """Answer the question shown with its ``n``-th answer (1-based); False if there is none."""
        q = self.decision.next_question if self.decision else None
        if q is None or self.step != "question" or not 1 <= n <= len(q.answers):
            return False
        self.draft.answers[q.id] = q.answers[n - 1]
        self.draft.order.append(q.id)
        self.decide()
        return True

    def back(self) -> bool:
        """Take back the last answer; False when there is none (or a red flag is open)."""
        if not self.allowed("back"):
            return False
        qid = self.draft.order.pop()
        self.draft.answers.pop(qid, None)
        self.decide()
        return True

    def dismiss_flag(self, flag_id: str, reason: str) -> None:
        """Dismiss an open red flag with a reason (only then does the pathway's route apply)."""
        self._require("dismiss_flag")
        if not reason.strip():
            raise NotAllowed("a red flag is dismissed only with a reason")
        if flag_id not in {f.id for f in self.open_flags}:
            raise NotAllowed(f"red flag {flag_id} is not open")
        self.draft.flags[flag_id] = ("dismissed", reason)
        self.decide()

    def toggle_pathway(self) -> bool:
        """Take the pathway the text proposes, or go back to the item's own; False if neither."""
        d = self.decision
        if self.draft.pathway:
            self.draft.pathway = None
        elif d is not None and d.proposal is not None:
            self.draft.pathway = d.proposal.template
        else:
            return False
        self.decide()
        return True

    def stated_options(self) -> list[tuple[str, str]]:
        """(value, label) for changing each attribute read from the text."""
        stated = self.decision.stated if self.decision else {}
        return [
            (f"{attr}=no", f"{attr.replace('_', ' ')}: no (the text is wrong)") for attr in stated
        ] + [(f"{attr}=yes", f"{attr.replace('_', ' ')}: yes (confirmed)") for attr in stated]

    def change_stated(self, choice: str) -> None:
        """``pregnant=no``: the navigator's word replaces what the text seemed to say."""
        attr, value = choice.split("=", 1)
        self.draft.answers[attr] = value
        self.draft.order.append(attr)
        self.decide()

    def route_options(self) -> list[tuple[str, str]]:
        """(route id to record, label) for an override: each destination, category and urgency
        once (triage/override.py says which id each records)."""
        return [(o.value, o.label) for o in self.override_options()]

    def override_options(self) -> list[override.OverrideOption]:
        """The override dialog's choices, grouped by category (triage/override.py)."""
        return override.options_for(self)

    def override(self, route_id: str, reason: str) -> bool:
        """Choose another route, with a reason. True when an edited patient message was reset
        (it was written for the route before)."""
        self._require("override")
        if not reason:
            raise NotAllowed("a route is overridden only with a reason")
        if override.resolve(route_id, self.all_routes()) is None:
            raise NotAllowed(f"no route {route_id!r} in the SOPs in use")
        self.draft.override = (route_id, reason)
        panel.reset(self)  # the new route's own urgency and usual contact
        reset = self.draft.message is not None
        self.reword()
        return reset

    def set_note(self, text: str) -> None:
        """The note for the record."""
        self.draft.note = text.strip()

    def set_message(self, text: str) -> None:
        """The message to the patient, as the navigator wrote it (and what it was written for:
        a later change of urgency or team is then warned of, triage/message.py)."""
        if text != self.draft.message:
            self.draft.message_basis = message.basis(self, self.accept_closing())
        self.draft.message = text

    # -- the route and message -------------------------------------------------------------------

    def all_routes(self) -> list[Any]:
        """Every route of every SOP in use (for an override)."""
        return list(self.guidance.routes())

    def chosen_route(self) -> RouteLike | None:
        """The overriding route if there is one, else the suggested route."""
        if self.draft.override:
            found: RouteLike | None = override.resolve(self.draft.override[0], self.all_routes())
            return found
        return self.decision.route if self.decision else None

    def accept_closing(self) -> outcome.Closing | None:
        """Where accepting the chosen route goes, with the panel's choices (None: no route)."""
        route = self.chosen_route()
        return panel.finish(self, outcome.accepted(route)) if route is not None else None

    def flag_closing(self, flag: RaisedFlag, how: Literal["escalate", "same_day"]) -> Closing:
        """Where escalating (``e``) or sending to a same-day clinician (``c``) goes."""
        others = [f for f in self.open_flags if f.id != flag.id]  # dealt with by it too
        made = (outcome.escalation if how == "escalate" else outcome.same_day)(flag, others)
        return panel.finish(self, made)

    def message_text(self) -> str:
        """The message to the patient on accepting (the navigator's, or the route's filled in)."""
        return self.message_for(self.accept_closing())

    def message_for(self, closing: Closing | None) -> str:
        """What completing as ``closing`` sends: the navigator's, else rendered for it."""
        if self.draft.message is not None:
            return self.draft.message
        return message.render(self, closing) if closing is not None else ""

    def message_warning(self, closing: Closing | None = None) -> str | None:
        """Why the edited message may not fit ``closing`` (default: accepting); None: it fits."""
        return message.warning(self, closing if closing is not None else self.accept_closing())

    def reword(self) -> None:
        """Throw away the edited message: the route's template is filled in again."""
        self.draft.message = None
        self.draft.message_basis = None

    # -- outcomes --------------------------------------------------------------------------------

    def accept(self, now: datetime) -> Outcome | None:
        """The outcome of accepting the chosen route (None: no route to accept). Refused while
        a red flag is open or a question is unanswered."""
        self._require("accept")
        route = self.chosen_route()
        if route is None:
            return None
        return self._outcome(outcome.accepted(route), now)

    def escalate(self, flag: RaisedFlag, now: datetime) -> Outcome:
        """The outcome of escalating an open red flag now (to the duty clinician)."""
        self._require("escalate")
        self._must_be_open(flag)
        return self._outcome(self.flag_closing(flag, "escalate"), now)

    def same_day(self, flag: RaisedFlag, now: datetime) -> Outcome:
        """The outcome of sending an open amber flag to a same-day clinician (the least it
        allows); refused for an emergency flag."""
        self._require("same_day")
        self._must_be_open(flag)
        if flag.level == "emergency":
            raise NotAllowed("an emergency red flag is escalated, never sent to a same-day slot")
        if any(f.level == "emergency" for f in self.open_flags):
            raise NotAllowed("an emergency red flag is open: it is escalated first")
        return self._outcome(self.flag_closing(flag, "same_day"), now)

    def _must_be_open(self, flag: RaisedFlag) -> None:
        if flag.id not in {f.id for f in self.open_flags}:
            raise NotAllowed(f"red flag {flag.id} is not open")

    def _outcome(self, closing: outcome.Closing, now: datetime) -> Outcome:
        finished = panel.finish(self, closing)
        return outcome.build_outcome(
            finished,
            self.decision,
            self.draft,
            # rendered for where THIS completion goes, never the pathway's route (trial 15d)
            message=self.message_for(finished),
            first_viewed_at=self.first_viewed_at,
            handling_seconds=self.handling_seconds(now),
        )

    # -- completing ------------------------------------------------------------------------------

    def begin_submit(self) -> bool:
        """Start a completion or release: False when one is already under way (or the item is
        lost). Called on the UI thread BEFORE any worker starts, so a second key press, however
        quick, finds the session busy."""
        if self.busy or self.lost:
            return False
        self.busy = True
        self.finishing = True
        return True

    def submit_failed(self) -> None:
        """The completion or release was not saved: the navigator may try again."""
        self.busy = False
        self.finishing = False

    def submitted(self) -> None:
        """The completion or release was saved."""
        self.busy = False

    def mark_lost(self, message: str, force: bool = False) -> bool:
        """The item is no longer ours; True when this is news. While our own completion is
        under way only a failure of that completion (``force``) counts."""
        if self.lost or (self.finishing and not force):
            return False
        self.lost = message
        self.busy = False
        return True
