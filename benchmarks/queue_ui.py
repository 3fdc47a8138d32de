"""Queue screen responsiveness at 1,000 and 100,000 queued items, ours beside a naive DataTable.

Each hub is built once in a temp dir: a SQLite file, the fixture practices, a navigator, and N
queued rows (tests/support/factories.oc_row: 2% emergency, 10% urgent, three request types)
stored with HubService.store_intake in batches of 5,000.

Ours: `make_app(HubService.open(settings, navigator))` exactly as the CLI starts it (default
1 s change poll; the SOP library loads in a worker once the queue has painted), run headless
with `run_test(size=(120, 40))`.
Baseline ("naive"): a minimal Textual App with one DataTable (row cursor) holding EVERY queued row
in the same seven columns, fetched in on_mount with one sqlite3 SELECT of all queued rows ordered
by priority DESC, received_at, id and formatted with the same helpers as our table.

How a "painted screen" is detected: the app's `_display` (called once per frame the compositor
produces) is wrapped so that each frame is also serialised to terminal escape codes, as the real
terminal driver does, and timestamped; a measurement ends at the first frame that shows the
wanted state. Keys are injected through the app's driver the way the terminal driver sends them
(not `pilot.press`, whose two idle waits add a 40 ms+ floor to every press).

- First paint: wall time from just before `run_test` (the app object and a fresh HubService made
  just before, untimed) to the first frame in which the table shows real rows (ours:
  `table.loaded and table.row_at(0)`; naive: every row added). Median of --starts starts, after
  one untimed warm-up start of each app (imports, CSS). The SQLite file is in the OS page cache
  (built moments before); each start opens its own connection, so SQLite's own cache is cold.
  Printed beside it: the SOP library load alone (`HubService.sops` on a fresh service), which
  the app starts in a thread worker once the queue has painted.
- Key latency, in one fresh session per app and size, starting 1.5 s after first paint (past our
  app's first change poll, which reloads the table once): from injecting a key to the first frame
  in which the cursor has moved and its row is drawn with data (ours: `table.row_at(table.cursor)`
  loaded). 200 "down" and 40 "pagedown"/"pageup" (20 x [5 down, pagedown], cursor to about row
  740, then 20 x [5 down, pageup]), a --gap pause before each press; then (ours only) 20 "u"
  urgent-only filter toggles (to the frame where the filter is applied and the cursor row is
  loaded again) and 10 end/home jumps (naive: ctrl+end/ctrl+home), each reported on its own.
  Python's cyclic GC runs as normal: its full collections show up as the slowest presses.

Comparisons (ratio = our cost / the other's cost, lower is better):
  first_paint_scaling   ours at 100k / ours at 1k (median first paint)      target <= 1.5
  first_paint_vs_naive  ours at 100k / naive at 100k (median first paint)   target <= 0.05
  keypress_p95_scaling  ours at 100k / ours at 1k (p95 of down/page keys)   target <= 1.5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from ehub_tui.config import Settings  # noqa: E402
from ehub_tui.practices import load_practices  # noqa: E402
from ehub_tui.service import HubService  # noqa: E402
from ehub_tui.ui.app import make_app  # noqa: E402
from ehub_tui.ui.format import age_sex, due_text, short_time, template_words  # noqa: E402
from ehub_tui.ui.screens.queue import QueueScreen  # noqa: E402
from ehub_tui.ui.widgets.queue_table import COLUMNS, TYPE_SHORT, QueueTable  # noqa: E402
from tests.support.factories import oc_row  # noqa: E402

SIZE = (120, 40)
LABELS = {
    "nav": "key to frame, down/pagedown/pageup",
    "filter": "key to frame, 'u' filter toggle",
    "jump": "key to frame, end/home",
}
NAVIGATOR = "bench.nav"
BATCH = 5000
TEMPLATES = [("clinical", "sore_throat"), ("admin", "fit_note"), ("other", None)]
TEXTS = ["sore throat for three days", "needs a fit note for work", "question about a referral"]
NAIVE_SQL = (
    "SELECT id, priority, received_at, due_by, practice_ods, request_type, template, "
    "given_name, family_name, date_of_birth, sex, substr(free_text, 1, 120) "
    "FROM consultation WHERE status = 'queued' ORDER BY priority DESC, received_at, id"
)


# -- the hub --------------------------------------------------------------------------------------


def build_hub(workdir: Path, n: int) -> Settings:
    """A SQLite hub with the fixture practices, one navigator and n queued items."""
    db = workdir / f"hub-{n}.sqlite3"
    settings = Settings(data_dir=workdir / f"data-{n}", hub_url=f"sqlite:///{db}")
    svc = HubService.open(settings)
    svc.import_practices(load_practices(ROOT / "fixtures" / "practices.yaml"))
    svc.add_user(NAVIGATOR, "navigator", "Bench Navigator")
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
                    minutes_ago=(n - i) // 20,
                    request_type=rtype,
                    template=template,
                    free_text=TEXTS[i % 3],
                    supplier_flags=flags,
                )
            )
        svc.store_intake(rows)
    svc.close()
    return settings


# -- frames ---------------------------------------------------------------------------------------


class FrameWatch:
    """Timestamps each frame the app paints; resolves a waiter at the first frame it wants."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.frames = 0
        self._want: Callable[[], bool] | None = None
        self._fut: asyncio.Future[float] | None = None
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None or app._batch_count:
                return
            if hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)  # what the terminal driver would write
            t = time.perf_counter()
            self.frames += 1
            if self._fut is not None and not self._fut.done() and self._want is not None:
                try:
                    ok = self._want()
                except Exception:  # the screen is still being built
                    ok = False
                if ok:
                    self._fut.set_result(t)

        app._display = display  # type: ignore[method-assign]

    def expect(self, want: Callable[[], bool]) -> asyncio.Future[float]:
        """A future holding the time of the first frame after now for which want() holds."""
        self._want = want
        self._fut = asyncio.get_running_loop().create_future()
        return self._fut


