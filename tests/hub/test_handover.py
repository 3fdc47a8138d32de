"""Handovers and stale-claim alerts (issue 15) through the hub service, the in-process client and
HTTPS, on SQLite and PostgreSQL.

A supervisor's reassign carries a handover note that the receiver reads at once
(``handovers()``), audited with who from whom to whom and the note; when the supervisor chooses,
the previous holder's last draft (the one their workstation sent the hub) travels with it,
without their timings. The receiver's ``ack_handover`` is audited and ends the news. The board
alerts on claims nobody has worked for ``stale_claim_minutes`` by the hub service's clock —
red-flagged first — where the open screen's heartbeat is work and the app's keep-alive is not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ehub_tui.domain.handover import Handover
from ehub_tui.errors import PermissionDenied
from ehub_tui.service import HubService
from tests.conftest import FrozenClock
from tests.hub.syncing import event, hub_of
from tests.support.factories import oc_row

pytestmark = pytest.mark.usefixtures("transport")

DRAFT = {
    "answers": {"duration_days": "3", "fever": "no"},
    "order": ["duration_days", "fever"],
    "note": "rang her, no answer; try after 2",
    "message": None,
    "first_viewed_at": "2026-11-23T10:01:00+00:00",
    "seconds": 140.0,
}


def _events(seeded: HubService, item_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(actor, action, body with the rows it covers and shows), newest first."""
    return [
        (e.actor, e.action, {**e.body, "covers": e.covers, "shows": e.shows})
        for e in seeded.audit_log(item_id)
    ]


def _verified(seeded: HubService) -> None:
    found = seeded.verify_audit()
    assert found.ok, [str(p) for p in found.problems]


