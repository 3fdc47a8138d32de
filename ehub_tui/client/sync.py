"""The sender: one daemon thread that keeps a workstation's local store and its hub in step.

A round pulls what changed since the user's cursor (applied to the local store in one
transaction), fetches the published SOP versions when the pull's ``sop_stamp`` is new to the
cache, then pushes the user's pending outbox rows in device order, ``sync_push_batch`` at a time,
and records the hub's answer to each (a refused completion keeps its outcome, marked refused);
after a push it pulls again so the cache shows what the push did. Rounds run every
``sync_pull_seconds``, and at once when kicked (a completion, a return to the queue, a call that
found the hub back).

The hub not answering (HubUnreachable) makes the status offline and the next round wait 1 s,
doubling up to ``sync_backoff_max_seconds``, each wait drawn uniformly below its cap ("full
jitter", so many workstations coming back at once do not all knock together). A sign-in the hub
no longer accepts (SessionEnded, NotSignedIn) stops the rounds until the next sign-in: the
caller's ``call`` (ClientService's PrincipalWatch) reports it to the app.

The hub's clock: every reply carries the hub's time; the offset (hub − this workstation) is taken
at the middle of the request, and of the last few replies the one with the shortest round trip is
believed (the tightest bound). Events carry the estimate when they are made.

``status()`` answers from memory (no I/O: the status line reads it on the UI thread);
``on_change`` is called from the sender's thread with each new status. ClientService reads
``status().online`` before every call the app makes: with the hub known away it answers from the
local store at once (a hung hub would otherwise cost every call its timeout), so the rounds here
are what notice the hub is back; ``note_away`` lets a call that just failed say so at once.
The hub going away and coming back are logged once each, not per call.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from ehub_tui.client.local import LocalStore
from ehub_tui.client.local.outbox import is_refusal
from ehub_tui.client.protocol import HubClient
from ehub_tui.config import Settings
from ehub_tui.domain.clock import SystemClock
from ehub_tui.domain.sync import SUSPECT_OFFSET_SECONDS, EventResult, PullResult, SyncStatus
from ehub_tui.errors import HubUnreachable, NotSignedIn

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_SAMPLES = 8  # replies the clock estimate chooses from
_KEEP_RESULTS = 2000  # answers kept in memory for wait_for


def _direct(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    return fn(*args, **kwargs)


class SyncEngine:
    """Pull, push and the status line's state (see the module docstring).

    ``user`` says who is signed in ("" when nobody: rounds do nothing); ``call`` makes each hub
    call (ClientService passes its watch, which reports an ended sign-in); ``prepare`` runs
    before each round (ClientService finishes an offline sign-in there when the hub answers);
    ``rng`` draws the backoff's jitter (tests seed one).
    """

    def __init__(
        self,
        client: HubClient,
        store: LocalStore,
        settings: Settings,
        clock: SystemClock,
        *,
        user: Callable[[], str],
        call: Callable[..., Any] = _direct,
        prepare: Callable[[], None] | None = None,
        on_change: Callable[[SyncStatus], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.settings = settings
        self.clock = clock
        self.on_change = on_change
        self._user = user
        self._hub = call
        self._prepare = prepare
        self._rng = rng or random.Random()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._kicked = False
        self._paused = False
        self._failures = 0
        self._started = 0  # rounds begun
        self._finished = 0  # rounds ended (whatever their outcome)
        self._results: collections.OrderedDict[str, EventResult] = collections.OrderedDict()
        self._samples: collections.deque[tuple[float, float]] = collections.deque(maxlen=_SAMPLES)
        self._cursors: dict[str, int] = {}
        device = store.device()
        self._status = SyncStatus(
            online=True,
            pending=0,
            rejected=0,
            last_synced=device.last_synced,
            offset_seconds=device.offset_seconds,
            rtt_seconds=device.rtt_seconds,
            cursor=device.cursor,
            suspect_clock=_suspect(device.offset_seconds),
        )
        if device.offset_seconds is not None and device.rtt_seconds is not None:
            self._samples.append((device.rtt_seconds, device.offset_seconds))

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the sender thread (once; a later call only kicks it)."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ehub-sync", daemon=True)
                self._thread.start()
                return
        self.kick()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the sender (a round under way finishes its current call first)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def kick(self) -> None:
        """Run a round now (or right after the one under way)."""
        with self._cond:
            self._kicked = True
            self._cond.notify_all()

    def resume(self) -> None:
        """A new sign-in: rounds may run again (after an ended one stopped them)."""
        with self._cond:
            self._paused = False
            self._failures = 0
        self.kick()

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

    def wait_for(self, event_id: str, timeout: float) -> EventResult | None:
        """The hub's answer to an event, waiting up to ``timeout`` seconds for it (None: no
        answer yet; the event stays pending and the sender keeps trying)."""
        deadline = self.clock.monotonic() + max(0.0, timeout)
        with self._cond:
            while event_id not in self._results:
                left = deadline - self.clock.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            found = self._results.get(event_id)
        if found is not None:
            return found
        known = self.store.event_result(event_id)  # answered in another process, or earlier
        return None if known is None else known[1]

    def drain(self, timeout: float) -> SyncStatus:
        """Run rounds until nothing of the user's is pending (or ``timeout`` seconds pass, or
        the hub is away); the status afterwards."""
        deadline = self.clock.monotonic() + timeout
        self.start()
        with self._cond:
            target = self._started + 1  # a round begun after now
            self._kicked = True
            self._cond.notify_all()
            while True:
                done = self._finished >= target
                if done and (self._status.pending == 0 or not self._status.online):
                    break
                if done and not self._kicked:
                    target = self._started + 1
                    self._kicked = True
                    self._cond.notify_all()
                left = deadline - self.clock.monotonic()
                if left <= 0 or self._stopping:
                    break
                self._cond.wait(min(left, 0.5))
        return self._status

    # -- the thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        delay = 0.0
        while True:
            deadline = self.clock.monotonic() + delay
            with self._cond:
                while not (self._kicked or self._stopping):
                    left = deadline - self.clock.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                if self._stopping:
                    return
                self._kicked = False
                self._started += 1
            delay = self._round()

    def _round(self) -> float:
        """One round; returns how long to wait before the next."""
        user = self._user()
        online, error = self._status.online, self._status.last_error
        delay = self.settings.sync_pull_seconds
        try:
            if user and not self._paused:
                if self._prepare is not None:
                    self._prepare()
                    user = self._user()
                stamp = self._pull(user)
                if self._push(user):
                    stamp = self._pull(user)
                if stamp is not None:  # after the push: a completion waits for no SOP text
                    self._fetch_sops(stamp)
                online, error, self._failures = True, None, 0
        except HubUnreachable as exc:
            online, error, delay = False, str(exc), self._backoff()
        except NotSignedIn as exc:  # (SessionEnded too) reported to the app by ``call``
            with self._cond:
                self._paused = True
            error = f"not signed in: {exc}"
        except Exception as exc:  # the hub answered but failed; logged without patient data
            log.warning("sync round failed: %s", type(exc).__name__)
            error, delay = str(exc) or type(exc).__name__, self._backoff()
        finally:
            self._publish(user, online, error)
        return delay

    def _backoff(self) -> float:
        self._failures += 1
        cap = min(self.settings.sync_backoff_max_seconds, 2.0 ** (self._failures - 1))
        return max(0.05, self._rng.uniform(0.0, cap))

    def _cursor(self, user: str) -> int:
        if user not in self._cursors:
            kept = self.store.user(user)
            self._cursors[user] = kept.pull_cursor if kept is not None else 0
        return self._cursors[user]

    def _pull(self, user: str) -> tuple[int, int] | None:
        """Pull and apply; returns the hub's SOP stamp when it differs from the cached one."""
        started = self.clock.now()
        t0 = self.clock.monotonic()
        pull: PullResult = self._hub(self.client.sync_pull, self._cursor(user))
        self._sample(pull.hub_time, started, t0)
        self.store.apply_pull(user, pull, started, self.clock.now())
        self._cursors[user] = pull.cursor
        if pull.not_modified or pull.sop_stamp == self.store.sop_stamp():
            return None
        if not any(pull.sop_stamp):
            # nothing published yet: asking for the versions would have the hub seed its
            # shipped ones (an audited write); the app's guidance does that when it loads
            return None
        return pull.sop_stamp

    def _fetch_sops(self, stamp: tuple[int, int]) -> None:
        """Keep the hub's published SOP versions for guidance with the hub away."""
        try:
            versions = self._hub(self.client.published_sops)
        except HubUnreachable:
            raise
        except Exception as exc:  # guidance keeps the versions it has
            log.warning("SOP versions could not be fetched: %s", type(exc).__name__)
        else:
            self.store.cache_sops(versions, stamp)

    def _push(self, user: str) -> int:
        """Send the user's pending events in device order; returns how many were answered."""
        answered = 0
        batch = self.settings.sync_push_batch
        while not self._stopping:
            events = self.store.pending(user, batch)
            if not events:
                break
            started = self.clock.now()
            t0 = self.clock.monotonic()
            try:
                pushed = self._hub(self.client.sync_push, events)
            except Exception:
                later = started + timedelta(seconds=self.settings.sync_pull_seconds)
                with contextlib.suppress(Exception):
                    self.store.note_attempt([e.event_id for e in events], later)
                raise
            self._sample(pushed.hub_time, started, t0)
            sent = {e.event_id for e in events}
            results = [r for r in pushed.results if r.event_id in sent]
            self.store.record_results(results, self.clock.now())
            with self._cond:
                for r in results:
                    self._results[r.event_id] = r
                    if is_refusal(r):
                        log.info("sync event %s refused: %s", r.event_id, r.code)
                while len(self._results) > _KEEP_RESULTS:
                    self._results.popitem(last=False)
                self._cond.notify_all()
            answered += len(results)
            if not results:  # the hub answered none of them: try again next round
                break
        return answered

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
