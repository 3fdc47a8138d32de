"""Queue operations on SQLite and PostgreSQL: claims, leases, fencing epochs, audit."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import Claim
from ehub_tui.domain.sync import Completion
from ehub_tui.service import HubService, LostClaim, NotAvailable, PermissionDenied
from tests.store.test_lease_clock import HubTime
from tests.support.factories import many_rows, oc_row

# the same behaviour through the hub service, the in-process client and HTTPS (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("transport")


def outcome_id(result: int | Completion) -> int:
    """The hub's outcome id: the hub service returns it; a workstation's ClientService returns
    a Completion (issue 14: saved locally, then answered by the hub)."""
    if isinstance(result, Completion):
        assert result.state == "accepted", result
        assert result.outcome_id is not None
        return result.outcome_id
    return result


def complete_refused(svc: Any, claim: Claim, match: str = "") -> None:
    """Completing ``claim`` is refused as no longer held: LostClaim from the hub service; on a
    workstation, a Completion refused as fenced (the outcome kept for review, issue 14), with
    the hub's reason naming what happened."""
    try:
        result = svc.complete(claim, Outcome(category="admin", route="other"))
    except LostClaim as exc:
        assert re.search(match, str(exc)), str(exc)
        return
    assert isinstance(result, Completion), result
    assert (result.state, result.code) == ("rejected", "fenced"), result
    assert result.reason and re.search(match, result.reason), result.reason


def test_claim_next_takes_priority_then_oldest(seeded: HubService, make_service: Callable) -> None:
    rows = [
        oc_row(1, minutes_ago=50),
        oc_row(2, minutes_ago=90),  # oldest routine
        oc_row(3, minutes_ago=10, priority=1),  # urgent, newer
        oc_row(4, minutes_ago=5, priority=2),  # emergency, newest
    ]
    created, _ = seeded.store_intake(rows)
    ids = {i: cid for i, cid in created}
    nav = make_service("nav1")
    order = [nav.claim_next().item_id for _ in range(4)]
    assert order == [ids[3], ids[2], ids[1], ids[0]]
    assert nav.claim_next() is None


def test_complete_is_guarded_by_owner_and_epoch(
    seeded: HubService, make_service, transport: str
) -> None:
    seeded.store_intake([oc_row(1)])
    nav1, nav2, sup = make_service("nav1"), make_service("nav2"), make_service("sup1")
    claim = nav1.claim_next()
    assert claim is not None and claim.epoch == 1
    # someone else cannot claim it
    with pytest.raises(NotAvailable, match="held by nav1"):
        nav2.claim(claim.item_id)
    # supervisor reassigns: nav1 is fenced off, keeps nothing but a clear message
    new = sup.reassign(claim.item_id, "nav2", "nav1 went to lunch")
    assert new.epoch == claim.epoch + 1 and new.owner == "nav2"
    complete_refused(nav1, claim, "now held by nav2")
    with pytest.raises(LostClaim):
        nav1.heartbeat(claim)
    oid = outcome_id(
        nav2.complete(
            new,
            Outcome(category="signpost", route="pharmacy_first", destination="Community pharmacy"),
        )
    )
    assert oid > 0
    item = seeded.consultation(claim.item_id)
    assert item.status == "completed" and item.owner == "nav2"
    actions = [e.action for e in seeded.audit_log(claim.item_id)]
    # the refused submit is on the record: the hub service's own refusal, or a workstation's
    # refused sync event (kept whole in sync_rejected)
    refusal = "complete_refused" if transport == "direct" else "sync_rejected"
    assert actions == ["complete", refusal, "reassign", "claim"]
    ingest = [e for e in seeded.audit_log() if e.action == "ingest"]
    assert len(ingest) == 1 and ingest[0].body["items"][0][0] == claim.item_id
    assert seeded.verify_audit().ok


def test_release_returns_to_queue_with_new_epoch(seeded: HubService, make_service) -> None:
    seeded.store_intake([oc_row(1)])
    nav = make_service("nav1")
    claim = nav.claim_next()
    nav.release(claim, "needs the practice to call first")
    item = seeded.consultation(claim.item_id)
    assert item.status == "queued" and item.owner is None and item.epoch == 2
    complete_refused(nav, claim, "released")
    assert nav.claim_next() is None  # n leaves what nav1 just returned for others (trial 15b)
    again = nav.claim(claim.item_id)  # ⏎ on it in the list: on purpose
    assert again.item_id == claim.item_id and again.epoch == 3


def test_lease_expiry_rescue_never_completes(
    seeded: HubService, make_service, clock, hub_url: str
) -> None:
    hub = HubTime(hub_url)  # leases are judged by the hub's clock, not the services' clock
    seeded.store_intake([oc_row(1), oc_row(2)])
    # (a sign-in outlives the 3 hours the services' clock jumps below: that is not under test)
    nav = make_service("nav1", lease_minutes=10, token_idle_minutes=24 * 60)
    hub.attach(seeded, nav)
    c1 = nav.claim_next()
    c2 = nav.claim_next()
    hub.advance(nav, minutes=6)
    c2 = nav.heartbeat(c2)  # renewed: lease now ends 16 min after start
    hub.advance(nav, minutes=6)
    clock.advance(hours=3)  # the services' own clock decides nothing
    assert seeded.rescue_expired() == [c1.item_id]
    rescued = [e.consultation_id for e in seeded.audit_log() if e.action == "lease_expired"]
    assert rescued == [c1.item_id]
    assert seeded.consultation(c1.item_id).status == "queued"
    assert seeded.consultation(c2.item_id).status == "claimed"
    complete_refused(nav, c1)
    assert seeded.verify_audit().ok


