"""Refused sync events after the issue 14 new-user trial, through the hub service, the in-process
client and HTTPS, on SQLite and PostgreSQL: a refusal's reason is written for both its readers
(the navigator reviewing it and a supervisor on the board), a refused draft or first view is
resolved at once by the hub (kept, audited), a supervisor can apply a refused completion's kept
outcome to an item that is queued and unclaimed (and is refused, with nothing written, otherwise),
and a completion whose lease lapsed while the hub was restarting is accepted late when the hub
is set to. The audit chain verifies after each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ehub_tui.domain.queue import Claim
from ehub_tui.domain.sync import REJECT_CLOSED, REJECT_FENCED, REJECT_NOT_FOUND
from ehub_tui.errors import AlreadyResolved, NotAvailable, PermissionDenied, RecordRejected
from ehub_tui.service import HubService, opening
from ehub_tui.settings import Settings
from ehub_tui.store.engine import read_tx
from ehub_tui.store.lease import _lost
from ehub_tui.store.models import Outcome as OutcomeRow
from tests.hub.syncing import OUTCOME, event, hub_of
from tests.store.test_lease_clock import HubTime
from tests.support.factories import oc_row

pytestmark = pytest.mark.usefixtures("transport")

O = OutcomeRow.__table__  # type: ignore[attr-defined]  # noqa: E741
LEASE: dict[str, Any] = {"lease_minutes": 10, "token_idle_minutes": 24 * 60}


def _outcomes(seeded: HubService, item_id: int) -> list[Any]:
    with read_tx(seeded.engine) as conn:
        return list(conn.execute(select(O).where(O.c.consultation_id == item_id)).all())


def _verified(seeded: HubService) -> None:
    found = seeded.verify_audit()
    assert found.ok, [str(p) for p in found.problems]


def _for_both_readers(reason: str | None) -> str:
    """A refusal's reason: third person, never the app's lost-claim notice."""
    assert reason
    assert "Your draft is kept" not in reason and not reason.startswith("You ")
    assert "your" not in reason.lower().split()
    return reason


def test_a_refusals_reason_names_what_happened_for_navigator_and_supervisor(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str
) -> None:
    hub = HubTime(hub_url)
    seeded.store_intake([oc_row(i) for i in range(5)])
    nav, sup = make_service("nav1", **LEASE), make_service("sup1", **LEASE)
    hub.attach(seeded, nav, sup)
    lapsed = nav.claim_next()
    hub.advance(nav, minutes=11)  # its lease runs out by the hub's clock
    assert seeded.rescue_expired() == [lapsed.item_id]
    others = [r.id for r in seeded.sync_pull(0).rows if r.id != lapsed.item_id]
    taken, pulled, done = (nav.claim(i) for i in others[:3])
    sup.reassign(taken.item_id, "nav2", "covering while nav1 is offline")
    sup.force_release(pulled.item_id, "stale claim")
    first = event("complete", done)
    assert hub_of(nav).sync_push([first]).results[0].state == "accepted"

    batch = [
        event("complete", taken),
        event("complete", pulled),
        event("complete", done),  # a second outcome for a claim already completed
        event("release", lapsed),
        event("complete", done, item_id=999_999),
    ]
    out = hub_of(nav).sync_push(batch).results
    assert [(r.state, r.code) for r in out] == [
        ("rejected", REJECT_FENCED),
        ("rejected", REJECT_FENCED),
        ("rejected", REJECT_CLOSED),
        ("rejected", REJECT_FENCED),
        ("rejected", REJECT_NOT_FOUND),
    ]
    reasons = [_for_both_readers(r.reason) for r in out]
    assert reasons[0] == (
        f"Item {taken.item_id} was no longer held by nav1 under this claim: it is now held by "
        "nav2 (reassigned by a supervisor, or the lease ran out and they claimed it)."
    )
    assert reasons[1] == (
        f"Item {pulled.item_id} was no longer held by nav1 under this claim: it is back in the "
        "queue: a supervisor (sup1) returned it to the queue before this arrived."
    )
    assert f"Item {done.item_id} has already been completed by nav1" in reasons[2]
    assert reasons[3] == (
        f"Item {lapsed.item_id} was no longer held by nav1 under this claim: it is back in the "
        "queue: the lease ran out (by the hub's clock) before this arrived."
    )
    assert "999999 does not exist on this hub" in reasons[4]
    # the same sentences on the supervisor's board list
    board = {r.event_id: r.reason for r in hub_of(sup).sync_rejected()}
    assert [board[e.event_id] for e in batch] == reasons

    # the app's lost-claim notice (a navigator told at the moment of the loss) is unchanged
    with read_tx(seeded.engine) as conn:
        notice = str(_lost(conn, taken.item_id, "nav1"))
    assert notice.startswith("You no longer hold consultation") and "Your draft is kept" in notice
    _verified(seeded)


def test_a_refused_draft_or_first_view_is_resolved_at_once_by_the_hub(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake([oc_row(i) for i in range(2)])
    nav, sup = make_service("nav1"), make_service("sup1")
    claim = nav.claim_next()
    sup.force_release(claim.item_id, "stale claim")
    batch = [
        event("viewed", claim),
        event("draft", claim),
        event("complete", claim),
        event("draft", claim, item_id=999_999),
    ]
    out = hub_of(nav).sync_push(batch).results
    assert [(r.state, r.code) for r in out] == [
        ("rejected", REJECT_FENCED),
        ("rejected", REJECT_FENCED),
        ("rejected", REJECT_FENCED),
        ("rejected", REJECT_NOT_FOUND),
    ]
    # only the completion waits for a supervisor, for the navigator, on the board and in a pull
    waiting = [batch[2].event_id]
    assert [r.event_id for r in hub_of(nav).sync_rejected()] == waiting
    assert [r.event_id for r in hub_of(sup).sync_rejected()] == waiting
    assert [r.event_id for r in hub_of(nav).sync_pull(0).rejected] == waiting
    # the notes are kept, resolved by the hub with a sentence saying why nothing is to be done
    kept = {r.event_id: r for r in hub_of(sup).sync_rejected(include_resolved=True)}
    assert set(kept) == {e.event_id for e in batch}
    resolved = [kept[e.event_id] for e in (batch[0], batch[1], batch[3])]
    assert [(r.resolved_by, r.resolution) for r in resolved] == [
        ("system", "nothing to do: a first view for an item no longer held by its author"),
        ("system", "nothing to do: a draft for an item no longer held by its author"),
        ("system", "nothing to do: a draft for an item not on this hub"),
    ]
    assert all(r.resolved_at is not None for r in resolved)
    assert kept[batch[1].event_id].payload == batch[1].payload  # the draft kept whole
    assert kept[waiting[0]].resolved_at is None
    # audited: each refusal's one event records the hub's resolution (and covers the row)
    notes = {e.event_id: e for e in (batch[0], batch[1], batch[3])}
    audited = [e for e in seeded.audit_log() if e.action == "sync_rejected"]
    assert len(audited) == 4
    for e in audited:
        if e.body["event_id"] in notes:
            assert e.actor == "nav1" and e.body["resolved_by"] == "system"
            assert e.body["resolution"] == kept[e.body["event_id"]].resolution
        else:
            assert "resolved_by" not in e.body
    assert not [e for e in seeded.audit_log() if e.action == "sync_resolved"]
    # a resend is answered from the ledger: refused again, nothing more written
    again = hub_of(nav).sync_push(batch[:2]).results
    assert [(r.state, r.code) for r in again] == [("rejected", REJECT_FENCED)] * 2
    assert len([e for e in seeded.audit_log() if e.action == "sync_rejected"]) == 4
    _verified(seeded)


def test_a_supervisor_applies_a_refused_completions_kept_outcome(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake([oc_row(1)])
    nav, sup = make_service("nav1"), make_service("sup1")
    claim = nav.claim_next()
    sup.force_release(claim.item_id, "stale claim")
    sent = event("complete", claim, offset=-3.5)
    assert hub_of(nav).sync_push([sent]).results[0].code == REJECT_FENCED
    with pytest.raises(PermissionDenied):
        hub_of(nav).resolve_rejected(sent.event_id, "apply my own", apply=True)
    assert seeded.consultation(claim.item_id).status == "queued"

    done = hub_of(sup).resolve_rejected(sent.event_id, "checked with nav1", apply=True)
    assert (done.resolved_by, done.resolution) == ("sup1", "applied: checked with nav1")
    assert done.resolved_at is not None and done.payload == sent.payload
    item = seeded.consultation(claim.item_id)
    assert (item.status, item.owner) == ("completed", "nav1")
    (row,) = _outcomes(seeded, claim.item_id)
    assert (row.navigator, row.late, row.event_id) == ("nav1", True, sent.event_id)
    assert (row.category, row.route, row.note) == (OUTCOME.category, OUTCOME.route, OUTCOME.note)
    assert row.clock_offset_seconds == -3.5 and row.active_seconds == 61.0
    when = row.client_completed_at
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    assert when == datetime(2026, 11, 23, 10, 4, 56, 500000, tzinfo=UTC)  # client_at + offset
    (complete,) = [e for e in seeded.audit_log(claim.item_id) if e.action == "complete"]
    assert complete.actor == "sup1"
    assert {k: complete.body[k] for k in ("navigator", "late", "applied_by", "from_event")} == {
        "navigator": "nav1",
        "late": True,
        "applied_by": "sup1",
        "from_event": sent.event_id,
    }
    (resolved,) = [e for e in seeded.audit_log(claim.item_id) if e.action == "sync_resolved"]
    assert resolved.actor == "sup1" and resolved.body["applied"] is True
    assert resolved.body["outcome_id"] == row.id
    # no longer waiting for anyone, but kept; the ledger still holds the answer first given
    assert hub_of(nav).sync_rejected() == [] and hub_of(nav).sync_pull(0).rejected == []
    (stored,) = hub_of(nav).sync_results([sent.event_id])
    assert stored.state == "rejected"
    with pytest.raises(AlreadyResolved, match="by sup1"):
        hub_of(sup).resolve_rejected(sent.event_id, "again", apply=True)
    assert len(_outcomes(seeded, claim.item_id)) == 1
    _verified(seeded)


def test_a_kept_outcome_is_not_applied_to_an_item_held_completed_or_cancelled(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake([oc_row(i) for i in range(3)])
    nav, sup = make_service("nav1"), make_service("sup1")
    a, b, c = nav.claim_next(), nav.claim_next(), nav.claim_next()
    theirs = sup.reassign(a.item_id, "nav2", "covering while nav1 is offline")
    sup.reassign(b.item_id, "nav2", "covering")
    sup.cancel(c.item_id, "duplicate request")
    batch = [event("complete", a), event("complete", b), event("complete", c)]
    batch.append(event("release", b))
    assert [r.state for r in hub_of(nav).sync_push(batch).results] == ["rejected"] * 4

    def refused(sent: Any, match: str, error: type[Exception] = NotAvailable) -> None:
        with pytest.raises(error, match=match):
            hub_of(sup).resolve_rejected(sent.event_id, "apply it", apply=True)

    refused(batch[0], f"Item {a.item_id} is held by nav2 now")
    refused(batch[2], f"Item {c.item_id} was cancelled")
    refused(batch[3], "not a completion", RecordRejected)
    nav2 = make_service("nav2")
    mine = Claim(theirs.item_id, theirs.epoch, theirs.lease_until, "nav2")
    assert hub_of(nav2).sync_push([event("complete", mine)]).results[0].state == "accepted"
    refused(batch[0], f"Item {a.item_id} has already been completed by nav2")
    # nothing written: the events wait, the items are as they were, nav2's outcome stands
    waiting = {r.event_id for r in hub_of(sup).sync_rejected()}
    assert waiting == {e.event_id for e in batch}
    assert seeded.consultation(b.item_id).owner == "nav2"
    assert [r.navigator for r in _outcomes(seeded, a.item_id)] == ["nav2"]
    assert _outcomes(seeded, b.item_id) == _outcomes(seeded, c.item_id) == []
    assert not [e for e in seeded.audit_log() if e.action == "sync_resolved"]
    # a plain resolution (a note) is still possible
    noted = hub_of(sup).resolve_rejected(batch[0].event_id, "nav2 completed it")
    assert noted.resolution == "nav2 completed it"
    _verified(seeded)


def test_a_completion_after_the_lease_lapsed_during_a_hub_restart_is_accepted_late(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str, tmp_path: Path
) -> None:
    from ehub_tui.hub.app import Upkeep
    from ehub_tui.hub.core import HubCore
    from ehub_tui.store.engine import set_hub_clock
    from tests.support.hubserver import fast_hasher

    hub = HubTime(hub_url)
    seeded.store_intake([oc_row(i) for i in range(2)])
    settings: dict[str, Any] = {**LEASE, "sync_accept_late_completion": True}
    nav = make_service("nav1", **settings)
    hub.attach(seeded, nav)
    claim = nav.claim_next()
    # the hub stops; while it is away the lease runs out; it starts again on the same database
    # and its upkeep timer's first round returns the claim to the queue as the system
    hub.advance(nav, minutes=11)
    s = Settings(data_dir=tmp_path / "hub-again", hub_url=hub_url, **settings)
    again = HubCore(opening.open_engine(s), s, hasher=fast_hasher())
    try:
        if hub.sqlite:  # its leases judged by the test's hub clock, as the first core's
            set_hub_clock(again.engine, hub.clock)
        assert Upkeep(again, rescue_every=60, checkpoint_every=3600).rescue_once() == [
            claim.item_id
        ]
    finally:
        again.close()
    (expired,) = [e for e in seeded.audit_log(claim.item_id) if e.action == "lease_expired"]
    assert expired.actor == "system"
    # the workstation comes back and sends what it did meanwhile: its notes are refused (and
    # resolved by the hub), the completion accepted late under the rescued epoch
    batch = [event("viewed", claim), event("draft", claim), event("complete", claim)]
    out = hub_of(nav).sync_push(batch).results
    assert [(r.state, r.code) for r in out[:2]] == [("rejected", REJECT_FENCED)] * 2
    assert out[2].state == "accepted" and out[2].late is True
    item = seeded.consultation(claim.item_id)
    assert (item.status, item.owner, item.epoch) == ("completed", "nav1", claim.epoch + 1)
    (row,) = _outcomes(seeded, claim.item_id)
    assert row.late is True and row.navigator == "nav1"
    assert hub_of(nav).sync_rejected() == []
    _verified(seeded)
