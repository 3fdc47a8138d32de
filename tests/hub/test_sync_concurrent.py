"""The same outbox batch pushed twice at once (a workstation's retry while its first push is
still running on another hub thread), on SQLite and PostgreSQL: every event is applied once —
one push answers accepted, the other duplicate — and the item has exactly one outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from ehub_tui.domain.sync import EventResult
from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx
from ehub_tui.store.models import Outcome as OutcomeRow
from tests.hub.syncing import event
from tests.support.factories import oc_row

O = OutcomeRow.__table__  # type: ignore[attr-defined]  # noqa: E741


def test_a_batch_pushed_twice_at_once_is_applied_once(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    seeded.store_intake([oc_row(i) for i in range(6)])
    nav = make_service("nav1")
    claims = [nav.claim_next() for _ in range(6)]
    batch = [event("viewed", c) for c in claims[:2]] + [event("complete", c) for c in claims]
    # two hub threads: each its own service and engine, started together
    hubs = [make_service("nav1"), make_service("nav1")]
    start = threading.Barrier(2)
    answers: list[list[EventResult]] = []
    failed: list[BaseException] = []

    def push(svc: HubService) -> None:
        try:
            start.wait(10)
            answers.append(svc.sync_push(batch).results)
        except BaseException as exc:  # reported by the test's own thread
            failed.append(exc)

    threads = [threading.Thread(target=push, args=(h,)) for h in hubs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failed == [] and len(answers) == 2
    for i, sent in enumerate(batch):
        states = sorted(a[i].state for a in answers)
        assert states == ["accepted", "duplicate"], (sent.kind, states)
        ids = {a[i].outcome_id for a in answers}
        assert len(ids) == 1
    with read_tx(seeded.engine) as conn:
        per_item = conn.execute(
            select(O.c.consultation_id, func.count()).group_by(O.c.consultation_id)
        ).all()
    assert sorted(n for _, n in per_item) == [1] * 6
    assert seeded.sync_rejected() == []  # a race is not a refusal
    found = seeded.verify_audit()
    assert found.ok, [str(p) for p in found.problems]