def send_key(app: App[Any], key: str) -> None:
    """Inject a key the way the terminal driver does (as Pilot does, without its idle waits)."""
    ev = events.Key(key, key if len(key) == 1 else None)
    ev.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(ev)


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


# -- the apps -------------------------------------------------------------------------------------


def naive_cells(r: tuple[Any, ...], now: datetime) -> tuple[str, ...]:
    """One DataTable row, formatted like our table's line."""
    _id, prio, received, due, ods, rtype, template, given, family, dob, sex, text = r
    received_at = datetime.fromisoformat(received).replace(tzinfo=UTC)
    due_by = datetime.fromisoformat(due).replace(tzinfo=UTC)
    initials = (((given or "")[:1] + (family or "")[:1]) or "?").upper()
    what = template_words(template)
    return (
        "‼EM" if prio >= 2 else "!UR" if prio == 1 else "",
        due_text(due_by, now)[0],
        short_time(received_at, now),
        ods,
        TYPE_SHORT.get(rtype, rtype),
        f"{initials} {age_sex(date.fromisoformat(dob), sex, now.date())}",
        f"{what}: {' '.join((text or '').split())}" if text else what,
    )


class NaiveApp(App[None]):
    """Every queued row in one DataTable, loaded when the app mounts."""

    def __init__(self, db: str) -> None:
        super().__init__()
        self.db = db

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row", id="table")

    def on_mount(self) -> None:
        conn = sqlite3.connect(self.db)
        rows = conn.execute(NAIVE_SQL).fetchall()
        conn.close()
        now = datetime.now(UTC)
        table = self.query_one(DataTable)
        for name, _w in COLUMNS:
            table.add_column(name)
        table.add_column("Request")
        table.add_rows(naive_cells(r, now) for r in rows)
        table.focus()


