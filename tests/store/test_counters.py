"""The queue counters (migration 0019, store/counters.py) equal a full count of the rows after
every kind of change, on SQLite and PostgreSQL: intake, claim, completion, cancel, reassign,
release, parking, the prescreen's raise, a supplier's amendment, a priority change, a row
removed or changed behind the app's back; and the board's and the summary's figures equal those
counted from the rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ehub_tui.domain.models import Outcome
from ehub_tui.service import HubService
from ehub_tui.store import counters
from ehub_tui.store.board import read_aggregates
from ehub_tui.store.engine import read_tx, write_tx
from tests.conftest import REPO, FrozenClock
from tests.store.test_lease_clock import HubTime
from tests.support.factories import oc_row
from tests.support.fhir_status import response, write_ndjson

DONE = Outcome(category="admin", route="r", destination="Fit note")
WORST = "Sudden worst headache of my life, started an hour ago."


def assert_exact(svc: HubService) -> counters.QueueCounts:
    """The counters (with PostgreSQL's pending deltas, then folded) equal a GROUP BY count."""
    with read_tx(svc.engine) as conn:
        kept, full = counters.queue_counts(conn), counters.recount(conn)
    assert kept == full
    with write_tx(svc.engine) as conn:
        counters.fold(conn)
    with read_tx(svc.engine) as conn:
        assert counters.queue_counts(conn) == full
        pending = conn.execute(text("SELECT count(*) FROM count_delta")).scalar_one()
        hours: dict[str, int] = {
            r.hour: r.n for r in conn.execute(text("SELECT hour, n FROM queued_hour"))
        }
        queued = conn.execute(
            text("SELECT received_at FROM consultation WHERE status = 'queued'")
        ).all()
    assert pending == 0
    by_hour: dict[str, int] = {}
    for (at,) in queued:
        hour = str(at)[:13]
        by_hour[hour] = by_hour.get(hour, 0) + 1
    assert hours == by_hour  # and no hour left at zero
    return full


def _ingest(svc: Any, path: Path) -> None:
    from ehub_tui.ingest.runner import Ingester

    report = Ingester(svc, settings=svc.settings).ingest_paths([path])
    assert not report.failed_files


def test_counters_follow_every_change(
    seeded: HubService,
    make_service: Callable[..., Any],
    hub_url: str,
    tmp_path: Path,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)  # the shipped sops/ for the prescreen
    assert assert_exact(seeded).rows == {}
    created, _ = seeded.store_intake(
        [
            oc_row(i, minutes_ago=90 * i, request_type=("clinical", "admin")[i % 2])
            for i in range(14)
        ]
    )
    ids = [cid for _, cid in created]
    assert_exact(seeded)
    sup, nav, nav2 = make_service("sup1"), make_service("nav1"), make_service("nav2")
    hub = HubTime(hub_url)
    hub.attach(seeded, sup, nav, nav2)
    nav.complete(nav.claim(ids[0]), DONE)
    nav.claim(ids[1])  # held until its lease runs out
    nav.release(nav.claim(ids[2]), "not mine")
    sup.cancel(ids[3], "duplicate")
    sup.reassign(ids[4], "nav2", "covering")
    sup.set_priority(ids[5], 1, "called back")
    nav.park(nav.claim(ids[6]), "Any fever?", hub.now() + timedelta(hours=3))
    assert_exact(seeded)
    # a FHIR intake, a supplier's amendment adding a red flag, and the prescreen raising it
    _ingest(sup, write_ndjson(tmp_path / "a.ndjson", response(1), response(2)))
    _ingest(sup, write_ndjson(tmp_path / "b.ndjson", response(1, "amended", free_text=WORST)))
    seeded.prescreen()
    full = assert_exact(seeded)
    assert full.count("queued", min_priority=2) >= 1
    # the parked item comes back when its time comes; a held one whose lease ran out too
    hub.advance(seeded, hours=4)
    with write_tx(seeded.engine) as conn:  # (PostgreSQL's hub clock is the real one)
        conn.execute(
            text("UPDATE awaiting_reply SET return_at = :t"),
            {"t": counters.bind_time(conn, hub.now() - timedelta(minutes=1))},
        )
    assert len(seeded.rescue_expired()) == 3  # two leases run out, one parking back
    nav2.claim_next()
    assert_exact(seeded)
    # any writer is counted, the app or not: a row changed and one removed behind its back
    with write_tx(seeded.engine) as conn:
        conn.execute(
            text("UPDATE consultation SET practice_ods = 'Z99002', received_at = :t WHERE id = :i"),
            {"t": counters.bind_time(conn, hub.now() - timedelta(days=3)), "i": ids[7]},
        )
        conn.execute(text("DELETE FROM audit_event WHERE consultation_id = :i"), {"i": ids[8]})
        conn.execute(text("DELETE FROM consultation WHERE id = :i"), {"i": ids[8]})
    assert_exact(seeded)


def test_summary_and_board_figures_equal_a_full_count(
    seeded: HubService, make_service: Callable[..., Any], hub_url: str, clock: FrozenClock
) -> None:
    rows = [oc_row(i, minutes_ago=37 * i, priority=i % 3) for i in range(40)]
    created, _ = seeded.store_intake(rows)
    ids = [cid for _, cid in created]
    nav = make_service("nav1")
    for i in ids[:6]:
        nav.claim(i)
    nav.complete(nav.claim(ids[6]), DONE)
    s = seeded.queue_summary()
    with read_tx(seeded.engine) as conn:
        full = counters.recount(conn)
        count = conn.execute(
            text("SELECT count(*) FROM consultation WHERE status = 'queued'")
        ).scalar_one()
        mid = conn.execute(
            text(
                "SELECT received_at FROM consultation WHERE status = 'queued' "
                "ORDER BY received_at LIMIT 1 OFFSET :o"
            ),
            {"o": count // 2},
        ).scalar()
        now = clock()
        overdue = conn.execute(
            text(
                "SELECT count(*) FROM consultation WHERE status IN ('queued', 'claimed') "
                "AND due_by < :now"
            ),
            {"now": counters.bind_time(conn, now)},
        ).scalar_one()
        agg = read_aggregates(conn, now, now - timedelta(hours=10), lambda at: at.hour)
    assert s.by_status["queued"] == count == agg.queued == full.count("queued")
    assert s.by_status["claimed"] == 6 and s.by_status["completed"] == 1
    assert s.queued_by_priority == full.queued_by_priority()
    assert s.queued_by_type == {"clinical": count}
    assert s.queued_by_practice == full.queued_by_practice()
    assert s.oldest_queued == full.oldest_queued
    assert agg.breaching == overdue
    assert agg.median_wait == now - counters.as_utc(mid)  # type: ignore[operator]
    assert {k: n for k, (n, _) in agg.waiting.items() if n} == full.queued_by_practice()


# A worker: claims until the queue is empty, completing every third item and returning the
# others to the queue once, while rescuing (and folding) between claims: claims, completions,
# releases and folds at once from several processes.
_WORKER = """
import os, sys, time
from pathlib import Path
from ehub_tui.config import Settings
from ehub_tui.domain.models import Outcome
from ehub_tui.service import HubService
url, user, go = sys.argv[1:4]
svc = HubService.open(Settings(data_dir=Path(go).parent, hub_url=url), user, migrate=False)
deadline = time.monotonic() + 60
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.01)
done = Outcome(category="admin", route="r", destination="Fit note")
while (claim := svc.claim_next()) is not None:
    if claim.item_id % 3 == 0:
        svc.complete(claim, done)
    elif claim.epoch == 1:
        svc.release(claim, "back to the queue")
    svc.rescue_expired()
svc.close()
"""


def test_concurrent_workers_leave_the_counters_exact(
    seeded: HubService, hub_url: str, tmp_path: Path
) -> None:
    """Real processes claiming, completing, releasing and folding at once: no deadlock, no
    lost count (on SQLite the writers are serialised; PostgreSQL is the case that matters)."""
    import subprocess
    import sys

    workers = 4
    for n in range(workers):
        seeded.add_user(f"worker{n}", "navigator")
    seeded.store_intake([oc_row(i, minutes_ago=i) for i in range(120)])
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, hub_url, f"worker{n}", str(go)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(workers)
    ]
    go.touch()
    for p in procs:
        _, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
    full = assert_exact(seeded)
    # (a worker may stop while another returns an item: what is left queued varies)
    assert full.count() == 120 and full.count("completed") > 10 and full.count("claimed") > 10


def test_migration_fills_the_counters_from_the_rows_there_are(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    """Down to 0018 (no counters) with rows in every state, and up again: filled by the
    back-fill, then kept by the triggers."""
    from alembic import command
    from alembic.config import Config

    from ehub_tui.store.migrate import MIGRATIONS, upgrade

    created, _ = seeded.store_intake([oc_row(i, minutes_ago=61 * i) for i in range(9)])
    ids = [cid for _, cid in created]
    nav, sup = make_service("nav1"), make_service("sup1")
    nav.claim(ids[0])
    nav.complete(nav.claim(ids[1]), DONE)
    sup.cancel(ids[2], "duplicate")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with seeded.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0018")
    nav.claim(ids[3])  # changes without the triggers: the back-fill must see them
    assert upgrade(seeded.engine) is True
    full = assert_exact(seeded)
    assert (full.count("queued"), full.count("claimed")) == (5, 2)
    sup.set_priority(ids[4], 2, "called back")
    assert assert_exact(seeded).count("queued", min_priority=2) == 1


def test_a_retention_purge_leaves_the_counters_exact(
    seeded: HubService, make_service: Callable[..., Any], clock: FrozenClock
) -> None:
    """A purge blanks a closed item's identifiers (no counted column changes): the counts stay."""
    from datetime import date

    created, _ = seeded.store_intake([oc_row(i) for i in range(3)])
    ids = [cid for _, cid in created]
    nav = make_service("nav1")
    nav.complete(nav.claim(ids[0]), DONE)
    make_service("sup1").cancel(ids[1], "duplicate")
    before = assert_exact(seeded)
    clock.advance(days=91)
    make_service("mgr1").daily_return(date(2026, 11, 23), date(2026, 11, 23))
    assert make_service("admin1").retention_purge().purged == 2
    assert assert_exact(seeded) == before