def test_a_reassign_tells_the_receiver_with_the_note_and_the_carried_draft(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    (item,), _ = seeded.store_intake([oc_row(1)])
    item_id = item[1]
    nav1, nav2, sup = make_service("nav1"), make_service("nav2"), make_service("sup1")
    claim = nav1.claim(item_id)
    # nav1 leaves the item: their workstation sends the draft to the hub (sync_draft)
    pushed = hub_of(nav1).sync_push([event("draft", claim, payload={"draft": DRAFT})])
    assert [r.state for r in pushed.results] == ["accepted"]
    assert nav2.handovers() == []

    moved = sup.reassign(item_id, "nav2", "she rang back: call after 2", carry_draft=True)
    assert (moved.owner, moved.epoch) == ("nav2", claim.epoch + 1)

    (got,) = nav2.handovers()
    assert isinstance(got, Handover)
    assert (got.item_id, got.epoch, got.from_user, got.to_user, got.by) == (
        item_id,
        moved.epoch,
        "nav1",
        "nav2",
        "sup1",
    )
    assert got.note == "she rang back: call after 2"
    # the draft travels without nav1's timings (nav2's handling time is their own)
    assert got.draft == {k: v for k, v in DRAFT.items() if k not in ("first_viewed_at", "seconds")}
    assert got.words() == (
        f"sup1 handed you #{item_id} from nav1: she rang back: call after 2. "
        "nav1's draft comes with it."
    )
    assert nav1.handovers() == [] and sup.handovers() == []  # nobody else's news

    # asking again (every couple of seconds) changes nothing; opening the item ends the news
    assert nav2.handovers() == [got]
    nav2.ack_handover(item_id)
    assert nav2.handovers() == []
    nav2.ack_handover(item_id)  # again: nothing to do, nothing audited

    events = _events(seeded, item_id)  # newest first: one ack, after the reassign
    assert [(a, act) for a, act, _ in events][:2] == [
        ("nav2", "handover_seen"),
        ("sup1", "reassign"),
    ]
    assert [act for _, act, _ in events].count("handover_seen") == 1
    reassign = next(body for _, act, body in events if act == "reassign")
    assert (reassign["from"], reassign["to"], reassign["reason"]) == (
        "nav1",
        "nav2",
        "she rang back: call after 2",
    )
    assert reassign["draft_carried"] is True
    # the handover row is covered by the reassign's event (and the note is not shown in it)
    assert any(t == "handover" for t, _, _ in reassign["covers"])
    shown = [v for t, _, v in reassign.get("shows", []) if t == "handover"]
    assert shown and "note" not in shown[0] and shown[0]["to_user"] == "nav2"
    _verified(seeded)


def test_without_the_draft_and_a_handover_made_moot_by_a_later_reassign(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    (a, b), _ = seeded.store_intake([oc_row(1), oc_row(2)])
    nav1, nav2, nav3 = make_service("nav1"), make_service("nav2"), make_service("nav3")
    sup = make_service("sup1")
    claim = nav1.claim(a[1])
    hub_of(nav1).sync_push([event("draft", claim, payload={"draft": DRAFT})])

    sup.reassign(a[1], "nav2", "nav1 went home")  # the draft stays behind
    (got,) = nav2.handovers()
    assert got.draft is None and got.from_user == "nav1"
    reassign = next(body for _, act, body in _events(seeded, a[1]) if act == "reassign")
    assert "draft_carried" not in reassign

    # reassigned on before nav2 looked: no longer nav2's news, nav3's now (with no draft: nav2
    # never sent one)
    sup.reassign(a[1], "nav3", "nav2 is on the phones", carry_draft=True)
    assert nav2.handovers() == []
    (third,) = nav3.handovers()
    assert (third.from_user, third.note, third.draft) == ("nav2", "nav2 is on the phones", None)
    reassign = next(body for _, act, body in _events(seeded, a[1]) if act == "reassign")
    assert reassign["draft_carried"] is False

    # an item given from the queue (nobody held it) says so
    sup.reassign(b[1], "nav2", "yours: you know the family")
    (given,) = nav2.handovers()
    assert given.from_user is None and "(it was waiting)" in given.words()

    # a handover is only ever the receiver's: a supervisor cannot acknowledge one (no claim to
    # work), and a navigator's ack of another's item does nothing
    nav3.ack_handover(b[1])
    assert nav2.handovers() == [given]
    with pytest.raises(PermissionDenied):
        make_service("mgr1").ack_handover(b[1])
    _verified(seeded)


def test_the_board_alerts_on_claims_nobody_works_red_flags_first(
    seeded: HubService, make_service: Callable[..., Any], clock: FrozenClock
) -> None:
    rows = [oc_row(1), oc_row(2, priority=2), oc_row(3), oc_row(4, priority=1), oc_row(5)]
    created, _ = seeded.store_intake(rows)
    ids = [cid for _, cid in created]
    nav1, nav2, sup = make_service("nav1"), make_service("nav2"), make_service("sup1")
    normal, emergency, opened = (nav1.claim(i) for i in ids[:3])
    urgent = nav2.claim(ids[3])
    assert sup.board().alerts == []  # nothing is stale at once

    clock.advance(minutes=6)
    nav1.heartbeat(opened)  # the open triage screen's heartbeat: work
    nav1.heartbeat_held()  # the app's keep-alive of every held item: not work
    nav2.heartbeat_held()
    late = nav2.claim(ids[4])  # claimed 6 minutes after the others
    clock.advance(minutes=5)  # 11 minutes since the first claims, 5 since the heartbeat

    board = sup.board()
    assert board.stale_minutes == 10
    got = [(a.item_id, a.owner, a.flag) for a in board.alerts]
    # red-flagged first (‼EM, then !UR: domain.flags), then the rest; the one open on screen
    # and the one claimed 5 minutes ago are not stale
    assert got == [
        (emergency.item_id, "nav1", "‼EM"),
        (urgent.item_id, "nav2", "!UR"),
        (normal.item_id, "nav1", "?"),
    ]
    assert all(a.idle.total_seconds() == 11 * 60 for a in board.alerts)
    assert (
        board.alerts[0].words() == f"‼EM #{emergency.item_id} held by nav1, not worked for 11 min"
    )
    assert late.item_id not in {a.item_id for a in board.alerts}

    # the setting decides (read by the hub); a reassign is activity for the receiver
    sup.reassign(normal.item_id, "nav2", "nav1 is at lunch")
    assert normal.item_id not in {a.item_id for a in sup.board().alerts}
    clock.advance(minutes=11)
    assert {a.item_id for a in sup.board().alerts} >= {normal.item_id, opened.item_id}
    _verified(seeded)


def test_a_shorter_stale_time_from_the_hubs_settings(
    seeded: HubService, make_service: Callable[..., Any], clock: FrozenClock
) -> None:
    created, _ = seeded.store_intake([oc_row(1)])
    nav1 = make_service("nav1", stale_claim_minutes=3)
    sup = make_service("sup1", stale_claim_minutes=3)
    nav1.claim(created[0][1])
    clock.advance(minutes=4)
    board = sup.board()
    assert board.stale_minutes == 3
    assert [a.item_id for a in board.alerts] == [created[0][1]]
