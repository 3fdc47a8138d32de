"""Which HTTP status each ``ehub_tui.errors`` class is sent as, and back.

The hub app writes a refusal as an :class:`~ehub_tui.hub.wire.ErrorBody` with the status below;
the HTTP client (``client.http``) reads the body and raises the same class again, so a caller
catches ``ehub_tui.errors.LostClaim`` whether the hub is in-process or across the network.
Imports no web framework.
"""

from __future__ import annotations

from ehub_tui import errors
from ehub_tui.hub.wire import ErrorBody

# Most specific first: the first class an error is an instance of decides its status.
STATUS: tuple[tuple[type[errors.EhubError], int], ...] = (
    (errors.AccountLocked, 429),
    (errors.SessionEnded, 401),
    (errors.NotSignedIn, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.LostClaim, 409),
    (errors.NotAvailable, 409),
    (errors.AlreadyResolved, 409),
    (errors.QueueError, 409),
    (errors.RecordRejected, 422),
    (errors.PublishRefused, 422),
    (errors.ConfigError, 422),
    (errors.PracticesFileError, 422),
    (errors.FileError, 422),
    (errors.HubMissing, 503),
    (errors.SigningKeyError, 503),
    (errors.StoreError, 503),
    (errors.EhubError, 500),
)

# Errors defined outside ehub_tui.errors (hub.auth's password PolicyError, a StoreError), by name
# so this module need not import where they live.
NAMED_STATUS: dict[str, int] = {"PolicyError": 422}

# The classes a client may raise again by name (anything else it reads as a StoreError).
BY_NAME: dict[str, type[errors.EhubError]] = {cls.__name__: cls for cls, _ in STATUS}
BY_NAME["HubUnreachable"] = errors.HubUnreachable

# Auth header of a 401 (RFC 6750); ``code`` says why the token was refused.
AUTH_SCHEME = "Bearer"


def status_of(exc: errors.EhubError) -> int:
    """The HTTP status an error is sent with."""
    for klass in type(exc).__mro__:
        if klass.__name__ in NAMED_STATUS:
            return NAMED_STATUS[klass.__name__]
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500  # pragma: no cover - EhubError is last in STATUS


def envelope(exc: errors.EhubError) -> ErrorBody:
    """The JSON body of a refusal: the class name, the message and what the class carries."""
    body = ErrorBody(error=type(exc).__name__, message=str(exc))
    if isinstance(exc, errors.SessionEnded):
        body = body.model_copy(update={"code": exc.code})
    elif isinstance(exc, errors.NotSignedIn) and not isinstance(exc, errors.AccountLocked):
        body = body.model_copy(update={"code": "invalid_credentials"})
    if isinstance(exc, errors.AccountLocked):
        body = body.model_copy(update={"retry_after": exc.retry_after})
    if isinstance(exc, errors.LostClaim):
        body = body.model_copy(
            update={
                "item_id": exc.item_id,
                "owner": exc.owner,
                "status": exc.status,
                "epoch": exc.epoch,
            }
        )
    return body


def headers_of(exc: errors.EhubError) -> dict[str, str]:
    """Extra headers a refusal carries: WWW-Authenticate on a 401, Retry-After on a 429."""
    if isinstance(exc, errors.AccountLocked):
        return {"Retry-After": str(max(1, int(exc.retry_after)))}
    if isinstance(exc, errors.SessionEnded):
        return {"WWW-Authenticate": f'{AUTH_SCHEME} error="invalid_token", code="{exc.code}"'}
    if isinstance(exc, errors.NotSignedIn):
        return {"WWW-Authenticate": AUTH_SCHEME}
    return {}


def register(cls: type[errors.EhubError]) -> None:
    """Let a client raise ``cls`` again by name (e.g. hub.auth's PolicyError)."""
    BY_NAME[cls.__name__] = cls


def from_envelope(status: int, body: ErrorBody) -> errors.EhubError:
    """The error a client raises for a refusal it read (the same class the hub raised)."""
    cls = BY_NAME.get(body.error)
    message = body.message
    if cls is errors.LostClaim:
        return errors.LostClaim(
            body.item_id or 0,
            message,
            owner=body.owner,
            status=body.status or "",
            epoch=body.epoch or 0,
        )
    if cls is errors.AccountLocked:
        return errors.AccountLocked(message, body.retry_after or 1)
    if cls is errors.SessionEnded:
        return errors.SessionEnded(message, body.code or "invalid_token")
    if cls is not None:
        return cls(message)
    # a class this client does not know (a newer hub): by status, never a traceback
    if status == 401:
        return errors.SessionEnded(message, body.code or "invalid_token")
    if status == 403:
        return errors.PermissionDenied(message)
    if status == 404:
        return errors.NotFound(message)
    if status == 409:
        return errors.QueueError(message)
    return errors.StoreError(message)
