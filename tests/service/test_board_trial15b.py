"""The board after trial 15b (issue 15): "Due < 1 h" counts every emergency (it is due now,
whatever its due time says, as the queue's d lists it); parked items are counted and listed; and
a reassign asks the hub whether it holds the holder's draft for this claim, and since when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ehub_tui.domain.board import QUESTION_CHARS
from ehub_tui.domain.flags import flag_mark
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.errors import NotAvailable, PermissionDenied
from ehub_tui.service import HubService
from tests.conftest import FrozenClock
from tests.hub.syncing import event, hub_of
from tests.store.test_lease_clock import HubTime
from tests.support.factories import oc_row

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # the frozen clock (a Monday)
WORST = "Sudden worst headache of my life, started an hour ago."


def test_due_within_the_hour_counts_every_emergency_as_the_queues_d_does(
    seeded: HubService, make_service: Callable[..., Any], clock: FrozenClock
) -> None:
    created, _ = seeded.store_intake(
        [
            oc_row(1),  # a plain item: due days away
            oc_row(2, priority=2),  # the supplier's emergency
            oc_row(3, free_text=WORST),  # the SOPs' emergency red flag
        ]
    )
    ids = [cid for _, cid in created]
    seeded.prescreen()
    sup = make_service("sup1")
    # a supervisor's "normal" is refused for an SOP emergency (trial 15c): still due now
    with pytest.raises(NotAvailable, match="stays an emergency"):
        sup.set_priority(ids[2], 0, "looked at it: stays a red flag")
    board = sup.board()
    due = {i.id: (i.due_by, flag_mark(i.priority, i.sop_flags).short) for i in board.items}
    assert due[ids[1]][1] == due[ids[2]][1] == "‼EM"
    assert all(due[i][0] > NOW + timedelta(hours=1) for i in ids)  # no due time says so
    assert board.due_within_hour == 2 and board.breaching == 0
    # the queue's d lists the same two (store/views.py)
    rows, _ = make_service("nav1").queue_page(
        "queue", QueueFilter(due_before=NOW + timedelta(hours=1)), 0, 50
    )
    assert sorted(r.id for r in rows) == sorted(ids[1:])


def test_parked_items_are_counted_and_listed_by_return_time(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str
) -> None:
    created, _ = seeded.store_intake([oc_row(1), oc_row(2), oc_row(3, priority=1)])
    ids = [cid for _, cid in created]
    nav = make_service("nav1")
    sup = make_service("sup1")
    hub = HubTime(hub_url)
    hub.attach(seeded, nav, sup)
    assert (sup.board().awaiting, sup.board().parked) == (0, [])
    long_question = "Has the rash spread since you wrote? " * 10
    nav.park(nav.claim(ids[0]), "Is the pain worse today?", hub.now() + timedelta(hours=3))
    nav.park(nav.claim(ids[2]), long_question, hub.now() + timedelta(minutes=30))
    board = sup.board()
    assert (board.awaiting, board.awaiting_back_within_hour) == (2, 1)
    # soonest back first; who parked it, the question cut short, the flag's inputs
    assert [p.id for p in board.parked] == [ids[2], ids[0]]
    first = board.parked[0]
    assert (first.parked_by, first.practice_ods) == ("nav1", oc_row(3).practice_ods)
    assert first.question == long_question[:QUESTION_CHARS]
    assert flag_mark(first.priority, first.sop_flags).short in ("!UR",)
    assert ids[2] not in {i.id for i in board.items}  # parked is not open work


@pytest.mark.usefixtures("transport")
def test_the_hub_says_whether_it_holds_the_holders_draft_for_this_claim(
    seeded: HubService, make_service: Callable[..., Any], clock: FrozenClock
) -> None:
    created, _ = seeded.store_intake([oc_row(1), oc_row(2)])
    item, other = (cid for _, cid in created)
    nav1, sup = make_service("nav1"), make_service("sup1")
    claim = nav1.claim(item)
    nothing = sup.holder_draft(item)
    assert (nothing.holder, nothing.saved_at) == ("nav1", None)  # no draft reached the hub
    pushed = hub_of(nav1).sync_push([event("draft", claim)])
    assert [r.state for r in pushed.results] == ["accepted"]
    clock.advance(seconds=40)
    got = sup.holder_draft(item)
    assert got.holder == "nav1" and got.saved_at is not None
    assert got.hub_now - got.saved_at == timedelta(seconds=40)  # "saved 40 s ago"
    # released and claimed again: the draft of the earlier claim is not this claim's work
    nav1.release(claim, "rang the practice")
    nav1.claim(item)
    assert sup.holder_draft(item).saved_at is None
    assert sup.holder_draft(other).holder is None  # waiting: nobody's draft
    with pytest.raises(PermissionDenied):
        nav1.holder_draft(item)
