"""Streaming ingest keeps memory flat in the file's size (issue 18): each ingest runs in a child
process of its own, whose peak RSS (ru_maxrss) is what is compared."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ehub_tui.ingest import generate
from ehub_tui.practices import load_practices
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.db  # the children open real SQLite hubs

# argv: file, hub, address-space limit in bytes (0: none). The limit is set before any import.
CHILD = """
import resource, sys
limit = int(sys.argv[3])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from pathlib import Path
from ehub_tui.config import Settings
from ehub_tui.ingest.runner import Ingester
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
hub = Path(sys.argv[2])
svc = HubService.open(Settings(data_dir=hub.parent, hub_url=f"sqlite:///{hub}"))
svc.import_practices(load_practices(Path(sys.argv[4])))
report = Ingester(svc, settings=svc.settings, stream_min_bytes=0).ingest_paths([Path(sys.argv[1])])
svc.close()
print(report.new, report.quarantined, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _file(tmp: Path, n: int) -> Path:
    path = tmp / f"oc{n}.ndjson"
    codes = [p["ods_code"] for p in load_practices(FIXTURES / "practices.yaml")]
    generate.write_ndjson(generate.generate_records(n, seed=18, practices=codes), path)
    return path


def _ingest(path: Path, hub: Path, limit: int = 0) -> tuple[int, int, int]:
    """(new, quarantined, peak RSS in KiB) of a child process that ingests ``path``."""
    hub.parent.mkdir(parents=True, exist_ok=True)
    args = [str(path), str(hub), str(limit), str(FIXTURES / "practices.yaml")]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    new, quarantined, rss = (int(x) for x in done.stdout.split())
    return new, quarantined, rss


def test_peak_memory_is_flat_in_file_size(tmp_path: Path) -> None:
    small = _ingest(_file(tmp_path, 5_000), tmp_path / "a" / "hub.sqlite3")
    large = _ingest(_file(tmp_path, 25_000), tmp_path / "b" / "hub.sqlite3")
    assert small[:2] == (5_000, 0) and large[:2] == (25_000, 0)
    # five times the records, nearly the same peak (the page cache fills as the hub grows)
    assert large[2] <= 1.3 * small[2], (small[2], large[2])


def test_ingest_under_a_memory_limit(tmp_path: Path) -> None:
    new, quarantined, _ = _ingest(_file(tmp_path, 5_000), tmp_path / "hub.sqlite3", 1 << 30)
    assert (new, quarantined) == (5_000, 0)
