"""Awaiting the patient (issue 15 part 5) and an item's history (part 6), through the hub
service, the in-process client and HTTPS, on SQLite and PostgreSQL.

A navigator parks an item they hold with the question sent and a return time: it leaves the
queue (status awaiting, nobody holds it, the epoch moves on so their open screen can write
nothing more). It comes back when the patient's reply for the same supplier thread is ingested
(``answers.in_reply_to`` names the original's external id; same source and NHS number) with the
reply kept beside the question, or at its return time by the hub's clock with "no reply". The
history reads every step in words, is refused to a navigator for someone else's item, and the
audit chain verifies after each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Interval, literal, update

from ehub_tui.domain.awaiting import ParkState, return_choices
from ehub_tui.domain.clock import CoreHours
from ehub_tui.domain.queue import Claim, QueueFilter
from ehub_tui.domain.types import Status
from ehub_tui.errors import LostClaim, PermissionDenied, QueueError
from ehub_tui.export.metrics import AWAITING as AWAITING_METRICS
from ehub_tui.service import HubService
from ehub_tui.store.engine import write_tx
from ehub_tui.store.models_awaiting import AwaitingReply
from tests.store.test_lease_clock import HubTime
from tests.support.factories import oc_row

pytestmark = pytest.mark.usefixtures("transport")

A = AwaitingReply.__table__  # type: ignore[attr-defined]
QUESTION = "Has the rash spread since you wrote? Please send a photo."
REPLY = "It has spread to my other arm, photo attached."


def _verified(seeded: HubService) -> None:
    found = seeded.verify_audit()
    assert found.ok, [str(p) for p in found.problems]


def _hub_time(hub_url: str, seeded: HubService, *services: Any) -> HubTime:
    hub = HubTime(hub_url)
    hub.attach(seeded, *services)
    return hub


def _advance(hub: HubTime, seeded: HubService, **step: Any) -> None:
    """Let the hub's time pass (PostgreSQL's clock cannot move: the return times move back)."""
    if hub.sqlite:
        hub.clock.advance(**step)
        return
    with write_tx(seeded.engine) as conn:
        conn.execute(
            update(A).values(return_at=A.c.return_at - literal(timedelta(**step), Interval()))
        )


def _counted(seeded: HubService, i: int) -> tuple[Any, ...]:
    """(parked, replied, no reply) in the daily return for oc_row(i)'s practice on its day."""
    day = date(2026, 11, 23)
    ret = seeded.daily_return(day, day)
    ods = oc_row(i).practice_ods
    return tuple(ret.value(day, ods, m) for m in AWAITING_METRICS)


def _reply(i: int, original: str, **extra: Any) -> Any:
    """The patient's reply to consultation ``i`` (oc_row(i)), as its supplier sends it."""
    base = oc_row(i)
    fields: dict[str, Any] = {
        "external_id": f"R-{i:07d}",
        "nhs_number": base.nhs_number,
        "free_text": REPLY,
        "answers": {"in_reply_to": original},
    }
    fields.update(extra)
    return oc_row(i, **fields)


