"""The app process that tests/reliability/test_sync_kill.py kills with SIGKILL: a fork server.

Started once (``python -m tests.support.sync_kill_worker HUB DATA_DIR LOCAL_FILE USER [CA]``),
it imports everything the app imports and then waits on stdin. Each ``run`` line forks a child —
a warm start, so 200 kills cost 200 forks rather than 200 interpreter starts — which opens its
hub (HUB a database URL: the embedded hub, HubCore on it; HUB an https URL: the served hub over
HttpClient, trusting the CA file), the workstation's LocalStore (always the same file:
one workstation started again and again) and a ClientService with its sender thread running, as
the app does; signs in; and then claims and completes items in a loop, writing
``saved <event_id>`` to stdout after each ``complete()`` has returned (its local transaction
committed: what the screen calls saved), until the test kills it. The server answers ``pid N``
for each child; ``quit`` ends it.

Lines are written with one ``os.write`` each (shorter than PIPE_BUF: never interleaved).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.local import LocalStore
from ehub_tui.client.service import ClientService
from ehub_tui.config import Settings
from ehub_tui.domain.models import Outcome
from ehub_tui.hub.core import HubCore
from tests.support.hubserver import PASSWORD, fast_hasher


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def child(hub: str, data_dir: Path, local_file: Path, user: str, ca: str | None) -> None:
    """One app run: complete items until killed (or the queue is empty: then wait to die)."""
    client: Any
    if hub.startswith("https://"):
        from ehub_tui.client.http.client import HttpClient

        settings = Settings(data_dir=data_dir, sync_wait_seconds=0.0)
        client = HttpClient(hub, ca_file=Path(ca) if ca else None, device_id="ws-kill")
    else:
        settings = Settings(data_dir=data_dir, hub_url=hub, sync_wait_seconds=0.0)
        core = HubCore.open(settings, hasher=fast_hasher(), migrate=False)
        client = InProcessClient(core, "ws-kill")
    store = LocalStore(local_file, device_id="ws-kill", hub_key="kill-hub")
    svc = ClientService(client, settings, local=store, hasher=fast_hasher())
    svc.sign_in(user, PASSWORD)
    n = 0
    while True:
        held = [h.claim for h in store.held(user)]  # what an earlier run left held: finish it
        claim = held[0] if held else svc.claim_next()
        if claim is None:
            _say("empty")
            signal.pause()
            continue
        n += 1
        outcome = Outcome(
            category="admin",
            route="kill9",
            destination="Fit note",
            note=f"completed in run {os.getpid()}, item {n}",
            handling_seconds=12.0,
        )
        done = svc.complete(claim, outcome)
        _say(f"saved {done.event_id}")


def main() -> int:
    hub_url, data_dir, local_file, user = sys.argv[1:5]
    ca = sys.argv[5] if len(sys.argv) > 5 else None
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    _say("ready")
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            return 0
        if command != "run":
            continue
        pid = os.fork()
        if pid == 0:
            try:
                child(hub_url, Path(data_dir), Path(local_file), user, ca)
            except BaseException as exc:  # a crash must say why, not look like a kill
                _say(f"error {type(exc).__name__}: {exc}")
            finally:
                os._exit(1)
        _say(f"pid {pid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
