"""`audit verify --since-checkpoint`, on both engines: from the newest signed checkpoint to the
head, it finds a changed later event, a changed row a later event wrote and a forged checkpoint;
a changed event before the checkpoint is the full verify's to find (the documented trade-off).
Also the verifier's own reading of the chain: byte-bounded pages, and the hash written out for
its loop is ``audit``'s exactly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from ehub_tui.service import HubService
from ehub_tui.store import audit, coverage, verify_events
from ehub_tui.store.engine import read_tx
from ehub_tui.store.verify_since import NoCheckpoint
from tests.store.test_tamper import head, hub, names, scalar, sql  # noqa: F401 (hub: a fixture)
from tests.support.factories import oc_row


@pytest.fixture
def grown(hub: HubService, make_service: Callable[..., HubService]) -> HubService:  # noqa: F811
    """The signed tamper hub, with work after its newest checkpoint: an ingest and a claim and
    release (rows written after the checkpoint)."""
    hub.store_intake([oc_row(i) for i in range(20, 23)])
    nav = make_service("nav2")
    c = nav.claim_next()
    assert c is not None
    nav.release(c, "no answer")
    return hub


def checkpoint_seq(svc: HubService) -> int:
    return int(scalar(svc, "SELECT max(seq) FROM audit_checkpoint"))


def test_a_good_hub_verifies_from_its_checkpoint(grown: HubService) -> None:
    result = grown.verify_audit(since_checkpoint=True)
    cp = checkpoint_seq(grown)
    assert result.ok, result.problems
    assert result.since_seq == cp and result.since_at is not None
    assert result.events == head(grown) - cp > 0
    assert result.rows >= 4  # the three ingested items and the claimed one at least
    data = result.as_dict()
    assert data["since_checkpoint"]["seq"] == cp and data["checked"] == result.events
    assert grown.verify_audit().ok  # and the full verify agrees


def test_an_event_after_the_checkpoint_changed_is_named(grown: HubService) -> None:
    seq = checkpoint_seq(grown) + 2
    sql(grown, "UPDATE audit_event SET actor = 'mallory' WHERE seq = :s", s=seq)
    result = grown.verify_audit(since_checkpoint=True)
    assert not result.ok and result.first_bad_seq == seq
    assert f"event {seq}" in names(result)


def test_an_event_body_after_the_checkpoint_changed_is_named(grown: HubService) -> None:
    seq = head(grown)
    sql(grown, "UPDATE audit_event SET body = :b WHERE seq = :s", b='{"x": 1}', s=seq)
    result = grown.verify_audit(since_checkpoint=True)
    assert any(p.where == f"event {seq}" and "body" in p.what for p in result.problems)


def test_a_row_written_after_the_checkpoint_changed_is_named(grown: HubService) -> None:
    item = int(
        scalar(
            grown,
            "SELECT max(consultation_id) FROM audit_event WHERE action = 'release' AND seq > :s",
            s=checkpoint_seq(grown),
        )
    )
    sql(grown, "UPDATE consultation SET owner = 'mallory' WHERE id = :i", i=item)
    result = grown.verify_audit(since_checkpoint=True)
    assert not result.ok
    assert f"consultation {item}" in names(result)
    assert any(p.check == "replay" for p in result.problems)


def test_a_forged_checkpoint_signature_fails(grown: HubService) -> None:
    sql(
        grown,
        "UPDATE audit_checkpoint SET signature = :s WHERE seq = (SELECT max(seq) FROM "
        "audit_checkpoint)",
        s="A" * 88,
    )
    result = grown.verify_audit(since_checkpoint=True)
    assert not result.ok
    assert any(p.check == "checkpoint" and "forged" in p.what for p in result.problems)


def test_the_checkpoints_own_event_rewritten_fails(grown: HubService) -> None:
    cp = checkpoint_seq(grown)
    sql(grown, "UPDATE audit_event SET hash = :h WHERE seq = :s", h="f" * 64, s=cp)
    result = grown.verify_audit(since_checkpoint=True)
    assert any("not the one the hub signed" in p.what for p in result.problems)


def test_the_checkpoints_own_event_edited_in_place_fails(grown: HubService) -> None:
    # its stored hash left as signed, its contents changed: hashed again, it no longer holds
    cp = checkpoint_seq(grown)
    sql(grown, "UPDATE audit_event SET actor = 'mallory' WHERE seq = :s", s=cp)
    result = grown.verify_audit(since_checkpoint=True)
    assert not result.ok and result.first_bad_seq == cp
    assert f"event {cp}" in names(result)


def test_an_event_before_the_checkpoint_is_the_full_verifys_to_find(grown: HubService) -> None:
    """The trade-off the command's help states."""
    sql(grown, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 3")
    assert grown.verify_audit(since_checkpoint=True).ok
    full = grown.verify_audit()
    assert not full.ok and full.first_bad_seq == 3


def test_no_checkpoint_is_a_plain_refusal(grown: HubService) -> None:
    sql(grown, "DELETE FROM audit_checkpoint")
    with pytest.raises(NoCheckpoint, match="audit checkpoint` first, or a full"):
        grown.verify_audit(since_checkpoint=True)


def test_events_are_read_in_pages_bounded_in_bytes(grown: HubService) -> None:
    last = head(grown)
    with read_tx(grown.engine) as conn:
        small = list(verify_events.pages(conn, 0, last, budget=1))
        big = list(verify_events.pages(conn, 0, last))
    assert len(small[0]) <= verify_events.FIRST_PAGE
    assert all(len(page) == 1 for page in small[1:])  # each later page is one event
    assert [r[0] for page in small for r in page] == list(range(1, last + 1))
    assert [r[0] for page in big for r in page] == list(range(1, last + 1))


def test_progress_is_reported_with_the_total(grown: HubService) -> None:
    seen: list[tuple[str, int, int | None]] = []
    grown.verify_audit(progress=lambda *step: seen.append(step))
    assert ("checking events", head(grown), head(grown)) in seen


@pytest.mark.parametrize(
    ("actor", "action", "item"),
    [
        ("nav1", "claim", 7),
        ('qu"ote\\back', "act\u2028ion", None),
        ("Zoë 🩺", "tab\there\x01", 0),
        ("", "", 2**40),
    ],
)
def test_the_verifiers_link_is_audits_hash(actor: str, action: str, item: int | None) -> None:
    at = datetime(2026, 11, 23, 10, 0, 0, 123, tzinfo=UTC)
    want = audit.event_hash("a" * 64, 42, at, actor, action, item, "b" * 64)
    stamp = verify_events.Stamps()("2026-11-23 10:00:00.000123")
    assert stamp is not None
    assert verify_events.link("a" * 64, 42, stamp, actor, action, item, "b" * 64) == want


def test_the_replays_digest_is_coverages(grown: HubService) -> None:
    """The replay's one-pass digest equals coverage's for every covered row on the engine."""
    seen = 0
    with read_tx(grown.engine) as conn:
        for spec in coverage.TABLES.values():
            fast = dict(verify_events.scan_digests(conn, spec))
            slow = {key: coverage.row_digest(state) for key, state in coverage.scan(conn, spec)}
            assert fast == slow, spec.name
            assert verify_events.read_digests(conn, spec, [*slow, "no-such-key"]) == slow
            seen += len(slow)
    assert seen > 20


def test_the_one_pass_digest_of_every_kind_of_value() -> None:
    columns = ("a", "b", "c", "d", "e", "f", "g", "h")
    row = ("tëxt\x1f", 12, True, 1.5, {"k": [1, "ü"]}, None, datetime(2026, 1, 2, 3, 4), -7)
    state = {c: coverage.plain(v) for c, v in zip(columns, row, strict=True) if v is not None}
    assert verify_events.fast_digest(columns, row) == coverage.row_digest(state)
