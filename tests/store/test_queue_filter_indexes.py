"""One request type's queue and an age band read from indexes of their own (migration 0021),
issue 18 part 4: a type's first page walked past every emergency and urgent item of other types
(x8.5 from 100k to 1M items), an age band's size read every queued row (2.1 s at 1M). The plans
show the indexes answering, and the size and rows stay what the list gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.store import views
from tests.store.test_keyset_plan import _plan
from tests.support.factories import oc_row

N = 300
PAGE = 25
SINCE = datetime(2000, 1, 1, tzinfo=UTC)
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def hub(seeded: HubService) -> HubService:
    seeded.store_intake(
        [
            oc_row(
                i,
                priority=i % 3,
                minutes_ago=(i * 7) % 40,
                request_type=("admin", "clinical", "other")[i % 3],
                date_of_birth=date(2024, 1, 1) if i % 10 == 0 else date(1970, 1, 1),
            )
            for i in range(1, N + 1)
        ]
    )
    return seeded


@pytest.fixture
def seen(hub: HubService) -> Iterator[list[tuple[str, Any]]]:
    out: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, sql: str, params: Any, *args: Any) -> None:
        if "FROM consultation c" in sql and "audit" not in sql:
            out.append((sql, params))

    event.listen(hub.engine, "before_cursor_execute", note)
    yield out
    event.remove(hub.engine, "before_cursor_execute", note)


def _read(hub: HubService, f: QueueFilter) -> tuple[int, list[int]]:
    with hub.engine.connect() as conn:
        total = views.count_rows(conn, "queue", "nav1", f, SINCE, today=TODAY, now=NOW)
        marks = views.Marks()
        ids: list[int] = []
        for off in range(0, total, PAGE):
            rows = views.list_rows(
                conn, "queue", "nav1", f, SINCE, off, PAGE,
                today=TODAY, now=NOW, total=total, marks=marks,
            )  # fmt: skip
            ids += [r.id for r in rows]
    return total, ids


def test_one_types_pages_walk_its_own_index(hub: HubService, seen: list[tuple[str, Any]]) -> None:
    f = QueueFilter(request_type="admin")
    total, ids = _read(hub, f)
    everything = _read(hub, QueueFilter())[1]
    with hub.engine.connect() as conn:
        admin = {
            r.id
            for r in views.list_rows(conn, "queue", "nav1", QueueFilter(), SINCE, 0, N + 10)
            if r.request_type == "admin"
        }
    assert total == len(ids) == len(admin) == N // 3
    assert ids == [i for i in everything if i in admin]  # the queue's order, only admin
    pages = [(s, p) for s, p in seen if "ORDER BY" in s and "c.request_type IN" in s]
    assert pages
    if hub.engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by cost (its statistics); SQLite is told
    for sql, params in pages:
        plan = _plan(hub, sql, params)
        assert "ix_consultation_queue_type" in plan, (sql, plan)
        assert (
            "TEMP B-TREE" not in plan and "Sort" not in plan.split("ix_consultation_queue_type")[0]
        )


def test_an_age_bands_size_is_a_range_of_the_birth_date_index(
    hub: HubService, seen: list[tuple[str, Any]]
) -> None:
    f = QueueFilter(age_bands=("0-4",))
    total, ids = _read(hub, f)
    assert total == len(ids) == N // 10
    counts = [(s, p) for s, p in seen if "count(*)" in s.lower() and "date_of_birth" in s]
    assert counts
    for sql, params in counts:
        plan = _plan(hub, sql, params)
        assert "ix_consultation_queue_dob" in plan, (sql, plan)


@pytest.mark.parametrize(
    "f",
    [
        QueueFilter(age_bands=("16-64",), search="#3"),  # an item number: every state
        QueueFilter(age_bands=("0-4",), search="999 000"),  # a partial NHS number
        QueueFilter(age_bands=("16-64",), search="alex"),  # words
        QueueFilter(request_type="admin", search="#3"),
        QueueFilter(request_type="admin", age_bands=("16-64",), search="alex"),
    ],
)
def test_a_search_beside_these_filters_is_answered(hub: HubService, f: QueueFilter) -> None:
    """The forced indexes hold only queued items; a search (an item or NHS number looks in every
    state) must not be sent to them: SQLite refused such a query ("no query solution") and the
    navigator read that the hub did not answer (found reading the change again, session 27)."""
    total, ids = _read(hub, f)
    assert total == len(ids)
    page, size = hub.queue_page("queue", f, 0, PAGE)
    assert size == total and len(page) == min(total, PAGE)
