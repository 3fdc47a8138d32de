"""8 real processes claim from 5,000 queued items: every item is claimed exactly once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx
from ehub_tui.store.models import Consultation
from tests.conftest import REPO
from tests.support.factories import many_rows

PROCESSES = 8
ITEMS = 5000


def test_eight_processes_claim_each_item_exactly_once(
    seeded: HubService, hub_url: str, tmp_path: Path
) -> None:
    for n in range(PROCESSES):
        seeded.add_user(f"worker{n}", "navigator")
    created, _ = seeded.store_intake(many_rows(ITEMS))
    all_ids = {cid for _, cid in created}
    assert len(all_ids) == ITEMS

    go = tmp_path / "go"
    logs = [tmp_path / f"claims-{n}.log" for n in range(PROCESSES)]
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
        for n in range(PROCESSES)
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
    claims = [e for e in seeded.audit_events(limit=ITEMS * 3) if e["action"] == "claim"]
    assert len(claims) == ITEMS
    assert seeded.verify_audit().ok
