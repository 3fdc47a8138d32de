"""The processes benchmarks/hub_api.py starts: a served hub, a claiming client, a group of polling
workstations.

Modes (each prints nothing on success but what its caller reads; failures exit non-zero):

- ``serve HUB_URL DATA_DIR CERT KEY PORT POOL``: the hub as ``ehub-tui hub serve`` runs it
  (``hub.serve.serve``: HubCore + the FastAPI app on uvicorn, TLS, 127.0.0.1:PORT), with
  ``hub_pool_size`` = POOL, until its stdin closes (the parent's end of a pipe) or SIGTERM.
- ``claim KIND HUB DATA_DIR USER PASSWORD CA LOG GO``: one navigator's client (KIND ``http``: HTTPS
  to the served hub at base URL HUB, checked against CA; ``inprocess``: its own HubCore over the
  database HUB) signs in, touches LOG.ready, waits for GO, then claims the next item and completes
  it until the queue is empty, logging each item id to LOG.
- ``poll KIND HUB DATA_DIR USERS PASSWORD CA OUT GO SECONDS``: one thread per workstation in USERS
  (comma-separated); each signs in, claims one item, touches OUT.ready when all have, waits for
  GO, then every second does what the app's 1 s poll does (view_counts, the first queue page,
  heartbeat_held) for SECONDS; OUT gets a JSON summary (rounds, late rounds, round times, errors,
  this process's CPU seconds).

Passwords arrive on the command line because these are throwaway benchmark accounts on a
throwaway hub; nothing real is ever signed in with them.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGE = 100  # the queue table's page (ehub_tui/ui/widgets/queue_table.py)


def cheap_hasher() -> Any:
    """argon2 at its cheapest: sign-in is not what is measured, and 50 sign-ins at the real
    64 MiB cost would only slow the set-up (the hash parameters are in each stored hash)."""
    import argon2

    return argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)


def settings_for(url: str, data_dir: str, **extra: Any) -> Any:
    from ehub_tui.config import Settings

    return Settings(data_dir=Path(data_dir), hub_url=url, **extra)


def open_core(url: str, data_dir: str, **extra: Any) -> Any:
    """The hub's core over an existing database (no migration: the template is at head)."""
    from ehub_tui.hub.core import HubCore

    return HubCore.open(settings_for(url, data_dir, **extra), hasher=cheap_hasher(), migrate=False)


def device_for(user: str) -> str:
    """A device id per simulated workstation (a uuid4 string, as client/device.py makes)."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ehub-bench/{user}/{os.getpid()}"))


def http_client(base_url: str, ca_file: str, user: str) -> Any:
    """An HTTPS client to the served hub, as a workstation configured with hub_server_url holds."""
    from ehub_tui.client.http import HttpClient

    return HttpClient(base_url, ca_file=Path(ca_file), device_id=device_for(user))


def inprocess_client(core: Any, user: str) -> Any:
    """The embedded hub's client: each call authenticates and runs core.for_principal(p)."""
    from ehub_tui.client.inprocess import InProcessClient

    return InProcessClient(core, device_id=device_for(user))


# -- serve ----------------------------------------------------------------------------------------


def serve(url: str, data_dir: str, cert: str, key: str, port: str, pool: str) -> None:
    from ehub_tui.hub import serve as hub_serve
    from ehub_tui.hub.core import HubCore
    from ehub_tui.service.opening import _attach_signer
    from ehub_tui.store.engine import Timeouts, create_hub_engine

    settings = settings_for(
        url, data_dir, hub_pool_size=int(pool), tls_cert_file=Path(cert), tls_key_file=Path(key)
    )
    # the engine a hub server opens: exactly hub_pool_size PostgreSQL connections, no overflow
    # (open_engine keeps a workstation's 5 + 5), and the audit signer as open_engine attaches it
    engine = create_hub_engine(
        settings.database_url, timeouts=Timeouts.from_settings(settings), pool_size=int(pool)
    )
    _attach_signer(engine, settings)
    core = HubCore(engine, settings, hasher=cheap_hasher())
    # the parent holds our stdin's other end: when it closes (even if the parent is killed),
    # stop as `hub serve` stops on SIGTERM (uvicorn's own handler: requests in flight finish)
    threading.Thread(
        target=lambda: (sys.stdin.read(), os.kill(os.getpid(), signal.SIGTERM)), daemon=True
    ).start()
    # exactly what `ehub-tui hub serve` runs (uvicorn binding host:port itself), not ServedHub:
    # ServedHub's pre-bound socket lacks TCP_NODELAY, which adds ~40 ms to every reply
    hub_serve.serve(core, host="127.0.0.1", port=int(port))
    core.close()


