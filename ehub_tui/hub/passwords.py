"""Passwords on the hub: argon2id hashes, the password policy, and verifying without telling
who exists.

The default parameters are RFC 9106's low-memory profile (argon2id, t=3, m=64 MiB, p=4), the
ones argon2-cffi recommends; a hash made with other parameters is upgraded at the next sign-in
(``needs_rehash``). Each hash or verify holds 64 MiB while it runs, so at most four run at once
in a process (a burst of sign-ins waits rather than exhausting the hub's memory). Tests pass a
cheap hasher (``argon2.profiles.CHEAPEST``); the parameters live in each hash, so a hub's
hashes verify under any hasher.

The policy follows NCSC and NIST SP 800-63B: long enough, not the username, not a well-known
password; no composition rules (they make passwords worse, not better).
"""

from __future__ import annotations

import logging
import secrets
import threading
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from ehub_tui.errors import StoreError

log = logging.getLogger(__name__)

MAX_LENGTH = 128  # a cap keeps a request from making the hub hash a megabyte
_CONCURRENT = threading.Semaphore(4)  # per process: 4 x 64 MiB at most

# Passwords that are long enough but are the first an attacker tries (compared ignoring case and
# spaces). Short common ones (e.g. "123456") are refused by the length rule already.
COMMON_PASSWORDS: tuple[str, ...] = (
    "000000000000",
    "111111111111",
    "123123123123",
    "123456789012",
    "1234567890123",
    "12345678910",
    "abc123abc123",
    "abcdefghijkl",
    "administrator",
    "changeme1234",
    "changemenow!",
    "correcthorsebatterystaple",
    "football1234",
    "iloveyou1234",
    "letmein12345",
    "monkey123456",
    "nhs123456789",
    "nhspassword1",
    "passw0rd1234",
    "password",
    "password1",
    "password1!",
    "password12",
    "password123",
    "password1234",
    "password12345",
    "password123!",
    "passwordpassword",
    "pcnpassword1",
    "q1w2e3r4t5y6",
    "qwerty123456",
    "qwertyuiop",
    "qwertyuiop12",
    "qwertyuiopas",
    "starwars1234",
    "summer2025!!",
    "summer2026!!",
    "sunshine1234",
    "welcome12345",
    "welcome123!",
    "winter2025!!",
    "winter2026!!",
)
_DENIED = frozenset(COMMON_PASSWORDS)


class PolicyError(StoreError):
    """A new password the policy refuses; the message says what is wrong with it."""


def default_hasher() -> PasswordHasher:
    """The hub's hasher: argon2id with RFC 9106's low-memory parameters."""
    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def normalise(password: str) -> str:
    """The form a password is hashed in: Unicode NFKC, so the same characters typed on another
    keyboard or system give the same password (NIST SP 800-63B)."""
    return unicodedata.normalize("NFKC", password)


def check_password_policy(password: str, username: str, min_length: int) -> None:
    """Raise PolicyError saying what is wrong with ``password`` as a new password."""
    pw = normalise(password)
    if len(pw) < min_length:
        raise PolicyError(
            f"the password is too short: use at least {min_length} characters "
            f"(it has {len(pw)}); a few words strung together are long and easy to remember"
        )
    if len(pw) > MAX_LENGTH:
        raise PolicyError(
            f"the password is too long: use at most {MAX_LENGTH} characters (it has {len(pw)})"
        )
    folded = pw.casefold()
    name = normalise(username).casefold()
    if len(name) >= 3 and name in folded:
        raise PolicyError("the password must not contain the username")
    squeezed = "".join(folded.split())
    if squeezed in _DENIED or len(set(squeezed)) <= 2:
        raise PolicyError("that password is one of the first an attacker would try: choose another")


class Passwords:
    """Hashing and verifying with one hasher, at most four at a time per process."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or default_hasher()
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    def hash(self, password: str) -> str:
        """The argon2 hash to store for a (policy-checked) password."""
        with _CONCURRENT:
            return self.hasher.hash(normalise(password))

    def verify(self, password_hash: str, password: str) -> bool:
        """True if ``password`` is the one ``password_hash`` was made from."""
        with _CONCURRENT:
            try:
                return self.hasher.verify(password_hash, normalise(password[: MAX_LENGTH * 4]))
            except VerifyMismatchError:
                return False
            except (InvalidHashError, VerificationError):
                # a hash damaged or written by something else: nobody can sign in with it
                log.warning("a stored password hash cannot be read; the sign-in is refused")
                return False

    def verify_nobody(self, password: str) -> None:
        """Do the work of a verify that fails, for a user who does not exist (or has no
        password): the answer then takes as long as for a wrong password."""
        self.verify(self._dummy_hash(), password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True if the hash was made with parameters other than this hasher's."""
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return False

    def _dummy_hash(self) -> str:
        with self._dummy_lock:
            if self._dummy is None:
                # made with this hasher's parameters (so it costs what a real verify costs) from
                # a random password nobody knows
                self._dummy = self.hash(secrets.token_urlsafe(24))
            return self._dummy
