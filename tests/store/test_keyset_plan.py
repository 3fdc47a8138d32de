"""The queue in due order is read from its own index (migration 0020), on SQLite and PostgreSQL:
the first page, End (the index read backwards) and a keyset seek each walk
ix_consultation_queue_due with no sort of the queued rows, so End costs the same at 1M items as
at 10k (issue 18 part 4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.store import views
from tests.support.factories import oc_row

N = 300
PAGE = 25
SINCE = datetime(2000, 1, 1, tzinfo=UTC)
INDEX = "ix_consultation_queue_due"


@pytest.fixture
def hub(seeded: HubService) -> HubService:
    seeded.store_intake(
        [oc_row(i, priority=i % 3, minutes_ago=(i * 7) % 40) for i in range(1, N + 1)]
    )
    return seeded


@pytest.fixture
def seen(hub: HubService) -> Iterator[list[tuple[str, Any]]]:
    out: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, sql: str, params: Any, *args: Any) -> None:
        if "ORDER BY c.due_by" in sql:
            out.append((sql, params))

    event.listen(hub.engine, "before_cursor_execute", note)
    yield out
    event.remove(hub.engine, "before_cursor_execute", note)


def _plan(hub: HubService, sql: str, params: Any) -> str:
    with hub.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cur = raw.cursor()
        if hub.engine.dialect.name == "sqlite":
            cur.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(str(r[-1]) for r in cur.fetchall())
        # a few hundred rows: PostgreSQL would rather read the table and sort; forbidding both
        # shows the index answers the order as it stands (no sort node over it)
        cur.execute("SET enable_seqscan = off")
        cur.execute("SET enable_sort = off")
        cur.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(str(r[0]) for r in cur.fetchall())
        raw.rollback()
        return plan


def test_due_order_pages_use_the_due_index(hub: HubService, seen: list[tuple[str, Any]]) -> None:
    f = QueueFilter(sort="due")
    with hub.engine.connect() as conn:
        total = views.count_rows(conn, "queue", "nav1", f, SINCE)
        marks = views.Marks()
        last = ((total - 1) // PAGE) * PAGE
        for off in (0, PAGE, last, last - PAGE):  # Home, scroll, End, scroll up from End
            rows = views.list_rows(
                conn, "queue", "nav1", f, SINCE, off, PAGE, total=total, marks=marks
            )
            assert rows
    assert len(seen) >= 4
    for sql, params in seen:
        plan = _plan(hub, sql, params)
        assert INDEX in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan and "Sort" not in plan.split(INDEX)[0], (sql, plan)


def test_index_is_partial_on_the_queued_items(hub: HubService) -> None:
    with hub.engine.connect() as conn:
        if hub.engine.dialect.name == "sqlite":
            sql = "SELECT sql FROM sqlite_master WHERE name = :n"
        else:
            sql = "SELECT indexdef FROM pg_indexes WHERE indexname = :n"
        ddl = str(conn.execute(text(sql), {"n": INDEX}).scalar_one())
    assert "status = 'queued'" in ddl.replace("::text", "").replace("(status)", "status")
    assert "priority DESC" in ddl
