"""The board's recent events (store/board_events.py), on SQLite and PostgreSQL: the same events,
story and kept values as the audit's own listing, without the digests of the rows each wrote;
a body is read from the database once (then its digest finds it parsed), so a bulk ingest's
quarter-megabyte bodies are not read on every refresh (issue 18: the board never blocks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from ehub_tui.domain import event_words
from ehub_tui.service import HubService
from ehub_tui.store import board_events
from tests.support.factories import oc_row


@pytest.fixture
def hub(seeded: HubService) -> HubService:
    seeded.store_intake([oc_row(i, priority=i % 3) for i in range(1, 41)])
    claim = seeded.claim_next()
    assert claim is not None
    seeded.release(claim, "back for now")
    return seeded


@pytest.fixture
def bodies_read(hub: HubService) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if "AS body FROM audit_event" in sql:  # the bodies' read (not the queue's own reads)
            seen.append(sql)

    event.listen(hub.engine, "before_cursor_execute", note)
    yield seen
    event.remove(hub.engine, "before_cursor_execute", note)


def test_same_events_as_the_audit_listing_without_covers(hub: HubService) -> None:
    skip = event_words.ACCESS_ACTIONS
    want = hub.parts.audit.events(limit=30, skip=skip)
    with hub.engine.connect() as conn:
        got = board_events.recent_events(conn, 30, skip)
    assert [e.seq for e in got] == [e.seq for e in want]
    assert any(e.covers for e in want)  # the ingest covered its rows
    for g, w in zip(got, want, strict=True):
        assert g.covers == []
        assert (g.at, g.actor, g.action, g.consultation_id) == (
            w.at,
            w.actor,
            w.action,
            w.consultation_id,
        )
        assert g.body == w.body and g.shows == w.shows
        assert event_words.event_words(g) == event_words.event_words(w)


def test_a_body_is_read_once(hub: HubService, bodies_read: list[str]) -> None:
    board_events._bodies.clear()
    with hub.engine.connect() as conn:
        first = board_events.recent_events(conn, 5)
        assert len(bodies_read) == 1  # the bodies not seen before, in one statement
        bodies_read.clear()
        again = board_events.recent_events(conn, 5)
    assert bodies_read == []  # every digest known: no body read
    assert again == first
    claim = hub.claim_next()
    assert claim is not None
    with hub.engine.connect() as conn:
        after = board_events.recent_events(conn, 5)
    assert after[0].action == "claim" and after[1:] == first[:-1]
    assert len(bodies_read) == 1


def test_the_board_lists_them(hub: HubService) -> None:
    b = hub.board()
    assert [e.seq for e in b.events] == [
        e.seq for e in hub.parts.audit.events(limit=30, skip=event_words.ACCESS_ACTIONS)
    ]
