"""Scale (issue 18): the same hub at 100,000 and at 1,000,000 items, and how each cost grows.

Hubs are built as benchmarks/_scale_build.py describes (generated FHIR NDJSON through the real
``ehub-tui ingest FILE``, a subprocess whose peak RSS is its own, from os.wait4) and cached under
--cache per size while the migrations head stays the same. Every ratio is "the larger hub over
the smaller" (1M over 100k), lower is better; the reads are interleaved (the large hub first on
odd repeats, the small one first on even ones; benchmarks/_harness.py) on the cached hubs, under
a clock frozen after the last arrival.

- ingest_rss_scaling       peak RSS of `ehub-tui ingest FILE` at the large size over the small
- ingest_cli_vs_library    at the smallest size: the CLI's wall (the whole process) over the
                           library's (Ingester.ingest_paths + the same prescreen, in-process)
- board_aggregates_scaling store.board.read_aggregates (the board's whole-hub counts)
- queue_summary_scaling    HubService.queue_summary (what `ehub-tui queue --json` prints)
- board_aggregates_scaling_pg  the same on PostgreSQL (benchmarks/_scale_pg.py: the SQLite hubs'
                           items copied into PostgreSQL hubs); skipped with --no-pg
- keypress_p95_scaling_1m  the store work of the key presses that move the queue window: one
                           HubService.queue_page (page fetch and its count) each for Home and
                           PageDown page by page, then End and PageUp page by page; per repeat
                           the p95 of --keys such fetches
- board_refresh_max_1m, board_refresh_scaling (and _pg): the board screen's whole refresh, the
                           hub changed before each (benchmarks/_scale_board.py)
- verify_incremental       at the smallest size, after a checkpoint and ~10,000 new events (claim
                           and release): HubService.verify_audit(since_checkpoint=True), what
                           `audit verify --since-checkpoint` runs, over the full verify, both
                           in-process; "not available" while the option is missing

With one size (--sizes 100000, the CI smoke) the scaling comparisons cannot be made: their small
side is printed as a figure and only the two same-size comparisons are in the JSON. Progress goes
to stderr; the LAST stdout line is the JSON object of benchmarks/_harness.py.
"""

from __future__ import annotations

import argparse
import inspect
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _scale_board as BOARD  # noqa: E402
from benchmarks import _scale_build as B  # noqa: E402
from benchmarks import _scale_filters as F  # noqa: E402
from benchmarks._harness import Samples, comparison, emit, fmt, interleave, pct  # noqa: E402
from ehub_tui.config import Settings  # noqa: E402
from ehub_tui.domain.queue import QueueFilter  # noqa: E402
from ehub_tui.service import HubService  # noqa: E402
from ehub_tui.store.board import read_aggregates  # noqa: E402

# After the last generated arrival (generate.py squeezes any large set into 28 days from
# 16 Nov 2026), so every hub is read at the same moment of the same day.
NOW = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 12, 14, 0, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
WHAT = "ratio = the {big:,}-item hub over the {small:,}-item hub"


