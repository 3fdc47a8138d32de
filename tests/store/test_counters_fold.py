"""PostgreSQL's pending counter changes (``count_delta``, migration 0019) are folded by the ingest
itself, batch by batch (issue 18): after an ingest with no hub server running its rescue rounds,
no delta is left for every read to add up, and the counters equal a full count of the rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ehub_tui.ingest.runner import Ingester
from ehub_tui.service import HubService
from ehub_tui.store import counters
from ehub_tui.store.engine import read_tx
from tests.conftest import REPO
from tests.support.fhir_status import response, write_ndjson

WORST = "Sudden worst headache of my life, started an hour ago."

pytestmark = pytest.mark.parametrize("hub_url", ["postgresql"], indirect=True)


def pending(svc: HubService) -> int:
    with read_tx(svc.engine) as conn:
        return int(conn.execute(text("SELECT count(*) FROM count_delta")).scalar_one())


def assert_folded_and_exact(svc: HubService) -> counters.QueueCounts:
    """Nothing pending, and the counters alone (no deltas to add) equal a GROUP BY count."""
    assert pending(svc) == 0
    with read_tx(svc.engine) as conn:
        kept = {k: n for k, n in _kept(conn).items() if n}
        full = counters.recount(conn)
        hours = {r.hour: int(r.n) for r in conn.execute(text("SELECT hour, n FROM queued_hour"))}
        queued = conn.execute(
            text("SELECT to_char(received_at, 'YYYY-MM-DD HH24') FROM consultation "
                 "WHERE status = 'queued'")
        ).scalars().all()  # fmt: skip
    assert kept == full.rows
    by_hour: dict[str, int] = {}
    for hour in queued:
        by_hour[hour] = by_hour.get(hour, 0) + 1
    assert hours == by_hour
    return full


def _kept(conn: object) -> dict[counters.Key, int]:
    rows = conn.execute(  # type: ignore[attr-defined]
        text("SELECT status, practice_ods, request_type, priority, n FROM queue_count")
    )
    return {(r.status, r.practice_ods, r.request_type, int(r.priority)): int(r.n) for r in rows}


@pytest.mark.parametrize("screen_batches", [True, False], ids=["cli-like", "library"])
def test_an_ingest_leaves_no_pending_deltas(
    seeded: HubService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, screen_batches: bool
) -> None:
    monkeypatch.chdir(REPO)  # the shipped sops/ for the prescreen
    # 25 records in batches of 7 (four batches), two with a red flag the prescreen raises
    records = [response(i, free_text=WORST if i in (3, 24) else "sore throat") for i in range(25)]
    path = write_ndjson(tmp_path / "a.ndjson", *records)
    ingester = Ingester(seeded, batch=7, settings=seeded.settings, screen_batches=screen_batches)
    report = ingester.ingest_paths([path])
    assert report.new == 25 and not report.quarantined
    if screen_batches:  # as `ehub-tui ingest`: every batch screened as it is stored
        assert ingester.screened == 25
    else:  # screened after, as the CLI's last pass or an app's prescreen does
        while seeded.prescreen(10):
            pass
    full = assert_folded_and_exact(seeded)
    assert full.count("queued") == 25
    assert full.count("queued", min_priority=2) == 2  # the raises are counted, folded

    # an amendment (a changed row, no new one) is folded too, and its new screening
    again = write_ndjson(tmp_path / "b.ndjson", response(5, "amended", free_text=WORST))
    Ingester(seeded, settings=seeded.settings, screen_batches=True).ingest_paths([again])
    assert_folded_and_exact(seeded)  # the store folded the amendment's change
    while seeded.prescreen(10):  # the CLI's last pass: the amended item is screened again
        pass
    full = assert_folded_and_exact(seeded)
    assert full.count("queued", min_priority=2) == 3


def test_a_fold_that_fails_leaves_the_work_beside_it_standing(seeded: HubService) -> None:
    """Review 27: the prescreen folds inside its own transaction, so a fold that failed rolled
    back the emergency raises with it. Now it folds in a savepoint: the fold gives up (here a
    counter table another session holds locked, past a short lock timeout), the deltas stay
    pending for the next fold, and the transaction's own work is kept."""
    from tests.support.factories import oc_row

    seeded.store_intake([oc_row(1)])
    with seeded.engine.connect() as other, seeded.engine.connect() as conn, other.begin():
        other.execute(text("LOCK TABLE queue_count IN ACCESS EXCLUSIVE MODE"))
        with conn.begin():
            conn.execute(text("SET LOCAL lock_timeout = '100ms'"))
            conn.execute(text("UPDATE consultation SET priority = 2"))  # the raise
            assert counters.fold_quietly(conn) == 0  # gave up, said so, did not raise
        # the lock is gone and the transaction committed: the raise stands, deltas pending
    with read_tx(seeded.engine) as conn:
        assert conn.execute(text("SELECT priority FROM consultation")).scalar_one() == 2
    assert pending(seeded) > 0
    with seeded.engine.begin() as conn:
        assert counters.fold(conn) > 0  # the next fold takes them
    assert_folded_and_exact(seeded)
