"""The queue's order after trial 15b, through the hub service, the in-process client and HTTPS on
SQLite and PostgreSQL: a returned item is not handed straight back to its returner by `n`; an
item back from awaiting the patient comes first within its priority (list and `n`); the items
others hold follow what waits, saying who and since when; the tab counts say how many are in
hand and how many emergencies wait."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from tests.hub.test_awaiting import _hub_time, _reply
from tests.support.factories import oc_row

pytestmark = pytest.mark.usefixtures("transport")

ALL = QueueFilter()


def _ids(nav: Any, offset: int = 0, limit: int = 50) -> list[int]:
    rows, _total = nav.queue_page("queue", ALL, offset, limit)
    return [r.id for r in rows]


def test_n_does_not_hand_a_returned_item_back_to_its_returner(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake([oc_row(1, minutes_ago=30), oc_row(2, minutes_ago=20)])
    nav1, nav2 = make_service("nav1"), make_service("nav2")
    first = nav1.claim_next()
    assert first is not None and first.item_id == 1
    nav1.release(first, "need senior look")
    again = nav1.claim_next()
    assert again is not None and again.item_id == 2  # not #1 straight back
    assert nav1.claim_next() is None  # only what nav1 returned waits: left for others
    assert [r.id for r in nav1.queue_page("queue", ALL, 0, 10)[0] if r.status == "queued"] == [1]
    taken = nav2.claim_next()  # another navigator gets it
    assert taken is not None and taken.item_id == 1
    nav2.release(taken, "wrong practice for me")
    back = nav1.claim_next()  # returned by someone else since: nav1's n gives it again
    assert back is not None and back.item_id == 1


def test_closing_the_app_is_not_a_return_and_the_returner_may_open_it(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake([oc_row(1, minutes_ago=30), oc_row(2, minutes_ago=20)])
    nav1 = make_service("nav1")
    first = nav1.claim_next()
    nav1.release_held()  # the app closed holding it
    assert nav1.claim_next().item_id == first.item_id
    nav1.release(nav1.held_claims()[0], "need senior look")
    assert nav1.claim(first.item_id).item_id == first.item_id  # ⏎ on it: on purpose


def test_an_item_back_from_awaiting_comes_first_within_its_priority(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str
) -> None:
    seeded.store_intake(
        [
            oc_row(1, minutes_ago=5),  # newest routine: parked, then the patient replies
            oc_row(2, minutes_ago=50),
            oc_row(3, minutes_ago=40),
            oc_row(4, minutes_ago=1, priority=1),  # urgent still outranks it
        ]
    )
    nav1, nav2 = make_service("nav1"), make_service("nav2")
    hub = _hub_time(hub_url, seeded, nav1, nav2)
    assert _ids(nav1) == [4, 2, 3, 1]
    nav1.park(nav1.claim(1), "Is it still sore?", hub.now() + timedelta(hours=3))
    seeded.store_intake([_reply(1, "T-0000001")])
    assert _ids(nav1) == [4, 1, 2, 3]
    assert _ids(nav1, 1, 2) == [1, 2] and _ids(nav1, 2, 5) == [2, 3]  # windows agree
    assert [nav2.claim_next().item_id for _ in range(2)] == [4, 1]
    assert _ids(nav1)[:2] == [2, 3]  # the rest as before; #1 and #4 now held (listed after)


def test_held_items_follow_the_waiting_ones_with_who_and_since_and_the_counts(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake(
        [oc_row(1, minutes_ago=30), oc_row(2, minutes_ago=20), oc_row(3, priority=2)]
    )
    nav1, nav2 = make_service("nav1"), make_service("nav2")
    mine = nav1.claim(2)
    nav2.claim(1)
    rows, total = nav1.queue_page("queue", ALL, 0, 50)
    assert [(r.id, r.status) for r in rows] == [(3, "queued"), (1, "claimed")]
    assert total == 2  # (nav1's own item is in Mine)
    held = rows[1]
    assert held.holder == "Tom Fletcher"  # nav2, by name
    assert held.since is not None
    assert nav1.queue_page("queue", ALL, 1, 5)[0][0].id == 1  # the tail windows too
    counts = nav1.view_counts()
    assert (counts["queue"], counts["in_hand"], counts["emergencies"]) == (1, 1, 1)
    assert counts["mine"] == 1 and mine.item_id == 2
