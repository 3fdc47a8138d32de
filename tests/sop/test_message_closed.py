"""A same-day need sent while the hub is closed tells the patient where to go meanwhile (trial 15d).

Sunday 6 December 2026: a baby's "GP urgent same-day" message named Monday and said only "if
she gets worse"; a patient who cannot wait until Monday must read "call NHS 111 now".
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ehub_tui.sop.messages import message_context, safety_net, waits_for_opening

SUNDAY_MORNING = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
MONDAY_MORNING = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MONDAY_EVENING = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)  # after the 18:30 close
BANK_HOLIDAY = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
BABY = {"given_name": "Beatrix Rose", "date_of_birth": "2026-07-01"}
ADULT = {"given_name": "Noah", "date_of_birth": "1950-03-02"}


@pytest.mark.parametrize("when", [SUNDAY_MORNING, MONDAY_EVENING, BANK_HOLIDAY])
@pytest.mark.parametrize("urgency", ["same_day", "within_24h"])
def test_a_same_day_need_while_closed_says_call_111_now(when: datetime, urgency: str) -> None:
    assert waits_for_opening(urgency, when)
    ctx = message_context(ADULT, category="clinical", urgency=urgency, now=when)
    assert ctx["safety_net"] == (
        "If this cannot wait until then, or you get worse, call NHS 111 now, "
        "or 999 in an emergency."
    )
    assert ctx["timescale"].startswith(("on ", "by the end of "))  # names the later day


def test_a_child_is_named_in_the_closed_hours_safety_net() -> None:
    ctx = message_context(BABY, category="clinical", urgency="same_day", now=SUNDAY_MORNING)
    assert ctx["timescale"] == "on Monday 7 December"
    assert ctx["safety_net"] == (
        "If this cannot wait until then, or Beatrix gets worse, call NHS 111 now, "
        "or 999 in an emergency."
    )


@pytest.mark.parametrize("urgency", ["same_day", "within_24h"])
def test_while_open_the_usual_safety_net_stands(urgency: str) -> None:
    assert not waits_for_opening(urgency, MONDAY_MORNING)
    ctx = message_context(ADULT, category="clinical", urgency=urgency, now=MONDAY_MORNING)
    assert ctx["safety_net"] == "If you get worse, call NHS 111, or 999 in an emergency."


@pytest.mark.parametrize("urgency", ["immediate", "within_3_days", "routine", None])
def test_other_urgencies_never_wait_for_opening(urgency: str | None) -> None:
    assert not waits_for_opening(urgency, SUNDAY_MORNING)


def test_admin_replies_still_carry_no_safety_net_when_closed() -> None:
    assert safety_net("Noah", 76, "admin", "same_day", waits=True) == ""
    ctx = message_context(ADULT, category="admin", urgency="same_day", now=SUNDAY_MORNING)
    assert ctx["safety_net"] == ""


def test_no_clock_no_claim_about_opening() -> None:
    assert not waits_for_opening("same_day", None)
