"""The hub over HTTP beside the same hub in-process: claims, queue pages, 50 polling workstations.

Every HTTP figure is measured against a real ``ehub-tui hub serve`` arrangement: the hub's core and
the FastAPI app on uvicorn in a process of its own (benchmarks/_hub_api_worker.py ``serve``),
TLS on 127.0.0.1 with a throwaway certificate made here (trustme, the tests' CA), and
``HttpClient`` in the client processes. The in-process side is ``InProcessClient`` over a
``HubCore`` in the client's own process: the embedded hub, with the same sign-in, role checks and
audit, and no sockets. Both sides sign in the same way (argon2 at its cheapest, since sign-in is
not what is measured).

- ``claim_http_overhead_<engine>`` (ms/claim): 8 client processes each signing in as their own
  navigator, then claim_next + complete until the queue is empty; wall time from "all signed in"
  to the last process's exit, over the number of items. Ratio = HTTP / in-process, target <= 2.
  Every item must be claimed exactly once and completed, and the audit chain verify in full,
  on both sides.
- ``queue_page_p95_http_<engine>`` (ms): one client asking for queue pages (view "queue", no
  filter, 100 rows, the first ten pages in turn, as the app's table fetches them) on a hub of N
  queued items (default 20,000; the acceptance size is 100,000); p95 of the requests of each
  repeat (10 untimed warm-up requests first on each side). Ratio HTTP / in-process, target <= 2.
- ``poll_pg_connections`` (connections): 50 simulated workstations, 10 threads in each of 5
  processes, each signed in as its own navigator holding one claimed item, doing every second
  what the app's poll does (view_counts, the first queue page, heartbeat_held) for 20 s, against
  a PostgreSQL hub. Ours: through the served hub (``hub_pool_size`` 10); baseline: every
  workstation opening the database itself (an in-process client on its own engine, the
  arrangement before issue 13). Peak of ``pg_stat_activity`` rows for the hub's database,
  sampled every 0.2 s. Reported beside it (informational): the hub process's CPU in % of one
  core, the client processes' CPU, poll-round times (p50/p95) and rounds that ran late.

Timing goes through benchmarks/_harness.py: interleaved repeats, ours (HTTP) first on odd repeats
and the baseline (in-process / direct) first on even ones, each run on a fresh copy of a template
hub (SQLite: the file and data folder copied; PostgreSQL: ``CREATE DATABASE ... TEMPLATE``).
The last line printed is one JSON object (``{"comparisons": [...], ...}``).

    python benchmarks/hub_api.py                 # small sizes, a few minutes on 2 cores
    python benchmarks/hub_api.py --full          # the sizes docs/benchmarks.md records
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._harness import comparison, emit, fmt, interleave, pct  # noqa: E402
from benchmarks._hub_api_worker import (  # noqa: E402
    PAGE,
    cheap_hasher,
    inprocess_client,
    open_core,
    settings_for,
)

WORKER = Path(__file__).resolve().parent / "_hub_api_worker.py"
PASSWORD = "bench-harbour-lantern-4217"  # a throwaway hub's throwaway accounts
TARGET = 2.0
BATCH = 5000
POLL_PROCESSES = 5


# -- certificates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tls:
    """A throwaway CA and the hub's certificate for 127.0.0.1 (files in the work folder)."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def make(cls, folder: Path) -> Tls:
        import trustme

        ca = trustme.CA()
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        out = cls(folder / "ca.pem", folder / "hub-cert.pem", folder / "hub-key.pem")
        ca.cert_pem.write_to_path(str(out.ca))
        leaf.cert_chain_pems[0].write_to_path(str(out.cert))
        for extra in leaf.cert_chain_pems[1:]:
            extra.write_to_path(str(out.cert), append=True)
        leaf.private_key_pem.write_to_path(str(out.key))
        out.key.chmod(0o600)
        return out


# -- hubs -----------------------------------------------------------------------------------------


def nav(k: int) -> str:
    return f"bnav{k:02d}"


