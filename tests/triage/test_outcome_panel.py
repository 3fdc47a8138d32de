"""The outcome panel (issue 15) and the override fix, on a TriageSession with the shipped SOPs:
team, urgency within limits and mode of contact on the outcome; an override records the route
the navigator chose, never a rule that did not match."""

from __future__ import annotations

from ehub_tui.domain import contact
from ehub_tui.triage import LibraryGuidance, TriageSession, override, panel
from tests.triage.conftest import (
    NOW,
    PRACTICES,
    FakeClaim,
    Ticks,
    consultation,
    session,
    shipped_sops,
)

ANP_TODAY = ("ANP minor illness hub", "clinical", "same_day")


def option(s: TriageSession, key: tuple[str, str, str]) -> override.OverrideOption:
    return next(o for o in s.override_options() if o.key == key)


def test_the_panel_starts_with_the_routes_own_team_urgency_and_contact() -> None:
    s = session("throat")
    p = panel.panel(s)
    assert p is not None and p.route.id == "pf_sore_throat"
    assert p.team == "Community pharmacy (outside the practice)"
    assert (p.urgency, p.urgencies) == ("same_day", ["same_day"])
    assert p.contact == "message" and p.snomed == "1362511000000107"
    assert s.allowed("urgency") and s.allowed("contact")
    outcome = s.accept(NOW)
    assert outcome is not None
    assert (outcome.urgency, outcome.contact_mode) == ("same_day", "message")
    assert outcome.team == "Community pharmacy (outside the practice)"


def test_urgency_goes_only_more_urgent_and_contact_is_chosen() -> None:
    s = session("throat")
    gp = option(s, ("GP routine", "clinical", "within_3_days"))
    s.override(gp.value, "wants to see the GP")
    p = panel.panel(s)
    assert p is not None and p.urgencies == [
        "within_3_days",
        "within_48h",
        "within_24h",
        "same_day",
    ]
    assert p.contact == "phone"  # a GP's usual contact
    seen = [panel.cycle_urgency(s) for _ in range(4)]
    assert seen == ["within_48h", "within_24h", "same_day", "within_3_days"]  # never less urgent
    panel.cycle_urgency(s)
    panel.cycle_urgency(s)  # 24 h
    assert panel.cycle_contact(s) == "face_to_face"
    outcome = s.accept(NOW)
    assert outcome is not None
    assert (outcome.urgency, outcome.contact_mode, outcome.team) == (
        "within_24h",
        "face_to_face",
        "GP team",
    )
    assert outcome.snomed_code == "183561008"  # Referral to general practitioner


def test_a_choice_the_route_does_not_allow_is_never_recorded() -> None:
    s = session("throat")
    s.draft.urgency = "routine"  # e.g. a kept draft from a less urgent route
    s.draft.contact = "teleport"
    outcome = s.accept(NOW)
    assert outcome is not None
    assert outcome.urgency == "same_day"  # the route's own, not below it
    assert outcome.contact_mode == "message"


def test_another_route_starts_again_from_its_own_limits() -> None:
    s = session("throat")
    gp = option(s, ("GP routine", "clinical", "within_3_days"))
    s.override(gp.value, "GP")
    panel.cycle_urgency(s)
    assert s.draft.urgency == "within_48h"
    anp = option(s, ANP_TODAY)
    s.override(anp.value, "ANP instead")
    assert s.draft.urgency is None and s.draft.contact is None


def test_red_flags_set_the_least_urgency_allowed() -> None:
    assert contact.urgency_choices("within_5_days", ["urgent"]) == ["same_day"]
    assert contact.urgency_choices("routine", ["emergency"]) == ["immediate"]
    assert contact.urgency_choices("immediate") == ["immediate"]
    # immediate is never offered as a quicker slot: escalating is its own action
    assert "immediate" not in contact.urgency_choices("routine")
    assert not contact.allowed_urgency("within_5_days", "within_3_days")
    assert contact.contact_choices("escalate") == ["phone", "face_to_face", "video", "home_visit"]


def test_escalating_records_the_duty_clinician_by_phone() -> None:
    s = session("headache")
    outcome = s.escalate(s.open_flags[0], NOW)
    assert (outcome.urgency, outcome.contact_mode, outcome.team) == (
        "immediate",
        "phone",
        "Duty clinician",
    )


