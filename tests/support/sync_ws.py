"""A workstation for the sync reliability tests, as the app builds it: its own local store file,
a ClientService over a HubClient (the in-process client behind a :class:`FaultyClient`, or
HTTPS through a FaultTransport), its own wall clock (skewed from the hub's), and the sender.

``make_client`` makes the client instead (HTTPS to a served hub); ``wrap`` puts a FaultyClient
in front of it too (the state machine over HTTPS: faults at the client's calls, the real HTTP
stack under them). ``step=True`` (the state machine): the SyncEngine is made but its thread is
never started; the test runs one sender round at a time with :meth:`Workstation.sync_round`, so
every example replays exactly (Hypothesis shrinks it). ``step=False``: the app's own
arrangement, the sender thread started on first use.

:meth:`Workstation.kill` drops every object of the workstation without closing anything (as
``kill -9`` leaves the file), and :meth:`Workstation.open` starts it again from the same file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.local import LocalStore
from ehub_tui.client.service import ClientService
from ehub_tui.client.sync import SyncEngine
from ehub_tui.config import Settings
from ehub_tui.domain.clock import SystemClock
from ehub_tui.hub.core import HubCore
from tests.support.hubserver import PASSWORD, fast_hasher
from tests.support.sync_faults import FaultyClient


class SkewedClock:
    """A workstation's wall clock: the hub's (a function) plus ``skew`` seconds, and a clock
    jump the test can make; the monotonic clock is the machine's."""

    def __init__(self, hub_now: Callable[[], datetime], skew: float) -> None:
        self.hub_now = hub_now
        self.skew = skew

    def now(self) -> datetime:
        return self.hub_now() + timedelta(seconds=self.skew)

    def clock(self) -> SystemClock:
        return SystemClock(self.now, time.monotonic)


class Workstation:
    """One workstation of one navigator (see the module docstring)."""

    def __init__(
        self,
        name: str,
        user: str,
        folder: Path,
        *,
        core: HubCore | None = None,
        make_client: Callable[[str], Any] | None = None,
        skew: float = 0.0,
        hub_now: Callable[[], datetime] | None = None,
        step: bool = True,
        wrap: bool = False,
        **settings: Any,
    ) -> None:
        self.name = name
        self.user = user
        self.folder = folder
        self.device = f"ws-{name}"
        self.path = folder / name / "local.sqlite3"
        self.core = core
        self._make_client = make_client
        self.wrap = wrap  # a made client (HTTPS) behind a FaultyClient too
        self.step = step
        now = hub_now if hub_now is not None else (core.clock.now if core is not None else None)
        assert now is not None, "a workstation needs the hub's clock to skew from"
        self.wall = SkewedClock(now, skew)
        self.settings = Settings(
            data_dir=folder / name / "data",
            sync_wait_seconds=0.0 if step else settings.pop("sync_wait_seconds", 3.0),
            **settings,
        )
        self.faulty: FaultyClient | None = None
        self.svc: ClientService
        self.store: LocalStore
        self.engine: SyncEngine | None = None
        self.open()

    # -- life ----------------------------------------------------------------------------------

    def _client(self) -> Any:
        if self._make_client is not None:
            made = self._make_client(self.device)
            if not self.wrap:
                return made
            inner = made
        else:
            assert self.core is not None
            inner = InProcessClient(self.core, self.device)
        if self.faulty is None:
            self.faulty = FaultyClient(inner, self.name)
        else:  # the network (and what is in flight on it) outlives the app
            self.faulty.inner = inner
        return self.faulty.client

    def open(self) -> None:
        """Start the workstation's app on its local file (not signed in)."""
        self.store = LocalStore(self.path, device_id=self.device, hub_key="test-hub")
        self.svc = ClientService(
            self._client(),
            self.settings,
            clock=self.wall.clock(),
            local=self.store,
            hasher=fast_hasher(),
        )
        self.engine = None
        if self.step:
            svc = self.svc
            # the sender made as ClientService makes it, never started: rounds are the test's
            self.engine = SyncEngine(
                svc.client,
                self.store,
                self.settings,
                svc._local_clock,
                user=lambda: svc.actor,
                call=svc._call,
                on_change=svc._sync_changed,
            )
            svc._engine = self.engine

    def kill(self) -> None:
        """kill -9: every object dropped, nothing closed or flushed beyond what committed."""
        del self.svc, self.store
        self.engine = None

    def restart(self) -> None:
        """kill -9, then the app started again on the same file."""
        self.kill()
        self.open()

    def close(self) -> None:
        """A clean shutdown (the sender stopped, the file closed)."""
        self.svc.close()

    # -- what the navigator does ---------------------------------------------------------------

    def sign_in(self) -> bool:
        """Sign in (offline with the cached verifier when the hub does not answer); whether
        signed in now."""
        from ehub_tui.errors import HubUnreachable

        try:
            self.svc.sign_in(self.user, PASSWORD)
        except HubUnreachable:
            return False
        return self.svc.actor == self.user

    @property
    def signed_in(self) -> bool:
        return self.svc.actor == self.user

    def sync_round(self) -> None:
        """One sender round (step mode): pull, push, record the answers."""
        assert self.engine is not None, "sync_round is for step mode"
        self.engine._round()

    def drain_steps(self, rounds: int = 20) -> int:
        """Rounds until nothing of the user's is pending (step mode); what is still pending."""
        pending = self.store.counts(self.user)[0]
        for _ in range(rounds):
            if pending == 0:
                break
            self.sync_round()
            pending = self.store.counts(self.user)[0]
        return pending
