"""Bearer tokens: made here, shown to the client once; the hub keeps only their SHA-256.

A token is ``ehub1_`` + 43 URL-safe characters (32 random bytes). The prefix names the format
(a later one can be told apart) and lets the log scrubber and secret scanners recognise one. The
digest needs no salt or slow hash: 256 random bits cannot be guessed, so a stolen ``hub_session``
table does not give anyone a usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "ehub1_"
_BYTES = 32
# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet, never padded
_SHAPE = re.compile(r"ehub1_[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """A fresh random bearer token."""
    return PREFIX + secrets.token_urlsafe(_BYTES)


def looks_like_token(token: str) -> bool:
    """True if ``token`` has the shape of one this hub makes (a garbled one is refused before
    the database is asked)."""
    return isinstance(token, str) and _SHAPE.fullmatch(token) is not None


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored for a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time equality of two strings (digests, device ids)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