# -- the override records the route the navigator chose ---------------------------------------


def test_an_override_to_a_shared_destination_claims_no_rule_that_did_not_match() -> None:
    # a sore throat overridden to the ANP hub: several UTI, otitis, impetigo… rules send there,
    # none matches this item; the first of them (pf_uti_not_female) was recorded before
    s = session("throat")
    anp = option(s, ANP_TODAY)
    sharing = [r.id for r in s.all_routes() if override.choice_key(r) == ANP_TODAY]
    assert "pf_uti_not_female" in sharing and len(sharing) > 3
    assert anp.value == "override_clinical_anp_minor_illness_hub_same_day"
    s.override(anp.value, "needs examining")
    outcome = s.accept(NOW)
    assert outcome is not None
    assert outcome.route == anp.value and outcome.route not in sharing
    assert outcome.destination == "ANP minor illness hub"
    assert outcome.destination_code == "ANP_MINOR_ILLNESS"
    assert outcome.snomed_code == "306338003"  # Referral to nurse practitioner
    assert outcome.override_reason == "needs examining"
    assert not set(outcome.detail.matched_rules) & set(sharing)
    assert outcome.detail.suggested_route == "pf_sore_throat"


def test_an_override_to_a_shared_destination_records_the_rule_that_does_match() -> None:
    # the same choice for a man with a UTI: pf_uti_not_female does hold for him
    item = consultation("uti").model_copy(
        update={"sex": "male", "answers": {"duration_days": 2, "fever": "no"}}
    )
    s = TriageSession(
        FakeClaim(item.id, 1, "nav1"),
        item,
        LibraryGuidance(shipped_sops(), today=lambda: NOW.date()),
        practice_name=lambda ods: PRACTICES.get(ods, ods),
        monotonic=Ticks(),
    )
    s.start(NOW)
    while s.step == "question":
        q = s.decision.next_question  # type: ignore[union-attr]
        assert q is not None and s.answer(q.answers.index("no") + 1)
    assert option(s, ANP_TODAY).value == "pf_uti_not_female"


def test_a_destination_only_one_route_offers_records_that_route() -> None:
    s = session("throat")
    [extension] = [o for o in s.override_options() if o.value == "adm_fit_note_extension"]
    assert extension.category == "admin"


def test_the_override_choices_are_grouped_by_category() -> None:
    s = session("throat")
    categories = [o.category for o in s.override_options()]
    groups = [c for i, c in enumerate(categories) if i == 0 or categories[i - 1] != c]
    assert groups == ["signpost", "clinical", "admin", "escalate"]
    assert len(categories) == len({o.key for o in s.override_options()})


def test_the_message_says_the_urgency_the_panel_records() -> None:
    from ehub_tui.sop.messages import timescale

    s = session("throat")
    gp = option(s, ("GP routine", "clinical", "within_3_days"))
    s.override(gp.value, "wants to see the GP")
    assert timescale("within_3_days") in s.message_text()
    panel.cycle_urgency(s)  # 48 h
    assert timescale("within_48h") in s.message_text()
    outcome = s.accept(NOW)
    assert outcome is not None and outcome.message is not None
    assert outcome.urgency == "within_48h" and timescale("within_48h") in outcome.message


def test_u_on_a_route_that_cannot_be_quicker_says_why() -> None:
    s = session("throat")  # Pharmacy First: today is the only urgency it offers
    told: list[str] = []
    assert panel.cycle_urgency(s, tell=told.append) is None
    assert s.draft.urgency is None  # nothing changed
    assert len(told) == 1 and told[0] == panel.urgency_fixed(s)
    assert told[0].startswith("This route is already as urgent as it allows: ")
    assert "is today, the quickest it offers" in told[0] and "another route (o)" in told[0]
    # a route that can be quicker says nothing and moves one step
    gp = option(s, ("GP routine", "clinical", "within_3_days"))
    s.override(gp.value, "wants to see the GP")
    assert panel.urgency_fixed(s) is None
    assert panel.cycle_urgency(s, tell=told.append) == "within_48h" and len(told) == 1
