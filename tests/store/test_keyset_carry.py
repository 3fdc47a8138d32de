"""A refresh while scrolled deep keeps its place by key (store/keyset_carry.py), on SQLite and
PostgreSQL: after claims and releases (of items above, below and on the window) the window at
the same depth is read by seeking from a remembered key, no OFFSET, and every page equals the
OFFSET listing of the new state, in every sort order and with a filter; after an ingest (which
the events do not spell out item by item) the window starts afresh and is still right."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from ehub_tui.domain import search as S
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.store import views
from tests.support.factories import oc_row

N = 600
PAGE = 20
DEEP = 400  # the window's offset, deep in the list
SINCE = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def hub(seeded: HubService) -> HubService:
    seeded.store_intake(
        [oc_row(i, priority=i % 3, minutes_ago=(i * 7) % 40) for i in range(1, N + 1)]
    )
    return seeded


@pytest.fixture
def offsets(hub: HubService) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if "FROM consultation c" in sql and "ORDER BY" in sql:
            seen.append(sql)

    event.listen(hub.engine, "before_cursor_execute", note)
    yield seen
    event.remove(hub.engine, "before_cursor_execute", note)


def _listing(svc: HubService, f: QueueFilter) -> list[int]:
    with svc.engine.connect() as conn:
        return [r.id for r in views.list_rows(conn, "queue", "nobody", f, SINCE, 0, 10 * N)]


def _window(svc: HubService, f: QueueFilter, at: int) -> list[int]:
    rows, _ = svc.queue_page("queue", f, at, PAGE)
    return [r.id for r in rows if r.status == "queued"]


FILTERS = [QueueFilter(sort=s) for s in S.SORTS] + [QueueFilter(practices=("Z99001", "Z99002"))]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.sort + ("+practices" if f.practices else ""))
def test_deep_refresh_after_claims_is_keyset_and_exact(
    hub: HubService, offsets: list[str], f: QueueFilter
) -> None:
    full = _listing(hub, f)
    deep = min(DEEP, len(full) - 3 * PAGE)
    for at in range(0, deep + PAGE, PAGE):  # scrolled down page by page to the window
        assert _window(hub, f, at) == full[at : at + PAGE]
    # changes above the window, on it, below it, and one undone (claimed, then released)
    above = hub.claim_next()
    on = hub.claim(full[deep + 3])
    below = hub.claim(full[-2])
    undone = hub.claim(full[deep // 2])
    assert above is not None
    hub.release(undone, "back")
    now = _listing(hub, f)
    offsets.clear()
    assert _window(hub, f, deep) == now[deep : deep + PAGE]
    assert not any("OFFSET" in s for s in offsets), offsets  # sought from a kept key
    for at in (deep + PAGE, deep - PAGE, deep - 2 * PAGE):  # and scrolling on from there
        assert _window(hub, f, at) == now[at : at + PAGE]
    hub.release(on, "back")  # an item coming back into the list, then a refresh
    hub.release(below, "back")
    again = _listing(hub, f)
    offsets.clear()
    assert _window(hub, f, deep) == again[deep : deep + PAGE]
    assert not any("OFFSET" in s for s in offsets), offsets


def test_after_an_ingest_the_window_starts_afresh(hub: HubService) -> None:
    f = QueueFilter()
    for at in range(0, DEEP + PAGE, PAGE):
        _window(hub, f, at)
    hub.store_intake([oc_row(N + i, priority=1, minutes_ago=20) for i in range(1, 6)])
    now = _listing(hub, f)
    assert _window(hub, f, DEEP) == now[DEEP : DEEP + PAGE]
    assert _window(hub, f, DEEP - PAGE) == now[DEEP - PAGE : DEEP]
