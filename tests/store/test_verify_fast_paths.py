"""The verifier's short cuts read exactly what the slow way read: only a body's covers are
decoded (``covers_in``), the recorded digests are packed and compared without unpacking
(``Expected``), and the incremental replay judges only rows that differ. A walk of a real chain
records what decoding every body whole records; hostile bodies are named, never a traceback; a
row changed behind the app's back after a checkpoint (or written by the checkpoint's own event)
is still found, on both engines."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from ehub_tui.service import HubService
from ehub_tui.store import audit, verify_events
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.verify_expected import Expected
from tests.store.test_tamper import head, hub, names, scalar, sql  # noqa: F401 (hub: a fixture)
from tests.store.test_verify_incremental import checkpoint_seq
from tests.support.factories import oc_row

D1 = "ab" * 32
D2 = "cd" * 32


def slow_covers(body_text: str) -> Any:
    """What the verifier took a body's covers to be before: the whole text decoded."""
    try:
        body = json.loads(body_text)
    except ValueError:
        return None
    return body.get("covers") if isinstance(body, dict) else None


@pytest.mark.parametrize(
    "body_text",
    [
        audit.canonical(
            {
                "covers": [["consultation", 7, D1]],
                "epoch": 2,
                "reason": "no answer",
                "shows": [["consultation", 7, {"status": "queued"}]],
            }
        ),
        audit.canonical({"covers": [["consultation", 7, D1], ["outcome", 3, None]]}),
        audit.canonical({"count": 2, "covers": [["consultation", 1, D1]]}),  # not first
        '{"covers":[["consultation",1,null]],"covers":[["outcome",2,null]]}',  # json: the last
        '{"covers":[["consultation",1,null]],"c\\u006fvers":[["outcome",2,null]]}',  # spelt so
        '{"covers":[["consultation",1,"q\\"uote"]],"reason":"x"}',  # escapes inside the covers
        '{"covers":[["consultation",1,null]],"reason":"say \\"covers\\""}',
        '{"covers": [["consultation", 1, null]]}',  # spaced
        '{"covers":5}',
        '{"covers":{"consultation":1}}',
        '{"epoch":1}',
        '{"shows":[["consultation",1,{"covers":2}]]}',  # a nested key of that name
        '[["covers"]]',
        '{"covers":[',
        '"covers"',
        "",
    ],
)
def test_covers_are_what_decoding_the_whole_body_gives(body_text: str) -> None:
    assert verify_events.covers_in(body_text) == slow_covers(body_text)


def test_the_one_difference_text_after_the_covers_is_not_read() -> None:
    """Documented in ``covers_in``: a body whose digest holds is not also held to being JSON."""
    assert verify_events.covers_in('{"covers":[["consultation",1,null]],oops') == [
        ["consultation", 1, None]
    ]


def test_a_body_nested_past_all_sense_is_no_traceback() -> None:
    deep = '{"covers":' + "[" * 100_000 + "]" * 100_000 + "}"
    assert verify_events.covers_in(deep) is None
    assert verify_events.body_of(deep) == (None, False)


@pytest.mark.parametrize(
    ("digest", "seq"),
    [(D1, 5), (D1.upper(), 5), (None, 5), (7, 5), ("ab", 5), (D1, -1), (D1, 2**63), (None, 0)],
)
def test_a_recorded_digest_comes_back_as_it_went_in(digest: Any, seq: int) -> None:
    exp = Expected()
    exp.record("consultation", 1, digest, seq)
    assert exp.pop("consultation", 1) == (digest, seq)
    assert exp.pop("consultation", 1) is None


def test_a_forged_events_names_and_keys_are_kept_as_text() -> None:
    exp = Expected()
    exp.record(["consultation"], {"id": 1}, D1, 4)  # table and key of a kind no event writes
    exp.record("no_such_table", [1], None, 5)
    assert exp.left() == [
        ('["consultation"]', '{"id":1}', (D1, 4)),
        ("no_such_table", "[1]", (None, 5)),
    ]


def test_only_rows_that_differ_are_given_to_judge() -> None:
    exp = Expected()
    for key, digest, seq in [(3, D1, 10), (1, D1, 11), (2, None, 12), (4, D2, 13), (5, "X", 14)]:
        exp.record("consultation", key, digest, seq)
    assert exp.keys("consultation") == [1, 2, 3, 4, 5]
    now = {3: D1, 1: D2, 2: D1, 5: "X"}  # 3 holds; 1 changed; 2 back; 4 gone; 5 a forged digest
    assert list(exp.differing("consultation", now)) == [
        (1, D2, (D1, 11)),
        (2, D1, (None, 12)),
        (4, None, (D2, 13)),
        (5, "X", ("X", 14)),
    ]
    assert list(exp.differing("outcome", now)) == []
    exp.record("consultation", "a-forged-key", None, 15)
    assert len(exp.keys("consultation")) == 6  # keys of two kinds: no order, no traceback


