"""Back-off and lock-out of failed sign-ins: how long an account must wait, how that is said,
and the failures of usernames that do not exist (kept in memory only).

After ``BACKOFF_AFTER`` consecutive failures each further attempt must wait 2^(n-5) s; at
``settings.lockout_after`` failures the account is locked 15 min, doubling with each further
failure up to 24 h. ``hub.auth`` applies these; the counts of real accounts live in
``hub_credential`` (store/credentials.py).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

BACKOFF_AFTER = 5  # failures before each further attempt must wait
LOCK_FIRST = timedelta(minutes=15)
LOCK_MAX = timedelta(hours=24)
UNKNOWN_TRACKED = 10_000  # usernames that do not exist whose failures are remembered


def lock_seconds(failures: int, lockout_after: int) -> int:
    """How long an account must wait after ``failures`` consecutive failed sign-ins (0: none)."""
    if failures >= lockout_after:
        seconds = LOCK_FIRST.total_seconds() * 2 ** min(failures - lockout_after, 16)
        return int(min(seconds, LOCK_MAX.total_seconds()))
    if failures >= BACKOFF_AFTER:
        return int(2 ** (failures - BACKOFF_AFTER))
    return 0


def retry_after(until: datetime, now: datetime) -> int:
    """Whole seconds (at least 1) from ``now`` until a lock ends."""
    return max(1, math.ceil((until - now).total_seconds()))


def locked_message(wait: int) -> str:
    """The sentence a locked account is told: how long to wait, in words."""
    if wait >= 120:
        said = f"{math.ceil(wait / 60)} minutes"
    else:
        said = f"{wait} seconds" if wait != 1 else "1 second"
    return f"too many failed sign-ins: wait {said} before trying again"


class UnknownNames:
    """Failed sign-ins by usernames that do not exist, in memory only (bounded): they get the
    same back-off as a real account, so a lock-out never tells anyone which names exist."""

    def __init__(self, size: int = UNKNOWN_TRACKED) -> None:
        self._size = size
        self._seen: OrderedDict[str, tuple[int, datetime | None]] = OrderedDict()
        self._lock = threading.Lock()

    def locked_until(self, name: str) -> datetime | None:
        """When the name's lock or back-off ends (None: it may try now)."""
        with self._lock:
            entry = self._seen.get(name)
            return entry[1] if entry else None

    def fail(self, name: str, now: datetime, lockout_after: int) -> tuple[int, datetime | None]:
        """Count one more failure of ``name``: (failures in a row, locked until or None)."""
        with self._lock:
            count = self._seen.pop(name, (0, None))[0] + 1
            wait = lock_seconds(count, lockout_after)
            until = now + timedelta(seconds=wait) if wait else None
            self._seen[name] = (count, until)
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)  # the oldest name is forgotten first
            return count, until