class Harness:
    """Start one app (ours or naive) on one hub and drive it."""

    def __init__(self, kind: str, settings: Settings, n: int) -> None:
        self.kind, self.settings, self.n = kind, settings, n

    def make(self) -> App[Any]:
        if self.kind == "ours":
            return make_app(HubService.open(self.settings, NAVIGATOR))
        return NaiveApp(self.settings.database_url.split("sqlite:///", 1)[1])

    # what the screen shows

    def ours_table(self, app: App[Any]) -> QueueTable:
        screen = app.screen
        if not isinstance(screen, QueueScreen):
            raise LookupError("queue screen not up yet")
        return screen.query_one(QueueTable)

    def painted(self, app: App[Any]) -> bool:
        if self.kind == "ours":
            t = self.ours_table(app)
            return t.loaded and t.row_at(0) is not None
        return app.query_one(DataTable).row_count == self.n

    def cursor(self, app: App[Any]) -> int:
        if self.kind == "ours":
            return self.ours_table(app).cursor
        return app.query_one(DataTable).cursor_row

    def row_ready(self, app: App[Any]) -> bool:
        if self.kind == "ours":
            t = self.ours_table(app)
            return t.row_at(t.cursor) is not None
        return True

    # measurements

    async def start(self) -> tuple[App[Any], FrameWatch, float, Any]:
        """Start the app; returns it, its frame watch, first-paint seconds and the context."""
        app = self.make()
        watch = FrameWatch(app)
        fut = watch.expect(lambda: self.painted(app))
        t0 = time.perf_counter()
        ctx = app.run_test(size=SIZE)
        await ctx.__aenter__()
        t = await asyncio.wait_for(fut, 300)
        return app, watch, t - t0, ctx

    async def first_paint(self) -> float:
        app, _w, secs, ctx = await self.start()
        await ctx.__aexit__(None, None, None)
        if self.kind == "ours":
            app.service.close()  # type: ignore[attr-defined]
        return secs

    async def keys(self, gap: float) -> dict[str, list[tuple[str, int, float]]]:
        """(key, cursor row before, seconds to the frame) for navigation keys, filter toggles
        and end/home jumps, in one session."""
        app, watch, _secs, ctx = await self.start()
        await asyncio.sleep(1.5)  # past the first change poll (it reloads once after start)
        out: dict[str, list[tuple[str, int, float]]] = {"nav": [], "filter": [], "jump": []}

        async def press(key: str, want: Callable[[], bool], into: str) -> None:
            await asyncio.sleep(gap)
            before = self.cursor(app)
            fut = watch.expect(want)
            t0 = time.perf_counter()
            send_key(app, key)
            try:
                t = await asyncio.wait_for(fut, 30)
            except TimeoutError:
                raise SystemExit(f"{self.kind} {self.n}: no frame showed {key!r}") from None
            out[into].append((key, before, t - t0))

        def moved() -> Callable[[], bool]:
            before = self.cursor(app)
            return lambda: self.cursor(app) != before and self.row_ready(app)

        for key in (["down"] * 5 + ["pagedown"]) * 20 + (["down"] * 5 + ["pageup"]) * 20:
            await press(key, moved(), "nav")
        if self.kind == "ours":
            screen = app.screen
            assert isinstance(screen, QueueScreen)
            for k in range(20):

                def applied(target: int = 0 if k % 2 else 1) -> bool:
                    return screen.filters.min_priority == target and self.row_ready(app)

                await press("u", applied, "filter")
        for key in (["end", "home"] if self.kind == "ours" else ["ctrl+end", "ctrl+home"]) * 5:
            await press(key, moved(), "jump")
        await ctx.__aexit__(None, None, None)
        if self.kind == "ours":
            app.service.close()  # type: ignore[attr-defined]
        return out


# -- running --------------------------------------------------------------------------------------


def ms(x: float) -> float:
    return round(x * 1000, 2)


def summary(presses: list[tuple[str, int, float]]) -> dict[str, Any]:
    lat = [p[2] for p in presses]
    slowest = sorted(presses, key=lambda p: -p[2])[:3]
    return {
        "median_ms": ms(statistics.median(lat)),
        "p95_ms": ms(pct(lat, 0.95)),
        "max_ms": ms(max(lat)),
        "count": len(lat),
        "slowest": [f"{k} from row {row}: {ms(x)} ms" for k, row, x in slowest],
    }


