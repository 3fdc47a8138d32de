"""Network faults for a workstation on the embedded hub: a HubClient that breaks chosen calls on
their way to a real ``InProcessClient`` (the hub's own service, database and audit), as the
network between a workstation and ``hub serve`` would.

:class:`FaultyClient` wraps any HubClient. Every hub call (``sync_push``, ``sync_pull``,
``claim``, ``me``, ...) passes through it; the first :class:`SyncFault` rule that matches the
call's method name decides what happens:

- ``drop_before``: HubUnreachable; the hub never sees the call;
- ``drop_after``: the hub handles (and commits) it, the reply is lost: HubUnreachable;
- ``duplicate``: the hub receives the call twice (a retransmitted request); the client gets the
  first reply, or the second with ``second=True`` (for a push: every state ``duplicate``);
- ``reorder``: a push of two or more events arrives as two requests, the second half first; the
  results are handed back in the order the client sent them (as it would match them by id);
- ``delay``: the call is held past the client's timeout (HubUnreachable now) and reaches the hub
  later: after the next call this client makes, or at :meth:`FaultyClient.deliver_late`;
- ``status``: a proxy's 5xx in front of a restarting hub: HubUnreachable, the hub never sees it;
- a partition: :meth:`FaultyClient.partition` (the next ``n`` calls) or
  :meth:`FaultyClient.go_down` / :meth:`FaultyClient.heal` (every call until healed) fail with
  HubUnreachable before reaching the hub.

Only transport is broken here: the code under test (the sync engine, the local store, the hub)
runs unchanged. ``seen`` records every call made to this client and ``delivered`` every one the
hub received (method names, in order), so a test can say "sent once, applied once".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from ehub_tui.client.protocol import HubClient
from ehub_tui.domain.sync import PushResult, SyncEvent
from ehub_tui.errors import HubUnreachable

SyncFaultKind = Literal["drop_before", "drop_after", "duplicate", "reorder", "delay", "status"]
SYNC_FAULT_KINDS: tuple[SyncFaultKind, ...] = (
    "drop_before",
    "drop_after",
    "duplicate",
    "reorder",
    "delay",
    "status",
)

# Calls that never reach the hub (local reads of the client's own state): never faulted.
_LOCAL = frozenset({"hub_time", "close", "token", "device_id", "last_role", "core"})
# The calls that do: the HubClient protocol's methods (a client's own extras, such as the HTTP
# client's on_role callback registration, pass through untouched).
_HUB_CALLS = frozenset(
    name for name in dir(HubClient) if not name.startswith("_") and name not in _LOCAL
)


@dataclass
class SyncFault:
    """One rule: ``kind`` applied to the next ``times`` calls of ``method`` (None: any call)."""

    kind: SyncFaultKind
    method: str | None = None
    times: int = 1
    second: bool = False  # duplicate: hand back the second delivery's reply

    def matches(self, method: str) -> bool:
        """Whether this rule applies to a call of ``method`` (it still has uses left)."""
        return self.times > 0 and (self.method is None or self.method == method)


class FaultyClient:
    """A HubClient passing calls to ``inner`` except those a rule breaks (see the module
    docstring). Thread-safe: a sync engine's sender thread and a test may call at once."""

    def __init__(self, inner: HubClient, name: str = "workstation") -> None:
        self.inner = inner
        self.name = name
        self.faults: list[SyncFault] = []
        self.seen: list[str] = []  # every hub call made to this client, by method name
        self.delivered: list[str] = []  # every call the hub received (a duplicate twice)
        self._lost = 0  # calls refused by a partition (the next n)
        self._down = False
        self._late: list[tuple[str, Callable[[], Any]]] = []  # delayed calls not yet delivered
        self._lock = threading.Lock()

    @property
    def client(self) -> HubClient:
        """This object typed as the HubClient it stands in for."""
        return cast(HubClient, self)

    # -- rules -------------------------------------------------------------------------------

    def add(
        self, kind: SyncFaultKind, method: str | None = None, times: int = 1, second: bool = False
    ) -> SyncFault:
        """Break the next ``times`` calls of ``method`` (None: any) with ``kind``."""
        fault = SyncFault(kind, method, times, second)
        with self._lock:
            self.faults.append(fault)
        return fault

    def partition(self, calls: int) -> None:
        """The next ``calls`` calls fail before reaching the hub (a network partition)."""
        with self._lock:
            self._lost += calls

    def go_down(self) -> None:
        """Every call fails before reaching the hub until :meth:`heal`."""
        with self._lock:
            self._down = True

    def heal(self, deliver: bool = True) -> None:
        """End every fault: no rules, no partition; delayed calls delivered (``deliver``)."""
        with self._lock:
            self.faults.clear()
            self._lost = 0
            self._down = False
        if deliver:
            self.deliver_late()

    @property
    def is_down(self) -> bool:
        """Whether calls are failing now (down, or a partition not yet used up)."""
        with self._lock:
            return self._down or self._lost > 0

    def deliver_late(self) -> int:
        """Deliver every delayed call to the hub now (their replies are lost); how many."""
        with self._lock:
            late, self._late = self._late, []
        for method, send in late:
            self._deliver(method, send, swallow=True)
        return len(late)

    def count(self, method: str, *, delivered: bool = False) -> int:
        """How many calls of ``method`` were made here (or, ``delivered``, reached the hub)."""
        with self._lock:
            rows = list(self.delivered if delivered else self.seen)
        return rows.count(method)

    # -- the calls -----------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in _HUB_CALLS or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._call(name, attr, args, kwargs)

        return call

    def sync_push(self, events: Sequence[SyncEvent]) -> PushResult:
        """Push ``events``, broken as a rule says (``reorder`` splits the batch)."""
        fault = self._take("sync_push")
        if fault is not None and fault.kind == "reorder" and len(events) > 1:
            self._after_call()
            half = len(events) // 2
            later, sooner = list(events[:half]), list(events[half:])
            first = self._deliver("sync_push", lambda: self.inner.sync_push(sooner))
            second = self._deliver("sync_push", lambda: self.inner.sync_push(later))
            by_id = {r.event_id: r for r in [*first.results, *second.results]}
            return PushResult(results=[by_id[e.event_id] for e in events], hub_time=second.hub_time)
        result: PushResult = self._apply(
            "sync_push", fault, lambda: self.inner.sync_push(list(events))
        )
        return result

    def _call(self, name: str, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        return self._apply(name, self._take(name), lambda: fn(*args, **kwargs))

    def _take(self, method: str) -> SyncFault | None:
        """Record the call; raise if partitioned; the rule that breaks it, if any."""
        with self._lock:
            self.seen.append(method)
            if self._down:
                raise HubUnreachable(f"{self.name}: the hub is not answering (network down)")
            if self._lost > 0:
                self._lost -= 1
                raise HubUnreachable(f"{self.name}: the hub is not answering (partition)")
            for fault in self.faults:
                if fault.matches(method):
                    fault.times -= 1
                    return fault
        return None

    def _apply(self, method: str, fault: SyncFault | None, send: Callable[[], Any]) -> Any:
        kind = fault.kind if fault is not None else None
        if kind == "drop_before":
            raise HubUnreachable(f"{self.name}: cannot reach the hub (request lost)")
        if kind == "status":
            raise HubUnreachable(f"{self.name}: the hub is not answering properly (HTTP 503)")
        if kind == "delay":
            with self._lock:
                self._late.append((method, send))
            raise HubUnreachable(f"{self.name}: the hub did not answer in time (delayed)")
        try:
            result = self._deliver(method, send)
            if kind == "duplicate":
                again = self._deliver(method, send, swallow=True)
                if fault is not None and fault.second and again is not None:
                    result = again
        finally:
            self._after_call()
        if kind == "drop_after":
            raise HubUnreachable(f"{self.name}: the connection broke before the hub answered")
        return result

    def _deliver(self, method: str, send: Callable[[], Any], swallow: bool = False) -> Any:
        with self._lock:
            self.delivered.append(method)
        if not swallow:
            return send()
        try:
            return send()
        except Exception:  # a reply nobody reads: whatever the hub answered is lost
            return None

    def _after_call(self) -> None:
        """A delayed call reaches the hub after the one that followed it (reordered)."""
        if self._late:
            self.deliver_late()
