"""One poller for the live screens (supervisor board, reports).

A fetch runs in a thread worker and posts a ``PollDone`` to the app, which hands it back to the
poller on the UI thread (the app, not the screen: handled inside the screen's own queue, the
reports table re-fitted itself before its new rows were laid out and lost a column after a
refresh). The next fetch is armed
by a one-shot timer only after the last one was shown, so two fetches never overlap and a slow
hub is never asked faster than it answers. While the screen is covered (a dialog, help) a due
fetch waits; asked for during a fetch, one more fetch follows it, never a second at once. A
result for data no longer wanted (``key`` changed meanwhile) is dropped and fetched again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.message import Message

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer

T = TypeVar("T")


class Poller(Generic[T]):
    """Fetches ``fetch(key)`` for ``screen`` in a worker and hands the result to ``shown``.

    ``shown(value)`` and ``failed(error)`` run on the UI thread and return the seconds until the
    next fetch (None: not by itself). ``key()`` names the data wanted now (the reports' period).
    ``refresh_on_resume``: fetch at once when the screen is uncovered (else only if a fetch fell
    due meanwhile)."""

    def __init__(
        self,
        screen: Screen[Any],
        fetch: Callable[[Hashable], T],
        *,
        shown: Callable[[T], float | None],
        failed: Callable[[Exception], float | None],
        key: Callable[[], Hashable] = lambda: None,
        group: str = "poll",
        refresh_on_resume: bool = False,
    ) -> None:
        self.screen = screen
        self.fetch = fetch
        self.shown = shown
        self.failed = failed
        self.key = key
        self.group = group
        self.refresh_on_resume = refresh_on_resume
        self.timer: Timer | None = None
        self.fetching = False
        self.paused = False
        self._again = False  # asked for while a fetch ran: fetch again after it
        self._missed = False  # fell due while the screen was covered

    def request(self) -> None:
        """Fetch now (or, if a fetch is running, once more right after it)."""
        self._missed = False
        self._stop_timer()
        if self.fetching:
            self._again = True
            return
        self.fetching = True
        key = self.key()
        self.screen.run_worker(lambda: self._work(key), thread=True, group=self.group)

    def _work(self, key: Hashable) -> None:
        try:
            value = self.fetch(key)
        except Exception as exc:  # the hub refused or did not answer: the screen says so
            self.screen.app.post_message(PollDone(self, key, error=exc))
            return
        self.screen.app.post_message(PollDone(self, key, value=value))

    def done(self, message: PollDone) -> None:
        """A fetch finished (called by the app's PollDone handler, on the UI thread)."""
        self.fetching = False
        # gone, or the app shutting down (its screens' widgets are being removed: a result
        # shown now found the board's headline already gone)
        if not self.screen.is_attached or not self.screen.app.is_running:
            return
        if self._again or message.key != self.key():
            self._again = False
            self.request()
            return
        if message.error is not None:
            delay = self.failed(message.error)
        else:
            delay = self.shown(message.value)
        if delay is not None:
            self._stop_timer()
            self.timer = self.screen.set_timer(delay, self._tick)

    def _tick(self) -> None:
        self.timer = None
        if self.paused:
            self._missed = True
        else:
            self.request()

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None

    def pause(self) -> None:
        """The screen is covered: a fetch that falls due waits."""
        self.paused = True

    def resume(self) -> None:
        """The screen is uncovered: fetch if one fell due (or always, ``refresh_on_resume``)."""
        was_paused, self.paused = self.paused, False
        if self._missed or (self.refresh_on_resume and was_paused):
            self.request()


class PollDone(Message):
    """A poller's fetch finished: ``value`` or ``error`` for the data wanted under ``key``."""

    def __init__(
        self, poller: Poller[Any], key: Hashable, value: Any = None, error: Exception | None = None
    ) -> None:
        super().__init__()
        self.poller = poller
        self.key = key
        self.value = value
        self.error = error
