"""Hub passwords live in the OS keyring, never in a file.

``ehub-tui login`` stores the password for a hub URL's user and host; the engine factory fetches
it when it connects. Tests and CI select the in-memory backend below with
``PYTHON_KEYRING_BACKEND=ehub_tui.secrets.MemoryKeyring`` (or ``keyring.set_keyring``).
"""

from __future__ import annotations

from typing import ClassVar

import keyring
from keyring.backend import KeyringBackend
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


def store_password(url: str, password: str) -> None:
    """Keep the hub password in the OS keyring; raises KeyringError when there is none."""
    backend = keyring.get_keyring()
    if type(backend).__module__.startswith("keyring.backends.fail"):
        raise KeyringError(
            "no OS keyring is available on this machine (install and unlock one, e.g. "
            "GNOME Keyring or KWallet, or keyrings.alt for a file-based one)"
        )
    keyring.set_password(SERVICE, account_for(url), password)


def fetch_password(url: str) -> str | None:
    """The hub password from the OS keyring, or None (also when no keyring is usable)."""
    try:
        return keyring.get_password(SERVICE, account_for(url))
    except KeyringError:
        return None


def forget_password(url: str) -> bool:
    """Remove a stored hub password; True if one was there."""
    try:
        keyring.delete_password(SERVICE, account_for(url))
    except (PasswordDeleteError, KeyringError):
        return False
    return True
