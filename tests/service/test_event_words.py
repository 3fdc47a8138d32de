"""The board's events and an item's history in words (issue 15, the tmux trial): an escalation
is said as one ("nav2 escalated #1 to the duty clinician (‼EM red flag: ectopic)"), a completion
names where it went, access entries (a search, an opened handover) are left off the board, and
no internal code ("same_day", "rf_ectopic", "set_priority") is shown.

Through the hub service on SQLite and PostgreSQL: the words come from what the audit keeps of
the outcome row (its destination and code), so the test drives real completions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ehub_tui.domain.destinations import ESCALATION, SAME_DAY
from ehub_tui.domain.event_words import event_words, shown_on_board
from ehub_tui.domain.models import AuditEvent, Outcome
from ehub_tui.service import HubService
from ehub_tui.ui.screens.board_events import events_text
from tests.support.factories import oc_row

ESCALATED = Outcome(
    category="escalate",
    route="escalate_rf_ectopic",
    destination="Duty clinician now: call the duty clinician",
    destination_code=ESCALATION,
    urgency="immediate",
)
SAME_DAY_OUT = Outcome(
    category="clinical",
    route="same_day_rf_ectopic",
    destination="Same-day clinician (GP urgent same-day)",
    destination_code=SAME_DAY,
    urgency="same_day",
)
PHARMACY = Outcome(
    category="signpost",
    route="pharmacy_first_sore_throat",
    destination="Community pharmacy (Pharmacy First)",
    urgency="within_48h",
)


def test_board_events_say_the_work_in_words_and_leave_access_out(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake([oc_row(i) for i in (1, 2, 3, 4)])
    nav1, nav2, sup = make_service("nav1"), make_service("nav2"), make_service("sup1")
    nav2.complete(nav2.claim(1), ESCALATED)
    nav1.complete(nav1.claim(2), PHARMACY)
    sup.set_priority(3, 1, "rang twice")
    nav1.claim(4)
    sup.reassign(4, "nav2", "nav1 is going home", carry_draft=True)
    nav2.ack_handover(4)  # an access entry: "handover_seen"
    events = sup.board().events
    # kept in the audit, left out of the board's read (the newest 30 are all work)
    assert "handover_seen" in {e.action for e in sup.audit_log(4, 50)}
    assert "handover_seen" not in {e.action for e in events}
    # the other access entries as the audit keeps them (a search by NHS number, a sign-in)
    at = events[0].at
    events += [
        AuditEvent(seq=900, at=at, actor="nav2", action="queue_search", body={"kind": "nhs"}),
        AuditEvent(seq=901, at=at, actor="author1", action="sign_in", body={}),
    ]
    shown = [event_words(e) for e in events if shown_on_board(e)]
    assert "nav2 escalated #1 to the duty clinician (‼EM red flag: ectopic)" in shown
    assert "nav1 completed #2 → Community pharmacy (Pharmacy First)" in shown
    assert "sup1 marked #3 urgent: rang twice" in shown
    assert "sup1: #4 nav1 → nav2: nav1 is going home" in shown  # (no draft was saved)
    board_text = events_text(events).plain
    assert "queue_search" not in board_text and "handover" not in board_text
    assert "sign" not in board_text and "nhs" not in board_text
    assert "set_priority" not in board_text and " complete " not in board_text


def test_history_says_urgencies_and_flags_in_words(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake([oc_row(i) for i in (1, 2, 3)])
    nav, sup = make_service("nav1"), make_service("sup1")
    nav.complete(nav.claim(1), ESCALATED)
    nav.complete(nav.claim(2), SAME_DAY_OUT)
    nav.complete(nav.claim(3), PHARMACY)
    words = {i: [e.words for e in sup.item_history(i)] for i in (1, 2, 3)}
    assert "Escalated by nav1 to the duty clinician, now for the red flag 'ectopic'." in words[1]
    assert "Completed by nav1: sent to a same-day clinician for the red flag 'ectopic'." in words[2]
    assert "Completed by nav1: Community pharmacy (Pharmacy First), within 48 hours." in words[3]
    every = " ".join(w for ws in words.values() for w in ws)
    assert "same_day" not in every and "rf_" not in every and "(immediate)" not in every


def test_issue_16_events_in_words_and_held_responses_left_off_the_board() -> None:
    at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def ev(action: str, item: int | None = None) -> AuditEvent:
        return AuditEvent(seq=1, at=at, actor="admin1", action=action, consultation_id=item)

    assert event_words(ev("withdrawal_flagged", 12)) == (
        "the supplier withdrew #12 after work began (see the quarantine)"
    )
    assert event_words(ev("amendment_held", 12)).startswith("the supplier amended #12 after")
    assert (
        event_words(ev("supplier_amendment", 3)) == "the supplier amended #3 before anyone took it"
    )
    assert "retention" in event_words(ev("retention_purge"))
    assert event_words(ev("practice_list_sizes")) == "admin1 imported practice list sizes"
    assert not shown_on_board(ev("response_held")) and not shown_on_board(ev("response_done"))
    assert shown_on_board(ev("withdrawal_flagged", 12))