class Hubs:
    """One template hub (migrations, practices, navigators with passwords, queued items) and
    fresh copies of it, one per run (untimed)."""

    def __init__(self, engine: str, items: int, users: int, workdir: Path, pg: Any) -> None:
        self.engine, self.pg, self.workdir, self.items = engine, pg, workdir, items
        self.template = workdir / "template"
        self.template.mkdir(parents=True)
        t0 = time.perf_counter()
        if engine == "sqlite":
            url = f"sqlite:///{self.template / 'hub.sqlite3'}"
        else:
            self.template_db = f"tmpl_{workdir.name}"
            url = pg.create_database(self.template_db)
        self._seed(url, items, users)
        print(
            f"  template {engine} hub: {items:,} items, {users} navigators "
            f"({time.perf_counter() - t0:.1f} s)",
            flush=True,
        )

    def _seed(self, url: str, items: int, users: int) -> None:
        from ehub_tui.hub.core import HubCore
        from ehub_tui.practices import load_practices
        from ehub_tui.service import HubService
        from tests.support.factories import many_rows

        settings = settings_for(url, str(self.template))
        svc = HubService.open(settings)
        svc.import_practices(load_practices(ROOT / "fixtures" / "practices.yaml"))
        for k in range(users):
            svc.add_user(nav(k), "navigator")
        # the store's bulk intake, 5,000 a call (not one service call per item)
        for start in range(0, items, BATCH):
            svc.store_intake(many_rows(min(BATCH, items - start), start=start))
        core = HubCore(svc.engine, settings, hasher=cheap_hasher())
        for k in range(users):
            core.auth.set_password(nav(k), PASSWORD, by="bench")
        svc.close()

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

    def close(self) -> None:
        if self.engine != "sqlite":
            self.pg.drop_database(self.template_db)


# -- processes ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process so far (from /proc; no psutil needed)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(paths: list[Path], procs: list[subprocess.Popen[Any]], what: str) -> None:
    """Until every path exists; fail at once if a process died first."""
    deadline = time.monotonic() + 300
    while not all(p.exists() for p in paths):
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            code = dead[0].returncode if dead else "timeout"
            raise SystemExit(f"{what} did not start (exit {code})")
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(url: str, folder: Path, tls: Tls, pool: int) -> Iterator[tuple[str, int]]:
    """The hub served over HTTPS in a process of its own, as `hub serve` runs: (base URL, pid).
    Ready when it accepts a connection (uvicorn listens only after the app's start-up)."""
    port = free_port()
    log = folder / "serve.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            "serve",
            url,
            str(folder),
            str(tls.cert),
            str(tls.key),
            str(port),
            str(pool),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stderr=log.open("w"),  # uvicorn's start and stop lines; shown if it fails
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log.read_text().splitlines()[-20:])
                raise SystemExit(f"the served hub did not start (exit {proc.returncode}):\n{tail}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"https://127.0.0.1:{port}", proc.pid
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the server stops when its stdin closes
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=10)


def check_hub(url: str, folder: Path, items: int) -> None:
    """After a claim run: every item completed, the audit chain whole."""
    from sqlalchemy import text

    from ehub_tui.service import HubService
    from ehub_tui.store.engine import read_tx

    svc = HubService.open(settings_for(url, str(folder)), migrate=False)
    try:
        with read_tx(svc.engine) as conn:
            done = conn.execute(
                text("SELECT count(*) FROM consultation WHERE status = 'completed'")
            ).scalar_one()
        if done != items:
            raise SystemExit(f"{done} of {items} items completed")
        if not svc.verify_audit().ok:
            raise SystemExit("the audit chain does not verify after the run")
    finally:
        svc.close()


# -- claim_http_overhead ------------------------------------------------------------------------


def claim_run(hubs: Hubs, kind: str, i: int, procs: int, tls: Tls, pool: int) -> tuple[float, int]:
    """One side's run on a fresh copy: (ms per claim, double claims)."""
    name = f"claim_{kind}_{i + 100}"  # warm-ups have i <= 0
    url, folder = hubs.fresh(name)
    with ExitStack() as stack:
        hub = url
        if kind == "http":
            hub, _pid = stack.enter_context(served(url, folder, tls, pool))
        go = folder / "go"
        logs = [folder / f"claims-{n}.log" for n in range(procs)]
        ps = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER),
                    "claim",
                    kind,
                    hub,
                    str(folder),
                    nav(n),
                    PASSWORD,
                    str(tls.ca),
                    str(logs[n]),
                    str(go),
                ],
                cwd=ROOT,
            )
            for n in range(procs)
        ]
        wait_ready([Path(f"{log}.ready") for log in logs], ps, f"{kind} claimers")
        t0 = time.perf_counter()
        go.touch()
        for p in ps:
            if p.wait(timeout=1800) != 0:
                raise SystemExit(f"a {kind} claimer failed with exit code {p.returncode}")
        elapsed = time.perf_counter() - t0
    counts: Counter[str] = Counter()
    for log in logs:
        counts.update(log.read_text().split())
    if len(counts) != hubs.items:
        raise SystemExit(f"{kind}: {len(counts)} of {hubs.items} items claimed")
    check_hub(url, folder, hubs.items)
    hubs.drop(name)
    return elapsed * 1000 / hubs.items, sum(c - 1 for c in counts.values() if c > 1)


