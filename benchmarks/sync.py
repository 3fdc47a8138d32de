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
import json
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._harness import comparison, emit, fmt, interleave, pct  # noqa: E402
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


# -- sync_drain ---------------------------------------------------------------------------------


class PushTimer(httpx.BaseTransport):
    """The workstation's transport: times every push request; ``down`` fails every request
    before it leaves (the hub unreachable), as a pulled cable would."""

    def __init__(self, inner: httpx.BaseTransport, pushes: list[float], lock: threading.Lock):
        self.inner = inner
        self.pushes = pushes
        self.lock = lock
        self.down = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("the hub is not answering (outage)", request=request)
        t0 = time.perf_counter()
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/sync/push"):
            response.read()
            with self.lock:
                self.pushes.append((time.perf_counter() - t0) * 1000)
        return response

    def close(self) -> None:
        self.inner.close()


class DrainRun:
    """One ours-side run: a served hub copy, 20 workstations holding 50 items each."""

    def __init__(self, hubs: Any, tls: Any, i: int, workstations: int, per: int) -> None:
        from benchmarks.hub_api import PASSWORD, nav, served
        from ehub_tui.client.http.client import HttpClient
        from ehub_tui.client.service import ClientService
        from ehub_tui.config import Settings
        from tests.support.hubserver import fast_hasher

        self.name = f"drain_ours_{i + 100}"
        self.hubs = hubs
        url, folder = hubs.fresh(self.name)
        self.url, self.folder = url, folder
        self._served = served(url, folder, tls, 10)
        self.base, self.pid = self._served.__enter__()
        self.pushes: list[float] = []
        lock = threading.Lock()
        self.transports: list[PushTimer] = []
        self.services: list[Any] = []
        self.per = per
        ssl = __import__("ssl").create_default_context(cafile=str(tls.ca))
        for k in range(workstations):
            timer = PushTimer(httpx.HTTPTransport(verify=ssl), self.pushes, lock)
            client = HttpClient(
                self.base, ca_file=tls.ca, device_id=f"bench-ws-{k}", transport=timer
            )
            ws_dir = folder / f"ws{k}"
            store = LocalStore(ws_dir / "local.sqlite3", device_id=f"bench-ws-{k}")
            settings = Settings(data_dir=ws_dir, sync_wait_seconds=0.0)
            svc = ClientService(client, settings, local=store, hasher=fast_hasher())
            svc.sign_in(nav(k), PASSWORD)
            self.transports.append(timer)
            self.services.append(svc)

    def prepare(self) -> None:
        """Untimed: each workstation claims its items, the network goes, they complete them
        all offline (every event pending)."""
        claims = []
        for svc in self.services:
            got = [svc.claim_next() for _ in range(self.per)]
            if any(c is None for c in got):
                raise SystemExit("sync_drain: the hub ran out of items to claim")
            claims.append(got)
        for timer in self.transports:
            timer.down = True
        for svc, got in zip(self.services, claims, strict=True):
            for n, claim in enumerate(got):
                done = svc.complete(claim, outcome(n))
                if done.state != "pending":
                    raise SystemExit(f"sync_drain: a completion was {done.state} offline")
        for svc in self.services:
            if svc.local.counts(svc.actor)[0] != self.per:
                raise SystemExit("sync_drain: not every completion is pending")

    def drain(self) -> float:
        """Timed: the hub is back; every workstation's sender drains (woken at once, as the
        app's poll wakes it when a call finds the hub back). Seconds until all are empty."""
        self.pushes.clear()
        for timer in self.transports:
            timer.down = False
        t0 = time.perf_counter()
        threads = [
            threading.Thread(target=svc.sync_drain, args=(DRAIN_LIMIT_S * 2,))
            for svc in self.services
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        left = sum(svc.local.counts(svc.actor)[0] for svc in self.services)
        if left:
            raise SystemExit(f"sync_drain: {left} events still pending after the drain")
        return elapsed

    def close(self) -> int:
        """Stop everything; the hub's outcome rows that came from sync (checked: all there)."""
        for svc in self.services:
            svc.close()
        self._served.__exit__(None, None, None)
        conn = sqlite3.connect(self.folder / "hub.sqlite3")
        try:
            (n,) = conn.execute(
                "SELECT count(DISTINCT event_id) FROM outcome WHERE event_id IS NOT NULL"
            ).fetchone()
        finally:
            conn.close()
        self.hubs.drop(self.name)
        return int(n)


def baseline_insert(hubs: Any, i: int, rows: int) -> float:
    """Seconds: the same number of outcome rows written on a fresh hub copy by one batched
    INSERT (the bare driver, one transaction), for the first ``rows`` items."""
    name = f"drain_base_{i + 100}"
    _url, folder = hubs.fresh(name)
    conn = sqlite3.connect(folder / "hub.sqlite3")
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        items = conn.execute(
            "SELECT id, received_at FROM consultation ORDER BY id LIMIT ?", (rows,)
        ).fetchall()
        now = datetime.now(UTC).isoformat(sep=" ")
        values = []
        for n, (item_id, received_at) in enumerate(items):
            out = outcome(n)
            values.append(
                (
                    item_id,
                    f"bnav{n % 20:02d}",
                    out.category,
                    out.route,
                    out.destination,
                    out.urgency,
                    out.note,
                    json.dumps({}),
                    received_at,
                    now,
                    out.handling_seconds,
                    1,
                    str(uuid.uuid4()),
                    now,
                )
            )
        t0 = time.perf_counter()
        with conn:
            conn.executemany(
                "INSERT INTO outcome (consultation_id, navigator, category, route, destination, "
                "urgency, note, detail, received_at, completed_at, handling_seconds, epoch, "
                "event_id, client_completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
        elapsed = time.perf_counter() - t0
        (n,) = conn.execute("SELECT count(*) FROM outcome").fetchone()
        if n != rows:
            raise SystemExit(f"baseline: {n} outcome rows, {rows} expected")
    finally:
        conn.close()
    hubs.drop(name)
    return elapsed


def bench_drain(workdir: Path, repeats: int, workstations: int, per: int) -> dict[str, Any]:
    from benchmarks.hub_api import Hubs, Tls

    folder = workdir / "drain"
    folder.mkdir()
    tls = Tls.make(folder)
    hubs = Hubs("sqlite", workstations * per + 50, workstations, folder, None)
    total = workstations * per
    pushes: list[float] = []
    drained: list[float] = []

    def ours(i: int) -> float:
        run = DrainRun(hubs, tls, i, workstations, per)
        try:
            run.prepare()
            elapsed = run.drain()
            pushes.extend(run.pushes)
            drained.append(elapsed)
        finally:
            applied = run.close()
        if applied != total:
            raise SystemExit(f"sync_drain: the hub applied {applied} of {total} events")
        return elapsed

    samples = interleave(
        repeats, ours, lambda i: baseline_insert(hubs, i, total), warmup=0, progress=print
    )
    p95 = pct(pushes, 0.95)
    worst = max(drained)
    print(f"  push requests: {len(pushes)}, p95 {fmt(p95)} ms; slowest drain {fmt(worst)} s")
    return comparison(
        "sync_drain",
        "s",
        samples,
        target=DRAIN_TARGET,
        target_text=(
            f"<= {DRAIN_TARGET:g}, all drained within {DRAIN_LIMIT_S:g} s, "
            f"p95 push <= {PUSH_P95_LIMIT_MS:g} ms"
        ),
        extra_ok=worst <= DRAIN_LIMIT_S and p95 <= PUSH_P95_LIMIT_MS,
        what=(
            f"{workstations} workstations x {per} completions pending after an outage, drained "
            f"to a served HTTPS hub (SQLite; the workstations are threads of one process) / the "
            f"same {total} outcome rows by one batched INSERT on the hub; push p95 "
            f"{p95:.0f} ms over {len(pushes)} pushes, slowest drain {worst:.1f} s"
        ),
        push_p95_ms=round(p95, 1),
        slowest_drain_s=round(worst, 2),
        pushes=len(pushes),
        events=total,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--completions", type=int, default=300, help="outbox_complete: per repeat")
    ap.add_argument("--only", choices=["outbox_complete", "sync_drain"], default=None)
    ap.add_argument("--workstations", type=int, default=20, help="sync_drain")
    ap.add_argument("--per", type=int, default=50, help="sync_drain: events per workstation")
    ap.add_argument("--drain-repeats", type=int, default=3, help="sync_drain: repeats")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="ehub-bench-sync-") as tmp:
        workdir = Path(tmp)
        if args.only in (None, "outbox_complete"):
            results.append(bench_outbox(workdir, args.repeats, args.completions))
        if args.only in (None, "sync_drain"):
            results.append(bench_drain(workdir, args.drain_repeats, args.workstations, args.per))
    emit("sync", results)


if __name__ == "__main__":
    main()
