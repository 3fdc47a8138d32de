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
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from ehub_tui.client.local import LocalStore
from ehub_tui.client.local.outbox import is_refusal
from ehub_tui.client.protocol import HubClient
from ehub_tui.client.sync_status import SyncStatusMixin, _suspect
from ehub_tui.config import Settings
from ehub_tui.domain.clock import SystemClock
from ehub_tui.domain.sync import EventResult, PullResult, SyncStatus
from ehub_tui.errors import HubUnreachable, NotSignedIn

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_SAMPLES = 8  # replies the clock estimate chooses from
_KEEP_RESULTS = 2000  # answers kept in memory for wait_for


def _direct(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    return fn(*args, **kwargs)


class SyncEngine(SyncStatusMixin):
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
