"""The sender's status: what the status line and ``sync status`` read (no I/O), the hub clock
estimate, and the bookkeeping that keeps them true (split from client/sync.py, whose
``SyncEngine`` inherits it)."""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ehub_tui.client.local import LocalStore
from ehub_tui.domain.clock import SystemClock
from ehub_tui.domain.sync import SUSPECT_OFFSET_SECONDS, SyncStatus

# the sender's own logger: "the hub is not answering" and "answering again" read as before
log = logging.getLogger("ehub_tui.client.sync")


class SyncStatusMixin:
    """The status half of SyncEngine (the attributes are SyncEngine's)."""

    store: LocalStore
    clock: SystemClock
    on_change: Callable[[SyncStatus], None] | None
    _user: Callable[[], str]
    _cond: threading.Condition
    _status: SyncStatus
    _finished: int
    _samples: collections.deque[tuple[float, float]]

    def kick(self) -> None:
        raise NotImplementedError

    def note_away(self, reason: str) -> None:
        """A call found the hub not answering: the status is offline from now on (so the app's
        next calls go to the local store at once), with the counts as the local store has
        them, until a round reaches the hub again. No round is kicked: the next one, on its
        schedule, probes."""
        with self._cond:
            if not self._status.online:
                return
        update: dict[str, Any] = {"online": False, "last_error": reason}
        update.update(self._counts())
        with self._cond:
            if not self._status.online:
                return
            status = self._status.model_copy(update=update)
        self._set_status(status, finished=False)

    def _counts(self) -> dict[str, int]:
        """The signed-in user's pending and refused counts from the local store ({} when
        nobody is signed in, or the file cannot be read: the next round says so)."""
        user = self._user()
        if not user:
            return {}
        try:
            pending, rejected = self.store.counts(user)
        except Exception as exc:
            log.warning("the local store could not be read: %s", type(exc).__name__)
            return {}
        return {"pending": pending, "rejected": rejected}

    def recount(self) -> None:
        """Something was saved here with the hub away (no round runs now): the status's
        counts from the local store, for the status line ("N waiting to send")."""
        counts = self._counts()
        with self._cond:
            status = self._status
        if counts and (status.pending, status.rejected) != (counts["pending"], counts["rejected"]):
            self._set_status(status.model_copy(update=counts), finished=False)

    def note_answered(self) -> None:
        """A call outside the rounds (a sign-in) reached the hub: the status is online again at
        once, and a round runs now to bring the local store up to date."""
        with self._cond:
            status = self._status
        if not status.online:
            self._set_status(
                status.model_copy(update={"online": True, "last_error": None}), finished=False
            )
        self.kick()

    # -- what callers read -------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        """The sync state as last seen (no I/O)."""
        return self._status

    def clock_estimate(self) -> tuple[float | None, float | None]:
        """(hub time − this workstation's time, the round trip it was measured over)."""
        with self._cond:
            if not self._samples:
                return None, None
            rtt, offset = min(self._samples)
        return offset, rtt

    def _sample(self, hub_time: datetime, sent_at: datetime, t0: float) -> None:
        """One reply's clock sample: hub time against this workstation's time mid-request."""
        rtt = max(0.0, self.clock.monotonic() - t0)
        middle = sent_at + timedelta(seconds=rtt / 2)
        with self._cond:
            self._samples.append((rtt, (hub_time - middle).total_seconds()))

    def _publish(self, user: str, online: bool, error: str | None) -> None:
        """Count what is pending and refused, keep the clock estimate, tell the listener."""
        pending = rejected = 0
        try:
            if user:
                pending, rejected = self.store.counts(user)
            device = self.store.device()
            offset, rtt = self.clock_estimate()
            if (
                online
                and offset is not None
                and (offset, rtt)
                != (
                    device.offset_seconds,
                    device.rtt_seconds,
                )
            ):
                self.store.note_clock(offset, rtt, device.last_synced or self.clock.now())
            last_synced, cursor = device.last_synced, device.cursor
        except Exception as exc:  # the local file failed: say so, keep going
            log.warning("the local store could not be read: %s", type(exc).__name__)
            error = error or f"the local store could not be read ({exc})"
            last_synced, cursor = self._status.last_synced, self._status.cursor
            offset, rtt = self.clock_estimate()
        status = SyncStatus(
            online=online,
            pending=pending,
            rejected=rejected,
            last_synced=last_synced,
            offset_seconds=offset,
            rtt_seconds=rtt,
            cursor=cursor,
            suspect_clock=_suspect(offset),
            last_error=error,
        )
        self._set_status(status, finished=True)

    def _set_status(self, status: SyncStatus, *, finished: bool) -> None:
        """Keep a new status, log the hub going away or coming back (once each), tell the
        listener when anything changed (``finished``: a round ended with it)."""
        with self._cond:
            before = self._status
            self._status = status
            if finished:
                self._finished += 1
            self._cond.notify_all()
        if before.online and not status.online:
            log.warning(
                "the hub is not answering: working from this workstation's records (%s)",
                status.last_error,
            )
        elif status.online and not before.online:
            log.info("the hub is answering again")
        hook = self.on_change
        if status != before and hook is not None:
            try:
                hook(status)
            except Exception as exc:  # a listener's failure must not stop the sender
                log.warning("sync status listener failed: %s", type(exc).__name__)


def _suspect(offset: float | None) -> bool:
    return offset is not None and abs(offset) > SUSPECT_OFFSET_SECONDS