@pytest.fixture
def grown(hub: HubService, make_service: Callable[..., HubService]) -> HubService:  # noqa: F811
    """The signed tamper hub with claims, releases, an ingest and a completion after its newest
    checkpoint."""
    nav = make_service("nav2")
    for _ in range(3):
        c = nav.claim_next()
        assert c is not None
        nav.release(c, 'a "quoted" reason')
    hub.store_intake([oc_row(i) for i in range(40, 44)])
    return hub


def no_problem(where: str, seq: int, what: str) -> None:
    pytest.fail(f"{where}: {what}")


def test_a_walk_records_what_decoding_every_body_gives(grown: HubService) -> None:
    last = head(grown)
    want: dict[str, dict[Any, Any]] = {}
    with read_tx(grown.engine) as conn:
        for page in verify_events.pages(conn, 0, last):
            for seq, *_, body_text, _bd, _prev, _h in page:
                for table, key, digest in slow_covers(body_text) or ():
                    want.setdefault(table, {})[key] = (digest, seq)
        walked = verify_events.walk(conn, 0, audit.GENESIS, last, no_problem)
    got = {
        table: {key: walked.expected.pop(table, key) for key in list(rows)}
        for table, rows in walked.expected.tables.items()
    }
    assert got == want and sum(len(rows) for rows in want.values()) > 10


def forge_head_body(svc: HubService, body_text: str) -> int:
    """Put ``body_text`` in the newest event with its digest and hash made to match: a
    forger with write access and the hash rule."""
    seq = head(svc)
    with write_tx(svc.engine) as conn:
        row = conn.execute(
            text(
                "SELECT at, actor, action, consultation_id, prev_hash FROM audit_event "
                "WHERE seq = :s"
            ),
            {"s": seq},
        ).one()
        bd = audit.digest(body_text)
        stamp = verify_events.Stamps()(row.at)
        assert stamp is not None
        h = verify_events.link(
            row.prev_hash, seq, stamp, row.actor, row.action, row.consultation_id, bd
        )
        conn.execute(
            text("UPDATE audit_event SET body = :b, body_digest = :bd, hash = :h WHERE seq = :s"),
            {"b": body_text, "bd": bd, "h": h, "s": seq},
        )
        conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": h})
    return seq


@pytest.mark.parametrize(
    "body_text",
    [
        '{"covers":5}',
        '{"covers":[[["consultation"],{"id":1},"x"]]}',
        '{"covers":[[' + "[" * 3000 + "]" * 3000 + ',1,"x"]]}',
    ],
    ids=["covers-a-number", "table-and-key-of-other-kinds", "nested-3000-deep"],
)
def test_a_forged_body_of_any_shape_is_no_traceback(grown: HubService, body_text: str) -> None:
    seq = forge_head_body(grown, body_text)
    assert seq > checkpoint_seq(grown)
    # the forger re-hashed the chain, so it holds; the rows the real event wrote (the ingest's)
    # now have no event: the full verify names them, the incremental one cannot (its stated
    # limit: a row no event after the checkpoint wrote), but neither fails with a traceback
    full = grown.verify_audit()
    assert not full.ok and all(p.check == "replay" for p in full.problems)
    assert any("no audit event wrote it" in p.what for p in full.problems)
    since = grown.verify_audit(since_checkpoint=True)
    assert since.events == seq - checkpoint_seq(grown)


# a text column to change behind the app's back, and the key column, per table
CHANGE = {
    "consultation": ("owner", "id"),
    "hub_user": ("display_name", "id"),
    "practice": ("name", "ods_code"),
}


def test_a_row_of_the_checkpoints_own_event_changed_is_found(grown: HubService) -> None:
    cp = checkpoint_seq(grown)
    raw = scalar(grown, "SELECT body FROM audit_event WHERE seq = :s", s=cp)
    body = raw if isinstance(raw, dict) else json.loads(raw)  # PostgreSQL's json: decoded
    table, key, _digest = body["covers"][0]
    column, key_column = CHANGE[table]
    sql(grown, f"UPDATE {table} SET {column} = 'mallory' WHERE {key_column} = :k", k=key)
    result = grown.verify_audit(since_checkpoint=True)
    assert not result.ok and f"{table} {key}" in names(result)


def test_a_row_written_after_the_checkpoint_deleted_is_found(grown: HubService) -> None:
    item = int(
        scalar(
            grown,
            "SELECT max(consultation_id) FROM audit_event WHERE action = 'release' AND seq > :s",
            s=checkpoint_seq(grown),
        )
    )
    sql(grown, "DELETE FROM consultation WHERE id = :i", i=item)
    result = grown.verify_audit(since_checkpoint=True)
    assert any(
        p.where == f"consultation {item}" and "not in the table (deleted)" in p.what
        for p in result.problems
    )
    assert result.rows >= 4
