"""One supervisor-board refresh on a hub of 100,000 items beside the same on a hub of 1,000.

Two SQLite hubs are built in a temp dir, the same in everything but the number of items:

- the fixture practices; one supervisor and 50 navigators;
- N items (tests/support/factories.oc_row: 2% emergency, 10% urgent, three request types)
  stored with HubService.store_intake in batches of 5,000, received evenly over the --days days
  up to "now" (so both hubs have today's arrivals, in the same proportion of N);
- the same day's work on both: each navigator completes --done-per-nav items through today
  (claim_next, then complete with an outcome and a handling time), then holds 1 or 2 items
  claimed in the last 9 minutes (leases live), and was last seen (touch) 0-10 minutes ago.

The clock is frozen at a Wednesday 15:00 UK time for the whole run (every service and the app get
it), so "today", breaches, leases and presence are the same at every refresh. By default nothing
changes between refreshes; with --churn the hub changes before each refresh (untimed: a navigator
claims the next item and releases it), so a refresh cannot be served from anything cached on the
audit cursor and SQLite re-reads its page cache, while the figures on the board stay the same.

Measured, both hubs alternately in one process, after --warmup untimed refreshes of each:

- fetch: `HubService.board()` for the signed-in supervisor (the board's data fetch: every count,
  today's completions and arrivals, practices, navigators, the 200 open items, 30 events);
- refresh (unless --no-ui): what one board refresh does in the app: `HubService.board()` and then
  `BoardScreen._show(board)` (headline, items, practices, navigators, sparklines and events
  updated in one batch), timed on the app's event loop in a headless `run_test(size=(160, 50))`
  of `make_app(HubService.open(settings, supervisor))` with the BoardScreen pushed; the frame it
  paints afterwards does not depend on N (the items table holds at most 200 rows) and is not
  timed.

--reps refreshes of each hub, the hubs alternating and the order alternating too (the large hub
first on odd refreshes, the small one first on even ones; benchmarks/_harness.py). Reported for
each: median, p95, max, min and IQR — a board that is quick in the median but stalls now and then
is a board that stalls, so the p95 and the max are printed and kept beside the median. The two
hubs are built once and not rebuilt per refresh: a refresh only reads (with --churn the hub
changes between refreshes, untimed, on both alike). Comparisons (ratio = ours at the large hub /
ours at the small hub, lower is better; ratio_p95 = the same for the p95):
  board_refresh_scaling  the refresh (fetch + screen update; the fetch alone with --no-ui)
                         target <= 2
  board_fetch_scaling    HubService.board() alone (reported, no separate target)

--explain also replays every SQL statement of one board() call with the bare sqlite3 driver on
both hubs (execute + fetchall, median of 20) and prints its time and query plan; --profile
prints the top of a cProfile of --reps board() calls on the large hub.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import math
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from benchmarks._harness import Samples, comparison, emit  # noqa: E402
from ehub_tui.config import Settings  # noqa: E402
from ehub_tui.domain.models import Outcome  # noqa: E402
from ehub_tui.practices import load_practices  # noqa: E402
from ehub_tui.service import BOARD_AGGREGATES_SECONDS, HubService  # noqa: E402
from tests.support.factories import oc_row  # noqa: E402

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, 15:00 in London (GMT)
DAY_START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # core hours start, today
MIDNIGHT = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # start of today in London (GMT)
SUPERVISOR = "bench.sup"
BATCH = 5000
SIZE = (160, 50)
TEMPLATES = [("clinical", "sore_throat"), ("admin", "fit_note"), ("other", None)]
TEXTS = ["sore throat for three days", "needs a fit note for work", "question about a referral"]
OUTCOMES = [
    ("signpost", "pharmacy_first"),
    ("clinical", "gp_routine"),
    ("admin", "admin_team"),
    ("clinical", "gp_urgent"),
]


class Clock:
    """A settable clock shared by every service and the app."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# -- the hub --------------------------------------------------------------------------------------