def bench_claims(
    engine: str, items: int, procs: int, repeats: int, workdir: Path, pg: Any, tls: Tls, pool: int
) -> dict[str, Any]:
    print(f"claim + complete, {engine}, {items:,} items, {procs} processes:", flush=True)
    hubs = Hubs(engine, items, procs, workdir / f"claims-{engine}", pg)
    doubles = {"http": 0, "inprocess": 0}

    def side(kind: str) -> Callable[[int], float]:
        def go(i: int) -> float:
            ms, d = claim_run(hubs, kind, i, procs, tls, pool)
            doubles[kind] += d
            return ms

        return go

    samples = interleave(repeats, side("http"), side("inprocess"), progress=print)
    hubs.close()
    return comparison(
        f"claim_http_overhead_{engine}",
        "ms/claim",
        samples,
        target=TARGET,
        extra_ok=doubles["http"] == 0 and doubles["inprocess"] == 0,
        target_text=f"<= {TARGET:g}, 0 double claims",
        what=(
            f"claim_next + complete by {procs} processes over HTTPS to a served hub / the same "
            f"through the in-process client, {engine}, per item"
        ),
        double_claims=doubles["http"],
        baseline_double_claims=doubles["inprocess"],
        items=items,
        processes=procs,
        engine=engine,
    )


# -- queue_page_p95_http ------------------------------------------------------------------------


def page_latencies(client: Any, requests: int, warmup: int = 10) -> list[float]:
    """Milliseconds of each of ``requests`` queue-page calls, the first ten pages in turn."""
    from ehub_tui.domain.queue import QueueFilter

    everyone = QueueFilter()
    out = []
    for j in range(-warmup, requests):
        a = time.perf_counter()
        rows, total = client.queue_page("queue", everyone, (j % 10) * PAGE, PAGE)
        took = (time.perf_counter() - a) * 1000
        if not rows or total <= 0:
            raise SystemExit("a queue page came back empty")
        if j >= 0:
            out.append(took)
    return out


def bench_pages(
    engine: str,
    items: int,
    requests: int,
    repeats: int,
    workdir: Path,
    pg: Any,
    tls: Tls,
    pool: int,
) -> dict[str, Any]:
    from benchmarks._hub_api_worker import http_client

    print(f"queue pages, {engine}, {items:,} items, {requests} requests a run:", flush=True)
    hubs = Hubs(engine, items, 1, workdir / f"pages-{engine}", pg)
    medians: dict[str, list[float]] = {"http": [], "inprocess": []}

    def side(kind: str) -> Callable[[int], float]:
        def go(i: int) -> float:
            name = f"pages_{kind}_{i + 100}"
            url, folder = hubs.fresh(name)
            with ExitStack() as stack:
                if kind == "http":
                    base, _pid = stack.enter_context(served(url, folder, tls, pool))
                    client = http_client(base, str(tls.ca), nav(0))
                else:
                    core = open_core(url, str(folder))
                    stack.callback(core.close)
                    client = inprocess_client(core, nav(0))
                client.sign_in(nav(0), PASSWORD)
                times = page_latencies(client, requests)
                client.sign_out()
                close = getattr(client, "close", None)
                if close is not None:
                    close()
            hubs.drop(name)
            medians[kind].append(pct(times, 0.5))
            return pct(times, 0.95)

        return go

    samples = interleave(repeats, side("http"), side("inprocess"), progress=print)
    hubs.close()
    return comparison(
        f"queue_page_p95_http_{engine}",
        "ms",
        samples,
        target=TARGET,
        what=(
            f"p95 of {requests} queue-page requests (100 rows, first ten pages) at {items:,} "
            f"items, HTTPS to a served hub / the in-process client, {engine}"
        ),
        ours_p50s=[round(x, 3) for x in medians["http"]],
        baseline_p50s=[round(x, 3) for x in medians["inprocess"]],
        items=items,
        requests=requests,
        engine=engine,
    )


# -- 50 polling workstations --------------------------------------------------------------------


class ConnectionWatch:
    """Samples how many sessions PostgreSQL has open on one database, every 0.2 s."""

    def __init__(self, pg: Any, database: str) -> None:
        import psycopg

        self.conn = psycopg.connect(pg.dsn_for("postgres"), autocommit=True)
        self.database = database
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            row = self.conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.database,)
            ).fetchone()
            self.samples.append(int(row[0]) if row else 0)
            self._stop.wait(0.2)

    def __enter__(self) -> ConnectionWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.conn.close()


