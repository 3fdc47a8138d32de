"""The hub's HTTPS API: ``create_app(core)`` builds the FastAPI app in front of a HubCore.

- Every endpoint is under ``/v1/``; the OpenAPI document is ``/v1/openapi.json`` (no docs pages:
  nothing served that the workstations do not use).
- Every reply carries ``X-Ehub-Hub-Time`` (the hub's clock: the clients keep their offset from it)
  and ``X-Ehub-Role`` (the caller's role as read for this request: an open app notices a demotion
  on its next poll).
- A refusal is the JSON envelope of ``hub.wire.ErrorBody`` with the status of ``hub.errors``;
  never a traceback or an internal message (an unexpected failure is logged on the hub by class
  and route only, as its message may hold patient details).
- Request bodies are bounded (``wire.MAX_BODY_BYTES``).
- While the app runs, a thread returns expired leases to the queue every RESCUE_EVERY seconds and
  signs an audit checkpoint every CHECKPOINT_EVERY seconds when the hub holds its audit key.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ehub_tui import errors
from ehub_tui.hub import errors as hub_errors
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.routes import (
    audit,
    auth,
    awaiting,
    board,
    capacity,
    handover,
    health,
    intake,
    items,
    me,
    outbox,
    practice_sources,
    quarantine,
    queue,
    retention,
    returns,
    sops,
    sync,
    users,
    views,
)
from ehub_tui.hub.wire import API, HUB_TIME_HEADER, MAX_BODY_BYTES, ROLE_HEADER, ErrorBody

log = logging.getLogger(__name__)

ROUTERS: tuple[APIRouter, ...] = tuple(
    m.router
    for m in (
        auth,
        me,
        users,
        intake,
        quarantine,
        queue,
        items,
        awaiting,
        board,
        handover,
        returns,
        audit,
        sops,
        sync,
        views,
        outbox,  # issue 16: the FHIR outbox's read
        practice_sources,  # issue 16: practices from ODS and NHS Digital files
        retention,  # issue 16: the retention purge (admins)
        capacity,  # issue 17: the history capacity planning reads
        health,
    )
)

RESCUE_EVERY = 30.0  # seconds between lease rescues (each claim path also rescues when due)
CHECKPOINT_EVERY = 3600.0  # seconds between signed checkpoints of the audit chain's head
THREADS_OVER_POOL = 4  # request threads beyond the DB pool (sign-ins hash without the DB)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def create_app(core: HubCore, *, upkeep: bool = True) -> FastAPI:
    """The API for ``core``. ``upkeep=False``: no rescue/checkpoint thread (a test that drives
    rescue itself)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the threadpool bounded by the database pool: more threads would only queue for it
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = core.settings.hub_pool_size + THREADS_OVER_POOL
        timer = Upkeep(core) if upkeep else None
        if timer is not None:
            timer.start()
        try:
            yield
        finally:
            if timer is not None:
                timer.stop()

    app = FastAPI(
        title="ehub-tui hub",
        version="1",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.core = core
    for router in ROUTERS:
        app.include_router(router, prefix=API)
    _install_error_handlers(app)
    app.add_middleware(HubHeaders, core=core)
    return app


def route_table() -> list[tuple[str, str]]:
    """(method, path) of every endpoint the app serves, e.g. ("POST", "/v1/items/{item_id}/claim")
    (FastAPI keeps included routers as lazy branches, so ``app.routes`` does not list them)."""
    return sorted(
        (method, API + route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    )


# -- refusals ------------------------------------------------------------------------------------


def _error_reply(
    status: int, body: ErrorBody, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    async def ehub_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.EhubError)
        return _error_reply(
            hub_errors.status_of(exc), hub_errors.envelope(exc), hub_errors.headers_of(exc)
        )

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        # where and what, never the value sent (it may be a patient's details or a password)
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        message = "the request was not understood: " + "; ".join(problems)
        return _error_reply(422, ErrorBody(error="RequestInvalid", message=message))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        messages = {
            404: f"there is no {request.method} {request.url.path} on this hub",
            405: f"{request.method} is not allowed on {request.url.path}",
            413: f"the request is larger than the hub reads ({MAX_BODY_BYTES} bytes)",
        }
        message = messages.get(status, "the request was refused")
        name = "NotFound" if status == 404 else "RequestInvalid"
        return _error_reply(status, ErrorBody(error=name, message=message), exc.headers)

    async def database_error(request: Request, exc: Exception) -> Response:
        log.error("database error %s on %s", type(exc).__name__, _route(request))
        body = ErrorBody(error="StoreError", message="the hub database could not do that now")
        return _error_reply(503, body)

    app.add_exception_handler(errors.EhubError, ehub_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SQLAlchemyError, database_error)


def _route(request: Request) -> str:
    """The route's template (``/v1/items/{item_id}``), never its values or query string."""
    return _route_of(request.scope)


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None) or "?"
    return f"{scope.get('method', '?')} {path}"


# -- every reply ---------------------------------------------------------------------------------


class HubHeaders:
    """ASGI middleware: the hub's time and the caller's role on every reply; bodies bounded."""

    def __init__(self, app: ASGIApp, core: HubCore) -> None:
        self.app = app
        self.core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        length = _content_length(scope)
        if length is not None and length > MAX_BODY_BYTES:
            await self._too_large(scope, send)
            return

        seen = 0

        async def bounded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY_BYTES:
                    raise StarletteHTTPException(413)
            return message

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((HUB_TIME_HEADER.lower().encode(), self._hub_time()))
                role = scope["state"].get("ehub_role", "")
                headers.append((ROLE_HEADER.lower().encode(), role.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except Exception as exc:
            # caught here, inside Starlette's outermost middleware, so that neither it nor
            # uvicorn logs a traceback: its message may hold patient details. The class, the
            # route and where it was raised are enough to find it.
            tb = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
            at = f"{tb[0].filename}:{tb[0].lineno}" if tb else "?"
            log.error("unexpected %s on %s at %s", type(exc).__name__, _route_of(scope), at)
            if not started:
                body = ErrorBody(
                    error="StoreError", message="the hub could not do that (an internal error)"
                )
                await self._send_error(send, 500, body)

    def _hub_time(self) -> bytes:
        return self.core.clock.now().isoformat().encode()

    async def _too_large(self, scope: Scope, send: Send) -> None:
        body = ErrorBody(
            error="RequestInvalid",
            message=f"the request is larger than the hub reads ({MAX_BODY_BYTES} bytes)",
        )
        await self._send_error(send, 413, body)

    async def _send_error(self, send: Send, status: int, body: ErrorBody) -> None:
        payload = body.model_dump_json(exclude_none=True).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (HUB_TIME_HEADER.lower().encode(), self._hub_time()),
                    (ROLE_HEADER.lower().encode(), b""),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# -- upkeep --------------------------------------------------------------------------------------


class Upkeep:
    """The hub's timer thread: lease rescue, and signed checkpoints when the hub has its key."""

    def __init__(
        self,
        core: HubCore,
        rescue_every: float = RESCUE_EVERY,
        checkpoint_every: float = CHECKPOINT_EVERY,
    ) -> None:
        self.core = core
        self.rescue_every = rescue_every
        self.checkpoint_every = checkpoint_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ehub-hub-upkeep", daemon=True)
        self.rescues = 0  # rounds done (a test waits on it)

    def start(self) -> None:
        """Start the timer thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop it and wait for a round in progress to end."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        clock = self.core.clock
        next_checkpoint = clock.monotonic()  # first one soon after start, then every hour
        while not self._stop.is_set():
            self.rescue_once()
            if clock.monotonic() >= next_checkpoint:
                self.checkpoint_once()
                next_checkpoint = clock.monotonic() + self.checkpoint_every
            self._stop.wait(self.rescue_every)

    def rescue_once(self) -> list[int]:
        """Return expired leases to the queue now (a failure is logged and retried next round)."""
        try:
            return self.core.system().rescue_expired()
        except Exception as exc:  # the database away for a moment must not end the timer
            log.warning("lease rescue failed: %s", type(exc).__name__)
            return []
        finally:
            self.rescues += 1

    def checkpoint_once(self) -> bool:
        """Sign the chain's head if the hub holds its audit key; False when it does not."""
        if not self.core.settings.audit_key_path.exists():
            return False
        try:
            self.core.system().audit_checkpoint()
        except Exception as exc:
            log.warning("audit checkpoint failed: %s", type(exc).__name__)
            return False
        return True