def build_hub(
    workdir: Path, n: int, navigators: int, done_per_nav: int, days: float, seed: int
) -> tuple[Settings, dict[str, int]]:
    """A SQLite hub with n items received over `days` days, and one day's work on them."""
    db = workdir / f"hub-{n}.sqlite3"
    settings = Settings(data_dir=workdir / f"data-{n}", hub_url=f"sqlite:///{db}")
    clock = Clock(NOW - timedelta(days=days + 1))
    system = HubService.open(settings, clock=clock)
    system.import_practices(load_practices(ROOT / "fixtures" / "practices.yaml"))
    system.add_user(SUPERVISOR, "supervisor", "Bench Supervisor")
    names = [f"nav{k:02d}" for k in range(1, navigators + 1)]
    for name in names:
        system.add_user(name, "navigator", f"Navigator {name[3:]}")

    span = timedelta(days=days) - timedelta(minutes=1)  # the newest item arrived a minute ago
    first = NOW - timedelta(minutes=1) - span
    for start in range(0, n, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, n)):
            rtype, template = TEMPLATES[i % 3]
            priority = 2 if i % 50 == 7 else 1 if i % 10 == 3 else 0
            flags = ["emergency"] if priority == 2 else ["urgent"] if priority else []
            rows.append(
                oc_row(
                    i,
                    priority=priority,
                    received_at=first + span * (i / max(n - 1, 1)),
                    request_type=rtype,
                    template=template,
                    free_text=TEXTS[i % 3],
                    supplier_flags=flags,
                )
            )
        clock.now = max(r.received_at for r in rows)  # ingested as the batch's last arrives
        system.store_intake(rows)

    rng = random.Random(seed)
    navs = {name: HubService(system.engine, settings, name, clock=clock) for name in names}
    # today's completions, in time order: claim_next, work for a few minutes, complete
    work_end = NOW - timedelta(minutes=15)
    jobs = sorted(
        (DAY_START + (work_end - DAY_START) * rng.random(), name)
        for name in names
        for _ in range(done_per_nav)
    )
    done = 0
    for at, name in jobs:
        clock.now = at
        claim = navs[name].claim_next()
        if claim is None:
            break
        handling = rng.uniform(90, 900)
        clock.now = at + timedelta(seconds=handling)
        category, route = OUTCOMES[done % len(OUTCOMES)]
        navs[name].complete(
            claim, Outcome(category=category, route=route, handling_seconds=handling)
        )
        done += 1
    # what each navigator holds now: 1 or 2 items claimed in the last 9 minutes
    holds = sorted(
        (NOW - timedelta(seconds=rng.uniform(30, 540)), name)
        for k, name in enumerate(names)
        for _ in range(1 + k % 2)
    )
    held = 0
    for at, name in holds:
        clock.now = at
        if navs[name].claim_next() is not None:
            held += 1
    # presence: last seen 0-10 minutes ago (the board calls 2 minutes "online")
    for name in names:
        clock.now = NOW - timedelta(seconds=rng.uniform(0, 600))
        navs[name].touch()
    clock.now = NOW
    HubService(system.engine, settings, SUPERVISOR, clock=clock).touch()
    system.close()
    today = sum(1 for i in range(n) if first + span * (i / max(n - 1, 1)) >= MIDNIGHT)
    return settings, {
        "items": n,
        "completed_today": done,
        "held": held,
        "queued": n - done - held,
        "arrived_today": today,
    }


def open_supervisor(settings: Settings) -> HubService:
    return HubService.open(settings, SUPERVISOR, clock=Clock(NOW))


# -- timing ---------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def alternate(pairs: Any, i: int) -> list[Any]:
    """The hubs largest first on odd rounds, smallest first on even ones (the harness's order)."""
    ordered = sorted(pairs, key=lambda kv: -kv[0])
    return ordered if i % 2 else ordered[::-1]


def summary(times: list[float]) -> dict[str, Any]:
    ms = [t * 1000 for t in times]
    return {
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(pct(ms, 0.95), 3),
        "max_ms": round(max(ms), 3),
        "min_ms": round(min(ms), 3),
        "count": len(ms),
        "samples_ms": ms,
    }


class Churn:
    """Between refreshes, untimed: one navigator claims the next item and releases it (the hub
    has changed, the board's figures have not). A no-op unless enabled."""

    def __init__(self, settings: Settings, enabled: bool) -> None:
        self.svc = HubService.open(settings, "nav01", clock=Clock(NOW)) if enabled else None

    def __call__(self) -> None:
        if self.svc is not None:
            claim = self.svc.claim_next()
            assert claim is not None
            self.svc.release(claim, "benchmark churn")

    def close(self) -> None:
        if self.svc is not None:
            self.svc.close()