def test_cancel_and_priority_need_a_supervisor(seeded: HubService, make_service) -> None:
    created, _ = seeded.store_intake([oc_row(1), oc_row(2)])
    (_, a), (_, b) = created
    nav, sup = make_service("nav1"), make_service("sup1")
    for call in (
        lambda: nav.cancel(a, "duplicate"),
        lambda: nav.set_priority(a, 2, "chest pain"),
        lambda: nav.reassign(a, "nav2", "x"),
        lambda: nav.force_release(a, "x"),
        lambda: nav.add_user("x", "navigator"),
    ):
        with pytest.raises(PermissionDenied, match="only a"):
            call()
    denied = [e for e in seeded.audit_log() if e.action == "denied"]
    assert len(denied) == 5
    sup.set_priority(b, 2, "chest pain in free text")
    assert nav.claim_next().item_id == b
    sup.cancel(a, "duplicate of another request")
    assert seeded.consultation(a).status == "cancelled"
    assert nav.claim_next() is None


def test_force_release_fences_the_holder(seeded: HubService, make_service) -> None:
    seeded.store_intake([oc_row(1)])
    nav, sup = make_service("nav1"), make_service("sup1")
    claim = nav.claim_next()
    sup.force_release(claim.item_id, "stale claim")
    with pytest.raises(LostClaim):
        nav.heartbeat(claim)
    assert seeded.consultation(claim.item_id).epoch == claim.epoch + 1


def test_sop_author_cannot_work_items(seeded: HubService, make_service) -> None:
    seeded.store_intake([oc_row(1)])
    author = make_service("author1")
    with pytest.raises(PermissionDenied, match="a navigator or a supervisor"):
        author.claim_next()


def test_unknown_user_is_refused(seeded: HubService, make_service, transport: str) -> None:
    # signing in never says whether a username exists; the hub service itself (no password:
    # the CLI on the hub machine) names the problem
    message = "not a hub user" if transport == "direct" else "wrong username or password"
    with pytest.raises(PermissionDenied, match=message):
        make_service("mallory")


def test_duplicates_are_stored_once(seeded: HubService) -> None:
    rows = many_rows(20)
    created, _ = seeded.store_intake(rows)
    assert len(created) == 20
    again, _ = seeded.store_intake([*many_rows(20), oc_row(99)])
    assert [i for i, _ in again] == [20]
    assert seeded.queue_summary().by_status["queued"] == 21


def test_due_by_follows_the_response_standard(seeded: HubService) -> None:
    created, _ = seeded.store_intake([oc_row(1), oc_row(2, priority=1)])
    routine = seeded.consultation(created[0][1])
    urgent = seeded.consultation(created[1][1])
    # received Monday 23 Nov 2026 in core hours: urgent same day, routine next working day
    assert urgent.due_by.isoformat() == "2026-11-23T18:30:00+00:00"
    assert routine.due_by.isoformat() == "2026-11-24T18:30:00+00:00"


def test_claiming_rescues_expired_leases(seeded: HubService, make_service, hub_url: str) -> None:
    hub = HubTime(hub_url)
    seeded.store_intake([oc_row(1), oc_row(2, minutes_ago=100)])
    gone = make_service("nav2", lease_minutes=10)
    stale = gone.claim_next()  # nav2 takes the oldest, then walks away
    nav = make_service("nav1", lease_minutes=10)
    hub.attach(gone, nav)
    other = nav.claim_next()
    assert other.item_id != stale.item_id
    hub.advance(nav, minutes=15)
    again = nav.claim_next()  # the claim itself returns the expired lease to the queue first
    assert again is not None and again.item_id == stale.item_id
    complete_refused(gone, stale)


def test_claiming_by_id_rescues_an_expired_lease(
    seeded: HubService, make_service, hub_url: str
) -> None:
    hub = HubTime(hub_url)
    created, _ = seeded.store_intake([oc_row(1), oc_row(2)])
    item = created[0][1]
    gone, nav = make_service("nav2", lease_minutes=10), make_service("nav1", lease_minutes=10)
    hub.attach(gone, nav)
    stale = gone.claim(item)
    with pytest.raises(NotAvailable, match="held by nav2"):
        nav.claim(item)  # live: not taken
    hub.advance(nav, minutes=11)
    again = nav.claim(item)  # expired: returned to the queue, then claimed, in one transaction
    assert (again.item_id, again.epoch, again.owner) == (item, stale.epoch + 2, "nav1")
    actions = [e.action for e in seeded.audit_log(item)]
    assert actions[:3] == ["claim", "lease_expired", "claim"]
    complete_refused(gone, stale, "now held by nav1")
