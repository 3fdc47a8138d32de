"""Keyset paging of the queue window (issue 18 part 4), on SQLite and PostgreSQL: pages read by
seeking from a neighbour's key, the first and last pages read directly, and jumps into the
middle, put together, equal the OFFSET listing for every sort order and view, with ties in
priority and received time and with items back from awaiting the patient placed first within
their priority; the count is read once per filter and change of the hub, not per page."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from ehub_tui.domain import search as S
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.store import views
from tests.support.factories import oc_row

N = 1000
PAGE = 25
SINCE = datetime(2000, 1, 1, tzinfo=UTC)
FRONTS = (7, 300, 301, 602, 950)  # back from awaiting the patient (priorities 1, 0, 1, 2, 2)


@pytest.fixture
def big(seeded: HubService) -> HubService:
    """N items with many ties (three priorities, 40 received times), some held by nav1 (ties in
    their claim time), some completed by nav1 (ties in their completion time) and a few back
    from awaiting the patient."""
    seeded.store_intake(
        [oc_row(i, priority=i % 3, minutes_ago=(i * 7) % 40) for i in range(1, N + 1)]
    )
    now = datetime.now(UTC)
    with seeded.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE consultation SET status = 'claimed', owner = 'nav1', claimed_at = "
                "received_at WHERE id % 10 = 3"
            )
        )
        conn.execute(
            text(
                "INSERT INTO outcome (consultation_id, navigator, category, route, destination,"
                " urgency, detail, received_at, completed_at, handling_seconds, epoch)"
                " SELECT id, 'nav1', 'signpost', 'pharmacy', '', '', '{}', received_at,"
                " received_at, 0, 0 FROM consultation WHERE id % 10 = 7"
            )
        )
        conn.execute(
            text(
                "UPDATE consultation SET status = 'completed', completed_at = received_at"
                " WHERE id % 10 = 7"
            )
        )
        for i in FRONTS:
            conn.execute(
                text(
                    "INSERT INTO awaiting_reply (item_id, parked_by, parked_at, epoch, question,"
                    " return_at, due_by, state, returned_at) VALUES (:i, 'nav1', :t, -2, 'q',"
                    " :t, :t, 'replied', :t)"
                ),
                {"i": i, "t": now.replace(tzinfo=None)},
            )
    return seeded


def _listing(svc: HubService, view: str, f: QueueFilter) -> list[int]:
    with svc.engine.connect() as conn:
        rows = views.list_rows(conn, view, "nav1", f, SINCE, 0, 10 * N)
    return [r.id for r in rows]


def _pages(svc: HubService, view: str, f: QueueFilter, order: list[int]) -> dict[int, list[int]]:
    """The pages at the given page numbers, read in that order with one set of marks."""
    marks = views.Marks()
    out = {}
    with svc.engine.connect() as conn:
        total = views.count_rows(conn, view, "nav1", f, SINCE)
        for p in order:
            rows = views.list_rows(
                conn, view, "nav1", f, SINCE, p * PAGE, PAGE, total=total, marks=marks
            )
            out[p] = [r.id for r in rows]
    return out


FILTERS = [QueueFilter(sort=s) for s in S.SORTS] + [
    QueueFilter(practices=("Z99001", "Z99002")),
    QueueFilter(min_priority=1, sort="due"),
]


@pytest.mark.parametrize("view", ["queue", "mine", "done"])
def test_keyset_pages_equal_the_offset_listing(big: HubService, view: str) -> None:
    rng = random.Random(18)
    for f in FILTERS:
        full = _listing(big, view, f)
        assert len(full) == len(set(full)) > PAGE
        last = (len(full) - 1) // PAGE
        forward = list(range(last + 1))
        backward = forward[::-1]  # End, then page up to the top
        jumps = [0, last, last // 2, last // 2 + 1, last // 2 - 1, 1, last - 1]
        jumps += rng.sample(forward, len(forward) // 3)
        for order in (forward, backward):  # scrolling down from Home, up from End
            pages = _pages(big, view, f, order)
            assert [i for p in sorted(pages) for i in pages[p]] == full, (view, f, order[:3])
        for p, ids in _pages(big, view, f, jumps).items():  # jumps into the middle and back
            assert ids == full[p * PAGE : (p + 1) * PAGE], (view, f, p)
        end = _pages(big, view, f, [last])[last]
        assert end == full[last * PAGE :]  # End gives the last page directly


def test_fronts_keep_their_place(big: HubService) -> None:
    full = _listing(big, "queue", QueueFilter())
    queued = [i for i in FRONTS if i % 10 not in (3, 7)]
    # first within their priority: the emergencies' fronts lead the list
    assert full[:2] == [602, 950]
    for i in queued:
        assert i in full
    pages = _pages(big, "queue", QueueFilter(), [3, 2, 1, 0, 5, 4])
    assert [i for p in sorted(pages) for i in pages[p]] == full[: 6 * PAGE]


@pytest.fixture
def statements(big: HubService) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    event.listen(big.engine, "before_cursor_execute", note)
    yield seen
    event.remove(big.engine, "before_cursor_execute", note)


def _view_counts(seen: list[str]) -> int:
    """The statements that size the view: a count, or a read of the queue's counters (not the
    few-row counts of the fronts' places)."""
    return sum(
        1
        for s in seen
        if ("count(*)" in s.lower() and "NOT IN" not in s) or "FROM queue_count" in s
    )


