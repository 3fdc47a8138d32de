"""kill -9 of the app at random moments while it completes items, 200 times: every outcome the
app reported saved (``complete()`` had returned) has exactly one outbox row and its outcome row
in the workstation's local store, the local file and the hub's pass ``PRAGMA integrity_check``,
and once the workstation is started again and drained, the hub has every saved outcome exactly
once. On the embedded SQLite hub (the app opens the hub's file itself: a kill can land in a hub
transaction too) and on a PostgreSQL hub served over HTTPS.

The app is tests/support/sync_kill_worker.py: a warm fork server whose children each open the
embedded hub, the same local store file and a ClientService with its sender thread, sign in and
claim and complete in a loop, printing ``saved <event_id>`` after each completion. The test kills
a child with SIGKILL after a random number of saves (0-3) and a random further delay (0-30 ms),
so the kill lands anywhere: in a claim's hub transaction, the local completion's transaction, the
sender's push or its recording of the hub's answers. The local file is on the real disk
(tmp_path), as the app's is.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.local import LocalStore
from ehub_tui.client.local.base import OB
from ehub_tui.client.service import ClientService
from ehub_tui.config import Settings
from ehub_tui.hub.core import HubCore
from tests.conftest import REPO
from tests.support.hubserver import PASSWORD, TestTls, fast_hasher, served
from tests.support.sync_hub import HubTemplate, hub_facts

KILLS = int(os.environ.get("EHUB_SYNC_KILLS", "200"))
ITEMS = 1200
USER = "nav1"


class App:
    """The fork server and a thread reading what its children say."""

    def __init__(
        self, hub_url: str, data_dir: Path, local_file: Path, ca: Path | None = None
    ) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.sync_kill_worker",
                hub_url,
                str(data_dir),
                str(local_file),
                USER,
                *([str(ca)] if ca else []),
            ],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.saved: list[str] = []
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.expect("ready", 60).startswith("ready")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("saved "):
                self.saved.append(line.split()[1])
            elif line.startswith("error "):
                self.errors.append(line)
            self.lines.put(line)

    def expect(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"the app said nothing starting {prefix!r} within {timeout} s"
            line = self.lines.get(timeout=left)
            assert not line.startswith("error "), line
            if line.startswith(prefix):
                return line

    def run(self) -> int:
        """Start a child; its pid."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return int(self.expect("pid ", 30).split()[1])

    def quit(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(params=["sqlite", "postgresql"])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[HubCore, str, Any]]:
    """SQLite: the embedded hub the app opens itself (its URL); PostgreSQL: a served hub (this
    process) the app reaches over HTTPS (its https URL and the CA)."""
    if request.param == "sqlite":
        template = HubTemplate.make(tmp_path / "hub", ITEMS)
        core = HubCore.open(
            Settings(data_dir=template.folder, hub_url=template.url),
            hasher=fast_hasher(),
            migrate=False,
        )
        yield core, template.url, None
        core.close()
        return
    template = HubTemplate.make(tmp_path / "hub", ITEMS, pg=request.getfixturevalue("pg_server"))
    core = HubCore.open(
        Settings(data_dir=template.folder, hub_url=template.url), hasher=fast_hasher()
    )
    tls = TestTls.make(tmp_path / "tls")
    with served(core, tls) as server:
        yield core, server.url, tls
    core.close()


def test_kill_9_at_random_moments_during_completion(
    hub: tuple[HubCore, str, Any], tmp_path: Path
) -> None:
    rng = random.Random(14)
    core, hub_url, tls = hub
    local_file = tmp_path / "ws" / "local.sqlite3"
    app = App(hub_url, tmp_path / "ws-data", local_file, tls.ca_file if tls else None)
    kills = 0
    started = time.monotonic()
    try:
        while kills < KILLS:
            before = len(app.saved)
            pid = app.run()
            target = before + rng.randint(0, 3)
            deadline = time.monotonic() + 60
            while len(app.saved) < target:  # a few saves, then a moment more
                assert not app.errors, app.errors
                assert time.monotonic() < deadline, "the app stopped saving"
                time.sleep(0.001)
            time.sleep(rng.uniform(0.0, 0.03))
            os.kill(pid, signal.SIGKILL)
            while not _gone(pid):
                time.sleep(0.001)
            kills += 1
    finally:
        app.quit()
    took = time.monotonic() - started
    assert not app.errors, app.errors
    saved = list(app.saved)
    print(f"{kills} kills, {len(saved)} completions reported saved, {took:.1f} s")
    assert len(saved) >= KILLS // 2  # most kills fell among completions

    # every completion reported saved: exactly one outbox row, its outcome row; the file is sound
    store = LocalStore(local_file, device_id="ws-kill", hub_key="kill-hub")
    try:
        assert store.integrity_check() == "ok"
        rows = store.rows()
        by_id = Counter(r.event_id for r in rows)
        completes = [r for r in rows if r.kind == "complete"]
        assert all(by_id[e] == 1 for e in saved), "a saved outcome without exactly one row"
        # never two completions of the same item here (the store's rows, device order unique)
        assert len({r.item_id for r in completes}) == len(completes)
        with store._read() as conn:
            seqs = conn.execute(select(OB.c.device_seq)).scalars().all()
        assert len(seqs) == len(set(seqs))
        local = {o["event_id"]: o for o in store.outcomes()}
        assert set(saved) <= set(local)
    finally:
        store.close()
    if tls is None:  # the embedded hub's file, written by the killed processes too
        with sqlite3.connect(core.settings.data_dir / "hub.sqlite3") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # started once more and drained: the hub has every saved outcome, once
    settings = Settings(data_dir=tmp_path / "ws-data", sync_wait_seconds=0.0)
    client: Any = InProcessClient(core, "ws-kill")
    if tls is not None:
        client = HttpClient(hub_url, ca_file=tls.ca_file, device_id="ws-kill")
    store = LocalStore(local_file, device_id="ws-kill", hub_key="kill-hub")
    svc = ClientService(client, settings, local=store)
    try:
        svc.sign_in(USER, PASSWORD)
        status = svc.sync_drain(60)
        assert status.pending == 0 and status.rejected == 0, status
        facts = hub_facts(core)
        by_event = Counter(o.event_id for o in facts.outcomes if o.event_id)
        assert all(by_event[e] == 1 for e in saved), "a saved outcome missing or twice"
        assert all(n == 1 for n in by_event.values())
        assert all(facts.events[e].state == "accepted" for e in saved)
        for row in store.rows():
            assert row.state == "acked", row
    finally:
        svc.close()