def measure_fetch(
    services: dict[int, HubService], churn: dict[int, Churn], warmup: int, reps: int
) -> dict[int, dict]:
    """HubService.board() on each hub, the hubs alternating."""
    for n, svc in services.items():
        for _ in range(warmup):
            churn[n]()
            svc.board()
    times: dict[int, list[float]] = {n: [] for n in services}
    gc.collect()
    for i in range(1, reps + 1):
        for n, svc in alternate(services.items(), i):
            churn[n]()
            t0 = time.perf_counter()
            svc.board()
            times[n].append(time.perf_counter() - t0)
    return {n: summary(t) for n, t in times.items()}


def measure_aggregates(services: dict[int, HubService], reps: int) -> dict[int, dict]:
    """The whole-hub counts alone (what board() recomputes at most every few seconds)."""
    from ehub_tui.domain.clock import LONDON
    from ehub_tui.store.board import read_aggregates
    from ehub_tui.store.engine import read_tx

    times: dict[int, list[float]] = {n: [] for n in services}
    for i in range(1, max(reps // 4, 10) + 1):
        for n, svc in alternate(services.items(), i):
            since, now = svc.start_of_today(), svc.clock()
            with read_tx(svc.engine) as conn:
                t0 = time.perf_counter()
                read_aggregates(conn, now, since, lambda dt: dt.astimezone(LONDON).hour)
                times[n].append(time.perf_counter() - t0)
    return {n: summary(t) for n, t in times.items()}


async def measure_refresh(
    settings: dict[int, Settings], churn: dict[int, Churn], warmup: int, reps: int
) -> dict[int, dict]:
    """HubService.board() + BoardScreen._show() in a headless app per hub, the hubs alternating."""
    from contextlib import AsyncExitStack

    from textual.widgets import DataTable

    from ehub_tui.ui.app import make_app
    from ehub_tui.ui.screens.board import BoardScreen

    screens: dict[int, tuple[Any, BoardScreen, HubService]] = {}
    async with AsyncExitStack() as stack:
        for n, s in settings.items():
            clock = Clock(NOW)
            svc = HubService.open(s, SUPERVISOR, clock=clock)
            stack.callback(svc.close)
            # no queue poll and no timed board refresh while we measure
            app = make_app(svc, clock=clock, poll_interval=3600.0)
            pilot = await stack.enter_async_context(app.run_test(size=SIZE))
            app.start_sops()  # let the SOP library load now, not during the timing
            deadline = time.monotonic() + 60
            while any(w.group == "sops" and not w.is_finished for w in app.workers):
                if time.monotonic() > deadline:
                    raise SystemExit("the SOP library did not load")
                await pilot.pause(0.05)
            screen = BoardScreen(interval=3600.0)
            await app.push_screen(screen)
            deadline = time.monotonic() + 60
            while screen.board is None:  # the screen's own first fetch has been shown
                if time.monotonic() > deadline:
                    raise SystemExit("the board did not load")
                await pilot.pause(0.05)
            await pilot.pause()
            screens[n] = (pilot, screen, svc)

        def refresh(screen: BoardScreen, svc: HubService) -> float:
            """One refresh; returns how long the screen update alone took."""
            board = svc.board()
            t0 = time.perf_counter()
            screen._show(board)  # what _load hands to the event loop after its fetch
            return time.perf_counter() - t0

        for n, (pilot, screen, svc) in screens.items():
            for _ in range(warmup):
                churn[n]()
                refresh(screen, svc)
            await pilot.pause()
        times: dict[int, list[float]] = {n: [] for n in screens}
        shows: dict[int, list[float]] = {n: [] for n in screens}
        gc.collect()
        for i in range(1, reps + 1):
            for n, (pilot, screen, svc) in alternate(screens.items(), i):
                churn[n]()
                t0 = time.perf_counter()
                shows[n].append(refresh(screen, svc))
                times[n].append(time.perf_counter() - t0)
                await pilot.pause()  # let the app paint and settle between refreshes
        for n, (_pilot, screen, _svc) in screens.items():
            assert screen.board is not None
            rows, want = screen.query_one("#items", DataTable).row_count, len(screen.board.items)
            if rows != want:
                raise SystemExit(f"hub of {n:,}: the items table shows {rows} rows, not {want}")
    return {
        n: {**summary(t), "show_median_ms": round(statistics.median(shows[n]) * 1000, 3)}
        for n, t in times.items()
    }


# -- diagnosis ------------------------------------------------------------------------------------


def board_statements(svc: HubService) -> list[tuple[str, Any]]:
    """The SQL statements (with parameters) one board() call runs."""
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cur: Any, statement: str, parameters: Any, *_a: Any) -> None:
        seen.append((statement, parameters))

    event.listen(svc.engine, "before_cursor_execute", grab)
    try:
        svc.board()
    finally:
        event.remove(svc.engine, "before_cursor_execute", grab)
    return seen


def explain(settings: dict[int, Settings], services: dict[int, HubService]) -> list[dict]:
    """Replay each statement of board() (each hub's own parameters) with the bare driver; print
    its time on every hub and its query plan on the largest."""
    large = max(services)
    stmts = {n: board_statements(svc) for n, svc in services.items()}
    out = []
    conns = {
        n: sqlite3.connect(s.database_url.split("sqlite:///", 1)[1]) for n, s in settings.items()
    }
    print("\nstatements of one board() call, bare sqlite3, execute + fetchall, median of 20:")
    for k, (sql, _params) in enumerate(stmts[large]):
        row: dict[str, Any] = {"sql": " ".join(sql.split())}
        for n, conn in conns.items():
            n_sql, params = stmts[n][k]
            assert n_sql == sql, "the hubs ran different statements"
            ts = []
            for _ in range(20):
                t0 = time.perf_counter()
                rows = conn.execute(sql, params).fetchall()
                ts.append(time.perf_counter() - t0)
            row[f"ms_{n}"] = round(statistics.median(ts) * 1000, 3)
            row[f"rows_{n}"] = len(rows)
        plan = conns[large].execute("EXPLAIN QUERY PLAN " + sql, stmts[large][k][1]).fetchall()
        row["plan"] = [p[-1] for p in plan]
        out.append(row)
        sizes = "   ".join(
            f"{n:,}: {row[f'ms_{n}']:7.3f} ms ({row[f'rows_{n}']} rows)" for n in sorted(conns)
        )
        print(f"[{k:2d}] {sizes}\n     {row['sql'][:150]}\n     plan: {'; '.join(row['plan'])}")
    for conn in conns.values():
        conn.close()
    return out


def profile(svc: HubService, reps: int, top: int = 25) -> str:
    """cProfile of reps board() calls, top functions by own and by cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(reps):
        svc.board()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


# -- report ---------------------------------------------------------------------------------------


def scaling(
    name: str,
    cases: dict[int, dict[str, Any]],
    large: int,
    small: int,
    target: float | None,
    **extra: Any,
) -> dict[str, Any]:
    """Ours at the large hub against ours at the small hub: median, p95, max and spread."""
    big, little = cases[large], cases[small]
    out = comparison(
        name,
        "ms",
        Samples(big["samples_ms"], little["samples_ms"]),
        target=target,
        quiet=True,
        ours_p95=big["p95_ms"],
        baseline_p95=little["p95_ms"],
        ratio_p95=round(big["p95_ms"] / little["p95_ms"], 3),
        **extra,
    )
    # per-refresh pairs are not repeats of one experiment: their ratio range says little
    out.pop("ratio_min")
    out.pop("ratio_max")
    verdict = f" (target <= {target:g}: {'met' if out['met'] else 'MISSED'})" if target else ""
    print(
        f"{name}: median {out['ours']:.2f} / {out['baseline']:.2f} ms = {out['ratio']:.3f}{verdict}"
        f";  p95 {big['p95_ms']:.2f} / {little['p95_ms']:.2f} ms = {out['ratio_p95']:.3f};  "
        f"max {big['max_ms']:.2f} / {little['max_ms']:.2f} ms  ({out['repeats']} each)"
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument("--navigators", type=int, default=50)
    ap.add_argument("--done-per-nav", type=int, default=6, help="items each completed today")
    ap.add_argument("--days", type=float, default=5.0, help="items arrive evenly over this span")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-ui", action="store_true", help="time the fetch only")
    ap.add_argument(
        "--churn",
        action="store_true",
        help="change the hub (claim + release, untimed) before every refresh",
    )
    ap.add_argument("--explain", action="store_true", help="time and plan each SQL statement")
    ap.add_argument("--profile", action="store_true", help="cProfile board() on the large hub")
    args = ap.parse_args()
    small, large = args.small, args.large
    with tempfile.TemporaryDirectory(prefix="ehub-bench-") as tmp:
        settings: dict[int, Settings] = {}
        hubs: dict[int, dict[str, int]] = {}
        for n in (small, large):
            t0 = time.perf_counter()
            settings[n], hubs[n] = build_hub(
                Path(tmp), n, args.navigators, args.done_per_nav, args.days, args.seed
            )
            h = hubs[n]
            print(
                f"built a hub of {n:,} items in {time.perf_counter() - t0:.1f} s: "
                f"{h['queued']:,} queued, {h['held']} held, {h['completed_today']} completed "
                f"today, {h['arrived_today']:,} arrived today",
                flush=True,
            )
        services = {n: open_supervisor(s) for n, s in settings.items()}
        churn = {n: Churn(s, args.churn) for n, s in settings.items()}
        fetch = measure_fetch(services, churn, args.warmup, args.reps)
        for n in (small, large):
            f = fetch[n]
            print(
                f"board() at {n:,} items: median {f['median_ms']:.2f} ms  p95 {f['p95_ms']:.2f} ms"
                f"  max {f['max_ms']:.2f} ms  min {f['min_ms']:.2f} ms  ({f['count']} calls)",
                flush=True,
            )
        refresh = None
        if not args.no_ui:
            refresh = asyncio.run(measure_refresh(settings, churn, args.warmup, args.reps))
            for n in (small, large):
                r = refresh[n]
                print(
                    f"refresh (board() + BoardScreen._show) at {n:,} items: median "
                    f"{r['median_ms']:.2f} ms  p95 {r['p95_ms']:.2f} ms  max {r['max_ms']:.2f} ms"
                    f"  ({r['count']} refreshes; screen update alone: median "
                    f"{r['show_median_ms']:.2f} ms)",
                    flush=True,
                )
        aggregates = measure_aggregates(services, args.reps)
        for n in (small, large):
            a = aggregates[n]
            print(
                f"whole-hub counts (read_aggregates, run by board() at most every "
                f"{BOARD_AGGREGATES_SECONDS:g} s) at {n:,} items: median {a['median_ms']:.2f} ms",
                flush=True,
            )
        statements = explain(settings, services) if args.explain else None
        if args.profile:
            print(f"\ncProfile of {args.reps} board() calls at {large:,} items:")
            print(profile(services[large], args.reps))
        for svc in services.values():
            svc.close()
        for c in churn.values():
            c.close()
    what = f"ours at {large:,} items / ours at {small:,} items, {args.navigators} navigators"
    if args.churn:
        what += ", hub changed before each refresh"
    main_case = refresh if refresh is not None else fetch
    comps = [
        scaling(
            "board_refresh_scaling",
            main_case,
            large,
            small,
            2.0,
            what=f"{what}, per refresh: "
            + ("fetch + screen update" if refresh is not None else "board() fetch"),
        ),
        scaling(
            "board_fetch_scaling",
            fetch,
            large,
            small,
            None,
            what=f"{what}, HubService.board()",
        ),
        scaling(
            "board_aggregates_scaling",
            aggregates,
            large,
            small,
            None,
            what=f"{what}, read_aggregates (the whole-hub counts board() refreshes at most "
            f"every {BOARD_AGGREGATES_SECONDS:g} s)",
        ),
    ]
    for group in (fetch, refresh or {}, aggregates):
        for case in group.values():
            case.pop("samples_ms", None)
    cases: dict[str, Any] = {"hubs": {str(n): h for n, h in hubs.items()}, "churn": args.churn}
    cases["fetch"] = {str(n): f for n, f in fetch.items()}
    if refresh is not None:
        cases["refresh"] = {str(n): r for n, r in refresh.items()}
    if statements is not None:
        cases["statements"] = statements
    emit("board", comps, cases=cases)


if __name__ == "__main__":
    main()