@pytest.mark.parametrize(
    ("f", "per_sizing"),
    [
        (QueueFilter(), 1),  # the counters answer
        (QueueFilter(request_types=("clinical",), min_priority=1), 1),  # the counters answer
        # due soon: the counters, less a bounded count of what is not yet due (store/view_counts)
        (QueueFilter(due_before=datetime(2100, 1, 1, tzinfo=UTC)), 2),
        (QueueFilter(due_before=datetime(2100, 1, 1, tzinfo=UTC), age_bands=("16-64",)), 1),  # read
    ],
)
def test_counted_once_per_filter_and_change_not_per_page(
    big: HubService, statements: list[str], f: QueueFilter, per_sizing: int
) -> None:
    for p in (0, 1, 2, 3, 2, 0):
        rows, total = big.queue_page("queue", f, p * PAGE, PAGE)
        assert rows and total > 4 * PAGE
    assert _view_counts(statements) == per_sizing
    big.store_intake([oc_row(N + 1)])  # the hub changed: sized again, once
    statements.clear()
    for p in (0, 1):
        big.queue_page("queue", f, p * PAGE, PAGE)
    assert _view_counts(statements) == per_sizing


def test_counters_agree_with_a_count(big: HubService) -> None:
    for f in [QueueFilter(), QueueFilter(practices=("Z99001", "Z99002"), request_types=("admin",))]:
        f2 = dataclasses.replace(f, due_before=datetime(2100, 1, 1, tzinfo=UTC))
        with big.engine.connect() as conn:
            assert views.count_rows(conn, "queue", "nav1", f, SINCE) == views.count_rows(
                conn, "queue", "nav1", f2, SINCE
            )


def test_end_and_home_after_a_change(big: HubService) -> None:
    _, total = big.queue_page("queue", QueueFilter(), 0, PAGE)
    last = (total - 1) // PAGE
    end, _ = big.queue_page("queue", QueueFilter(), last * PAGE, PAGE)
    big.store_intake([oc_row(N + 2, priority=2, minutes_ago=500)])
    home, total2 = big.queue_page("queue", QueueFilter(), 0, PAGE)
    assert total2 == total + 1
    new = big.find_consultation_id("TEST", f"T-{N + 2:07d}")
    assert [r.id for r in home[:3]] == [602, 950, new]  # after the fronts of its priority
    end2, _ = big.queue_page("queue", QueueFilter(), ((total2 - 1) // PAGE) * PAGE, PAGE)
    assert end2[-1].id == end[-1].id  # the list's tail (the items others hold) is unchanged
    assert len(end2) == total2 - ((total2 - 1) // PAGE) * PAGE
