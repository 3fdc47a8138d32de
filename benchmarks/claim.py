"""Claims per second with 8 processes, ours beside a raw-SQL baseline of the same claim.

For each engine (a SQLite file with synchronous=FULL; a durable throwaway PostgreSQL) and each
queue size (default 2,000 and 5,000 items), a template hub is seeded once (our migrations, the
fixture practices, 8 navigators, N queued items). Then --repeats pairs of runs, interleaved, ours
first on odd repeats and the baseline first on even ones, EACH ON A FRESH COPY of the template
(SQLite: the file and the data folder copied; PostgreSQL: `CREATE DATABASE … TEMPLATE`), so
neither side claims from a table the other has already churned through (dead rows, grown indexes,
a longer audit chain):

- ours: 8 processes calling HubService.claim_next until the queue is empty;
- baseline: 8 processes running the same claim statement and writing the same audit event (hash
  chain and head row) with the bare driver (sqlite3 / psycopg) and hand-written SQL.

The timer starts when every process has connected and stops when the last one exits. Each
process logs what it claimed; every item must be claimed exactly once (double claims counted).
Ours' audit is verified in full after each run, the baseline's hash chain likewise.

Comparisons claim_<engine>_<items>: claims/s, ratio = baseline rate / our rate (lower is better;
target <= 2, i.e. ours >= 50% of the baseline), median and spread of the repeats.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._harness import comparison, emit, interleave  # noqa: E402
from ehub_tui.config import Settings  # noqa: E402
from ehub_tui.practices import load_practices  # noqa: E402
from ehub_tui.service import HubService  # noqa: E402
from ehub_tui.store import audit  # noqa: E402
from ehub_tui.store.engine import read_tx  # noqa: E402
from tests.support.factories import many_rows  # noqa: E402

WORKER = Path(__file__).resolve().parent / "_claim_worker.py"
TARGET = 2.0


def seed(url: str, items: int, procs: int, workdir: Path) -> None:
    """The template hub: migrations, practices, navigators and `items` queued items."""
    svc = HubService.open(Settings(data_dir=workdir, hub_url=url))
    svc.import_practices(load_practices(ROOT / "fixtures" / "practices.yaml"))
    for n in range(procs):
        svc.add_user(f"bench{n}", "navigator")
    for start in range(0, items, 5000):
        svc.store_intake(many_rows(min(5000, items - start), start=start))
    svc.close()


class Hubs:
    """Fresh copies of one template hub, one per run (untimed)."""

    def __init__(self, engine: str, items: int, procs: int, workdir: Path, pg: Any) -> None:
        self.engine, self.pg, self.workdir = engine, pg, workdir
        self.template = workdir / "template"
        self.template.mkdir(parents=True)
        if engine == "sqlite":
            seed(f"sqlite:///{self.template / 'hub.sqlite3'}", items, procs, self.template)
        else:
            self.template_db = f"tmpl_{items}"
            seed(pg.create_database(self.template_db), items, procs, self.template)

    def fresh(self, name: str) -> tuple[str, Path]:
        """A copy of the template: its URL and its own data folder (audit key and anchor)."""
        folder = self.workdir / name
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(self.template, folder)
        if self.engine == "sqlite":
            return f"sqlite:///{folder / 'hub.sqlite3'}", folder
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.pg.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(self.template_db)
                )
            )
        return self.pg.url_for(name), folder

    def drop(self, name: str) -> None:
        shutil.rmtree(self.workdir / name, ignore_errors=True)
        if self.engine != "sqlite":
            self.pg.drop_database(name)


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


def one_run(hubs: Hubs, mode: str, i: int, items: int, procs: int) -> tuple[float, int]:
    """One side's run on a fresh copy: (claims per second, double claims)."""
    name = f"{mode}_{i + 100}"  # warm-ups have i <= 0
    url, folder = hubs.fresh(name)
    elapsed, claimed, doubles = run(mode, url, procs, folder)
    if claimed != items:
        raise SystemExit(f"{mode}: not every item was claimed ({claimed} of {items})")
    svc = HubService.open(Settings(data_dir=folder, hub_url=url), migrate=False)
    try:
        if mode == "ours":
            if not svc.verify_audit().ok:
                raise SystemExit("audit chain broken after our claims")
        else:
            # the hash chain only: the baseline's hand-written events have no row coverage,
            # which a full verify rightly reports
            with read_tx(svc.engine) as conn:
                if not audit.verify(conn).ok:
                    raise SystemExit("audit chain broken after baseline claims")
    finally:
        svc.close()
    hubs.drop(name)
    return claimed / elapsed, doubles


def bench(engine: str, items: int, procs: int, repeats: int, workdir: Path, pg: Any) -> dict:
    hubs = Hubs(engine, items, procs, workdir / f"{engine}-{items}", pg)
    doubles = {"ours": 0, "raw": 0}

    def side(mode: str) -> Callable[[int], float]:
        def go(i: int) -> float:
            rate, d = one_run(hubs, mode, i, items, procs)
            doubles[mode] += d
            return rate

        return go

    print(f"{engine}, {items:,} items, {procs} processes:", flush=True)
    samples = interleave(repeats, side("ours"), side("raw"), progress=print)
    result = comparison(
        f"claim_{engine}_{items}",
        "claims/s",
        samples,
        higher_is_better=True,
        target=TARGET,
        extra_ok=doubles["ours"] == 0,
        target_text=f"<= {TARGET:g} (ours >= 50%), 0 double claims",
        double_claims=doubles["ours"],
        baseline_double_claims=doubles["raw"],
        items=items,
        processes=procs,
        engine=engine,
    )
    if hubs.engine != "sqlite":
        pg.drop_database(hubs.template_db)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", default="2000,5000", help="queue sizes, comma-separated")
    ap.add_argument("--processes", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--engines", default="sqlite,postgresql")
    args = ap.parse_args()
    sizes = [int(x) for x in args.items.split(",")]
    engines = [e for e in ("sqlite", "postgresql") if e in args.engines]
    results = []
    with tempfile.TemporaryDirectory(prefix="ehub-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        pg = None
        if "postgresql" in engines:
            from tests.support.pgserver import PostgresServer

            pg = stack.enter_context(PostgresServer(durable=True))
        for engine in engines:
            for items in sizes:
                results.append(bench(engine, items, args.processes, args.repeats, workdir, pg))
    emit("claim", results, repeats=args.repeats)


if __name__ == "__main__":
    main()
