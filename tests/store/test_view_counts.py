"""The queue window's size for due soon (`d`) and "waited over N hours", counted from the
counters less what the filter leaves out (issue 18 part 4: those two read every queued row, 3.4 s
at 1M items). The count must be the list's length exactly, in every mix: overdue and not yet due,
emergencies by priority and by an SOP flag the priority does not show, no SOP flags at all,
items held, parked and done, with practice, type and priority filters beside it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.store import view_counts, views
from ehub_tui.store.engine import read_tx, write_tx
from tests.support.factories import oc_row

pytestmark = pytest.mark.parametrize("hub_url", ["sqlite", "postgresql"], indirect=True)

SINCE = datetime(2000, 1, 1, tzinfo=UTC)
FLAGGED = [{"id": "rf_x", "level": "emergency", "say": "x"}]
AMBER = [{"id": "rf_y", "level": "urgent", "say": "y"}]


def _hub(seeded: HubService) -> HubService:
    # 48 items over four days (an hour apart) so due times fall before and after the probes
    rows = [
        oc_row(i, minutes_ago=60 * (48 - i), request_type="admin" if i % 3 else "clinical")
        for i in range(48)
    ]
    seeded.store_intake(rows)
    with write_tx(seeded.engine) as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM consultation ORDER BY id"))]

        def put(sql: str, which: list[int], **params: object) -> None:
            for n in which:
                conn.execute(text(sql), {"id": ids[n], **params})

        # an emergency SOP flag the priority does not show (and an amber one, which is not)
        put(
            "UPDATE consultation SET sop_flags = :f WHERE id = :id",
            [40, 44, 46],
            f=json.dumps(FLAGGED),
        )
        put("UPDATE consultation SET sop_flags = :f WHERE id = :id", [41, 45], f=json.dumps(AMBER))
        put("UPDATE consultation SET sop_flags = NULL WHERE id = :id", [42, 47])
        put("UPDATE consultation SET priority = 2 WHERE id = :id", [43, 39])
        put("UPDATE consultation SET priority = 1 WHERE id = :id", [38, 37, 30])
        # out of the queue: held, done, parked (the counters follow by the database's triggers)
        put("UPDATE consultation SET status = 'claimed', owner = 'nav1' WHERE id = :id", [36, 46])
        put("UPDATE consultation SET status = 'completed' WHERE id = :id", [35, 43])
        put("UPDATE consultation SET status = 'awaiting' WHERE id = :id", [34])
    return seeded


def _list_length(svc: HubService, f: QueueFilter, now: datetime) -> int:
    with read_tx(svc.engine) as conn:
        rows = views.list_rows(conn, "queue", "me", f, SINCE, 0, 10_000, today=now.date(), now=now)
    return len(rows)


def _count(svc: HubService, f: QueueFilter, now: datetime) -> tuple[int, int | None]:
    with read_tx(svc.engine) as conn:
        counted = views.count_rows(conn, "queue", "me", f, SINCE, today=now.date(), now=now)
        by_complement = view_counts.by_complement(
            conn, "queue", f, now, lambda p: views._bind(p, svc.engine.dialect.name == "sqlite")
        )
    return counted, by_complement


def _filters(now: datetime, practice: str) -> list[QueueFilter]:
    out = []
    for hours in (-30, -2, 0, 1, 5, 30, 90):
        due = now + timedelta(hours=hours)
        out += [
            QueueFilter(due_before=due),
            QueueFilter(due_before=due, practice=practice),
            QueueFilter(due_before=due, request_types=("admin",)),
            QueueFilter(due_before=due, min_priority=1),
            QueueFilter(due_before=due, sort="due"),
        ]
    for waited in (0.5, 3.0, 24.0, 47.5, 100.0):
        out += [
            QueueFilter(waited_over_hours=waited),
            QueueFilter(waited_over_hours=waited, practices=(practice,), min_priority=1),
        ]
    return out


def test_due_soon_and_waited_are_counted_as_the_list_gives_them(seeded: HubService) -> None:
    svc = _hub(seeded)
    with read_tx(svc.engine) as conn:
        practice = conn.execute(text("SELECT min(practice_ods) FROM consultation")).scalar_one()
    for now in (
        datetime(2026, 11, 23, 9, 30, tzinfo=UTC),  # a Monday morning, the newest item's day
        datetime(2026, 11, 21, 12, 0, tzinfo=UTC),  # a Saturday, items due Monday and Tuesday
        datetime(2026, 11, 30, 12, 0, tzinfo=UTC),  # a week on: everything overdue
    ):
        for f in _filters(now, practice):
            counted, by_complement = _count(svc, f, now)
            assert by_complement is not None, f  # the bounded way answered, not a full read
            assert counted == by_complement == _list_length(svc, f, now), (now, f)


def test_what_the_complement_cannot_answer_is_counted_by_reading(seeded: HubService) -> None:
    svc = _hub(seeded)
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    both = QueueFilter(due_before=now, waited_over_hours=3.0)
    aged = QueueFilter(due_before=now, age_bands=("0-4",))
    for f in (both, aged, QueueFilter(due_before=now, search="alex"), QueueFilter()):
        counted, by_complement = _count(svc, f, now)
        assert by_complement is None
        assert counted == _list_length(svc, f, now), f