async def measure(args: argparse.Namespace, hubs: dict[int, Settings]) -> dict[str, Any]:
    res: dict[str, Any] = {}
    smallest = min(hubs)
    for kind in ("ours", "naive"):  # warm-up: imports, CSS, first-use caches
        await Harness(kind, hubs[smallest], smallest).first_paint()
    loads = []
    for _ in range(3):
        svc = HubService.open(hubs[smallest], NAVIGATOR)
        t0 = time.perf_counter()
        _ = svc.sops
        loads.append(time.perf_counter() - t0)
        svc.close()
    res["sop_load_ms"] = ms(statistics.median(loads))
    print(
        f"SOP library load (in a worker after the first paint; shown for reference): "
        f"{res['sop_load_ms']:.1f} ms (median of 3)",
        flush=True,
    )
    for n, settings in hubs.items():
        for kind in ("ours", "naive"):
            h = Harness(kind, settings, n)
            starts = args.starts if kind == "ours" else args.naive_starts
            paints = [await h.first_paint() for _ in range(starts)]
            keys = await h.keys(args.gap)
            res[f"{kind}_{n}"] = {
                "first_paint_ms": ms(statistics.median(paints)),
                "first_paint_all_ms": [ms(p) for p in paints],
                **{k: summary(v) for k, v in keys.items() if v},
            }
            r = res[f"{kind}_{n}"]
            all_ms = ", ".join(f"{p:.0f}" for p in r["first_paint_all_ms"])
            print(
                f"{kind} at {n:,} items: first paint {r['first_paint_ms']:.1f} ms "
                f"(median of {starts} starts: {all_ms})",
                flush=True,
            )
            for group, label in LABELS.items():
                if group in r:
                    g = r[group]
                    print(
                        f"    {label}: median {g['median_ms']:.1f} ms  p95 {g['p95_ms']:.1f} ms  "
                        f"max {g['max_ms']:.1f} ms  ({g['count']} presses; slowest: "
                        f"{'; '.join(g['slowest'])})",
                        flush=True,
                    )
    return res


def comparison(name: str, ours: float, base: float, target: float, **extra: Any) -> dict:
    ratio = ours / base
    print(
        f"{name}: ours {ours:.1f} ms   baseline {base:.1f} ms   ratio {ratio:.3f}   "
        f"(target <= {target}: {'met' if ratio <= target else 'MISSED'})"
    )
    return {
        "name": name,
        "unit": "ms",
        "ours": ours,
        "baseline": base,
        "ratio": round(ratio, 4),
        "target": target,
        "met": ratio <= target,
        **extra,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument("--starts", type=int, default=5, help="timed starts of our app per size")
    ap.add_argument("--naive-starts", type=int, default=3, help="timed starts of the naive app")
    ap.add_argument("--gap", type=float, default=0.03, help="pause before each key press (s)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ehub-bench-") as tmp:
        hubs = {}
        for n in (args.small, args.large):
            t0 = time.perf_counter()
            hubs[n] = build_hub(Path(tmp), n)
            print(f"built a hub of {n:,} queued items in {time.perf_counter() - t0:.1f} s")
        res = asyncio.run(measure(args, hubs))
    s, big = args.small, args.large
    ours_s, ours_b, naive_b = res[f"ours_{s}"], res[f"ours_{big}"], res[f"naive_{big}"]
    comps = [
        comparison(
            "first_paint_scaling",
            ours_b["first_paint_ms"],
            ours_s["first_paint_ms"],
            1.5,
            what=f"ours at {big:,} / ours at {s:,}, median first paint",
        ),
        comparison(
            "first_paint_vs_naive",
            ours_b["first_paint_ms"],
            naive_b["first_paint_ms"],
            0.05,
            what=f"ours / naive DataTable, both at {big:,}, median first paint",
        ),
        comparison(
            "keypress_p95_scaling",
            ours_b["nav"]["p95_ms"],
            ours_s["nav"]["p95_ms"],
            1.5,
            what=f"ours at {big:,} / ours at {s:,}, p95 key-to-frame (down/pagedown/pageup)",
            ours_median=ours_b["nav"]["median_ms"],
            baseline_median=ours_s["nav"]["median_ms"],
        ),
    ]
    print(json.dumps({"comparisons": comps, "benchmark": "queue_ui", "cases": res}))


if __name__ == "__main__":
    main()