def poll_run(
    hubs: Hubs, kind: str, i: int, users: int, seconds: float, pool: int, tls: Tls
) -> dict[str, Any]:
    """One side's 50-workstation run on a fresh copy: peak connections, CPU, round times."""
    name = f"poll_{kind}_{i + 100}"
    url, folder = hubs.fresh(name)
    names = [nav(k) for k in range(users)]
    groups = [names[g::POLL_PROCESSES] for g in range(POLL_PROCESSES)]
    with ExitStack() as stack:
        hub, hub_pid = url, None
        if kind == "http":
            hub, hub_pid = stack.enter_context(served(url, folder, tls, pool))
        go = folder / "go"
        outs = [folder / f"poll-{g}.json" for g in range(len(groups))]
        ps = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER),
                    "poll",
                    kind,
                    hub,
                    str(folder),
                    ",".join(group),
                    PASSWORD,
                    str(tls.ca),
                    str(out),
                    str(go),
                    str(seconds),
                ],
                cwd=ROOT,
            )
            for group, out in zip(groups, outs, strict=True)
        ]
        wait_ready([Path(f"{out}.ready") for out in outs], ps, f"{kind} workstations")
        watch = stack.enter_context(ConnectionWatch(hubs.pg, name))
        hub_cpu0 = cpu_seconds(hub_pid) if hub_pid else 0.0
        t0 = time.monotonic()
        go.touch()
        for p in ps:
            if p.wait(timeout=seconds + 300) != 0:
                raise SystemExit(f"a {kind} workstation group failed ({p.returncode})")
        wall = time.monotonic() - t0
        hub_cpu = (cpu_seconds(hub_pid) - hub_cpu0) if hub_pid else None
        stack.close()  # stop the watch and the server before the copy is dropped
    results = [json.loads(out.read_text()) for out in outs]
    hubs.drop(name)
    rounds = [r for res in results for r in res["rounds"]]
    errors = [e for res in results for e in res["errors"]]
    error_count = sum(res["error_count"] for res in results)
    if error_count:
        print(f"  {kind}: {error_count} poll errors, e.g. {errors[:3]}", flush=True)
    client_cpu = sum(res["cpu_seconds"] for res in results)
    out = {
        "peak_connections": max(watch.samples) if watch.samples else 0,
        "hub_cpu_pct": None if hub_cpu is None else 100 * hub_cpu / wall,
        # each round is 3 requests: what one request costs the hub in CPU
        "hub_cpu_ms_per_request": None if hub_cpu is None else 1000 * hub_cpu / (3 * len(rounds)),
        "clients_cpu_pct": 100 * client_cpu / wall,
        "rounds": len(rounds),
        "late_rounds": sum(res["late"] for res in results),
        "round_p50_ms": 1000 * pct(rounds, 0.5) if rounds else None,
        "round_p95_ms": 1000 * pct(rounds, 0.95) if rounds else None,
        "errors": error_count,
    }
    hub_txt = (
        ""
        if hub_cpu is None
        else f"hub CPU {out['hub_cpu_pct']:.0f}% of a core "
        f"({out['hub_cpu_ms_per_request']:.1f} ms a request), "
    )
    print(
        f"  {kind}: peak {out['peak_connections']} PostgreSQL connections, {hub_txt}"
        f"clients {out['clients_cpu_pct']:.0f}%, {out['rounds']:,} rounds "
        f"(p50 {fmt(out['round_p50_ms'] or 0)} ms, p95 {fmt(out['round_p95_ms'] or 0)} ms, "
        f"{out['late_rounds']} late), {error_count} errors",
        flush=True,
    )
    return out