def test_park_leaves_the_queue_and_a_reply_brings_it_back_with_both_texts(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str
) -> None:
    seeded.store_intake([oc_row(1), oc_row(2)])
    nav = make_service("nav1")
    hub = _hub_time(hub_url, seeded, nav)
    claim: Claim = nav.claim(1)
    nav.park(claim, QUESTION, hub.now() + timedelta(hours=3))

    state = nav.item_state(1)
    assert state.status == Status.AWAITING and state.owner is None
    assert state.epoch == claim.epoch + 1  # fenced: the parker's claim writes nothing more
    assert nav.view_counts()["queue"] == 1  # only item 2 is queued
    with pytest.raises(LostClaim):
        nav.heartbeat(claim)
    parked = nav.parking(1)
    assert parked is not None and parked.state is ParkState.AWAITING
    assert parked.question == QUESTION and parked.reply_text is None

    # the reply arrives for the same thread: not a new item, the parked one comes back
    result = seeded.store_intake([_reply(1, "T-0000001"), oc_row(3)])
    assert [i for i, _ in result.created] == [1]  # only the ordinary record is new
    assert nav.item_state(1).status == Status.QUEUED
    back = nav.parking(1)
    assert back is not None and back.state is ParkState.REPLIED
    assert (back.question, back.reply_text) == (QUESTION, REPLY)
    assert back.banner().startswith("Reply received")

    # delivered again: a duplicate (nothing new, nothing linked twice)
    again = seeded.store_intake([_reply(1, "T-0000001")])
    assert again.created == [] and nav.item_state(1).status == Status.QUEUED

    words = [e.words for e in nav.item_history(1)]
    assert words[0].startswith("Received from TEST")
    assert "Claimed by nav1." in words
    assert any(w.startswith("Parked by nav1 awaiting the patient's reply") for w in words)
    assert "The patient's reply was received: back in the queue." in words
    details = "\n".join(e.detail for e in nav.item_history(1))
    assert f"Question sent: {QUESTION}" in details and f"Reply: {REPLY}" in details
    assert _counted(seeded, 1) == (1, 1, 0)
    _verified(seeded)


def test_a_reply_from_another_patient_or_for_no_parked_item_is_an_ordinary_item(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str
) -> None:
    seeded.store_intake([oc_row(1)])
    nav = make_service("nav1")
    hub = _hub_time(hub_url, seeded, nav)
    nav.park(nav.claim(1), QUESTION, hub.now() + timedelta(hours=3))
    stranger = _reply(1, "T-0000001", nhs_number=oc_row(40).nhs_number)
    unknown = _reply(2, "T-9999999")
    result = seeded.store_intake([stranger, unknown])
    assert len(result.created) == 2  # stored as new items, not linked
    assert nav.item_state(1).status == Status.AWAITING
    _verified(seeded)


def test_no_reply_by_the_return_time_brings_it_back_by_the_hubs_clock(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str
) -> None:
    seeded.store_intake([oc_row(1)])
    nav = make_service("nav1")
    hub = _hub_time(hub_url, seeded, nav)
    nav.park(nav.claim(1), QUESTION, hub.now() + timedelta(hours=2))
    assert seeded.rescue_expired() == []  # not yet
    assert nav.item_state(1).status == Status.AWAITING

    _advance(hub, seeded, hours=2, minutes=1)
    assert seeded.rescue_expired() == [1]  # the hub's sweep (its timer runs this)
    assert nav.item_state(1).status == Status.QUEUED
    parked = nav.parking(1)
    assert parked is not None and parked.state is ParkState.TIMED_OUT
    assert parked.banner().startswith("No reply by ")
    assert any(e.words.startswith("Back in the queue: no reply by") for e in nav.item_history(1))

    # a late reply is kept with the item (it stays where it is in the queue)
    seeded.store_intake([_reply(1, "T-0000001")])
    late = nav.parking(1)
    assert late is not None and late.reply_text == REPLY and late.state is ParkState.TIMED_OUT
    assert _counted(seeded, 1) == (1, 0, 1)  # the late reply is not counted as a reply
    _verified(seeded)


def test_parking_is_refused_in_words_for_a_bad_time_or_a_claim_no_longer_held(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str
) -> None:
    seeded.store_intake([oc_row(1)])
    nav, nav2 = make_service("nav1"), make_service("nav2")
    hub = _hub_time(hub_url, seeded, nav, nav2)
    claim = nav.claim(1)
    with pytest.raises(QueueError, match="not in the future"):
        nav.park(claim, QUESTION, hub.now() - timedelta(minutes=5))
    with pytest.raises(QueueError, match="more than 14 days ahead"):
        nav.park(claim, QUESTION, hub.now() + timedelta(days=15))
    with pytest.raises(QueueError, match="write the question"):
        nav.park(claim, "   ", hub.now() + timedelta(hours=1))
    with pytest.raises(LostClaim):  # someone else's claim
        nav2.park(claim, QUESTION, hub.now() + timedelta(hours=1))
    assert nav.item_state(1).status == Status.CLAIMED  # nothing changed
    _verified(seeded)


