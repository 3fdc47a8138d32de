"""TriageSession, driven directly (no Textual, no hub): steps, back, override with a reason, red
flags never hidden and never contradicted by the route, the busy and key guards, the time on
screen, and the typed Outcome it builds."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ehub_tui.domain import destinations
from ehub_tui.domain.models import Outcome
from ehub_tui.sop.engine import SAME_DAY_DESTINATION
from ehub_tui.sop.library import SopLibrary
from ehub_tui.triage import Draft, KeyGuard, NotAllowed
from tests.triage.conftest import NOW, Ticks, session

# -- steps ---------------------------------------------------------------------------------------


def test_a_complete_request_goes_straight_to_its_route() -> None:
    s = session("throat")
    assert s.step == "route" and s.red_flags == []
    assert s.allowed("accept") and s.allowed("override")
    assert not s.allowed("answer") and not s.allowed("back") and not s.allowed("escalate")
    route = s.chosen_route()
    assert route is not None and route.id == "pf_sore_throat"


def test_questions_one_at_a_time_then_the_route() -> None:
    s = session("uti")
    assert s.step == "question" and not s.allowed("accept") and not s.allowed("override")
    asked = []
    while s.step == "question":
        assert s.decision is not None and s.decision.next_question is not None
        q = s.decision.next_question
        asked.append(q.id)
        assert s.answer(q.answers.index("no") + 1)
    assert asked[:2] == ["pregnant", "immunosuppressed"]
    assert s.step == "route" and s.draft.order == asked
    assert s.draft.answers == dict.fromkeys(asked, "no")
    route = s.chosen_route()
    assert route is not None and route.id == "pf_uti"


def test_an_answer_that_is_not_offered_changes_nothing() -> None:
    s = session("uti")
    assert not s.answer(0) and not s.answer(99)
    assert s.draft.answers == {} and s.decision.next_question.id == "pregnant"  # type: ignore[union-attr]


def test_back_takes_the_last_answer_back() -> None:
    s = session("uti")
    assert not s.back()  # nothing answered yet
    assert s.answer(2)  # pregnant: no
    assert s.decision.next_question.id == "immunosuppressed"  # type: ignore[union-attr]
    assert s.back()
    assert s.draft.answers == {} and s.draft.order == []
    assert s.decision.next_question.id == "pregnant"  # type: ignore[union-attr]


def test_a_pathway_proposed_by_the_text_is_taken_and_given_back() -> None:
    s = session("uti_generic")
    assert s.decision.proposal.template == "uti" and s.allowed("pathway")  # type: ignore[union-attr]
    assert s.toggle_pathway()
    assert s.draft.pathway == "uti" and s.decision.routing_sop.id == "pharmacy-first"  # type: ignore[union-attr]
    assert s.toggle_pathway()
    assert s.draft.pathway is None


def test_no_sops_means_nothing_to_accept(tmp_path: Path) -> None:
    s = session("throat", library=SopLibrary(tmp_path))  # a folder with no SOPs in it
    assert s.step == "nosop" and s.decision is None
    assert s.allowed("accept")  # the key is offered: it says "choose a route first"
    assert s.accept(NOW) is None
    assert s.route_options() == []


# -- red flags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "flag", "urgency"),
    [
        ("headache", "rf_worst_headache", "immediate"),
        ("amber", "rf_jaw_claudication", "same_day"),
    ],
)
def test_an_open_red_flag_comes_first_and_governs_the_route(
    case: str, flag: str, urgency: str
) -> None:
    s = session(case)
    assert s.step == "flag" and [f.id for f in s.open_flags] == [flag]
    # nothing can be accepted, overridden, answered or taken back past it
    for action in ("accept", "override", "answer", "back", "change_stated"):
        assert not s.allowed(action), action
    with pytest.raises(NotAllowed):
        s.accept(NOW)
    with pytest.raises(NotAllowed):
        s.override("clin_gp_routine", "I know better")
    # the route shown while it stands is the flag's own, never the pathway's routine one
    route = s.decision.route  # type: ignore[union-attr]
    assert route is not None and route.governed_by == flag and route.urgency == urgency
    assert s.decision.pathway_route.id == "clin_gp_routine"  # type: ignore[union-attr]


def test_escalating_records_the_flag_and_leaves_the_draft_alone() -> None:
    s = session("headache")
    flag = s.open_flags[0]
    assert not s.allowed("same_day")  # an emergency is escalated, never sent to a slot
    with pytest.raises(NotAllowed):
        s.same_day(flag, NOW)
    outcome = s.escalate(flag, NOW)
    assert isinstance(outcome, Outcome)
    assert (outcome.category, outcome.route, outcome.urgency) == (
        "escalate",
        "escalate_rf_worst_headache",
        "immediate",
    )
    assert outcome.destination == f"Duty clinician now: {flag.action}"
    assert outcome.destination_code == destinations.ESCALATION
    [handled] = outcome.detail.red_flags
    assert (handled.id, handled.level, handled.handled, handled.reason) == (
        "rf_worst_headache",
        "emergency",
        "escalated",
        flag.action,
    )
    assert outcome.detail.flag_evidence["rf_worst_headache"]  # the words that raised it
    # not saved yet: the flag is still open (a failed save must never leave it marked handled)
    assert s.step == "flag" and s.draft.flags == {}


def test_an_amber_flag_goes_to_a_same_day_clinician() -> None:
    s = session("amber")
    flag = s.open_flags[0]
    assert s.allowed("same_day") and s.allowed("escalate") and s.allowed("dismiss_flag")
    outcome = s.same_day(flag, NOW)
    assert (outcome.category, outcome.urgency, outcome.destination) == (
        "clinical",
        "same_day",
        SAME_DAY_DESTINATION,
    )
    assert outcome.destination_code == destinations.SAME_DAY
    assert [(f.id, f.handled) for f in outcome.detail.red_flags] == [
        ("rf_jaw_claudication", "same_day")
    ]


def test_a_dismissed_flag_needs_a_reason_and_stays_on_the_record() -> None:
    s = session("headache")
    with pytest.raises(NotAllowed):
        s.dismiss_flag("rf_worst_headache", "  ")
    with pytest.raises(NotAllowed):
        s.dismiss_flag("rf_not_raised", "seen by GP")
    s.dismiss_flag("rf_worst_headache", "seen by GP")
    assert s.draft.flags == {"rf_worst_headache": ("dismissed", "seen by GP")}
    assert s.step == "route" and s.open_flags == []
    assert [f.id for f in s.red_flags] == ["rf_worst_headache"]  # never hidden
    assert not s.allowed("escalate")
    outcome = s.accept(NOW)
    assert outcome is not None and outcome.route == "clin_gp_routine"
    [handled] = outcome.detail.red_flags
    assert (handled.handled, handled.reason) == ("dismissed", "seen by GP")
    assert outcome.detail.suggested_route == "clin_gp_routine"


# -- override, note and message ------------------------------------------------------------------


def test_override_needs_a_known_route_and_a_reason() -> None:
    s = session("throat")
    options = dict(s.route_options())
    assert len(options) == len(set(options.values()))  # each destination offered once
    target = next(rid for rid, label in options.items() if label.endswith("· 3 days"))
    with pytest.raises(NotAllowed):
        s.override(target, "")
    with pytest.raises(NotAllowed):
        s.override("no_such_route", "because")
    s.set_message("my own words")
    assert s.override(target, "patient prefers the GP") is True  # the edited message was reset
    assert s.draft.message is None and s.draft.override == (target, "patient prefers the GP")
    assert s.chosen_route().id == target  # type: ignore[union-attr]
    s.set_note("  called back  ")
    outcome = s.accept(NOW)
    assert outcome is not None
    assert outcome.route == target and outcome.override_reason == "patient prefers the GP"
    assert outcome.note == "called back"
    assert outcome.detail.suggested_route == "pf_sore_throat"  # what was overridden


def test_the_outcome_of_accepting_the_suggested_route() -> None:
    ticks = Ticks()
    s = session("throat", monotonic=ticks)
    ticks.t += 95  # 95 s on screen by the monotonic clock
    outcome = s.accept(NOW + timedelta(seconds=95))
    assert outcome is not None
    assert (outcome.category, outcome.route, outcome.urgency) == (
        "signpost",
        "pf_sore_throat",
        "same_day",
    )
    assert outcome.destination_code == "COMMUNITY_PHARMACY"
    assert outcome.sop_id == "pharmacy-first" and outcome.sop_version and outcome.sop_sha256
    assert outcome.engine_version and outcome.override_reason is None and outcome.note is None
    assert outcome.message is not None and outcome.message.startswith("Hello Sam, Riverside")
    assert "01131 234567" in outcome.message
    assert outcome.first_viewed_at == NOW and outcome.handling_seconds == 95.0
    assert outcome.detail.answers == {} and outcome.detail.red_flags == []
    assert outcome.detail.matched_rules and outcome.detail.trace
    # the store's columns: the detail as its JSON
    assert outcome.record()["detail"]["suggested_route"] == "pf_sore_throat"


def test_the_navigators_message_replaces_the_template() -> None:
    s = session("throat")
    s.set_message("Hello, please see the pharmacist.")
    assert s.message_text() == "Hello, please see the pharmacist."
    assert s.accept(NOW).message == "Hello, please see the pharmacist."  # type: ignore[union-attr]


# -- time, guards, loss --------------------------------------------------------------------------


def test_time_on_screen_stops_while_covered_and_carries_over_in_a_draft() -> None:
    ticks = Ticks()
    s = session("throat", monotonic=ticks)
    s.shown(NOW)  # first shown: the key guard is not armed
    assert not s.keys.too_soon()
    ticks.t += 30
    s.hidden(NOW + timedelta(seconds=30))  # a dialog for a minute
    ticks.t += 60
    s.shown(NOW + timedelta(seconds=90))
    ticks.t += 10
    assert s.handling_seconds(NOW + timedelta(seconds=100)) == 40.0
    kept = s.keep(NOW + timedelta(seconds=100))
    assert kept.seconds == 40.0 and kept.first_viewed_at == NOW
    later = NOW + timedelta(hours=1)
    again_ticks = Ticks()  # another app session: its own monotonic clock
    again = session("throat", draft=kept, monotonic=again_ticks)
    again.start(later)
    assert again.first_viewed_at == NOW  # first viewed is the first time, not this one
    again_ticks.t += 5
    assert again.handling_seconds(later + timedelta(seconds=5)) == 45.0


def test_a_wall_clock_jump_mid_task_does_not_change_the_handling_time() -> None:
    # Issue 14: an hour's step of the wall clock (NTP correcting a skewed workstation, a laptop
    # waking) between opening and completing changes the handling time by at most 0.5 s.
    for jump in (timedelta(hours=1), timedelta(hours=-1)):
        ticks = Ticks()
        s = session("throat", monotonic=ticks)
        ticks.t += 20
        s.hidden(NOW + timedelta(seconds=20))  # a dialog while the clock steps
        ticks.t += 4
        s.shown(NOW + jump + timedelta(seconds=24))
        ticks.t += 40
        outcome = s.accept(NOW + jump + timedelta(seconds=64))
        assert outcome is not None
        assert abs(outcome.handling_seconds - 60.0) <= 0.5
        assert outcome.first_viewed_at == NOW  # the wall time stamps only when it was first seen


def test_the_key_guard_uses_the_injected_monotonic_clock() -> None:
    ticks = Ticks()
    s = session("throat", monotonic=ticks)
    s.shown(NOW)
    s.hidden(NOW)
    s.shown(NOW)  # back from a dialog: the key that closed it must not act
    assert s.keys.too_soon()
    ticks.t += 0.39
    assert s.keys.too_soon()
    ticks.t += 0.02
    assert not s.keys.too_soon()
    guard = KeyGuard(lambda: 0.0)
    assert not guard.too_soon()  # never armed: even at t=0 nothing is swallowed


def test_only_one_completion_at_a_time() -> None:
    s = session("throat")
    assert s.begin_submit()
    assert not s.begin_submit()  # a second press while the first is on its way
    assert s.busy and s.finishing
    s.submit_failed()  # not saved: the navigator may try again
    assert not s.busy and not s.finishing
    assert s.begin_submit()
    s.submitted()
    assert not s.busy


def test_a_lost_item_cannot_be_completed() -> None:
    s = session("throat")
    assert s.mark_lost("#1 was reassigned to nav2.")
    assert not s.mark_lost("again")  # said once
    assert s.lost == "#1 was reassigned to nav2."
    assert not s.allowed("accept") and not s.allowed("override")
    assert not s.begin_submit()


def test_our_own_completion_is_not_mistaken_for_a_loss() -> None:
    s = session("throat")
    assert s.begin_submit()
    assert not s.mark_lost("#1 is completed.")  # the still-mine check saw our own save
    assert s.lost is None
    assert s.mark_lost("#1 was reassigned before the save.", force=True)  # the save said so
    assert not s.busy


def test_a_kept_draft_is_resumed() -> None:
    draft = Draft(answers={"pregnant": "no"}, order=["pregnant"], note="called")
    s = session("uti", draft=draft)
    assert s.decision.next_question.id == "immunosuppressed"  # type: ignore[union-attr]
    assert s.draft is draft and s.draft.note == "called"


def test_the_session_does_not_load_textual() -> None:
    code = (
        "import sys, ehub_tui.triage\n"
        "print(','.join(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
