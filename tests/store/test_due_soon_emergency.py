"""The queue's "due soon" filter (d) includes every emergency (issue 15, after the tmux trial):
an emergency's due time follows core hours, so one received on a Saturday is due days later, yet
it is to be dealt with now. Over SQLite and PostgreSQL (the stored flags' JSON is searched)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.store.models import Consultation
from tests.support.factories import oc_row

C = Consultation.__table__  # type: ignore[attr-defined]


def test_due_soon_includes_emergencies_due_days_later(seeded: HubService, clock: Any) -> None:
    now = clock.now
    created, _ = seeded.store_intake(
        [
            oc_row(1, given_name="Ann"),  # normal, due in two days
            oc_row(2, given_name="Bea", priority=2),  # emergency by priority, due in two days
            oc_row(3, given_name="Cat"),  # normal, but the SOPs found an emergency red flag
            oc_row(4, given_name="Dan"),  # normal, an amber red flag only
            oc_row(5, given_name="Eve"),  # normal, due within the hour
        ]
    )
    ids = [cid for _, cid in sorted(created)]
    later = now + timedelta(days=2)
    flags = {
        ids[2]: [{"id": "thunderclap", "level": "emergency"}],
        ids[3]: [{"id": "fever_child", "level": "urgent"}],
    }
    with seeded.engine.begin() as conn:
        for cid in ids:
            due = now + timedelta(minutes=30) if cid == ids[4] else later
            values: dict[str, Any] = {"due_by": due}
            if cid in flags:
                values.update(sop_flags=flags[cid], screened_at=now)
            conn.execute(update(C).where(C.c.id == cid).values(**values))
    soon = QueueFilter(due_before=now + timedelta(hours=1))
    rows, total = seeded.queue_page("queue", soon, 0, 50)
    assert total == len(rows) == 3
    assert sorted(r.id for r in rows) == sorted([ids[1], ids[2], ids[4]])
    # without d every item is listed, as before
    assert seeded.queue_page("queue", QueueFilter(), 0, 50)[1] == 5
