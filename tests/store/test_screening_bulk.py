"""The red-flag prescreen writes a batch's results with one UPDATE statement (issue 18) and raises
priorities exactly as the statement-per-item version did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from ehub_tui.config import Settings
from ehub_tui.domain.types import Priority
from ehub_tui.ingest import generate
from ehub_tui.ingest.runner import Ingester
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
from ehub_tui.store import audit, screening
from ehub_tui.store.engine import read_tx
from tests.conftest import FIXTURES, REPO, FrozenClock
from tests.support.factories import oc_row

pytestmark = pytest.mark.db  # real SQLite hubs

C = screening.C
TEXTS = [
    "Woke up with the worst headache of my life, being sick",
    "sore throat for 3 days",
    "chest pain spreading to my left arm and sweaty",
    "repeat prescription please",
]


def _hub(path: Path, clock: FrozenClock) -> HubService:
    settings = Settings(data_dir=path / "data", hub_url=f"sqlite:///{path / 'hub.sqlite3'}")
    svc = HubService.open(settings, None, clock=clock)
    svc.import_practices(load_practices(FIXTURES / "practices.yaml"))
    return svc


@pytest.fixture(autouse=True)
def _shipped_sops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the shipped sops/


def _statements(svc: HubService) -> list[tuple[str, bool]]:
    """Every statement the hub's engine sends from now on: (SQL, run with many rows)."""
    seen: list[tuple[str, bool]] = []

    @event.listens_for(svc.engine, "before_cursor_execute")
    def _seen(_c: Any, _cur: Any, sql: str, _p: Any, _ctx: Any, many: bool) -> None:
        seen.append((sql, many))

    return seen


def _updates(seen: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    return [(s, m) for s, m in seen if s.lstrip().upper().startswith("UPDATE CONSULTATION")]


def _store(svc: HubService, n: int) -> list[int]:
    rows = [
        oc_row(i, priority=2 if i % 7 == 0 else 0, free_text=TEXTS[i % len(TEXTS)])
        for i in range(1, n + 1)
    ]
    created, _ = svc.store_intake(rows)
    return [cid for _, cid in created]


def test_a_batch_is_written_with_one_update(tmp_path: Path, clock: FrozenClock) -> None:
    svc = _hub(tmp_path, clock)
    try:
        _store(svc, 60)
        assert svc.guidance_state().available
        seen = _statements(svc)
        assert svc.prescreen(1000) == 60
        ups = _updates(seen)
        assert len(ups) == 1 and ups[0][1]  # one statement, run with every row's values
        assert svc.verify_audit().ok
    finally:
        svc.close()


def _per_item(
    conn: Any,
    results: Any,
    actor: str,
    now: Any,
    due_by: Any,
    sops: Any,
) -> list[int]:
    """The prescreen's writes as they were before issue 18: one UPDATE per item (the oracle)."""
    raised: list[list[Any]] = []
    for item, flags in results:
        want = int(Priority.from_flags(f["level"] for f in flags))
        values: dict[str, Any] = {"screened_at": now, "sop_flags": flags}
        if want > item["priority"]:
            values["priority"] = want
            values["due_by"] = due_by(item["received_at"], want)
            values["updated_at"] = now
            raised.append([item["id"], want, [f["id"] for f in flags]])
        conn.execute(
            update(C).where(C.c.id == item["id"], C.c.screened_at.is_(None)).values(**values)
        )
    ids = [item["id"] for item, _ in results]
    body = {"screened": ids, "raised": raised, "sops": sops}
    rows = (("consultation", "id", ids),)
    audit.append(conn, [audit.Event(actor, "prescreen", None, body, rows=rows)], now)
    return [r[0] for r in raised]


def _screened(svc: HubService) -> tuple[list[Any], list[Any]]:
    cols = (C.c.id, C.c.priority, C.c.due_by, C.c.updated_at, C.c.screened_at, C.c.sop_flags)
    with read_tx(svc.engine) as conn:
        rows = [tuple(r) for r in conn.execute(select(*cols).order_by(C.c.id))]
    bodies = [e.body for e in svc.audit_log() if e.action == "prescreen"]
    return rows, bodies


def test_priorities_are_raised_exactly_as_before(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = []
    for name, fn in (("bulk", screening.record), ("per_item", _per_item)):
        monkeypatch.setattr(screening, "record", fn)
        svc = _hub(tmp_path / name, clock)
        try:
            _store(svc, 40)
            assert svc.prescreen(25) == 25 and svc.prescreen(25) == 15
            results.append(_screened(svc))
            assert svc.verify_audit().ok
        finally:
            svc.close()
    bulk, before = results
    assert bulk == before
    rows, _ = bulk
    assert {r[1] for r in rows} == {0, 2}  # some raised, some not (and those at 2 kept)


def test_ingest_screens_each_batch_with_one_update(tmp_path: Path, clock: FrozenClock) -> None:
    svc = _hub(tmp_path, clock)
    path = tmp_path / "oc.ndjson"
    practices = sorted(svc.practice_codes())
    generate.write_ndjson(generate.generate_records(450, seed=3, practices=practices), path)
    try:
        seen = _statements(svc)
        ingester = Ingester(svc, settings=svc.settings, batch=100, screen_batches=True)
        report = ingester.ingest_paths([path])
        assert report.new == 450 and ingester.screened == 450
        updates = [u for u in _updates(seen) if "screened_at" in u[0]]
        assert len(updates) == 5 and all(many for _, many in updates)  # one per batch of 100
        assert len([e for e in svc.audit_log() if e.action == "prescreen"]) == 5
        assert svc.verify_audit().ok
    finally:
        svc.close()
