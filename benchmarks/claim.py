"""Claims per second with 8 processes, ours beside a raw-SQL baseline of the same claim.

For each engine (a SQLite file with synchronous=FULL; a durable throwaway PostgreSQL) the same
queue of N items is claimed to empty twice: by 8 processes calling HubService.claim_next (ours),
then, after resetting the queue, by 8 processes running the same claim statement and writing the
same audit event with the bare driver and hand-written SQL (baseline). Each process logs what it
claimed; the double-claim count is checked from those logs.

Ratio = baseline rate / our rate (lower is better; target ≤ 2, i.e. ours ≥ 50% of the baseline).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from ehub_tui.config import Settings  # noqa: E402
from ehub_tui.practices import load_practices  # noqa: E402
from ehub_tui.service import HubService  # noqa: E402
from ehub_tui.store import audit  # noqa: E402
from ehub_tui.store.engine import read_tx, write_tx  # noqa: E402
from tests.support.factories import many_rows  # noqa: E402

WORKER = Path(__file__).resolve().parent / "_claim_worker.py"


def seed(url: str, items: int, procs: int, workdir: Path) -> HubService:
    svc = HubService.open(Settings(data_dir=workdir, hub_url=url))
    svc.import_practices(load_practices(ROOT / "fixtures" / "practices.yaml"))
    for n in range(procs):
        svc.add_user(f"bench{n}", "navigator")
    for start in range(0, items, 5000):
        svc.store_intake(many_rows(min(5000, items - start), start=start))
    return svc


def reset(svc: HubService) -> None:
    with write_tx(svc.engine) as conn:
        conn.execute(
            text(
                "UPDATE consultation SET status='queued', owner=NULL, epoch=0, "
                "lease_until=NULL, claimed_at=NULL, first_claimed_at=NULL"
            )
        )


def run(mode: str, url: str, procs: int, workdir: Path) -> tuple[float, int, int]:
    go = workdir / f"go-{mode}"
    logs = [workdir / f"{mode}-{n}.log" for n in range(procs)]
    ps = [
        subprocess.Popen(
            [sys.executable, str(WORKER), mode, url, f"bench{n}", str(logs[n]), str(go)], cwd=ROOT
        )
        for n in range(procs)
    ]
    deadline = time.monotonic() + 120
    while not all(Path(str(log) + ".ready").exists() for log in logs):  # all set up
        if time.monotonic() > deadline or any(p.poll() not in (None, 0) for p in ps):
            raise SystemExit(f"{mode} workers did not start")
        time.sleep(0.01)
    t0 = time.perf_counter()
    go.touch()
    for p in ps:
        if p.wait(timeout=1800) != 0:
            raise SystemExit(f"{mode} worker failed with exit code {p.returncode}")
    elapsed = time.perf_counter() - t0
    counts: Counter[str] = Counter()
    for log in logs:
        counts.update(log.read_text().split())
    doubles = sum(c - 1 for c in counts.values() if c > 1)
    return elapsed, len(counts), doubles


def bench_engine(name: str, url: str, items: int, procs: int, workdir: Path) -> dict:
    # each hub its own data folder: two hubs must not share an audit signing key and anchor
    workdir = workdir / name
    workdir.mkdir(exist_ok=True)
    svc = seed(url, items, procs, workdir)
    t_ours, n_ours, d_ours = run("ours", url, procs, workdir)
    if not svc.verify_audit().ok:
        raise SystemExit("audit chain broken after our claims")
    reset(svc)
    t_raw, n_raw, d_raw = run("raw", url, procs, workdir)
    # the hash chain only: the reset and the baseline's hand-written events change rows behind
    # the audit's back (no row coverage), which a full verify rightly reports
    with read_tx(svc.engine) as conn:
        if not audit.verify(conn).ok:
            raise SystemExit("audit chain broken after baseline claims")
    svc.close()
    ours, base = n_ours / t_ours, n_raw / t_raw
    print(
        f"{name:>10}: ours {ours:8.1f} claims/s ({n_ours} in {t_ours:.2f} s, "
        f"{d_ours} double)   baseline {base:8.1f} claims/s ({n_raw} in {t_raw:.2f} s, "
        f"{d_raw} double)   ratio {base / ours:.2f}"
    )
    if n_ours != items or n_raw != items:
        raise SystemExit(f"{name}: not every item was claimed ({n_ours}, {n_raw} of {items})")
    return {
        "name": f"claim_{name}",
        "unit": "claims/s",
        "ours": round(ours, 1),
        "baseline": round(base, 1),
        "ratio": round(base / ours, 3),
        "double_claims": d_ours,
        "baseline_double_claims": d_raw,
        "items": items,
        "processes": procs,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--processes", type=int, default=8)
    ap.add_argument("--engines", default="sqlite,postgresql")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="ehub-bench-") as tmp:
        workdir = Path(tmp)
        if "sqlite" in args.engines:
            results.append(
                bench_engine(
                    "sqlite",
                    f"sqlite:///{workdir / 'hub.sqlite3'}",
                    args.items,
                    args.processes,
                    workdir,
                )
            )
        if "postgresql" in args.engines:
            from tests.support.pgserver import PostgresServer

            with PostgresServer(durable=True) as pg:
                results.append(
                    bench_engine("postgresql", pg.url, args.items, args.processes, workdir)
                )
    print(json.dumps({"comparisons": results, "benchmark": "claim"}))


if __name__ == "__main__":
    main()
