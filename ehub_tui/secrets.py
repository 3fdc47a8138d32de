"""Hub passwords live in the OS keyring, never in a file.

``ehub-tui login`` stores the password for a hub URL's user and host; the engine factory fetches
it when it connects. Tests and CI select the in-memory backend below with
``PYTHON_KEYRING_BACKEND=ehub_tui.secrets.MemoryKeyring`` (or ``keyring.set_keyring``).

Only a real OS keyring is used. A backend that keeps passwords in a file (keyrings.alt's
plaintext and "encrypted" file keyrings, or any backend keyring itself rates below 1, "not
recommended") is refused, as is having none (keyring's ``fail`` backend); when keyring chains
several backends, only the acceptable ones are read or written. A service account on a server,
where there is no desktop keyring, connects with a 0600 ``PGPASSFILE`` instead
(docs/operations.md, Secrets).
"""

from __future__ import annotations

from typing import Any, ClassVar

import keyring
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringError, PasswordDeleteError

SERVICE = "ehub-tui"


class MemoryKeyring(KeyringBackend):
    """A process-local keyring for tests: nothing is written anywhere."""

    # Below keyring's fail backend (0): never chosen by itself, only when named explicitly
    # (PYTHON_KEYRING_BACKEND or keyring.set_keyring), so a real login is never kept in memory.
    priority: ClassVar[float] = -1
    _store: ClassVar[dict[tuple[str, str], str]] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """Return the stored password or None."""
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a password in memory."""
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a password."""
        try:
            del self._store[(service, username)]
        except KeyError:
            raise PasswordDeleteError(username) from None


def account_for(url: str) -> str:
    """The keyring account name for a hub URL: ``user@host:port/database``."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return f"{u.username or ''}@{u.host or ''}:{u.port or ''}/{u.database or ''}"


# What to do instead, said wherever a keyring is refused (never: install a file-based keyring).
INSTEAD = (
    "use the desktop's keyring (GNOME Keyring or KWallet on Linux, installed and unlocked; the "
    "macOS Keychain; Windows Credential Manager), or, for a service account on a server, a "
    "password file readable only by that account, named by PGPASSFILE (see 'Secrets' in "
    "docs/operations.md)"
)
_NO_KEYRING = ("keyring.backends.fail", "keyring.backends.null")


class InsecureKeyring(KeyringError):
    """The keyring in use would keep a hub password in a file, or there is none."""


def _name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _priority(backend: Any) -> float | None:
    try:
        return float(backend.priority)
    except Exception:  # a backend may raise to say it cannot work here
        return None


def refusal(backend: Any) -> str | None:
    """Why one keyring backend must not hold a hub password (None when it may).

    Refused: no keyring at all (``fail``, ``null``); keyrings.alt's backends (files: plaintext,
    "encrypted" with a password kept beside it, and the like); any backend that names a file it
    writes (``file_path``) or calls itself a file or plaintext keyring; and any backend keyring
    rates below 1 ("not recommended": a fallback, not the OS keyring).
    """
    if isinstance(backend, MemoryKeyring):  # the test backend: nothing leaves the process
        return None
    module, cls = type(backend).__module__, type(backend).__name__
    if module.startswith(_NO_KEYRING):
        return "there is no OS keyring on this machine"
    words = f"{module}.{cls}".lower()
    if (
        module.startswith("keyrings.alt")
        or getattr(backend, "file_path", None) is not None
        or "plaintext" in words
        or "file" in words
    ):
        return f"the keyring backend {_name(backend)} keeps passwords in a file"
    priority = _priority(backend)
    if priority is None or priority < 1:
        return (
            f"the keyring backend {_name(backend)} is not a recommended OS keyring "
            f"(keyring rates it {priority if priority is not None else 'unusable'}, below 1)"
        )
    return None


def _members(backend: KeyringBackend) -> list[KeyringBackend]:
    """The backends a keyring reads and writes: a chainer's members, else itself."""
    if isinstance(backend, ChainerBackend):
        return list(backend.backends)
    return [backend]


def safe_backend() -> KeyringBackend:
    """The OS keyring to keep hub passwords in: the keyring in use when it is acceptable, or
    the best acceptable member of a chain; raises InsecureKeyring, saying why and what to do
    instead, when there is none."""
    backend = keyring.get_keyring()
    members = _members(backend)
    reasons = [(m, refusal(m)) for m in members]
    for member, why in reasons:
        if why is None:
            return member
    why = next((w for _, w in reasons if w and "no OS keyring" not in w), None)
    raise InsecureKeyring(
        f"{why or 'there is no OS keyring on this machine'}: ehub-tui never keeps a hub "
        f"password in a file — {INSTEAD}"
    )


def store_password(url: str, password: str) -> None:
    """Keep the hub password in the OS keyring; raises KeyringError (InsecureKeyring when the
    keyring would keep it in a file, or there is none)."""
    safe_backend().set_password(SERVICE, account_for(url), password)


def fetch_password(url: str) -> str | None:
    """The hub password from the OS keyring, or None (also when no acceptable keyring is there:
    then libpq may still find it in PGPASSFILE)."""
    try:
        return safe_backend().get_password(SERVICE, account_for(url))
    except KeyringError:
        return None


def forget_password(url: str) -> bool:
    """Remove a stored hub password; True if one was there."""
    try:
        safe_backend().delete_password(SERVICE, account_for(url))
    except (PasswordDeleteError, KeyringError):
        return False
    return True
