"""The client-side guard against a PostgreSQL server that stops answering.

A frozen host keeps its TCP connections open while nothing answers, so neither the server's
statement timeout nor the kernel's keepalives ever fire. Every wait for the server is registered
with one watchdog thread per process (:class:`_Watchdog`), which probes a server that has been
quiet too long and cuts off the waits on one that does not reply (store/engine.py uses it for
every PostgreSQL connection).
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any

NOT_ANSWERING = "the hub is not answering"

# The client-side guard (see _Watchdog): after PROBE_AFTER seconds without an answer, ask the
# server whether it is there at all, allowing PROBE_TIMEOUT for its reply; a server that does not
# reply is frozen or unreachable, and the waiting call is cut off (about 5 s in all).
PROBE_AFTER = 2.0
PROBE_TIMEOUT = 3.0
WATCH_EVERY = 0.25
# A server that answers probes but not the statement, STATEMENT_GRACE seconds after its own
# statement timeout should have cancelled it, is not answering either.
STATEMENT_GRACE = 2.0


# -- the watchdog ------------------------------


@dataclass(frozen=True, slots=True)
class Guard:
    where: str
    hard_limit: float | None  # seconds; None: only the probe decides


class _Wait:
    """One wait for the server by one connection, as the watchdog sees it."""

    __slots__ = ("fd", "guard", "host", "killed", "port", "start")

    def __init__(self, fd: int, host: str, port: int, guard: Guard) -> None:
        self.fd = fd
        self.host = host
        self.port = port
        self.start = time.monotonic()
        self.guard = guard
        self.killed = False


class _Watchdog:
    """Watches every wait for a PostgreSQL server in this process, from one daemon thread.

    A wait older than PROBE_AFTER makes it probe that server on a new connection (an SSLRequest,
    which the server answers with one byte before any authentication). No reply within
    PROBE_TIMEOUT: the server is frozen or unreachable, and the waits on it are cut off by
    shutting their sockets down, so the blocked call fails at once and the connection is
    discarded. A server that replies is alive and merely slow: its own statement timeout
    decides, unless the wait outlives that by STATEMENT_GRACE.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waits: set[_Wait] = set()
        self._thread: threading.Thread | None = None
        self._answered: dict[tuple[str, int], float] = {}  # (host, port) → when it last answered

    def watch(self, w: _Wait) -> None:
        with self._lock:
            self._waits.add(w)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ehub-hub-watchdog")
                self._thread.daemon = True
                self._thread.start()

    def done(self, w: _Wait) -> None:
        with self._lock:
            self._waits.discard(w)

    def _run(self) -> None:
        while True:
            time.sleep(WATCH_EVERY)
            now = time.monotonic()
            with self._lock:
                old = [w for w in self._waits if now - w.start >= PROBE_AFTER and not w.killed]
            if not old:
                continue
            verdicts: dict[tuple[str, int], bool] = {}
            for w in old:
                target = (w.host, w.port)
                if target in verdicts:
                    continue
                if now - self._answered.get(target, float("-inf")) < PROBE_AFTER:
                    verdicts[target] = True  # it answered a moment ago: no new connection yet
                    continue
                verdicts[target] = _server_answers(w.host, w.port, PROBE_TIMEOUT)
                if verdicts[target]:
                    self._answered[target] = time.monotonic()
            now = time.monotonic()
            with self._lock:
                for w in old:
                    over = w.guard.hard_limit is not None and now - w.start > w.guard.hard_limit
                    if w in self._waits and (not verdicts[(w.host, w.port)] or over):
                        # still registered, so its socket is still open: the fd is still ours
                        w.killed = True
                        _shut_down(w.fd)


_WATCHDOG = _Watchdog()


def _shut_down(fd: int) -> None:
    """Shut a connection's socket down under its owner: the blocked wait sees the end at once."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


def _server_answers(host: str, port: int, timeout: float) -> bool:
    """Does a PostgreSQL server answer at host:port (or the Unix socket in directory host)?"""
    try:
        if host.startswith("/"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(f"{host}/.s.PGSQL.{port}")
        else:
            sock = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return False
    try:
        sock.settimeout(timeout)
        sock.sendall(struct.pack("!ii", 8, 80877103))  # SSLRequest: answered 'S' or 'N'
        sock.recv(1)
        return True
    except OSError:  # socket.timeout included
        return False
    finally:
        sock.close()


_GUARDED: Any = None


def guarded_connection_class() -> Any:
    """psycopg's Connection whose every wait for the server is watched (made on first use)."""
    global _GUARDED
    if _GUARDED is not None:
        return _GUARDED
    import psycopg

    class HubNotAnswering(psycopg.OperationalError):
        """The server stopped answering; the connection was closed."""

    class GuardedConnection(psycopg.Connection):
        _ehub_guard: Guard | None = None
        _ehub_target: tuple[str, int] | None = None

        def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
            guard = self._ehub_guard
            if guard is None:
                return super().wait(gen, *args, **kwargs)
            target = self._ehub_target
            if target is None:  # where to probe: asked of libpq once per connection
                info = self.info
                target = self._ehub_target = (info.hostaddr or info.host, int(info.port))
            w = _Wait(self.pgconn.socket, target[0], target[1], guard)
            _WATCHDOG.watch(w)
            try:
                return super().wait(gen, *args, **kwargs)
            except psycopg.Error as exc:
                if not w.killed:
                    raise
                self.close()  # half-way through the protocol: never reusable
                raise HubNotAnswering(f"{NOT_ANSWERING}: {guard.where}") from exc
            finally:
                _WATCHDOG.done(w)

    _GUARDED = GuardedConnection
    return _GUARDED
