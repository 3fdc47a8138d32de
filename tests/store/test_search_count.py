"""A searched queue's size on the SQLite hub (session 27): counted from the word index when the
queue holds most of the hub's items (the index's answer, less the matching items held, parked or
done), else by reading the queue; one index query for every word that names no practice. Either
way the count is the number of rows the list gives, and both follow the word-start rule of
domain.search ("uti" never finds "duties")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from ehub_tui.domain import search as S
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.store import search as store_search
from ehub_tui.store import views
from ehub_tui.store.engine import read_tx, write_tx
from tests.support.factories import oc_row

pytestmark = pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)

SINCE = datetime(2000, 1, 1, tzinfo=UTC)
TEXTS = [
    "sore throat for three days",
    "question about a referral",
    "referral letter lost",
    "my work duties",
    "UTI symptoms again",
    "question about my throat",
]
SEARCHES = ["throat", "referral", "question referral", "uti", "alex", "castle", "castle uti", "zzz"]


def _hub(seeded: HubService, n: int) -> HubService:
    seeded.store_intake(
        [oc_row(i, free_text=TEXTS[i % len(TEXTS)], minutes_ago=n - i) for i in range(n)]
    )
    return seeded


def _set_status(svc: HubService, status: str, rows: list[int]) -> None:
    """Items (by oc_row number) out of the queue (held, done, cancelled), as the hub's writers
    leave them; the database's counters follow by its triggers."""
    with write_tx(svc.engine) as conn:
        for i in rows:
            conn.execute(
                text(
                    "UPDATE consultation SET status = :s, owner = 'someone' WHERE external_id = :e"
                ),
                {"s": status, "e": f"T-{i:07d}"},
            )


def _expected(svc: HubService, typed: str) -> set[int]:
    """The queued items the word rule finds, read in Python from every row."""
    found = S.parse(typed)
    assert found is not None
    with read_tx(svc.engine) as conn:
        names = store_search.practice_names(conn)
        rows = conn.execute(
            text(
                "SELECT id, given_name, family_name, practice_ods, template, free_text "
                "FROM consultation WHERE status = 'queued'"
            )
        ).all()
    out = set()
    for r in rows:
        fields = (f"{r.given_name} {r.family_name}", r.free_text, r.template)
        if all(
            any(S.starts_word(v, w) for v in fields)
            or S.starts_word(r.practice_ods, w)
            or S.starts_word(names.get(r.practice_ods, ""), w)
            for w in found.words
        ):
            out.add(int(r.id))
    return out


def _counted_and_listed(svc: HubService, f: QueueFilter) -> tuple[int, set[int], int | None]:
    """The view's count, its rows, and what the word index alone answered (None: not asked)."""
    with read_tx(svc.engine) as conn:
        total = views.count_rows(conn, "queue", "nobody", f, SINCE)
        rows = views.list_rows(conn, "queue", "nobody", f, SINCE, 0, 1000)
        found = S.parse(f.search)
        assert found is not None
        alone = store_search.queued_count(conn, found, store_search.practice_names(conn))
    return total, {r.id for r in rows}, alone


def test_mostly_queued_the_count_comes_from_the_word_index(seeded: HubService) -> None:
    hub = _hub(seeded, 60)
    # a few items out of the queue, some holding the searched words: they are not counted
    _set_status(hub, "claimed", [0, 1, 4])
    _set_status(hub, "completed", [6, 7, 12, 13])
    _set_status(hub, "cancelled", [5])
    for typed in SEARCHES:
        total, listed, alone = _counted_and_listed(hub, QueueFilter(search=typed))
        expected = _expected(hub, typed)
        assert listed == expected, typed
        assert total == len(expected), typed
        if "castle" in typed:  # a word naming a practice: the queue is read
            assert alone is None
        else:
            assert alone == len(expected), typed
    uti = _expected(hub, "uti")  # "duties" is never found by "uti"
    with read_tx(hub.engine) as conn:
        got = conn.execute(text("SELECT id, free_text FROM consultation")).all()
    texts = {str(t) for i, t in got if i in uti}
    assert texts == {"UTI symptoms again"}


def test_with_more_history_than_queue_the_queue_is_read(seeded: HubService) -> None:
    hub = _hub(seeded, 30)
    _set_status(hub, "completed", list(range(0, 30, 2)))  # half: not fewer than the queue
    for typed in ("throat", "question referral", "alex"):
        total, listed, alone = _counted_and_listed(hub, QueueFilter(search=typed))
        assert alone is None
        assert listed == _expected(hub, typed) and total == len(listed) > 0
    _set_status(hub, "queued", [0])  # now the queue (16) outnumbers the rest (14)
    total, listed, alone = _counted_and_listed(hub, QueueFilter(search="throat"))
    assert alone == total == len(listed) == len(_expected(hub, "throat"))


def test_other_filters_and_the_other_views_are_counted_from_their_rows(
    seeded: HubService,
) -> None:
    hub = _hub(seeded, 30)
    f = QueueFilter(search="throat", min_priority=0, practices=("Z99001",))
    with read_tx(hub.engine) as conn:
        total = views.count_rows(conn, "queue", "nobody", f, SINCE)
        rows = views.list_rows(conn, "queue", "nobody", f, SINCE, 0, 100)
    assert total == len(rows) > 0 and {r.practice_ods for r in rows} == {"Z99001"}
    assert all(r.matched == "template: sore throat" for r in rows)
    _set_status(hub, "claimed", [0, 1, 2, 3, 4, 5])
    with read_tx(hub.engine) as conn:
        mine = views.count_rows(conn, "mine", "someone", QueueFilter(search="question"), SINCE)
    assert mine == 2  # items 1 and 5 of the six held ask a question


def test_words_naming_no_practice_are_one_index_query(seeded: HubService) -> None:
    """Every plain word in one query of the index (each a word start, all required); a word
    naming a practice keeps its own part, so "castle uti" finds Castle Hill's UTI items."""
    params: dict[str, object] = {}
    practices = {"Z99002": "Castle Hill Medical Centre"}
    found = S.parse("question referral castle")
    assert found is not None
    sql = store_search.search_clause(found, params, True, practices)
    assert sql.count("MATCH") == 2 and params["sw"] == '"question"* AND "referral"*'
    assert params["s0p0"] == "Z99002"
    assert store_search.plain_words(found, practices) is None
    hub = _hub(seeded, 24)
    rows, total = hub.queue_page("queue", QueueFilter(search="castle uti"), 0, 50)
    assert total == len(rows) > 0
    assert {r.practice_ods for r in rows} == {"Z99002"}
    assert all("text: UTI" in (r.matched or "") for r in rows)


def test_the_rows_not_the_counters_are_counted(seeded: HubService) -> None:
    """The counters only choose the way: items out of the queue that they have lost track of
    are still taken off (a drifted counter never lets the count exceed the list)."""
    hub = _hub(seeded, 30)
    _set_status(hub, "completed", [0, 5])
    with write_tx(hub.engine) as conn:
        conn.execute(text("DELETE FROM queue_count WHERE status <> 'queued'"))
    total, listed, alone = _counted_and_listed(hub, QueueFilter(search="throat"))
    assert alone == total == len(listed) == len(_expected(hub, "throat"))