def say(msg: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def local_hour(dt: datetime) -> int:
    return dt.astimezone(LONDON).hour


def open_hub(home: Path) -> HubService:
    settings = Settings(data_dir=home, hub_url=f"sqlite:///{home / 'hub.sqlite3'}")
    return HubService.open(settings, clock=lambda: NOW, migrate=False, create=False)


# -- building -------------------------------------------------------------------------------------


def build(
    args: argparse.Namespace, n: int, with_library: bool
) -> tuple[dict[str, Any], Samples | None]:
    """The cached hub of n items (built by the CLI if missing or --reingest); at the smallest
    size, when the hub is built, the library path runs on the same file beside it."""
    again = args.reingest == "all" or str(n) in args.reingest.split(",")
    meta = None if again else B.cached_build(args.cache, n, args.seed)
    if meta is not None and not with_library:
        say(f"{n:,}: reusing the hub built at {meta['commit']} ({meta['built_at']})")
        return meta, None
    src = B.ensure_file(args.cache, n, args.seed, say)
    work = args.cache / f"building-{n}"
    runs: dict[str, B.Run] = {}

    def cli(i: int) -> float:
        if meta is not None:  # the cached build's CLI run stands for this side
            return float(meta["cli_wall_s"])
        say(f"{n:,}: ehub-tui ingest (CLI) …")
        runs["cli"] = B.cli_ingest(src, work)
        say(f"{n:,}: CLI {runs['cli'].wall:.1f} s, peak RSS {runs['cli'].rss_mib:,.0f} MiB")
        return runs["cli"].wall

    def lib(i: int) -> float:
        say(f"{n:,}: library ingest …")
        got = B.lib_ingest(src, args.cache / f"library-{n}")
        shutil.rmtree(args.cache / f"library-{n}")
        say(f"{n:,}: library {got.wall:.1f} s")
        return got.wall

    samples = interleave(1, cli, lib) if with_library else None
    if meta is None:
        if not samples:
            cli(1)
        meta = B.record_build(args.cache, n, args.seed, runs["cli"], work)
    return meta, samples


# -- reads ----------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def steady(fn: Callable[[], Any], calls: int = 5) -> float:
    """The median of a few calls in a row (ms): one repeat of a read of a few milliseconds is
    otherwise one scheduling hiccup on a shared machine."""
    return statistics.median(timed(fn) for _ in range(calls))


def probes(args: argparse.Namespace, hubs: dict[int, HubService]) -> dict[str, Any]:
    """name -> (hub size -> one repeat's measurement in ms), with each one's target and what."""
    totals = {n: svc.queue_page("queue", QueueFilter(), 0, 1)[1] for n, svc in hubs.items()}

    def aggregates(n: int) -> Callable[[int], float]:
        def go(_i: int) -> float:
            with hubs[n].engine.connect() as conn:
                return steady(lambda: read_aggregates(conn, NOW, SINCE, local_hour))

        return go

    def summary(n: int) -> Callable[[int], float]:
        def go(_i: int) -> float:
            return steady(hubs[n].queue_summary)

        return go

    def keys(n: int) -> Callable[[int], float]:
        def go(i: int) -> float:
            top = max(totals[n] - args.page, 0)
            # what the keys ask of the store: Home, then PageDown page by page; End, then
            # PageUp page by page (each press a page fetch and its count); the pages start a
            # little further in each repeat, as a user would be somewhere else each time
            half = args.keys // 2
            shift = max(i, 0) * args.page
            down = [min(shift + k * args.page, top) for k in range(1, half)]
            up = [max(top - shift - k * args.page, 0) for k in range(1, args.keys - half)]
            spots = [0, *down, top, *up]
            got = []
            for at in spots:
                t0 = time.perf_counter()
                hubs[n].queue_page("queue", QueueFilter(), at, args.page)
                got.append((time.perf_counter() - t0) * 1000)
            return pct(got, 0.95)

        return go

    return {
        "board_aggregates_scaling": (
            aggregates,
            2.0,
            "store.board.read_aggregates on SQLite (each repeat the median of 5 calls)",
        ),
        "queue_summary_scaling": (
            summary,
            2.0,
            "HubService.queue_summary (behind `ehub-tui queue --json`; each repeat the median "
            "of 5 calls)",
        ),
        "keypress_p95_scaling_1m": (
            keys,
            1.5,
            f"p95 of {args.keys} HubService.queue_page fetches (a page of {args.page} and its "
            "count): Home then PageDown, End then PageUp; median over repeats",
        ),
        "filter_toggle_p95_scaling_1m": (
            F.probe(hubs, NOW, TOGGLES),
            1.5,
            f"p95 over {len(F.filters(next(iter(hubs.values())), NOW))} filter toggles (the "
            f"filtered view's first page of {F.PAGE} and its size, nothing remembered): "
            "practice, type, urgent, due soon (d), two practices, an age band, waited 48 h, "
            "due order; median over repeats",
        ),
    }


# filter name -> hub size -> each toggle's ms (the per-filter lines after the reads)
TOGGLES: dict[str, dict[int, list[float]]] = {}


def reads(args: argparse.Namespace, small: int, big: int) -> list[dict[str, Any]]:
    """The three read comparisons on the cached hubs, both open in this process; with one size,
    that size's medians are printed and nothing is compared."""
    hubs = {n: open_hub(B.hub_dir(args.cache, n, args.seed)) for n in {small, big}}
    out = []
    for name, (make, target, what) in probes(args, hubs).items():
        say(f"{name} …")
        s = interleave(args.repeats, make(big), make(small), warmup=1)
        if big == small:
            label = name.split("_scaling")[0]
            med = fmt(statistics.median(s.ours))
            print(f"{label} at {small:,} items: median {med} ms (no larger hub to compare)")
            continue
        out.append(
            comparison(
                name,
                "ms",
                s,
                target=target,
                items=big,
                baseline_items=small,
                what=f"{what}; {WHAT.format(big=big, small=small)}",
            )
        )
    for name, by_size in TOGGLES.items():
        meds = {n: statistics.median(v) for n, v in sorted(by_size.items())}
        ratio = f" (x{meds[big] / meds[small]:.2f})" if big != small and meds[small] else ""
        print(
            f"  filter {name}: " + ", ".join(f"{n:,}: {fmt(m)} ms" for n, m in meds.items()) + ratio
        )
    for svc in hubs.values():
        svc.close()
    return out


def pg_board(args: argparse.Namespace, small: int, big: int) -> list[dict[str, Any]]:
    """board_aggregates_scaling and the board refresh on PostgreSQL (benchmarks/_scale_pg.py)."""
    from benchmarks import _scale_pg as P

    def aggregates(hubs: dict[int, HubService]) -> Callable[[int], Callable[[int], float]]:
        return probes(args, hubs)["board_aggregates_scaling"][0]  # type: ignore[no-any-return]

    return P.board(args, small, big, NOW, aggregates, WHAT, say)


# -- verify ---------------------------------------------------------------------------------------


def verify(args: argparse.Namespace, n: int) -> dict[str, Any] | None:
    """Incremental over full verify on a copy of the n-item hub after ~10k new events, both
    HubService.verify_audit in this process (the CLI's start-up, seconds on a busy machine, would
    swamp the incremental side)."""
    if "since_checkpoint" not in inspect.signature(HubService.verify_audit).parameters:
        print("verify_incremental: not available yet (no verify_audit(since_checkpoint=...))")
        return None
    with tempfile.TemporaryDirectory(prefix="ehub-scale-", dir=args.cache) as tmp:
        home = Path(tmp) / "hub"
        shutil.copytree(B.hub_dir(args.cache, n, args.seed), home)
        B.run_measured([*B.CLI, "audit", "checkpoint"], B.hub_env(home))
        svc = open_hub(home)
        added = 0
        say(f"{n:,}: ~{args.events:,} new events (claim and release) after the checkpoint …")
        while added < args.events:
            claim = svc.claim_next()
            if claim is None:
                break
            svc.release(claim, "benchmark: back to the queue")
            added += 2

        def side(since: bool) -> Callable[[int], float]:
            def go(_i: int) -> float:
                t0 = time.perf_counter()
                got = svc.verify_audit(since_checkpoint=since)
                wall = time.perf_counter() - t0
                if not got.ok:
                    raise SystemExit(f"verify (since_checkpoint={since}) did not hold")
                return wall

            return go

        say("verify: incremental against full …")
        s = interleave(args.verify_repeats, side(True), side(False), warmup=1, progress=say)
        svc.close()
    return comparison(
        "verify_incremental",
        "s",
        s,
        target=0.1,
        items=n,
        new_events=added,
        what=f"HubService.verify_audit(since_checkpoint=True) (`audit verify --since-checkpoint`) "
        f"after {added:,} new events over the full verify of the same {n:,}-item hub, "
        "in-process",
    )


# -- main -----------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000", help="comma-separated, e.g. 100000,1000000")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ehub-scale")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeats", type=int, default=9, help="repeats of each read comparison")
    ap.add_argument("--keys", type=int, default=20, help="page fetches per key-press repeat")
    ap.add_argument("--page", type=int, default=50, help="rows per page fetch")
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument(
        "--no-pg",
        dest="pg",
        action="store_false",
        help="skip the board on PostgreSQL (run when initdb and pg_ctl are found)",
    )
    ap.add_argument("--verify-repeats", type=int, default=3)
    ap.add_argument("--refreshes", type=int, default=30, help="board refreshes per repeat")
    ap.add_argument(
        "--reingest",
        default="",
        help="comma-separated sizes to build (and measure) again even if cached, or 'all'",
    )
    ap.add_argument(
        "--parts",
        default="library,reads,board,pg,verify",
        help="which to run besides the (cached) builds: library (ingest_cli_vs_library), reads, "
        "board, pg, verify",
    )
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    args.cache.mkdir(parents=True, exist_ok=True)
    small, big = sizes[0], sizes[-1]

    builds: dict[int, dict[str, Any]] = {}
    comps: list[dict[str, Any]] = []
    for n in sizes:
        builds[n], lib = build(args, n, with_library=n == small and "library" in parts)
        if lib is not None:
            comps.append(
                comparison(
                    "ingest_cli_vs_library",
                    "s",
                    lib,
                    target=1.5,
                    items=n,
                    what=f"`ehub-tui ingest FILE` wall (the whole process) over Ingester."
                    f"ingest_paths + prescreen (in-process) on the same {n:,}-item NDJSON",
                )
            )
    for n, m in builds.items():
        if m.get("cli_rss_mib") is None:  # a hub adopted before its ingest finished
            print(f"ingest {n:,}: not measured ({m.get('note', 'no figures recorded')})")
            continue
        print(
            f"ingest {n:,}: CLI {m['cli_wall_s']} s, peak RSS {fmt(m['cli_rss_mib'])} MiB "
            f"(built at {m['commit']})"
        )
    measured = all(builds[n].get("cli_rss_mib") is not None for n in (small, big))
    if big != small and measured:
        rss = Samples([builds[big]["cli_rss_mib"]], [builds[small]["cli_rss_mib"]])
        comps.insert(
            0,
            comparison(
                "ingest_rss_scaling",
                "MiB",
                rss,
                target=1.5,
                items=big,
                baseline_items=small,
                measured_at=builds[big]["commit"],
                baseline_measured_at=builds[small]["commit"],
                what=f"peak RSS of `ehub-tui ingest FILE`; {WHAT.format(big=big, small=small)}",
            ),
        )
    elif big == small:
        say("one size: the scaling comparisons need a second (--sizes 100000,1000000)")
    if "reads" in parts:
        comps.extend(reads(args, small, big))
    if "board" in parts:
        comps.extend(BOARD.sqlite_board(args, small, big, NOW, say))
    if "pg" in parts and args.pg:
        comps.extend(pg_board(args, small, big))
    got = verify(args, small) if "verify" in parts else None
    if got is not None:
        comps.append(got)
    emit("scale", comps, sizes=sizes, commit=B.commit())


if __name__ == "__main__":
    main()
