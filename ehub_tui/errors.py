"""The errors a person can act on, in one leaf module (it imports nothing from ehub_tui).

Every layer raises these and the CLI and UI catch them from here, so catching never means importing
the layer that raised (harlequin's ``exception.py`` is the model). Each message is one plain-English
sentence that says where and what; the CLI prints it with a non-zero exit, never a traceback.

The modules that defined them first re-export them (``ehub_tui.store.engine.StoreError``,
``ehub_tui.store.queue.LostClaim``, ``ehub_tui.service.PermissionDenied``,
``ehub_tui.config.ConfigError``, ``ehub_tui.ingest.parsers.FileError``,
``ehub_tui.practices.PracticesFileError``, ``ehub_tui.sop.authoring.PublishRefused``…), so older
imports name the same class and catching ``ehub_tui.errors.X`` catches what those modules raise.
"""

from __future__ import annotations

__all__ = [
    "AccountLocked",
    "AlreadyResolved",
    "ConfigError",
    "EhubError",
    "FileError",
    "HubMissing",
    "HubUnreachable",
    "LostClaim",
    "NotAvailable",
    "NotFound",
    "NotSignedIn",
    "PermissionDenied",
    "PracticesFileError",
    "PublishRefused",
    "QueueError",
    "RecordRejected",
    "RotaError",
    "SessionEnded",
    "SigningKeyError",
    "StoreError",
]


class EhubError(Exception):
    """Base of the errors below: a problem a person can act on; the message says what."""


class ConfigError(EhubError):
    """A settings file that cannot be used; the message says where and what."""


class FileError(EhubError):
    """A file that cannot be ingested at all; ``str(e)`` names the file and says what is wrong."""


class PracticesFileError(EhubError):
    """A practices file that cannot be imported; the message says where and what."""


class PublishRefused(EhubError):
    """Publishing a SOP was refused; the message says why in plain English."""


class StoreError(EhubError):
    """A problem with the hub store that a person can act on; the message says what."""


class HubMissing(StoreError):
    """The hub asked for does not exist (and was not to be created)."""


class PermissionDenied(StoreError):
    """The signed-in user's role does not allow the action."""


class RecordRejected(StoreError):
    """The database refused a record that passed validation (e.g. a value too long)."""


class SigningKeyError(StoreError):
    """The audit signing key cannot be used; the message says where and what."""


class QueueError(StoreError):
    """A queue operation that cannot be done as asked."""


class NotFound(QueueError):
    """No such consultation (or quarantined record)."""


class NotAvailable(QueueError):
    """The item cannot be claimed now (someone else holds it, or it is closed)."""


class LostClaim(QueueError):
    """The caller no longer holds the item (reassigned, released, rescued, or completed)."""

    def __init__(
        self, item_id: int, message: str, *, owner: str | None, status: str, epoch: int
    ) -> None:
        super().__init__(message)
        self.item_id = item_id
        self.owner = owner
        self.status = status
        self.epoch = epoch


class AlreadyResolved(EhubError):
    """The quarantined record was released or discarded already."""


class NotSignedIn(PermissionDenied):
    """Sign-in failed (wrong username or password; the message never says which), or the
    command needs a signed-in user and there is none."""


class SessionEnded(NotSignedIn):
    """The hub no longer accepts this sign-in's token. ``code`` says why: ``invalid_token``
    (unknown, guessed or tampered), ``expired`` (idle or absolute expiry), ``revoked`` (signed
    out, or an admin signed the user out everywhere), ``wrong_device`` (a token used from another
    device: the session is ended), ``disabled`` (the user was disabled)."""

    def __init__(self, message: str, code: str = "invalid_token") -> None:
        super().__init__(message)
        self.code = code


class AccountLocked(NotSignedIn):
    """Too many failed sign-ins: the account (or this username) must wait ``retry_after``
    seconds before another attempt is even checked."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class HubUnreachable(StoreError):
    """The hub server did not answer (network down, server stopped, TLS refused, timeout)."""


class RotaError(EhubError):
    """A rota file (capacity planning) that cannot be used; the message says where and what."""
