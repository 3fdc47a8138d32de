"""The board's figures and the queue window's head, size and rows are each read in one snapshot,
on PostgreSQL (REPEATABLE READ) and SQLite (a WAL read transaction): a change another
connection commits between two statements of one read shows in none of that read's figures
(issue 18 review: breaching was two statements apart on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from tests.support.factories import oc_row

N = 20


@contextmanager
def committed_after(svc: HubService, marker: str, write: Callable[[], None]) -> Iterator[None]:
    """Run ``write`` (on another connection, committed) once, right after the first statement of
    ``svc``'s engine containing ``marker`` has run: between two statements of one read."""
    done: list[bool] = []

    def after(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if marker in sql and not done:
            done.append(True)
            write()

    event.listen(svc.engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(svc.engine, "after_cursor_execute", after)
    assert done, f"no statement with {marker!r} ran"


def _hub(seeded: HubService) -> HubService:
    seeded.store_intake([oc_row(i, priority=i % 2) for i in range(1, N + 1)])
    return seeded


def test_board_reads_one_moment(seeded: HubService, make_service: Callable[..., Any]) -> None:
    hub = _hub(seeded)
    other = make_service()

    def emergency() -> None:
        other.store_intake([oc_row(N + 1, priority=2)])

    with committed_after(hub, "queue_count", emergency):
        b = hub.board()
    waiting = [i for i in b.items if i.status == "queued"]
    assert b.queued == len(waiting) == N  # the counters and the list: the same moment
    assert all(i.priority < 2 for i in waiting)  # the emergency came after that moment
    assert sum(p.queued for p in b.practices) == N


def test_queue_window_reads_one_moment(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    hub = _hub(seeded)
    other = make_service()

    def emergency() -> None:
        other.store_intake([oc_row(N + 1, priority=2)])

    with committed_after(hub, "audit_head", emergency):
        rows, total = hub.queue_page("queue", QueueFilter(), 0, 50)
    assert total == len(rows) == N  # the size kept under the head read is that head's
    assert all(r.priority < 2 for r in rows)
    rows, total = hub.queue_page("queue", QueueFilter(), 0, 50)  # the next read: the new head
    assert total == len(rows) == N + 1 and rows[0].priority == 2
