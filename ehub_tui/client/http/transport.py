"""How one request to the hub is made: TLS, the token and device headers, which calls are retried,
what a broken connection or a refusal becomes, and what each reply says about the hub's clock and
the user's role. :class:`HubConnection` is the base of ``HttpClient``.

Retries: only a call that is safe to repeat (``safe=True``: GETs, heartbeats, sign-out, and a sync
push, whose events the hub dedupes by their ids) is tried again — twice at most, after a short
back-off with jitter — on a broken connection, a timeout or a 502/503/504. Everything else is sent
once: a claim, complete or release whose reply was lost after the hub acted must not act twice;
the caller is told it may or may not have been done.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from ehub_tui import errors
from ehub_tui.hub import wire
from ehub_tui.hub.errors import from_envelope, register
from ehub_tui.hub.passwords import PolicyError

log = logging.getLogger("ehub_tui.client.http")
# the password policy's refusal is defined beside the policy, not in ehub_tui.errors: registered
# so that it comes back as itself (the change-password dialog shows its message inline) rather
# than as a plain StoreError
register(PolicyError)
T = TypeVar("T")

RETRIES = 2  # extra tries of a call that is safe to repeat
RETRY_STATUSES = frozenset({502, 503, 504})  # a proxy in front of a restarting hub
CONNECT_SECONDS = 5.0
# shorter than uvicorn's 5 s keep-alive: a kept connection is dropped here before the hub closes
# it under a request that could not then be safely sent again
KEEPALIVE_SECONDS = 4.0


def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """A context that trusts ``ca_file`` (a trust's own CA) or, with None, the system's CAs."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as e:
        why = getattr(e, "strerror", None) or "not a PEM certificate file"
        raise errors.ConfigError(f"hub_ca_file {ca_file}: cannot be used ({why}).") from None


class HubConnection:
    """One workstation's HTTPS connection to its hub, as one signed-in user (or none yet)."""

    def __init__(
        self,
        base_url: str,
        *,
        ca_file: Path | None,
        device_id: str,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        token: str | None = None,
        backoff: float = 0.2,
    ) -> None:
        if not base_url.lower().startswith("https://"):
            raise errors.ConfigError(
                f"hub_server_url {base_url!r} must start with https:// (the hub is reached "
                "over TLS only)."
            )
        self.base_url = base_url.rstrip("/")
        self.device_id = device_id
        self._token = token
        self._backoff = backoff  # seconds before the first retry (doubling, plus jitter)
        self._timeout = timeout
        self._http = httpx.Client(
            base_url=self.base_url,
            verify=ssl_context(ca_file),  # (a transport given for fault injection brings its own)
            timeout=httpx.Timeout(CONNECT_SECONDS, read=timeout),
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
            transport=transport,
            follow_redirects=False,  # a redirect would carry the token somewhere else
        )
        self._lock = threading.Lock()
        self._hub_at: tuple[datetime, float] | None = None  # (hub time, monotonic) at last reply
        self._offset: timedelta | None = None
        self._role: str | None = None
        self._on_role: Callable[[str], None] | None = None
        self._on_session_ended: Callable[[errors.SessionEnded], None] | None = None

    # -- what the app and the token store read -----------------------------------------------

    @property
    def token(self) -> str | None:
        """The bearer token (for the token store); None when not signed in or it was refused."""
        return self._token

    @property
    def clock_offset(self) -> timedelta | None:
        """The hub's clock minus this machine's, from the last reply (None before any)."""
        return self._offset

    @property
    def last_role(self) -> str | None:
        """The role the hub read for the latest reply (X-Ehub-Role; None before any)."""
        return self._role

    def on_role(self, callback: Callable[[str], None] | None) -> None:
        """Call ``callback(role)`` when a reply shows the signed-in user's role changed."""
        self._on_role = callback

    def on_session_ended(self, callback: Callable[[errors.SessionEnded], None] | None) -> None:
        """Call ``callback(error)`` when the hub refuses the token (just before it is raised)."""
        self._on_session_ended = callback

    def hub_time(self) -> datetime:
        """The hub's time now: its last stamp plus the local monotonic time since (one GET
        /v1/time first if no reply has come yet)."""
        if self._hub_at is None:
            self.get("/time", _HUB_TIME)
        if self._hub_at is None:
            raise errors.StoreError(
                f"The hub at {self.base_url} does not say its time (no {wire.HUB_TIME_HEADER}); "
                "is it running the same version?"
            )
        hub_at, mono = self._hub_at
        return hub_at + timedelta(seconds=time.monotonic() - mono)

    def close(self) -> None:
        """Close the connections (signs nothing out)."""
        self._http.close()

    # -- requests ------------------------------------------------------------------------------

    def get(self, path: str, adapter: TypeAdapter[T], **params: Any) -> T:
        """GET ``/v1{path}`` (retried), its reply read by ``adapter``; None params left out."""
        query = {k: _param(v) for k, v in params.items() if v is not None}
        result: T = self.call("GET", path, safe=True, adapter=adapter, params=query)
        return result

    def post(self, path: str, body: Any = None, adapter: TypeAdapter[T] | None = None) -> Any:
        """POST ``/v1{path}`` once (never retried)."""
        return self.call("POST", path, safe=False, body=body, adapter=adapter)

    def call(
        self,
        method: str,
        path: str,
        *,
        safe: bool,
        body: Any = None,
        adapter: TypeAdapter[Any] | None = None,
        params: Mapping[str, str] | None = None,
        notify: bool = True,
    ) -> Any:
        """Send one request (``safe``: it may be repeated) and return its reply read by
        ``adapter`` (None for an empty one); a refusal is raised as its ``ehub_tui.errors``
        class, a hub that cannot be reached as HubUnreachable (``notify=False``: a refused
        token is not reported to the on_session_ended callback — signing out)."""
        headers = {wire.DEVICE_HEADER: self.device_id, "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        content = None
        if body is not None:
            content = _dump(body)
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            started = (time.monotonic(), datetime.now(UTC))
            try:
                reply = self._http.request(
                    method, wire.API + path, content=content, params=params, headers=headers
                )
            except httpx.TransportError as e:
                if safe and attempt < RETRIES and not _is_certificate(e):
                    attempt = self._pause(attempt, method, path, type(e).__name__)
                    continue
                raise self._unreachable(e, safe) from None
            if safe and attempt < RETRIES and reply.status_code in RETRY_STATUSES:
                attempt = self._pause(attempt, method, path, f"HTTP {reply.status_code}")
                continue
            self._observe(reply, started)
            if reply.status_code >= 400:
                raise self._refusal(reply, notify)
            if adapter is None or reply.status_code == 204 or not reply.content:
                return None
            try:
                return adapter.validate_json(reply.content)
            except ValidationError:
                raise errors.StoreError(
                    f"The hub at {self.base_url} sent a reply this app cannot read ({method} "
                    f"{wire.API}{path}); is it running the same version?"
                ) from None

    def _pause(self, attempt: int, method: str, path: str, why: str) -> int:
        # exponential back-off with jitter, so workstations cut off together do not retry in step
        delay = self._backoff * (2**attempt) * (1 + random.random())  # not a secret: jitter
        log.info("hub call %s %s%s failed (%s); trying again", method, wire.API, path, why)
        time.sleep(delay)
        return attempt + 1

    def _observe(self, reply: httpx.Response, started: tuple[float, datetime]) -> None:
        """Keep the hub's time (offset from the request's midpoint) and its view of the role."""
        stamp = reply.headers.get(wire.HUB_TIME_HEADER)
        hub_at = _parse_time(stamp) if stamp else None
        role = reply.headers.get(wire.ROLE_HEADER)
        changed = None
        with self._lock:
            if hub_at is not None:
                mono_mid = (started[0] + time.monotonic()) / 2
                wall_mid = started[1] + (datetime.now(UTC) - started[1]) / 2
                self._hub_at = (hub_at, mono_mid)
                self._offset = hub_at - wall_mid
            if role:
                if self._role is not None and role != self._role:
                    changed = role
                self._role = role
        if changed is not None and self._on_role is not None:
            self._on_role(changed)

    def _signed_in(self, token: str, role: str) -> None:
        with self._lock:
            self._token, self._role = token, role

    def _refusal(self, reply: httpx.Response, notify: bool) -> errors.EhubError:
        """The error a refusal's envelope names, or one judged from the status alone."""
        status = reply.status_code
        try:
            body = wire.ERROR.validate_json(reply.content)
        except ValidationError:
            if status >= 500:
                return errors.HubUnreachable(
                    f"The hub at {self.base_url} is not answering properly (HTTP {status}); "
                    "try again shortly."
                )
            body = wire.ErrorBody(error="", message=_plain(reply))
        if body.retry_after is None and reply.headers.get("Retry-After", "").isdigit():
            body = body.model_copy(update={"retry_after": int(reply.headers["Retry-After"])})
        if not body.error:
            body = body.model_copy(update={"error": _BY_STATUS.get(status, "")})
        exc = from_envelope(status, body)
        if isinstance(exc, errors.SessionEnded):
            with self._lock:
                self._token = None  # the hub will never take it again
            if notify and self._on_session_ended is not None:
                self._on_session_ended(exc)
        return exc

    def _unreachable(self, e: httpx.TransportError, safe: bool) -> errors.HubUnreachable:
        url = self.base_url
        if _is_certificate(e):
            msg = (
                f"The hub at {url} presented a certificate this workstation does not trust "
                f"({_cert_reason(e)}); check hub_ca_file in the settings."
            )
        elif isinstance(e, httpx.TimeoutException):
            msg = f"The hub at {url} did not answer within {self._timeout:g} s."
        elif isinstance(e, httpx.ConnectError):
            msg = f"Cannot reach the hub at {url}: is it running, and is the network up?"
        elif safe:
            msg = f"The connection to the hub at {url} broke before it answered."
        else:
            msg = (
                f"The connection to the hub at {url} broke before it answered: what you asked "
                "may or may not have been done; check before trying again."
            )
        log.warning("hub unreachable (%s): %s", type(e).__name__, msg)
        return errors.HubUnreachable(msg)


def seg(value: str) -> str:
    """``value`` as one URL path segment (a username with a slash stays one segment)."""
    return quote(value, safe="")


_HUB_TIME = TypeAdapter(wire.HubTime)
# a refusal with no envelope (a proxy's page): the class its status stands for
_BY_STATUS = {
    401: "SessionEnded",
    403: "PermissionDenied",
    404: "NotFound",
    409: "QueueError",
    422: "RecordRejected",
    429: "AccountLocked",
}


def _dump(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, BaseModel):
        return body.model_dump_json().encode()
    return TypeAdapter(type(body)).dump_json(body)


def _param(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _parse_time(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _plain(reply: httpx.Response) -> str:
    lines = reply.text.strip().splitlines()
    text = f": {lines[0][:200]}" if lines else ""
    return f"The hub refused the request (HTTP {reply.status_code}{text})."


def _chain(e: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = e
    while seen is not None and seen not in out:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def _is_certificate(e: BaseException) -> bool:
    return any(
        isinstance(x, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(x)
        for x in _chain(e)
    )


def _cert_reason(e: BaseException) -> str:
    for x in _chain(e):
        if isinstance(x, ssl.SSLCertVerificationError) and x.verify_message:
            return str(x.verify_message)
    return "certificate verify failed"
