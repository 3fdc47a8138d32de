"""Where a workstation keeps its sign-in token between commands: the OS keyring, or memory.

A token is as good as a password for as long as it lives (until idle or absolute expiry, or
sign-out), so it is kept exactly where a hub password would be: in the OS keyring when
``ehub_tui.secrets`` accepts the keyring in use (a real desktop keyring, never one that writes a
file), otherwise only in this process's memory — the CLI then asks for the password again in the
next command. It is never written to a plain file, and never logged.

Keyring entry: service ``ehub-tui-token``, account ``<user>@<hub>#<device>`` (the hub server's URL,
or the embedded hub's database, and this device's id), so one account on one machine can hold a
token per user and hub, and a token copied to another device's entry is refused by the hub anyway.
"""

from __future__ import annotations

import contextlib
import threading

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from ehub_tui import secrets

SERVICE = "ehub-tui-token"


def account(user: str, hub: str, device_id: str) -> str:
    """The keyring account a token is kept under: ``<user>@<hub>#<device>``."""
    return f"{user}@{hub}#{device_id}"


class TokenStore:
    """Tokens by user, hub and device: the OS keyring when an acceptable one exists, else memory.

    ``persistent`` says which (the CLI tells the user that the next command will ask again).
    Safe to use from several threads.
    """

    def __init__(self, *, use_keyring: bool = True) -> None:
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self._backend: KeyringBackend | None = None
        self.why_memory: str | None = None  # why the keyring is not used (None: it is)
        if not use_keyring:
            self.why_memory = "the keyring is not to be used"
            return
        try:
            # the same test a hub password passes: a file-backed or absent keyring is refused
            self._backend = secrets.safe_backend()
        except KeyringError as exc:
            self.why_memory = str(exc)

    @property
    def persistent(self) -> bool:
        """True when tokens outlive this process (kept in the OS keyring)."""
        return self._backend is not None

    def get(self, user: str, hub: str, device_id: str) -> str | None:
        """The token kept for this user, hub and device, or None."""
        key = account(user, hub, device_id)
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        if self._backend is None:
            return None
        try:
            return self._backend.get_password(SERVICE, key)
        except KeyringError:  # a locked or failing keyring: as if nothing were kept
            return None

    def put(self, user: str, hub: str, device_id: str, token: str) -> None:
        """Keep a token (in the keyring when it is acceptable; in memory always)."""
        key = account(user, hub, device_id)
        with self._lock:
            self._memory[key] = token
        if self._backend is None:
            return
        try:
            self._backend.set_password(SERVICE, key, token)
        except KeyringError:
            # the keyring refused (locked, gone): memory only, as on a machine without one;
            # the message never names the token
            self.why_memory = "the keyring refused to keep the token"

    def forget(self, user: str, hub: str, device_id: str) -> None:
        """Drop a token (after sign-out, or when the hub no longer accepts it); safe to repeat."""
        key = account(user, hub, device_id)
        with self._lock:
            self._memory.pop(key, None)
        if self._backend is None:
            return
        # nothing was there, or the keyring is gone: either way it is not kept
        with contextlib.suppress(PasswordDeleteError, KeyringError):
            self._backend.delete_password(SERVICE, key)