def test_history_is_role_checked_and_reads_a_reassign_and_a_completion_in_words(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str
) -> None:
    from ehub_tui.domain.models import Outcome

    seeded.store_intake([oc_row(1)])
    nav, nav2, sup = make_service("nav1"), make_service("nav2"), make_service("sup1")
    nav.claim(1)
    sup.reassign(1, "nav2", "nav1 is going home")
    claim = nav2.held_claims()[0]
    outcome = Outcome(
        category="signpost",
        route="pharmacy_first_sore_throat",
        destination="Community pharmacy (Pharmacy First)",
        note="Adult sore throat, no red flags.",
        message="Please see a pharmacist today.",
    )
    nav2.complete(claim, outcome)
    words = [e.words for e in sup.item_history(1)]
    assert "Reassigned by sup1 from nav1 to nav2." in words
    assert any(w.startswith("Completed by nav2: Community pharmacy") for w in words)
    details = "\n".join(e.detail for e in sup.item_history(1))
    assert "Reason: nav1 is going home" in details
    assert "Message sent: Please see a pharmacist today." in details
    assert nav.item_history(1)  # nav1 held it once
    nav3 = make_service("nav3")
    with pytest.raises(PermissionDenied, match="may not read the history"):
        nav3.item_history(1)
    mgr = make_service("mgr1")
    with pytest.raises(PermissionDenied):
        mgr.item_history(1)
    _verified(seeded)


def test_return_choices_are_ahead_and_bounded() -> None:
    from datetime import UTC, datetime

    monday_ten = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    choices = return_choices(monday_ten, CoreHours())
    assert [c.label for c in choices] == [
        "end of today",
        "tomorrow 10:00",
        "in 2 working days",
        "in 5 working days",
    ]
    assert all(c.at > monday_ten for c in choices)
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    later = return_choices(friday_evening, CoreHours())
    assert "end of today" not in [c.label for c in later]
    assert later[1].at.date().isoformat() == "2026-12-01"  # 2 working days: Tuesday


def test_a_reply_is_screened_for_red_flags_with_the_request(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str
) -> None:
    """The patient's reply is their words too: a red flag in it raises the item when it comes
    back (the prescreen reads the replies beside the request)."""
    seeded.store_intake([oc_row(1)])
    seeded.prescreen()
    nav = make_service("nav1")
    hub = _hub_time(hub_url, seeded, nav)
    assert nav.item_state(1).status == Status.QUEUED
    before = seeded.consultation(1).priority
    nav.park(nav.claim(1), QUESTION, hub.now() + timedelta(hours=3))
    worse = "Since this morning crushing chest pain going into my left arm, and sweating."
    seeded.store_intake([_reply(1, "T-0000001", free_text=worse)])
    assert nav.item_state(1).status == Status.QUEUED
    assert seeded.prescreen() >= 1  # screened again, with the reply
    rows, _ = nav.queue_page("queue", QueueFilter(search="#1"), 0, 5)
    assert rows[0].sop_flags is not None and "emergency" in rows[0].sop_flags
    assert seeded.consultation(1).priority == 2 > before
    # and triage reads it: the navigator who opens the item is shown the red flag (the SOPs'
    # decision over the request and the reply), never a plain route
    opened = nav.consultation(1)
    assert "Reply to the hub's question: Since this morning crushing chest pain" in (
        opened.free_text
    )
    from ehub_tui.triage import LibraryGuidance
    from tests.triage.conftest import NOW, shipped_sops

    decision = LibraryGuidance(shipped_sops(), today=lambda: NOW.date()).decide(opened, {})
    assert decision is not None
    assert any(f.level == "emergency" for f in decision.red_flags)
    # the stored request is the patient's own words, unchanged
    assert "crushing" not in seeded.consultation(1).model_dump()["free_text"].split("Reply")[0]
    _verified(seeded)