def bench_polling(
    users: int,
    items: int,
    seconds: float,
    pool: int,
    repeats: int,
    workdir: Path,
    pg: Any,
    tls: Tls,
) -> dict[str, Any]:
    print(
        f"{users} workstations polling every second for {seconds:g} s, PostgreSQL, "
        f"{items:,} items, hub_pool_size {pool}:",
        flush=True,
    )
    hubs = Hubs("postgresql", items, users, workdir / "poll", pg)
    runs: dict[str, list[dict[str, Any]]] = {"http": [], "inprocess": []}

    def side(kind: str) -> Callable[[int], float]:
        def go(i: int) -> float:
            got = poll_run(hubs, kind, i, users, seconds, pool, tls)
            runs[kind].append(got)
            return float(got["peak_connections"])

        return go

    samples = interleave(repeats, side("http"), side("inprocess"))
    hubs.close()
    served_runs, direct_runs = runs["http"], runs["inprocess"]
    bounded = all(r["peak_connections"] <= pool + 1 for r in served_runs)

    def med(rs: list[dict[str, Any]], key: str) -> float | None:
        vals = [r[key] for r in rs if r[key] is not None]
        return round(sorted(vals)[len(vals) // 2], 1) if vals else None

    result = comparison(
        "poll_pg_connections",
        "connections",
        samples,
        what=(
            f"peak PostgreSQL connections, {users} workstations polling every second "
            f"(view_counts, first queue page, heartbeat_held) for {seconds:g} s: through the "
            f"served hub (hub_pool_size {pool}) / each workstation opening the database"
        ),
        bounded_by_pool=bounded,
        hub_pool_size=pool,
        workstations=users,
        seconds=seconds,
        items=items,
        hub_cpu_pct=med(served_runs, "hub_cpu_pct"),
        hub_cpu_ms_per_request=med(served_runs, "hub_cpu_ms_per_request"),
        clients_cpu_pct=med(served_runs, "clients_cpu_pct"),
        baseline_clients_cpu_pct=med(direct_runs, "clients_cpu_pct"),
        round_p50_ms=med(served_runs, "round_p50_ms"),
        round_p95_ms=med(served_runs, "round_p95_ms"),
        baseline_round_p95_ms=med(direct_runs, "round_p95_ms"),
        late_rounds=sum(r["late_rounds"] for r in served_runs),
        baseline_late_rounds=sum(r["late_rounds"] for r in direct_runs),
        errors=sum(r["errors"] for r in served_runs),
        baseline_errors=sum(r["errors"] for r in direct_runs),
    )
    print(
        f"poll (informational): hub process CPU {result['hub_cpu_pct']}% of one core, "
        f"{result['hub_cpu_ms_per_request']} ms a request (medians of runs); client processes "
        f"{result['clients_cpu_pct']}% over HTTP, "
        f"{result['baseline_clients_cpu_pct']}% opening the database; connections "
        f"{'bounded' if bounded else 'NOT bounded'} by hub_pool_size {pool} "
        f"(served peak {fmt(result['ours'])}, direct peak {fmt(result['baseline'])})",
        flush=True,
    )
    return result


# -- main -----------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the recorded sizes (see the help)")
    ap.add_argument("--parts", default="claims,pages,poll", help="which parts to run")
    ap.add_argument("--engines", default="postgresql,sqlite", help="for claims and pages")
    ap.add_argument("--repeats", type=int, default=3, help="claims and pages (full: 5)")
    ap.add_argument("--processes", type=int, default=8)
    ap.add_argument("--claim-items", type=int, default=1000, help="(full: 2,000)")
    ap.add_argument("--page-items", type=int, default=20_000, help="(full: 100,000)")
    ap.add_argument("--page-requests", type=int, default=100, help="per run (full: 300)")
    ap.add_argument("--workstations", type=int, default=50)
    ap.add_argument("--poll-seconds", type=float, default=20.0)
    ap.add_argument("--poll-items", type=int, default=5000, help="(full: 20,000)")
    ap.add_argument("--poll-repeats", type=int, default=1, help="(full: 3)")
    ap.add_argument("--pool", type=int, default=10, help="the served hub's hub_pool_size")
    args = ap.parse_args()
    if args.full:
        args.repeats, args.claim_items, args.page_items = 5, 2000, 100_000
        args.page_requests, args.poll_items, args.poll_repeats = 300, 20_000, 3
    parts = set(args.parts.split(","))
    engines = [e for e in ("postgresql", "sqlite") if e in args.engines]
    results = []
    with tempfile.TemporaryDirectory(prefix="ehub-bench-hub-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        tls = Tls.make(workdir)
        pg = None
        if "postgresql" in engines or "poll" in parts:
            from tests.support.pgserver import PostgresServer

            pg = stack.enter_context(PostgresServer(durable=True))
        for engine in engines:
            if "claims" in parts:
                results.append(
                    bench_claims(
                        engine,
                        args.claim_items,
                        args.processes,
                        args.repeats,
                        workdir,
                        pg,
                        tls,
                        args.pool,
                    )
                )
            if "pages" in parts:
                results.append(
                    bench_pages(
                        engine,
                        args.page_items,
                        args.page_requests,
                        args.repeats,
                        workdir,
                        pg,
                        tls,
                        args.pool,
                    )
                )
        if "poll" in parts:
            results.append(
                bench_polling(
                    args.workstations,
                    args.poll_items,
                    args.poll_seconds,
                    args.pool,
                    args.poll_repeats,
                    workdir,
                    pg,
                    tls,
                )
            )
    emit("hub_api", results, repeats=args.repeats, full=args.full)


if __name__ == "__main__":
    main()
