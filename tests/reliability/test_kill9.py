"""kill -9 at any moment loses nothing acknowledged: worker processes claim and complete items
while the test kills one with SIGKILL again and again (each time after it acknowledged a random
few more outcomes) and starts it again. Afterwards every acknowledged outcome is in the hub as
logged, the claims the killed processes held are rescued once their leases run out by the hub's
clock (moved on by the test), and every item ends completed exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.models import Consultation, Outcome
from tests.conftest import REPO
from tests.support.factories import many_rows

WORKERS = 4
ITEMS = 400
KILLS = 12

C = Consultation.__table__  # type: ignore[attr-defined]
O = Outcome.__table__  # type: ignore[attr-defined]  # noqa: E741


def _start(hub_url: str, user: str, log: Path, drain: Path | None = None) -> subprocess.Popen[str]:
    extra = [str(drain)] if drain is not None else []
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability.complete_worker",
            hub_url,
            user,
            str(log),
            *extra,
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )


def _age_leases(svc: HubService, step: timedelta) -> None:
    """The hub's time passing for other processes too (whose clock a test cannot inject): every
    lease end moves back by ``step``, the same for every judgement of a lease."""
    with write_tx(svc.engine) as conn:
        rows = conn.execute(select(C.c.id, C.c.lease_until).where(C.c.lease_until.is_not(None)))
        for item_id, ends in rows.all():
            conn.execute(update(C).where(C.c.id == item_id).values(lease_until=ends - step))


def _lines(log: Path) -> int:
    try:
        return log.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_kill_9_loses_no_acknowledged_outcome(
    seeded: HubService, hub_url: str, tmp_path: Path
) -> None:
    rng = random.Random(11)
    users = [f"k{n}" for n in range(WORKERS)]
    for user in users:
        seeded.add_user(user, "navigator")
    created, _ = seeded.store_intake(many_rows(ITEMS))
    stored = ITEMS
    # the workers wait for more work until this exists: the queue is topped up while the test
    # kills, so however fast they are, they cannot all finish before enough kills
    drain = tmp_path / "drain"
    logs = {u: tmp_path / f"{u}.log" for u in users}
    procs = {u: _start(hub_url, u, logs[u], drain) for u in users}
    kills = 0
    deadline = time.monotonic() + 240

    def top_up() -> None:
        nonlocal stored, created
        with read_tx(seeded.engine) as conn:
            queued = conn.execute(select(func.count()).where(C.c.status == "queued")).scalar_one()
        if queued < 50:
            more, _ = seeded.store_intake(many_rows(100, start=stored))
            created += more
            stored += 100

    while kills < KILLS and time.monotonic() < deadline:
        top_up()
        live = [u for u in users if procs[u].poll() is None]
        if not live:
            break
        victim = rng.choice(live)
        target = _lines(logs[victim]) + rng.randint(1, 6)
        # await the victim acknowledging a few more outcomes (or finishing), then kill it
        while _lines(logs[victim]) < target and procs[victim].poll() is None:
            if time.monotonic() > deadline:
                break
            top_up()  # a restarted victim may start after the others emptied the queue
            time.sleep(0.005)
        if procs[victim].poll() is None:
            os.kill(procs[victim].pid, signal.SIGKILL)
            procs[victim].wait(timeout=30)
            kills += 1
            procs[victim] = _start(hub_url, victim, logs[victim], drain)
    drain.touch()
    for user, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{user}: {err}"
    assert kills == KILLS, f"only {kills} kills before the deadline"

    # the killed workers' claims stay held until their leases run out, by the hub's clock
    with read_tx(seeded.engine) as conn:
        held = conn.execute(select(func.count()).where(C.c.status == "claimed")).scalar_one()
    _age_leases(seeded, timedelta(minutes=11))
    last = tmp_path / "last.log"
    proc = _start(hub_url, users[0], last)  # an empty queue rescues at once, then drains
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert _lines(last) == held

    # every acknowledged outcome is in the hub exactly as logged
    acknowledged: dict[int, tuple[str, int, int]] = {}
    for user, log in [*logs.items(), (users[0], last)]:
        for line in log.read_text().splitlines():
            item, epoch, outcome_id = map(int, line.split())
            assert item not in acknowledged, f"consultation {item} completed twice"
            acknowledged[item] = (user, epoch, outcome_id)
    with read_tx(seeded.engine) as conn:
        outcomes = {
            r.consultation_id: (r.navigator, r.epoch, r.id)
            for r in conn.execute(select(O.c.consultation_id, O.c.navigator, O.c.epoch, O.c.id))
        }
        statuses: dict[str, int] = dict(
            conn.execute(select(C.c.status, func.count()).group_by(C.c.status)).all()
        )
    for item, seen in acknowledged.items():
        assert outcomes.get(item) == seen, f"acknowledged outcome of {item} lost or changed"
    # a kill between commit and log line leaves an outcome nobody logged: never a lost one
    assert set(acknowledged) <= set(outcomes)
    assert len(outcomes) == stored and statuses == {"completed": stored}
    assert {cid for _, cid in created} == set(outcomes)
    expired = [e for e in seeded.audit_log(limit=stored * 5) if e.action == "lease_expired"]
    assert len(expired) == held
    assert seeded.verify_audit().ok
