"""The board's aggregates and refresh on PostgreSQL for benchmarks/scale.py: the cached SQLite
hubs' items copied into PostgreSQL hubs of the same schema.

There is no SQLite-to-PostgreSQL move in the hub (docs/scaling.md), and a second ingest of a
million items would take as long again, so each PostgreSQL hub is made by our migrations (its
counters' triggers and all), given the fixture practices, and then the SQLite hub's
``consultation`` rows, every column the two schemas share, are COPYed in. The triggers run for
every row as for any insert; the counters' pending deltas are folded (store/counters.fold) and the
tables analysed before anything is timed. The audit chain is not copied: read_aggregates does
not read it. The server is the tests' disposable cluster (tests/support/pgserver.py: fsync off,
which changes what a write costs, not a read).
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from ehub_tui.config import Settings  # noqa: E402
from ehub_tui.practices import load_practices  # noqa: E402
from ehub_tui.service import HubService  # noqa: E402
from ehub_tui.store import counters  # noqa: E402

CHUNK = 20_000


def available() -> bool:
    """Whether PostgreSQL's server binaries are here to start a throwaway cluster."""
    from tests.support.pgserver import find_pg_bin

    return find_pg_bin() is not None


def server() -> AbstractContextManager[Any]:
    from tests.support.pgserver import PostgresServer

    return PostgresServer()


def copy_hub(pg: Any, sqlite_file: Path, n: int, data_dir: Path, say: Callable[[str], None]) -> str:
    """A PostgreSQL hub holding the SQLite hub's items; its SQLAlchemy URL."""
    import psycopg

    name = f"scale_{n}"
    url = pg.create_database(name)
    data_dir.mkdir(parents=True, exist_ok=True)
    svc = HubService.open(Settings(data_dir=data_dir, hub_url=url))
    svc.import_practices(load_practices(ROOT / "fixtures" / "practices.yaml"))
    svc.close()
    src = sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)
    theirs = [r[1] for r in src.execute("PRAGMA table_info(consultation)")]
    t0 = time.perf_counter()
    with psycopg.connect(pg.dsn_for(name)) as conn:
        ours = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'consultation'"
            )
        }
        cols = [c for c in theirs if c in ours]
        names = ", ".join(f'"{c}"' for c in cols)
        rows = src.execute(f"SELECT {names} FROM consultation ORDER BY id")
        copied = 0
        with conn.cursor().copy(f"COPY consultation ({names}) FROM STDIN") as copy:
            while batch := rows.fetchmany(CHUNK):
                for row in batch:
                    copy.write_row(row)
                copied += len(batch)
                if copied % 200_000 < CHUNK:
                    say(f"PostgreSQL {n:,}: {copied:,} items copied")
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('consultation', 'id'), "
            "(SELECT max(id) FROM consultation))"
        )
    src.close()
    svc = HubService.open(Settings(data_dir=data_dir, hub_url=url))
    with svc.engine.begin() as sa:
        counters.fold(sa)
    with svc.engine.connect() as sa:
        sa.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    svc.close()
    say(f"PostgreSQL {n:,}: {copied:,} items in {time.perf_counter() - t0:.0f} s")
    if copied != n:
        raise SystemExit(f"PostgreSQL {n:,}: copied {copied:,} items")
    return str(url)


def board(
    args: Any,
    small: int,
    big: int,
    now: datetime,
    aggregates: Callable[[dict[int, HubService]], Callable[[int], Callable[[int], float]]],
    what: str,
    say: Callable[[str], None],
) -> list[dict[str, Any]]:
    """board_aggregates_scaling_pg (``aggregates(hubs)(n)``: one repeat's measure at size n) and
    the board refresh comparisons (benchmarks/_scale_board.py) on PostgreSQL copies."""
    from benchmarks import _scale_board as BOARD
    from benchmarks import _scale_build as B
    from benchmarks._harness import comparison, fmt, interleave

    if not available():
        print("board_aggregates_scaling_pg: not run (no PostgreSQL server binaries here)")
        return []
    with server() as pg, tempfile.TemporaryDirectory(prefix="ehub-scale-pg-") as tmp:
        ticked = {}
        for n in sorted({small, big}):
            home = B.hub_dir(args.cache, n, args.seed)
            url = copy_hub(pg, home / "hub.sqlite3", n, Path(tmp) / str(n), say)
            ticked[n] = BOARD.open_with_ticks(Path(tmp) / str(n), url, now)
        hubs = {n: svc for n, (svc, _) in ticked.items()}
        make = aggregates(hubs)
        say("board_aggregates_scaling_pg …")
        s = interleave(args.repeats, make(big), make(small), warmup=1)
        out = BOARD.measure(ticked, small, big, args.repeats, args.refreshes, "PostgreSQL", say)
        for svc in hubs.values():
            svc.close()
    if big == small:
        print(f"board_aggregates (PostgreSQL) at {small:,} items: median {fmt(median(s.ours))} ms")
        return out
    agg = comparison(
        "board_aggregates_scaling_pg",
        "ms",
        s,
        target=2.0,
        items=big,
        baseline_items=small,
        what="store.board.read_aggregates on PostgreSQL (the SQLite hubs' items copied in); "
        + what.format(big=big, small=small),
    )
    return [*out, agg]