# -- claim ----------------------------------------------------------------------------------------


def _wait_for(go: str) -> None:
    while not os.path.exists(go):
        time.sleep(0.005)


def outcome() -> Any:
    """The outcome every benchmark claim is completed with (a routine GP appointment)."""
    from ehub_tui.domain.models import Outcome

    return Outcome(
        category="clinical",
        route="gp_routine",
        destination="GP routine",
        destination_code="GP_ROUTINE",
        handling_seconds=60.0,
    )


def claim(
    kind: str, hub: str, data_dir: str, user: str, password: str, ca: str, log: str, go: str
) -> None:
    core = None
    if kind == "http":
        client = http_client(hub, ca, user)
    else:
        core = open_core(hub, data_dir)
        client = inprocess_client(core, user)
    client.sign_in(user, password)
    done = outcome()
    Path(log + ".ready").touch()
    _wait_for(go)
    with open(log, "w") as out:
        while (c := client.claim_next()) is not None:
            client.complete(c, done)
            out.write(f"{c.item_id}\n")
    client.sign_out()
    client.close()
    if core is not None:
        core.close()


# -- poll -----------------------------------------------------------------------------------------


def poll(
    kind: str,
    hub: str,
    data_dir: str,
    users: str,
    password: str,
    ca: str,
    out: str,
    go: str,
    seconds: str,
) -> None:
    from ehub_tui.domain.queue import QueueFilter

    names = users.split(",")
    duration = float(seconds)
    clients: list[Any] = []
    cores: list[Any] = []
    for name in names:
        if kind == "http":
            clients.append(http_client(hub, ca, name))
        else:
            # the arrangement before issue 13: every workstation opens the database itself
            core = open_core(hub, data_dir)
            cores.append(core)
            clients.append(inprocess_client(core, name))
    for name, client in zip(names, clients, strict=True):
        client.sign_in(name, password)
        client.claim_next()  # each workstation holds an item, so heartbeat_held has work
    Path(out + ".ready").touch()
    _wait_for(go)
    t0 = time.monotonic()
    cpu0 = _cpu_seconds()
    lock = threading.Lock()
    rounds: list[float] = []
    late: list[int] = [0]
    errors: list[str] = []
    everyone = QueueFilter()

    def workstation(k: int, client: Any) -> None:
        # workstations start at different moments within the first second, as people do
        start = t0 + (k / len(clients))
        n = 0
        while True:
            due = start + n
            if due - t0 >= duration:
                return
            now = time.monotonic()
            if now < due:
                time.sleep(due - now)
            elif now - due > 0.5:  # the last round overran: a poll the app would have skipped
                with lock:
                    late[0] += 1
            a = time.perf_counter()
            try:
                client.view_counts()
                client.queue_page("queue", everyone, 0, PAGE)
                client.heartbeat_held()
            except Exception as exc:  # counted and reported, never hidden
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            took = time.perf_counter() - a
            with lock:
                rounds.append(took)
            n += 1

    threads = [
        threading.Thread(target=workstation, args=(k, c), daemon=True)
        for k, c in enumerate(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    cpu = _cpu_seconds() - cpu0
    for client in clients:
        client.sign_out()
        client.close()
    for core in cores:
        core.close()
    Path(out).write_text(
        json.dumps(
            {
                "rounds": rounds,
                "late": late[0],
                "errors": errors[:20],
                "error_count": len(errors),
                "cpu_seconds": cpu,
                "wall_seconds": wall,
            }
        )
    )


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve(*args)
    elif mode == "claim":
        claim(*args)
    elif mode == "poll":
        poll(*args)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
