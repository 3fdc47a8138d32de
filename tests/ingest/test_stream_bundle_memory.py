"""A streamed Bundle keeps memory flat in the file's size (issue 18), also when every response's
Patient is an entry of its own after all the responses (the references the first pass indexes).
Each read runs in a child process of its own, whose peak RSS (ru_maxrss) is compared."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ehub_tui.ingest import generate
from tests.conftest import REPO

# argv: file. Reads the Bundle as the ingest does (both passes), storing nothing: what is
# measured is the reader's memory, not the hub's page cache (64 MiB, filling as the hub grows)
CHILD = """
import resource, sys
from pathlib import Path
from ehub_tui.ingest.bundle_stream import open_bundle
streamed = open_bundle(Path(sys.argv[1]), max_bytes=None, max_record_bytes=1 << 20,
                       whole_ok=False)
good = sum(r.data is not None for r in streamed.records)
streamed.close()
print(good, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _bundle(tmp: Path, n: int) -> Path:
    """A searchset of ``n`` generated responses, then each one's Patient as its own entry;
    written an entry at a time, so that this process stays small (a child's peak RSS counts
    the parent's size at the fork)."""
    path = tmp / f"bundle{n}.json"
    with path.open("w", encoding="utf-8") as f:
        f.write('{"resourceType": "Bundle", "type": "searchset", "entry": [')
        for part in ("responses", "patients"):
            for i, record in enumerate(generate.generate_records(n, seed=18)):
                qr = generate.to_fhir(record)
                [pat] = qr.pop("contained")
                url = f"urn:uuid:patient-{i}"
                qr["subject"] = {"reference": url}
                entry = (
                    {"fullUrl": f"urn:uuid:qr-{i}", "resource": qr}
                    if part == "responses"
                    else {"fullUrl": url, "resource": {**pat, "id": f"patient-{i}"}}
                )
                sep = "" if part == "responses" and i == 0 else ",\n"
                f.write(sep + json.dumps(entry, ensure_ascii=False))
        f.write("]}\n")
    return path


def _read(path: Path) -> tuple[int, int]:
    """(records read, peak RSS in KiB) of a child process that reads ``path``."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    good, rss = (int(x) for x in done.stdout.split())
    return good, rss


def test_a_streamed_bundle_keeps_memory_flat(tmp_path: Path) -> None:
    small = _read(_bundle(tmp_path, 2_000))
    large = _read(_bundle(tmp_path, 10_000))
    assert small[0] == 2_000 and large[0] == 10_000
    # five times the entries (and Patients to look up, all after the responses): nearly the
    # same peak (read whole, the large one's JSON alone would take over 100 MiB more)
    assert large[1] <= 1.2 * small[1], (small[1], large[1])
