"""Serving the hub API over HTTPS with uvicorn: ``serve`` for ``ehub-tui hub serve`` (blocking,
stops on Ctrl+C or SIGTERM), and ``ServedHub``, the same server in a thread on a socket already
bound (port 0: any free one) for tests and ``ehub-tui demo --serve``.

Always TLS: the certificate and key come from ``tls_cert_file``/``tls_key_file``; without them
the hub does not start (a plain error saying which setting to set). TLS 1.2 is the floor. The
access log is off: a request line carries item ids and query strings (a search may be a name),
and the hub's own log says what was done without them.
"""

from __future__ import annotations

import contextlib
import gc
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import cast

import uvicorn
from fastapi import FastAPI

from ehub_tui.config import Settings
from ehub_tui.errors import ConfigError
from ehub_tui.hub.app import create_app
from ehub_tui.hub.core import HubCore

START_TIMEOUT = 20.0  # seconds a ServedHub waits for its server to answer
STOP_TIMEOUT = 10.0  # seconds it waits for requests in flight before forcing the server down
STOP_GRACE = 1.0  # a ServedHub (tests, the demo) waits this long before forcing it down


def tls_files(settings: Settings) -> tuple[Path, Path]:
    """The certificate and key the hub serves with; ConfigError naming the setting when either
    is unset or cannot be read."""
    cert, key = settings.tls_cert_file, settings.tls_key_file
    if cert is None or key is None:
        raise ConfigError(
            "the hub serves only over TLS: set tls_cert_file and tls_key_file in the hub's "
            "settings (the certificate and private key, PEM; see docs/operations.md)"
        )
    for setting, path in (("tls_cert_file", cert), ("tls_key_file", key)):
        if not Path(path).is_file():
            raise ConfigError(f"{setting}: there is no file at {path}")
    try:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        why = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or "not usable"
        raise ConfigError(
            f"tls_cert_file {cert} and tls_key_file {key} cannot be used together: {why}"
        ) from None
    return Path(cert), Path(key)


def _tls_floor(config: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    context = default()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def make_config(
    core: HubCore,
    cert: Path,
    key: Path,
    *,
    host: str,
    port: int,
    upkeep: bool = True,
    quiet: bool = False,
) -> uvicorn.Config:
    """uvicorn's configuration for the hub app over TLS (no access log, no server header)."""
    return uvicorn.Config(
        create_app(core, upkeep=upkeep),
        host=host,
        port=port,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
        ssl_context_factory=_tls_floor,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
        log_level="warning" if quiet else "info",
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=int(STOP_TIMEOUT),
    )


def serve(core: HubCore, *, host: str | None = None, port: int | None = None) -> None:
    """Serve the hub until Ctrl+C or SIGTERM (``ehub-tui hub serve``)."""
    settings = core.settings
    cert, key = tls_files(settings)
    host = host or settings.hub_listen_host
    port = settings.hub_listen_port if port is None else port
    config = make_config(core, cert, key, host=host, port=port)
    # bound here, not by uvicorn: a port in use is then one plain sentence, not its traceback
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    _no_delay(sock)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Another hub server may be "
            "running there: stop it, or choose another port (hub_listen_port, or --port)."
        ) from None
    # Everything built so far (the app, its routes, the hub core) lives as long as the server:
    # frozen, a full collection no longer walks it while a request waits (a board refresh at 1M
    # items took 232-320 ms when one ran, against 41 ms; benchmarks/scale.py, issue 18)
    gc.freeze()
    uvicorn.Server(config).run(sockets=[sock])


def _no_delay(sock: socket.socket) -> None:
    """Replies leave at once: without TCP_NODELAY on a socket we bind ourselves (uvicorn sets it
    only on sockets it binds), Nagle's algorithm held each small reply ~40 ms (the accepted
    connections inherit the option on Linux)."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _ThreadServer(uvicorn.Server):
    """A uvicorn server that leaves signals alone (only the main thread may set handlers)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ServedHub:
    """The hub API served over TLS from a thread, on ``host`` and a free port (or ``port``).

    >>> with ServedHub(core, certfile=cert, keyfile=key) as hub:  # doctest: +SKIP
    ...     HttpClient(hub.url, ca_file=...)
    """

    def __init__(
        self,
        core: HubCore,
        certfile: Path,
        keyfile: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        upkeep: bool = True,
    ) -> None:
        self.core = core
        self.host = host
        self.stop_grace = STOP_GRACE
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        _no_delay(self._sock)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        config = make_config(
            core, certfile, keyfile, host=host, port=self.port, upkeep=upkeep, quiet=True
        )
        self.app: FastAPI = cast(FastAPI, config.app)  # create_app's, as make_config passed it
        self.server = _ThreadServer(config)
        self._thread = threading.Thread(target=self._run, name=f"ehub-hub-{self.port}", daemon=True)
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        """``https://host:port`` (what a client's hub_server_url is)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by start(); a thread's exception is otherwise lost
            self._failure = exc

    def start(self) -> ServedHub:
        """Start serving; returns once the server accepts connections (or raises why not)."""
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self.server.started:
            if not self._thread.is_alive():
                self._sock.close()
                raise ConfigError(
                    f"the hub server did not start on {self.url}: "
                    f"{type(self._failure).__name__ if self._failure else 'it stopped'}"
                )
            if waited >= START_TIMEOUT:
                self.stop()
                raise ConfigError(
                    f"the hub server did not start on {self.url} within {START_TIMEOUT:.0f} s"
                )
            deadline.wait(0.01)  # the server's own flag, polled: uvicorn offers no event
            waited += 0.01
        return self

    def stop(self) -> None:
        """Stop serving: requests in flight finish (up to ``stop_grace`` seconds), then it is
        forced. (uvicorn's graceful shutdown also waits for idle keep-alive connections a
        client left open: 10 s each time a test or the demo stopped with a client still open.)"""
        self.server.should_exit = True
        self._thread.join(self.stop_grace)
        if self._thread.is_alive():
            self.server.force_exit = True
            self._thread.join(STOP_TIMEOUT)
        self._sock.close()

    def __enter__(self) -> ServedHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
