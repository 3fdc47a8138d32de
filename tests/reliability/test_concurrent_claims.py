"""8 real processes claim from 5,000 queued items, and 16 from 2,000: every item is claimed
exactly once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx
from ehub_tui.store.models import Consultation
from tests.conftest import REPO
from tests.support.factories import many_rows


@pytest.mark.parametrize(("processes", "items"), [(8, 5000), (16, 2000)], ids=["8x5000", "16x2000"])
def test_processes_claim_each_item_exactly_once(
    seeded: HubService, hub_url: str, tmp_path: Path, processes: int, items: int
) -> None:
    for n in range(processes):
        seeded.add_user(f"worker{n}", "navigator")
    created, _ = seeded.store_intake(many_rows(items))
    all_ids = {cid for _, cid in created}
    assert len(all_ids) == items

    go = tmp_path / "go"
    logs = [tmp_path / f"claims-{n}.log" for n in range(processes)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.claim_worker",
                hub_url,
                f"worker{n}",
                str(logs[n]),
                str(go),
            ],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    go.touch()
    for p in procs:
        _, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr

    # The independent log: every id once, across all processes.
    claimed: Counter[int] = Counter()
    by_worker: dict[int, str] = {}
    for n, log in enumerate(logs):
        for line in log.read_text().splitlines():
            item, epoch = map(int, line.split())
            claimed[item] += 1
            by_worker[item] = f"worker{n}"
            assert epoch == 1
    doubles = [i for i, c in claimed.items() if c > 1]
    assert doubles == []
    assert set(claimed) == all_ids
    # Several processes really took part.
    assert len({w for w in by_worker.values()}) > 1

    # The hub agrees with the log: each item claimed by the process that logged it.
    C = Consultation.__table__
    with read_tx(seeded.engine) as conn:
        rows = conn.execute(select(C.c.id, C.c.status, C.c.owner, C.c.epoch)).all()
    assert all(r.status == "claimed" and r.epoch == 1 for r in rows)
    assert {r.id: r.owner for r in rows} == by_worker
    claims = [e for e in seeded.audit_log(limit=items * 3) if e.action == "claim"]
    assert len(claims) == items
    assert seeded.verify_audit().ok
