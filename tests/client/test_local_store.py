"""The workstation's local store on a real SQLite file: a completion is one transaction (outcome,
outbox row, held state), drafts survive a restart (a new LocalStore on the same file), pulls
are applied to the cache, the offline views read it, a purge keeps what is pending or refused,
the schema is its own (own MetaData, own migrations; a newer file is refused), the file is
private, and answers from the hub are kept per event."""

from __future__ import annotations

import sqlite3
import stat
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from ehub_tui.client.local import LocalStore, NewEvent, path_for
from ehub_tui.client.local.migrate import VERSION
from ehub_tui.client.local.models import METADATA
from ehub_tui.domain.models import Outcome, UserInfo
from ehub_tui.domain.queue import Claim, QueueFilter
from ehub_tui.domain.sync import EventResult, HeldItem, PullResult, RejectedEvent
from ehub_tui.errors import StoreError
from tests.client.local_support import NOW, as_row, claim_of, consultation

OUTCOME = Outcome(
    category="signpost", route="pharmacy_first", note="rang back", handling_seconds=42
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    s = LocalStore(path_for(tmp_path / "data", "https://hub.example:8443"), device_id="dev-1")
    yield s
    s.close()


def complete_event(claim: Claim, at: datetime = NOW) -> NewEvent:
    return NewEvent(
        "nav1", "complete", claim.item_id, claim.epoch, at,
        {"outcome": OUTCOME.model_dump(mode="json"), "active_seconds": 40.0},
        offset_seconds=0.25, rtt_seconds=0.01,
    )  # fmt: skip


def test_the_file_is_private_and_the_tables_are_their_own(store: LocalStore) -> None:
    path = store.path
    assert path.parent.name == "workstation" and path.suffix == ".sqlite3"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert METADATA is not SQLModel.metadata
    assert not set(METADATA.tables) & set(SQLModel.metadata.tables)
    # WAL and a full sync on the store's own connections
    with store._read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    assert store.integrity_check() == "ok"


def test_the_migrations_make_exactly_the_tables_the_models_describe(store: LocalStore) -> None:
    made = inspect(create_engine(f"sqlite:///{store.path}"))
    for table in METADATA.sorted_tables:
        columns = {c["name"]: c for c in made.get_columns(table.name)}
        assert set(columns) == {c.name for c in table.columns}, table.name
        for c in table.columns:
            assert columns[c.name]["nullable"] == c.nullable, f"{table.name}.{c.name}"
        pk = made.get_pk_constraint(table.name)["constrained_columns"]
        assert set(pk) == {c.name for c in table.primary_key.columns}, table.name
    with sqlite3.connect(store.path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == VERSION


def test_a_file_from_a_newer_version_is_refused_in_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "ws" / "newer.sqlite3"
    LocalStore(path, device_id="dev-1").close()
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {VERSION + 1}")
    with pytest.raises(StoreError) as err:
        LocalStore(path, device_id="dev-1")
    message = str(err.value)
    assert str(path) in message and "newer version of ehub-tui" in message
    assert "Traceback" not in message
    with sqlite3.connect(path) as raw:  # left as it was
        assert raw.execute("PRAGMA user_version").fetchone()[0] == VERSION + 1


def test_a_file_that_is_not_a_database_is_refused_in_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "ws" / "junk.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"this is not a database, it is a shopping list" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        LocalStore(path, device_id="dev-1")


def test_a_completion_writes_outcome_outbox_and_held_state_in_one_transaction(
    store: LocalStore,
) -> None:
    claim = claim_of(7)
    store.record_held(claim, consultation(7), NOW)
    store.save_draft("nav1", 7, claim.epoch, {"note": "half typed"}, NOW)
    event_id = store.record_completion(complete_event(claim), OUTCOME, 40.0, NOW)

    (pending,) = store.pending("nav1", 20)
    assert (pending.event_id, pending.kind, pending.item_id, pending.epoch) == (
        event_id, "complete", 7, claim.epoch,
    )  # fmt: skip
    assert pending.device_id == "dev-1" and pending.device_seq == 1
    assert pending.outcome() == OUTCOME and pending.payload["active_seconds"] == 40.0
    assert (pending.offset_seconds, pending.rtt_seconds) == (0.25, 0.01)
    (kept,) = store.outcomes("nav1")
    assert (kept["event_id"], kept["state"], kept["handling_seconds"]) == (event_id, "pending", 42)
    assert store.held("nav1") == []  # no longer open here
    assert store.held_item(7).state == "completed"  # type: ignore[union-attr]
    assert store.drafts("nav1") == {}  # the draft went with it
    assert store.counts("nav1") == (1, 0)


def test_a_failing_completion_leaves_nothing_behind(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim = claim_of(7)
    store.record_held(claim, consultation(7), NOW)
    event = complete_event(claim)
    store.record_completion(event, OUTCOME, 40.0, NOW)
    # the same event id again violates the outbox's key half-way through: all rolled back
    first = uuid.UUID(store.pending("nav1", 1)[0].event_id)
    monkeypatch.setattr(uuid, "uuid4", lambda: first)
    with pytest.raises(StoreError, match="could not be saved on this workstation"):
        store.record_completion(complete_event(claim_of(7, epoch=3)), OUTCOME, 1.0, NOW)
    monkeypatch.undo()
    assert len(store.outcomes()) == 1 and store.counts() == (1, 0)
    assert store.device().device_id == "dev-1"
    # the device order did not move for the rolled-back row
    store.record_viewed(NewEvent("nav1", "viewed", 8, 1, NOW, {}), NOW)
    assert [e.device_seq for e in store.pending("nav1", 20)] == [1, 2]


def test_answers_are_kept_per_event_and_a_refused_outcome_is_kept_whole(
    store: LocalStore,
) -> None:
    a, b = claim_of(7), claim_of(8)
    for c in (a, b):
        store.record_held(c, consultation(c.item_id), NOW)
    ok = store.record_completion(complete_event(a), OUTCOME, 1.0, NOW)
    bad = store.record_completion(complete_event(b), OUTCOME, 1.0, NOW)
    hub_at = NOW + timedelta(seconds=1)
    store.record_results(
        [
            EventResult(event_id=ok, state="accepted", outcome_id=501, hub_at=hub_at),
            EventResult(
                event_id=bad, state="rejected", code="fenced",
                reason="consultation 8 was reassigned to nav2", hub_at=hub_at,
            ),
        ],
        NOW,
    )  # fmt: skip
    assert store.pending("nav1", 20) == [] and store.counts("nav1") == (0, 1)
    states = {o["event_id"]: (o["state"], o["hub_outcome_id"], o["code"]) for o in store.outcomes()}
    assert states == {ok: ("accepted", 501, None), bad: ("rejected", None, "fenced")}
    (refused,) = store.rejected_here("nav1")
    assert isinstance(refused, RejectedEvent)
    assert (refused.event_id, refused.code, refused.item_id) == (bad, "fenced", 8)
    assert "reassigned" in refused.reason
    assert Outcome.model_validate(refused.payload["outcome"]) == OUTCOME  # whole
    assert store.held_item(8).state == "lost"  # type: ignore[union-attr]
    # a second answer (a resend's) changes nothing
    store.record_results([EventResult(event_id=bad, state="accepted", hub_at=hub_at)], NOW)
    assert store.event_result(bad)[0] == "rejected"  # type: ignore[index]


def test_drafts_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "ws" / "hub.sqlite3"
    first = LocalStore(path, device_id="dev-1")
    first.save_draft("nav1", 7, 2, {"answers": {"fever": True}, "note": "rang"}, NOW)
    first.save_draft("nav2", 9, 1, {"note": "someone else's"}, NOW)
    sent = first.save_draft(
        "nav1", 8, 1, {"note": "leaving it"}, NOW,
        send=NewEvent("nav1", "draft", 8, 1, NOW, {"draft": {"note": "leaving it"}}),
    )  # fmt: skip
    first.close()  # (as a crash would: nothing else is done before the next start)
    again = LocalStore(path, device_id="another-id-is-ignored")
    assert again.device_id == "dev-1"  # the file keeps its device
    assert again.drafts("nav1") == {
        7: {"answers": {"fever": True}, "note": "rang"},
        8: {"note": "leaving it"},
    }
    assert [e.event_id for e in again.pending("nav1", 20)] == [sent]
    again.close()


def test_viewed_is_written_once_per_claim(store: LocalStore) -> None:
    event = NewEvent("nav1", "viewed", 7, 2, NOW, {})
    assert store.record_viewed(event, NOW) is not None
    assert store.record_viewed(event, NOW) is None
    assert store.record_viewed(NewEvent("nav1", "viewed", 7, 3, NOW, {}), NOW) is not None
    assert store.counts() == (2, 0)


def test_a_pull_fills_the_cache_and_the_offline_views_read_it(store: LocalStore) -> None:
    store.save_user(UserInfo("nav1", "navigator"), {"work_items"}, None, NOW)
    mine = claim_of(3)
    rows = [as_row(i, priority=2 if i == 5 else 0) for i in (1, 2, 4, 5)]
    rows.append(as_row(3, status="claimed", owner="nav1"))
    pull = PullResult(
        cursor=40, reset=True, rows=rows,
        held=[HeldItem(claim=mine, consultation=consultation(3), draft={"note": "from the hub"})],
        hub_time=NOW,
    )  # fmt: skip
    store.apply_pull("nav1", pull, NOW, NOW)
    assert store.user("nav1").pull_cursor == 40  # type: ignore[union-attr]
    assert store.device().cursor == 40 and store.device().last_synced == NOW

    page, total = store.queue_rows("queue", "nav1", QueueFilter(), NOW, 0, 2)
    assert total == 4 and [r.id for r in page] == [5, 1]  # priority first, then oldest
    _, total = store.queue_rows("queue", "nav1", QueueFilter(practice=rows[1].practice_ods),
                                NOW, 0, 10)  # fmt: skip
    assert total == 1
    found, _ = store.queue_rows("queue", "nav1", QueueFilter(search="TESTER4"), NOW, 0, 10)
    assert found == [] or all(r.id == 4 for r in found)  # (search is on the summary text)
    mine_rows, n = store.queue_rows("mine", "nav1", QueueFilter(), NOW, 0, 10)
    assert n == 1 and mine_rows[0].id == 3 and mine_rows[0].owner == "nav1"
    assert store.view_counts("nav1", NOW - timedelta(hours=1)) == {"queue": 4, "mine": 1, "done": 0}
    assert store.drafts("nav1") == {3: {"note": "from the hub"}}
    assert store.held("nav1")[0].consultation == consultation(3)

    # an incremental pull: item 1 gone, item 2 changed, item 3 no longer held (reassigned)
    later = NOW + timedelta(minutes=1)
    store.apply_pull(
        "nav1",
        PullResult(cursor=41, rows=[as_row(2, priority=1)], gone=[1], hub_time=later),
        later,
        later,
    )
    page, total = store.queue_rows("queue", "nav1", QueueFilter(), NOW, 0, 10)
    assert [r.id for r in page] == [5, 2, 4] and total == 3
    assert store.held("nav1") == [] and store.held_item(3).state == "lost"  # type: ignore[union-attr]
    # not modified: only the cursor bookkeeping
    store.apply_pull("nav1", PullResult(cursor=41, not_modified=True, hub_time=later), later, later)
    assert store.queue_rows("queue", "nav1", QueueFilter(), NOW, 0, 10)[1] == 3


def test_an_item_claimed_while_a_pull_was_on_its_way_is_not_taken_for_lost(
    store: LocalStore,
) -> None:
    started = NOW
    store.record_held(claim_of(9), consultation(9), NOW + timedelta(seconds=1))
    # the pull's snapshot predates the claim: it lists item 9 queued, and nobody's
    pull = PullResult(cursor=2, reset=True, rows=[as_row(9)], hub_time=NOW)
    store.apply_pull("nav1", pull, started, NOW)
    assert [h.claim.item_id for h in store.held("nav1")] == [9]
    assert store.queue_rows("queue", "nav1", QueueFilter(), NOW, 0, 10)[1] == 0
    mine, _ = store.queue_rows("mine", "nav1", QueueFilter(), NOW, 0, 10)
    assert [(r.id, r.status, r.owner) for r in mine] == [(9, "claimed", "nav1")]


def test_a_pull_does_not_undo_a_completion_waiting_to_be_sent(store: LocalStore) -> None:
    claim = claim_of(7)
    store.record_held(claim, consultation(7), NOW)
    store.record_completion(complete_event(claim), OUTCOME, 1.0, NOW)
    later = NOW + timedelta(seconds=5)
    pull = PullResult(
        cursor=3, held=[HeldItem(claim=claim, consultation=consultation(7))], hub_time=later
    )
    store.apply_pull("nav1", pull, later, later)
    assert store.held("nav1") == [] and store.held_item(7).state == "completed"  # type: ignore[union-attr]
    done, n = store.queue_rows("done", "nav1", QueueFilter(), NOW - timedelta(hours=1), 0, 10)
    assert n == 1 and done[0].status == "completed" and done[0].route == "pharmacy_first"


def test_a_refusal_resolved_on_the_hub_is_noted_and_kept(store: LocalStore) -> None:
    store.record_held(claim_of(7), consultation(7), NOW)
    bad = store.record_completion(complete_event(claim_of(7)), OUTCOME, 1.0, NOW)
    store.record_results(
        [EventResult(event_id=bad, state="rejected", code="closed", reason="done", hub_at=NOW)],
        NOW,
    )
    store.apply_pull("nav1", PullResult(cursor=5, hub_time=NOW), NOW, NOW)  # not listed: resolved
    assert store.counts("nav1") == (0, 0) and store.rejected_here("nav1") == []
    (kept,) = store.rejected_here("nav1", include_resolved=True)
    assert kept.event_id == bad and kept.resolved_at is not None


def test_purge_keeps_pending_and_refused_and_drops_old_sent_rows(store: LocalStore) -> None:
    old = NOW - timedelta(days=10)
    claims = [claim_of(i) for i in (1, 2, 3)]
    store.apply_pull("nav1", PullResult(cursor=1, reset=True, rows=[as_row(6)], hub_time=old),
                     old - timedelta(days=1), old)  # fmt: skip
    for c in claims:
        store.record_held(c, consultation(c.item_id), old)
    sent, refused, waiting = (
        store.record_completion(complete_event(c, old), OUTCOME, 1.0, old) for c in claims
    )
    store.record_results(
        [
            EventResult(event_id=sent, state="accepted", outcome_id=1, hub_at=old),
            EventResult(event_id=refused, state="rejected", code="fenced", reason="x", hub_at=old),
        ],
        old,
    )
    store.save_draft("nav1", 4, 1, {"note": "old draft, item not held"}, old)
    store.record_held(claim_of(5), consultation(5), old)
    store.save_draft("nav1", 5, 1, {"note": "old draft, item still held"}, old)

    fresh = store.purge(7, NOW)
    assert (fresh.outbox, fresh.outcomes, fresh.drafts, fresh.cached_items) == (1, 1, 1, 1)
    assert {r.event_id: r.state for r in store.rows()} == {refused: "rejected", waiting: "pending"}
    assert {o["event_id"] for o in store.outcomes()} == {refused, waiting}
    assert store.drafts("nav1") == {5: {"note": "old draft, item still held"}}
    # the refused and waiting items keep their consultation (for review); the sent one's went
    assert store.held_item(1) is None
    assert store.held_item(2) is not None and store.held_item(3) is not None
    assert store.purge(7, NOW).total == 0  # nothing more
    assert store.purge(7, NOW + timedelta(days=30)).outbox == 0  # never pending or refused
    assert store.counts() == (1, 1)


def test_sop_versions_are_cached_with_their_stamp(store: LocalStore) -> None:
    from ehub_tui.sop.library import PublishedText

    assert store.sop_stamp() is None and store.cached_sops() == []
    v = PublishedText(
        sop_id="red_flags", version="1.2", name="red_flags.sop.yaml", text=b"id: red_flags\n",
        sha256="a" * 64, approved_by="dr", published_at=NOW, row_id=3, published_by="dr",
    )  # fmt: skip
    store.cache_sops([v, v], (3, 1))
    assert store.sop_stamp() == (3, 1) and store.cached_sops() == [v]


def test_a_users_verifier_is_kept_and_a_later_save_without_one_keeps_it(
    store: LocalStore,
) -> None:
    store.save_user(UserInfo("nav1", "navigator", "Nav One"), {"work_items"}, "$argon2id$x", NOW)
    store.save_user(UserInfo("nav1", "supervisor", "Nav One"), {"see_board"}, None, NOW)
    kept = store.user("nav1")
    assert kept is not None and kept.verifier == "$argon2id$x"
    assert kept.user.role == "supervisor" and kept.permissions == {"see_board"}
    store.forget_verifier("nav1")
    assert store.user("nav1").verifier is None  # type: ignore[union-attr]
    assert store.user("nobody") is None


def test_two_stores_on_one_file_share_one_device_order(tmp_path: Path) -> None:
    path = tmp_path / "ws" / "hub.sqlite3"
    a, b = LocalStore(path, device_id="dev-1"), LocalStore(path, device_id="dev-1")
    for i in range(10):
        (a if i % 2 else b).record_viewed(NewEvent("nav1", "viewed", i + 1, 1, NOW, {}), NOW)
    assert [e.device_seq for e in a.pending("nav1", 20)] == list(range(1, 11))
    a.close()
    b.close()


def test_times_read_back_aware_utc(store: LocalStore) -> None:
    naive_london = datetime(2026, 6, 1, 9, 30)  # a naive time is taken as UTC
    store.record_viewed(NewEvent("nav1", "viewed", 1, 1, naive_london, {}), NOW)
    (e,) = store.pending("nav1", 1)
    assert e.client_at == naive_london.replace(tzinfo=UTC) and e.client_at.tzinfo is not None
