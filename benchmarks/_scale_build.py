"""Building the hubs benchmarks/scale.py measures, and running commands with their peak memory.

Kept under ``--cache``:

- ``oc-<n>-s<seed>.ndjson``: n generated OCs (ehub_tui/ingest/generate.py), FHIR NDJSON;
- ``hub-<n>-s<seed>-m<head>/``: a hub home (``EHUB_TUI_HOME``) whose ``hub.sqlite3`` was built by
  ``ehub-tui ingest FILE`` (the CLI users run, as a subprocess), and ``build.json`` beside it with
  that run's wall time, peak RSS and the commit it ran at. A hub is reused while the code's
  migrations head is the one in its name; ``--reingest`` builds it again (and so measures the
  ingest again) whatever the head.

Run as a script (``python benchmarks/_scale_build.py lib FILE HOME``) it is the library side of
``ingest_cli_vs_library``: the same file into a fresh hub through ``Ingester.ingest_paths``,
built as the CLI builds it (each stored batch screened at once, where the code has that), and
the same red-flag prescreen the CLI runs after it; timed in-process, the wall printed as JSON.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRACTICES = ROOT / "fixtures" / "practices.yaml"
CLI = [sys.executable, "-m", "ehub_tui.cli"]


@dataclass
class Run:
    """One subprocess: its wall time, its peak resident set (MiB) and its output."""

    wall: float
    rss_mib: float
    stdout: str
    returncode: int


def run_measured(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run argv and wait for it with os.wait4, which gives that child's own resource usage: its
    ru_maxrss is the peak RSS of this one process (getrusage(RUSAGE_CHILDREN) would give the
    largest of every child this process ever waited for)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    # read the pipes on threads-free terms: communicate() would reap the child itself, so
    # the output goes to temporary files instead when it may be large; ours are small
    out, errs = _drain(proc)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: something quarantined or not verified (reported)
        raise SystemExit(f"{' '.join(argv[2:])} failed ({proc.returncode}): {errs[-800:]}")
    return Run(wall, usage.ru_maxrss / 1024, out, proc.returncode)


def _drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Read stdout to its end, then stderr (stderr is kept short by --json runs)."""
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    errs = proc.stderr.read()
    return out, errs


def hub_env(home: Path) -> dict[str, str]:
    """The environment of a command on the hub in ``home`` (an embedded SQLite hub)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EHUB_TUI_")}
    env.update(
        EHUB_TUI_HOME=str(home),
        EHUB_TUI_HUB_URL=f"sqlite:///{home / 'hub.sqlite3'}",
        EHUB_TUI_LOG_LEVEL="warning",
        # a 1M-item NDJSON file is ~1 GB, over the default 512 MiB a file may be
        EHUB_TUI_MAX_FILE_BYTES=str(4 << 30),
    )
    return env


def migrations_head() -> str:
    from ehub_tui.store.migrate import HEAD

    return HEAD


def commit() -> str:
    """The commit measured: EHUB_BENCH_COMMIT when set (a tree exported with `git archive`,
    so others' uncommitted edits are not measured), else this checkout's HEAD."""
    if os.environ.get("EHUB_BENCH_COMMIT"):
        return os.environ["EHUB_BENCH_COMMIT"]
    got = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return got.stdout.strip() or "unknown"


def ensure_file(cache: Path, n: int, seed: int, say: Callable[[str], None]) -> Path:
    """The generated NDJSON of n OCs (written once, then reused)."""
    from ehub_tui.ingest import generate

    path = cache / f"oc-{n}-s{seed}.ndjson"
    if not path.exists():
        say(f"generating {n:,} OCs into {path.name} …")
        part = path.with_suffix(".part")
        generate.write_ndjson(generate.generate_records(n, seed), part)
        part.rename(path)
    return path


def fresh_home(home: Path) -> dict[str, str]:
    """An empty hub home with the fixture practices (untimed)."""
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    env = hub_env(home)
    subprocess.run([*CLI, "practices", "import", str(PRACTICES)], env=env, check=True, cwd=ROOT,
                   capture_output=True)  # fmt: skip
    return env


def cli_ingest(src: Path, home: Path) -> Run:
    """``ehub-tui ingest --json FILE`` into a fresh hub at ``home``: wall and peak RSS."""
    env = fresh_home(home)
    run = run_measured([*CLI, "ingest", "--json", str(src)], env)
    stored = json.loads(run.stdout)["totals"]["new"]
    if run.returncode != 0:
        raise SystemExit(f"ingest of {src.name} quarantined or refused records")
    return Run(run.wall, run.rss_mib, str(stored), 0)


def lib_ingest(src: Path, home: Path) -> Run:
    """The library path in a subprocess (this file as a script): its in-process wall."""
    env = fresh_home(home)
    run = run_measured([sys.executable, __file__, "lib", str(src), str(home)], env)
    got = json.loads(run.stdout.strip().splitlines()[-1])
    return Run(got["wall"], run.rss_mib, str(got["new"]), 0)


def hub_dir(cache: Path, n: int, seed: int) -> Path:
    return cache / f"hub-{n}-s{seed}-m{migrations_head()}"


def cached_build(cache: Path, n: int, seed: int) -> dict[str, Any] | None:
    """The build record of a reusable hub of n items, or None."""
    meta = hub_dir(cache, n, seed) / "build.json"
    if not meta.exists():
        return None
    got: dict[str, Any] = json.loads(meta.read_text(encoding="utf-8"))
    return got


def record_build(cache: Path, n: int, seed: int, run: Run, home: Path) -> dict[str, Any]:
    """Keep the hub just built by ``cli_ingest`` at ``home`` as the cached hub of n items."""
    final = hub_dir(cache, n, seed)
    if final.exists():
        shutil.rmtree(final)
    home.rename(final)
    meta = {
        "items": n,
        "seed": seed,
        "commit": commit(),
        "migrations_head": migrations_head(),
        "cli_wall_s": round(run.wall, 2),
        "cli_rss_mib": round(run.rss_mib, 1),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (final / "build.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def _lib_main(src: str, home: str) -> None:
    from ehub_tui.config import Settings
    from ehub_tui.ingest.runner import Ingester
    from ehub_tui.service import HubService

    settings = Settings(data_dir=Path(home), hub_url=f"sqlite:///{Path(home) / 'hub.sqlite3'}")
    svc = HubService.open(settings)
    t0 = time.perf_counter()
    # as the CLI builds it: each stored batch screened at once where the Ingester can
    inline = "screen_batches" in inspect.signature(Ingester).parameters
    kwargs = {"screen_batches": True} if inline else {}
    report = Ingester(svc, settings=settings, **kwargs).ingest_paths([Path(src)])
    # what `ehub-tui ingest` does next (cli/ingest.py prescreen): screen the new items
    if svc.guidance_state().available:
        while svc.prescreen(1000):
            pass
    wall = time.perf_counter() - t0
    svc.close()
    print(json.dumps({"wall": wall, "new": report.new}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "lib":
        _lib_main(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: _scale_build.py lib FILE HOME")
