"""Pulling what changed on the hub (issue 14) through the hub service, the in-process client and
HTTPS, on SQLite and PostgreSQL: the cursor is the audit chain's head, so a pull with the current
cursor is ``not_modified``, a cursor of 0 (or too far behind) gets the whole open queue, and a
delta names the open items that changed and those no longer open — and a puller that pulls
while others write never misses a commit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from ehub_tui.domain.sync import REJECT_FENCED, PullResult
from ehub_tui.service import HubService
from ehub_tui.store import sync as store_sync
from tests.hub.syncing import event, hub_of
from tests.support.factories import oc_row

pytestmark = pytest.mark.usefixtures("transport")


def test_a_first_pull_is_the_whole_open_queue_and_then_not_modified(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    created, _ = seeded.store_intake([oc_row(i, minutes_ago=10 - i) for i in range(4)])
    ids = [cid for _, cid in created]
    nav, sup = make_service("nav1"), make_service("sup1")
    held = nav.claim(ids[1])
    sup.cancel(ids[3], "a duplicate")
    first = hub_of(nav).sync_pull(0)
    assert first.reset and not first.not_modified and first.gone == []
    assert first.cursor == seeded.change_cursor()
    assert [(r.id, r.status, r.owner) for r in first.rows] == [
        (ids[0], "queued", None),
        (ids[1], "claimed", "nav1"),
        (ids[2], "queued", None),
    ]
    (mine,) = first.held
    assert mine.claim.item_id == held.item_id and mine.claim.epoch == held.epoch
    assert mine.consultation.id == held.item_id and mine.consultation.free_text == "sore throat"
    assert mine.draft is None
    assert first.sop_stamp == seeded.sop_stamp() and first.rejected == []

    again = hub_of(nav).sync_pull(first.cursor)
    assert again.not_modified and again.cursor == first.cursor
    assert again.rows == [] and again.held == [] and again.gone == []
    # a cursor from another history (ahead of this hub's head) starts afresh
    ahead = hub_of(nav).sync_pull(first.cursor + 10)
    assert ahead.reset and ahead.cursor == first.cursor and len(ahead.rows) == 3


def test_a_delta_names_the_open_items_that_changed_and_those_gone(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    created, _ = seeded.store_intake([oc_row(i, minutes_ago=10 - i) for i in range(5)])
    ids = [cid for _, cid in created]
    nav1, nav2, sup = make_service("nav1"), make_service("nav2"), make_service("sup1")
    done = nav2.claim(ids[1])
    cursor = hub_of(nav1).sync_pull(0).cursor

    taken = nav2.claim(ids[0])  # another user's claim: nav1 sees it held by nav2
    (completed,) = hub_of(nav2).sync_push([event("complete", done)]).results
    assert completed.state == "accepted"
    sup.cancel(ids[2], "a duplicate")
    more, _ = seeded.store_intake([oc_row(10)])  # a new item (one ingest event for the batch)
    delta = hub_of(nav1).sync_pull(cursor)
    assert not delta.reset and not delta.not_modified and delta.cursor > cursor
    assert {(r.id, r.status, r.owner) for r in delta.rows} == {
        (taken.item_id, "claimed", "nav2"),
        (more[0][1], "queued", None),
    }
    assert delta.gone == sorted([ids[1], ids[2]])
    assert ids[3] not in {r.id for r in delta.rows}  # unchanged items are not sent again
    assert hub_of(nav1).sync_pull(delta.cursor).not_modified


def test_a_cursor_too_far_behind_gets_the_whole_queue(
    seeded: HubService, make_service: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded.store_intake([oc_row(i) for i in range(3)])
    nav = make_service("nav1")
    cursor = hub_of(nav).sync_pull(0).cursor
    monkeypatch.setattr(store_sync, "RESET_AFTER", 2)  # (5000 changes, made small)
    nav.claim_next()
    assert not hub_of(nav).sync_pull(cursor).reset  # one change behind: a delta
    nav.claim_next()
    nav.claim_next()
    far = hub_of(nav).sync_pull(cursor)
    assert far.reset and len(far.rows) == 3 and len(far.held) == 3


def test_held_items_carry_their_draft_and_the_users_refused_events(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake([oc_row(i) for i in range(2)])
    nav, sup = make_service("nav1"), make_service("sup1")
    a, b = nav.claim_next(), nav.claim_next()
    sup.force_release(b.item_id, "stale claim")
    draft = event("draft", a, payload={"draft": {"note": "asked about fever", "answers": {}}})
    lost = event("complete", b)
    out = hub_of(nav).sync_push([draft, lost]).results
    assert [r.state for r in out] == ["accepted", "rejected"]
    pulled = hub_of(nav).sync_pull(0)
    assert [(h.claim.item_id, h.draft) for h in pulled.held] == [
        (a.item_id, {"note": "asked about fever", "answers": {}})
    ]
    (refused,) = pulled.rejected
    assert refused.event_id == lost.event_id and refused.code == REJECT_FENCED
    assert refused.payload == lost.payload  # the outcome kept whole
    other = hub_of(make_service("nav2")).sync_pull(0)
    assert other.held == [] and other.rejected == []  # nav1's, not theirs
    assert seeded.verify_audit().ok


def test_a_puller_never_misses_a_commit_of_writers_interleaving(
    seeded: HubService, make_service: Callable[..., Any], clock: Any
) -> None:
    n = 24
    created, _ = seeded.store_intake([oc_row(i, minutes_ago=n - i) for i in range(n)])
    ids = [cid for _, cid in created]
    puller = hub_of(make_service("sup1"))
    state = puller.sync_pull(0)
    cache = {r.id: (r.status, r.owner) for r in state.rows}
    cursor = state.cursor

    failed: list[BaseException] = []

    def work(user: str, mine: list[int]) -> None:
        # another workstation: its own engine, claiming by id and completing every other one
        svc = HubService.open(seeded.settings, user, clock=clock)
        try:
            for k, item in enumerate(mine):
                claim = svc.claim(item)
                if k % 2:
                    (r,) = svc.sync_push([event("complete", claim)]).results
                    assert r.state == "accepted", r
        except BaseException as exc:  # reported by the test's own thread
            failed.append(exc)
        finally:
            svc.close()

    writers = [
        threading.Thread(target=work, args=("nav1", ids[0::2])),
        threading.Thread(target=work, args=("nav2", ids[1::2])),
    ]
    for w in writers:
        w.start()

    def apply(pulled: PullResult) -> None:
        nonlocal cursor
        assert pulled.cursor >= cursor  # the cursor never goes back
        if pulled.reset:
            cache.clear()
        for row in pulled.rows:
            cache[row.id] = (row.status, row.owner)
        for gone in pulled.gone:
            cache.pop(gone, None)
        cursor = pulled.cursor

    pulls = 0
    while any(w.is_alive() for w in writers):
        apply(puller.sync_pull(cursor))
        pulls += 1
    for w in writers:
        w.join()
    assert failed == []
    apply(puller.sync_pull(cursor))
    assert pulls > 1  # it really pulled while they wrote
    whole = puller.sync_pull(0)
    truth = {r.id: (r.status, r.owner) for r in whole.rows}
    assert cache == truth
    assert len(truth) == n // 2  # the claimed half still open, each held by its writer
    assert {owner for _, owner in truth.values()} == {"nav1", "nav2"}
    assert seeded.verify_audit().ok
