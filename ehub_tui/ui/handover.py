"""The receiver's side of a handover (issue 15): told at once, the item marked in Mine, the
carried draft ready when it is opened.

``HandoverNotices`` asks the hub for this user's unseen handovers (``service.handovers()``: one
indexed read) every ``interval`` seconds, in a thread worker — the UI thread never waits on the
hub. Each new handover is said once, in a toast with the supervisor's note; it stays in
``current`` (item id → Handover) for Mine to mark (``mark``) until the receiver opens the item, when
the next poll acknowledges it (``ack_handover``, audited by the hub) and it leaves. A draft the
supervisor sent along is put in ``ctx.drafts`` (unless the receiver has one of their own for the
item), so the triage screen opens with it as the queue opens any kept draft.

With the hub away the service answers no handovers (nothing can be handed over without it) and
an acknowledgement waits for the next poll: nothing is lost, nothing crashes the app.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ehub_tui.ui.format import notify

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from ehub_tui.domain.handover import Handover
    from ehub_tui.ui.context import UiContext

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # how soon a receiver is told (the hub answers from one index)
NOTICE_SECONDS = 15  # how long the toast stays: a note worth reading


class HandoverNotices:
    """Polls for, tells of, marks and acknowledges this user's handovers (module docstring).

    ``on_change`` is called on the UI thread whenever ``current`` changes (a queue screen
    refreshes its Mine marks)."""

    def __init__(
        self,
        app: App[Any],
        ctx: UiContext,
        *,
        interval: float = POLL_SECONDS,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.ctx = ctx
        self.interval = interval
        self.on_change = on_change
        self.current: dict[int, Handover] = {}  # item id → an unseen handover to this user
        self._told: set[tuple[int, int]] = set()  # (item, epoch) already said in a toast
        self._busy = False  # a poll is out: never two at once
        self._timer: Timer | None = None
        self._user: str | None = None  # whose handovers ``current`` holds

    # -- running -------------------------------------------------------------------------------

    def start(self) -> HandoverNotices:
        """Poll now and every ``interval`` seconds (call on the UI thread, once mounted)."""
        if self._timer is None:
            self._timer = self.app.set_interval(self.interval, self.poll)
        self.poll()
        return self

    def stop(self) -> None:
        """Stop polling (the app is closing, or nobody is signed in)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _works_items(self) -> str | None:
        """The signed-in user's name when they work items (else there is nothing to ask)."""
        service = self.ctx.service
        user = getattr(service, "user", None)
        if user is None or not callable(getattr(service, "handovers", None)):
            return None
        may = getattr(service, "may", None)
        if callable(may) and not may("work_items"):
            return None
        return str(user.username)

    def _open_items(self) -> set[int]:
        """Items open on a triage screen in this app (opened: their handover is seen)."""
        from ehub_tui.ui.screens.triage import TriageScreen

        return {
            s.claim.item_id
            for s in self.app.screen_stack
            if isinstance(s, TriageScreen) and s.claim is not None
        }

    def poll(self) -> None:
        """Ask the hub in a worker (UI thread: reads only what is in memory)."""
        user = self._works_items()
        if user != self._user:  # signed out, or someone else signed in: not their news
            self._user = user
            self._told.clear()
            self._set({})
        if user is None or self._busy:
            return
        seen = self._open_items() & set(self.current)
        self._busy = True
        self.app.run_worker(
            lambda: self._fetch(user, seen), thread=True, group="handovers", exit_on_error=False
        )

    def _fetch(self, user: str, seen: set[int]) -> None:
        """In the worker: acknowledge what was opened, then ask for what is new."""
        service = self.ctx.service
        acked: set[int] = set()
        for item_id in sorted(seen):
            try:
                service.ack_handover(item_id)
                acked.add(item_id)
            except Exception as exc:  # the hub away: acknowledged at the next poll instead
                log.info("a handover was not acknowledged yet (%s)", type(exc).__name__)
        got: list[Handover] | None
        try:
            got = list(service.handovers())
        except Exception as exc:  # never a crash: asked again at the next poll
            log.info("handovers not read (%s)", type(exc).__name__)
            got = None
        # the app may have closed meanwhile: then there is nobody to tell
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self._arrived, user, got, acked)

    # -- on the UI thread ----------------------------------------------------------------------

    def _arrived(self, user: str, got: list[Handover] | None, acked: set[int]) -> None:
        self._busy = False
        if user != self._user:
            return  # another user signed in meanwhile
        if got is None:
            if acked:
                self._set({k: v for k, v in self.current.items() if k not in acked})
            return
        fresh = {h.item_id: h for h in got if h.item_id not in acked}
        for h in fresh.values():
            if (h.item_id, h.epoch) in self._told:
                continue
            self._told.add((h.item_id, h.epoch))
            self._take_draft(h)
            notify(
                self.app,
                f"{h.words()} It is in Mine.",
                title="Handed to you",
                timeout=NOTICE_SECONDS,
            )
        self._set(fresh)

    def _take_draft(self, h: Handover) -> None:
        """A carried draft waits in ``ctx.drafts`` for when the item is opened (the
        receiver's own draft of the item, if they have one, is newer and stays)."""
        if not h.draft or h.item_id in self.ctx.drafts:
            return
        from ehub_tui.triage.draft import Draft

        self.ctx.drafts[h.item_id] = Draft.from_dict(h.draft)

    def _set(self, current: dict[int, Handover]) -> None:
        changed = {k: (v.epoch, v.note) for k, v in current.items()} != {
            k: (v.epoch, v.note) for k, v in self.current.items()
        }
        self.current = current
        if changed and self.on_change is not None:
            self.on_change()

    # -- what Mine shows -------------------------------------------------------------------------

    def note_for(self, item_id: int) -> Handover | None:
        """The unseen handover of an item, if it has one."""
        return self.current.get(item_id)

    def mark(self, item_id: int) -> str:
        """Mine's mark for an item handed over and not yet opened ("" when none):
        "↪ from sup1: she rang back" (never colour alone: the mark is the words)."""
        h = self.current.get(item_id)
        if h is None:
            return ""
        return f"↪ handed over by {h.by}: {h.note}"


def start_notices(app: App[Any], ctx: UiContext) -> HandoverNotices:
    """Start (once per app) the signed-in user's handover notices as ``app.handover_notices``;
    a queue screen on show re-reads Mine when they change. Signing in again reuses the poller
    (it notices the new user itself)."""
    current = getattr(app, "handover_notices", None)
    if isinstance(current, HandoverNotices):
        current.poll()
        return current

    def changed() -> None:
        screen = app.screen
        refresh = getattr(screen, "handovers_changed", None)
        if callable(refresh):
            refresh()

    notices = HandoverNotices(app, ctx, on_change=changed).start()
    app.handover_notices = notices  # type: ignore[attr-defined]
    return notices
