"""One claiming process for benchmarks/claim.py.

Modes:
- ours: HubService.claim_next (SQLAlchemy, role check, audit chain) until the queue is empty;
- raw:  the same claim and the same audit event written with the bare DB driver (sqlite3 or
        psycopg) and hand-written SQL: the baseline.

Usage: python benchmarks/_claim_worker.py MODE HUB_URL USER LOG GO
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LEASE = timedelta(minutes=10)


def _wait(go: str) -> None:
    Path(sys.argv[4] + ".ready").touch()  # set up: the timer starts when all are ready
    while not os.path.exists(go):
        time.sleep(0.005)


def ours(url: str, user: str, log_path: str, go: str) -> None:
    from ehub_tui.config import Settings
    from ehub_tui.service import HubService

    service = HubService.open(
        Settings(data_dir=Path(log_path).parent, hub_url=url), user, migrate=False
    )
    _wait(go)
    with open(log_path, "w") as log:
        while (claim := service.claim_next()) is not None:
            log.write(f"{claim.item_id}\n")
    service.close()


def _canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _audit_row(prev: str, seq: int, now: datetime, user: str, item: int, epoch: int) -> tuple:
    body = _canonical({"epoch": epoch})
    bd = hashlib.sha256(body.encode()).hexdigest()
    core = {
        "seq": seq,
        "at": now.isoformat(timespec="microseconds"),
        "actor": user,
        "action": "claim",
        "item": item,
        "body": bd,
    }
    h = hashlib.sha256((prev + _canonical(core)).encode()).hexdigest()
    return (seq, now.replace(tzinfo=None), user, "claim", item, body, bd, prev, h)


SQLITE_CLAIM = """
UPDATE consultation SET status='claimed', owner=?, epoch=epoch+1, lease_until=?, claimed_at=?,
       first_claimed_at=COALESCE(first_claimed_at, ?), updated_at=?
WHERE id = (SELECT id FROM consultation INDEXED BY ix_consultation_queue
            WHERE status='queued' ORDER BY priority DESC, received_at, id LIMIT 1)
  AND status='queued'
RETURNING id, epoch"""
PG_CLAIM = """
WITH next AS (SELECT id FROM consultation WHERE status='queued'
              ORDER BY priority DESC, received_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE consultation c SET status='claimed', owner=%s, epoch=c.epoch+1, lease_until=%s,
       claimed_at=%s, first_claimed_at=COALESCE(c.first_claimed_at, %s), updated_at=%s
FROM next WHERE c.id = next.id RETURNING c.id, c.epoch"""
AUDIT_INSERT = (
    "INSERT INTO audit_event (seq, at, actor, action, consultation_id, body, "
    "body_digest, prev_hash, hash) VALUES ({p})"
)


def raw_sqlite(path: str, user: str, log_path: str, go: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    ins = AUDIT_INSERT.format(p=",".join("?" * 9))
    _wait(go)
    with open(log_path, "w") as log:
        while True:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError:
                    time.sleep(random.uniform(0.001, 0.02))
            now = datetime.now(UTC)
            naive = now.replace(tzinfo=None)
            row = conn.execute(SQLITE_CLAIM, (user, naive + LEASE, naive, naive, naive)).fetchone()
            if row is None:
                conn.execute("COMMIT")
                break
            seq, prev = conn.execute("SELECT seq, hash FROM audit_head WHERE id=1").fetchone()
            conn.execute(ins, _audit_row(prev, seq + 1, now, user, row[0], row[1]))
            a = _audit_row(prev, seq + 1, now, user, row[0], row[1])
            conn.execute("UPDATE audit_head SET seq=?, hash=? WHERE id=1", (seq + 1, a[-1]))
            conn.execute("COMMIT")
            log.write(f"{row[0]}\n")
    conn.close()


def raw_pg(dsn: str, user: str, log_path: str, go: str) -> None:
    import psycopg

    conn = psycopg.connect(dsn)
    ins = AUDIT_INSERT.format(p=",".join(["%s"] * 9))
    _wait(go)
    with open(log_path, "w") as log:
        while True:
            with conn.transaction():
                now = datetime.now(UTC)
                naive = now.replace(tzinfo=None)
                row = conn.execute(PG_CLAIM, (user, naive + LEASE, naive, naive, naive)).fetchone()
                if row is None:
                    break
                seq, prev = conn.execute(
                    "SELECT seq, hash FROM audit_head WHERE id=1 FOR UPDATE"
                ).fetchone()
                a = _audit_row(prev, seq + 1, now, user, row[0], row[1])
                conn.execute(ins, a)
                conn.execute("UPDATE audit_head SET seq=%s, hash=%s WHERE id=1", (seq + 1, a[-1]))
            log.write(f"{row[0]}\n")
    conn.close()


def main() -> None:
    mode, url, user, log_path, go = sys.argv[1:6]
    if mode == "ours":
        ours(url, user, log_path, go)
    elif url.startswith("sqlite"):
        raw_sqlite(url.removeprefix("sqlite:///"), user, log_path, go)
    else:
        from sqlalchemy.engine import make_url

        u = make_url(url)
        raw_pg(
            f"host={u.host} port={u.port} user={u.username} dbname={u.database}", user, log_path, go
        )


if __name__ == "__main__":
    main()
