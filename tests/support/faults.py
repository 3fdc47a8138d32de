"""Network faults for the HTTPS client's tests: a transport that breaks chosen requests on the way
to a real server, and a TLS server that never answers.

:class:`FaultTransport` wraps a real transport (``httpx.HTTPTransport`` to a served hub; a unit
test may wrap an ``httpx.MockTransport`` it owns) and, for the requests a rule matches, drops the
connection *before* the request reaches the server, drops it *after* the server has handled it
(the reply is read and thrown away, so the hub did the work and the client never hears), delays
it, or answers 503 itself as a proxy in front of a restarting hub would. Every request it saw and
every one the server handled are recorded, so a test can assert "sent once, handled once".

:class:`SilentServer` accepts TLS connections, completes the handshake, reads the request and
never replies: a real read timeout, or (with a certificate from another CA) a real certificate
refusal, with no sleeps in the client.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Literal

import httpx
import trustme

FaultKind = Literal["drop_before", "drop_after", "delay", "status"]


@dataclass
class Fault:
    """One rule: ``kind`` applied to the next ``times`` requests matching ``method`` and a URL
    path ending with ``path`` (None matches any)."""

    kind: FaultKind
    method: str | None = None
    path: str | None = None
    times: int = 1
    seconds: float = 0.0
    status: int = 503

    def matches(self, request: httpx.Request) -> bool:
        """Whether this rule applies to ``request`` (it still has uses left)."""
        if self.times <= 0:
            return False
        if self.method is not None and request.method != self.method.upper():
            return False
        return self.path is None or request.url.path.endswith(self.path)


class FaultTransport(httpx.BaseTransport):
    """Passes requests to ``inner`` except those a :class:`Fault` rule matches (see the module
    docstring). Thread-safe: the app's poller and a test may send at once."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.faults: list[Fault] = []
        self.seen: list[tuple[str, str]] = []  # (method, path) of every request sent here
        self.handled: list[tuple[str, str]] = []  # ... and of those the server answered
        self._lock = threading.Lock()

    # -- rules -------------------------------------------------------------------------------

    def drop_before(self, method: str | None, path: str | None, times: int = 1) -> Fault:
        """Fail matching requests with a connect error; the server never sees them."""
        return self._add(Fault("drop_before", method, path, times))

    def drop_after(self, method: str | None, path: str | None, times: int = 1) -> Fault:
        """Let the server handle matching requests, then lose the reply (connection reset)."""
        return self._add(Fault("drop_after", method, path, times))

    def delay(self, method: str | None, path: str | None, seconds: float, times: int = 1) -> Fault:
        """Hold matching requests ``seconds`` before sending them on."""
        return self._add(Fault("delay", method, path, times, seconds=seconds))

    def fail_with(
        self, method: str | None, path: str | None, status: int = 503, times: int = 1
    ) -> Fault:
        """Answer matching requests with ``status`` (a bare proxy reply, no JSON envelope)."""
        return self._add(Fault("status", method, path, times, status=status))

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take(self, request: httpx.Request) -> Fault | None:
        with self._lock:
            self.seen.append((request.method, request.url.path))
            for fault in self.faults:
                if fault.matches(request):
                    fault.times -= 1
                    return fault
        return None

    def count(self, method: str, path: str, *, handled: bool = False) -> int:
        """How many ``method`` requests whose path ends with ``path`` were sent here (or, with
        ``handled``, answered by the server)."""
        with self._lock:
            rows = list(self.handled if handled else self.seen)
        return sum(1 for m, p in rows if m == method.upper() and p.endswith(path))

    # -- httpx.BaseTransport -----------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on, or break it as the first matching rule says."""
        fault = self._take(request)
        if fault is not None and fault.kind == "drop_before":
            raise httpx.ConnectError("connection refused (fault injected)", request=request)
        if fault is not None and fault.kind == "status":
            return httpx.Response(
                fault.status,
                headers={"content-type": "text/plain"},
                text="Service Unavailable",
                request=request,
            )
        if fault is not None and fault.kind == "delay":
            # the delay is the scenario (a slow network), not a wait for a result
            threading.Event().wait(fault.seconds)
        response = self.inner.handle_request(request)
        if fault is not None and fault.kind == "drop_after":
            response.read()  # the server has handled the request and written its reply...
            response.close()
            with self._lock:
                self.handled.append((request.method, request.url.path))
            # ...which is lost on the way back
            raise httpx.RemoteProtocolError(
                "server disconnected without sending a response (fault injected)", request=request
            )
        with self._lock:
            self.handled.append((request.method, request.url.path))
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


class SilentServer:
    """A TLS server on 127.0.0.1 that completes the handshake, reads what it is sent and never
    replies, until closed. ``url`` is its https address."""

    def __init__(self, cert: trustme.LeafCert) -> None:
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._context)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.connections = 0  # TCP connections accepted
        self._closing = threading.Event()
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting and close every connection."""
        self._closing.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.close()
        self._thread.join(10)

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            return  # the client refused our certificate, or went away
        with self._lock:
            self._open.append(tls)
        with contextlib.suppress(OSError, ssl.SSLError):
            while tls.recv(65536):
                pass  # read and say nothing
