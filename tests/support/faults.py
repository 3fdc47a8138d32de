"""Network faults for the HTTPS client's tests: a transport that breaks chosen requests on the way
to a real server, and a TLS server that never answers.

:class:`FaultTransport` wraps a real transport (``httpx.HTTPTransport`` to a served hub; a unit
test may wrap an ``httpx.MockTransport`` it owns) and, for the requests a rule matches, drops the
connection *before* the request reaches the server, drops it *after* the server has handled it
(the reply is read and thrown away, so the hub did the work and the client never hears), delays
it, or answers 503 itself as a proxy in front of a restarting hub would. For the sync tests (issue
14) it also sends a request twice (``duplicate``: a retransmission), holds one past the client's
timeout and delivers it later (``late``: after the next request, or at ``deliver_late()``),
splits a push's events into two requests sent second half first (``reorder``), and cuts the
network for the next n requests (``partition``) or until ``heal()`` (``go_down``). Every request
it saw and every one the server handled are recorded, so a test can assert "sent once, handled
once".

:class:`SilentServer` accepts TLS connections, completes the handshake, reads the request and
never replies: a real read timeout, or (with a certificate from another CA) a real certificate
refusal, with no sleeps in the client.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Literal

import httpx
import trustme

FaultKind = Literal["drop_before", "drop_after", "delay", "status", "duplicate", "late", "reorder"]


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
    second: bool = False  # duplicate: hand back the second delivery's reply

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
        self._down = False  # every request fails before the server until heal()
        self._late: list[httpx.Request] = []  # held past the client's timeout, not yet sent
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

    def duplicate(
        self, method: str | None, path: str | None, times: int = 1, second: bool = False
    ) -> Fault:
        """Send matching requests to the server twice (a retransmission); the client gets the
        first reply, or the second with ``second``."""
        return self._add(Fault("duplicate", method, path, times, second=second))

    def late(self, method: str | None, path: str | None, times: int = 1) -> Fault:
        """Hold matching requests past the client's timeout (it gets a read timeout now) and
        send them to the server later: after the next request, or at :meth:`deliver_late`."""
        return self._add(Fault("late", method, path, times))

    def reorder(self, method: str | None, path: str | None, times: int = 1) -> Fault:
        """Send a matching request whose JSON body holds two or more ``events`` as two
        requests, the second half first; the client gets one reply with every ``results``
        entry in the order it sent the events (matched by ``event_id``)."""
        return self._add(Fault("reorder", method, path, times))

    def partition(self, requests: int) -> Fault:
        """The next ``requests`` requests, whatever they are, never reach the server."""
        return self._add(Fault("drop_before", None, None, requests))

    def go_down(self) -> None:
        """Every request fails with a connect error until :meth:`heal`."""
        with self._lock:
            self._down = True

    def heal(self, deliver: bool = True) -> None:
        """End every fault (rules, a partition, being down); held requests delivered
        (``deliver``)."""
        with self._lock:
            self.faults.clear()
            self._down = False
        if deliver:
            self.deliver_late()

    def deliver_late(self) -> int:
        """Send every held (``late``) request to the server now, replies thrown away; how
        many."""
        with self._lock:
            late, self._late = self._late, []
        for request in late:
            with contextlib.suppress(httpx.HTTPError):
                self._send(request).close()
        return len(late)

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take(self, request: httpx.Request) -> Fault | None:
        with self._lock:
            self.seen.append((request.method, request.url.path))
            if self._down:
                return Fault("drop_before")
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
        try:
            return self._handle(request, fault)
        finally:
            if self._late and (fault is None or fault.kind != "late"):
                self.deliver_late()  # a held request reaches the server after a later one

    def _handle(self, request: httpx.Request, fault: Fault | None) -> httpx.Response:
        if fault is not None and fault.kind == "drop_before":
            raise httpx.ConnectError("connection refused (fault injected)", request=request)
        if fault is not None and fault.kind == "status":
            return httpx.Response(
                fault.status,
                headers={"content-type": "text/plain"},
                text="Service Unavailable",
                request=request,
            )
        if fault is not None and fault.kind == "late":
            request.read()
            with self._lock:
                self._late.append(request)
            raise httpx.ReadTimeout("the hub took too long (fault injected)", request=request)
        if fault is not None and fault.kind == "reorder":
            split = self._reorder(request)
            if split is not None:
                return split
        if fault is not None and fault.kind == "delay":
            # the delay is the scenario (a slow network), not a wait for a result
            threading.Event().wait(fault.seconds)
        if fault is not None and fault.kind == "duplicate":
            request.read()
            first = self._send(request)
            first.read()
            again = self._send(_copy(request, request.content))
            again.read()
            kept, thrown = (again, first) if fault.second else (first, again)
            thrown.close()
            return kept
        response = self._send(request)
        if fault is not None and fault.kind == "drop_after":
            response.read()  # the server has handled the request and written its reply...
            response.close()
            # ...which is lost on the way back
            raise httpx.RemoteProtocolError(
                "server disconnected without sending a response (fault injected)", request=request
            )
        return response

    def _send(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        with self._lock:
            self.handled.append((request.method, request.url.path))
        return response

    def _reorder(self, request: httpx.Request) -> httpx.Response | None:
        """A push's events as two requests, second half first; None when it holds < 2."""
        try:
            body = json.loads(request.read())
        except ValueError:
            return None
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list) or len(events) < 2:
            return None
        half = len(events) // 2
        replies = []
        for part in (events[half:], events[:half]):
            response = self._send(_copy(request, json.dumps({**body, "events": part}).encode()))
            response.read()
            if response.status_code >= 300:
                return response  # a refusal of either half is the reply
            replies.append(json.loads(response.content))
        by_id = {r["event_id"]: r for reply in replies for r in reply["results"]}
        merged = {**replies[-1], "results": [by_id[e["event_id"]] for e in events]}
        return httpx.Response(
            200,
            headers={k: v for k, v in response.headers.items() if k.lower() != "content-length"},
            content=json.dumps(merged).encode(),
            request=request,
        )

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


def _copy(request: httpx.Request, content: bytes) -> httpx.Request:
    """A new request like ``request`` carrying ``content`` (its length recomputed)."""
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
    return httpx.Request(
        request.method,
        request.url,
        headers=headers,
        content=content,
        extensions=request.extensions,
    )


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
