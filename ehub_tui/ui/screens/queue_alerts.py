"""The queue screen's tab counts and alerts (``QueueAlerts``, a base of ``QueueScreen``; trial
15b): the Queue tab says how many wait, how many emergencies wait and how many items others hold
("Queue (36 · ‼2 EM · 4 in hand)"); when the poll first sees a new emergency waiting it says so in
a toast, once per item, whichever tab is open (for the roles that see patient queues); and ⏎ on
an item that is not waiting says where it is, in words, instead of trying to claim it.

The counts and the emergencies are read in a worker; the first read is the baseline (what was
already waiting when the screen opened is not announced as new: the tab shows it).
"""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.widgets import Tab, Tabs

from ehub_tui.domain.queue import QueueFilter, QueueRow
from ehub_tui.domain.types import Status
from ehub_tui.ui.format import notify
from ehub_tui.ui.messages import ViewCounts
from ehub_tui.ui.screens.queue_find import QueueFind
from ehub_tui.ui.screens.queue_words import emergency_words, queue_label, state_words

EMERGENCIES = QueueFilter(min_priority=2)  # an emergency red flag raises an item to 2
LABELS = {"queue": "Queue", "mine": "Mine", "done": "Done today"}


class EmergenciesWaiting(Message):
    """The emergencies waiting now (ids), read by the counts' worker."""

    def __init__(self, ids: list[int]) -> None:
        super().__init__()
        self.ids = ids


class QueueAlerts(QueueFind):
    """Tab counts, the emergency alert and ⏎'s words on an item not waiting."""

    _em_seen: set[int] | None = None  # None until the first read (the baseline)

    @work(thread=True, exclusive=True, group="counts")
    def _counts(self) -> None:
        service = self.ctx.service
        counts = service.view_counts()
        self.post_message(ViewCounts(counts))
        if "emergencies" not in counts or not self.ctx.may("see_patients"):
            return  # (the workstation's cache with the hub away: no alert meanwhile)
        ids: list[int] = []
        if counts["emergencies"]:
            try:
                rows, _ = service.queue_page("queue", EMERGENCIES, 0, 50)
            except Exception:  # the hub gone meanwhile: the next poll reads them
                return
            ids = [r.id for r in rows if r.status == Status.QUEUED]
        self.post_message(EmergenciesWaiting(ids))

    def on_view_counts(self, message: ViewCounts) -> None:
        found = self.query(Tabs)
        if not found:
            return
        tabs = found.first()
        for view, label in LABELS.items():
            if view not in message.counts:
                continue
            tab = tabs.query_one(f"#{view}", Tab)
            n = message.counts[view]
            tab.label = queue_label(message.counts) if view == "queue" else f"{label} ({n})"

    def on_emergencies_waiting(self, message: EmergenciesWaiting) -> None:
        if self._em_seen is None:
            self._em_seen = set(message.ids)
            return
        new = [i for i in message.ids if i not in self._em_seen]
        self._em_seen |= set(message.ids)
        if new:
            notify(self, emergency_words(new), severity="error", timeout=12)

    def _me(self) -> str | None:
        user = self.ctx.user
        return None if user is None else user.username

    def say_state(self, row: QueueRow) -> bool:
        """⏎ on a row of the Queue tab that is not waiting (held by someone else, parked, done,
        cancelled): say where it is in words and return True (nothing is claimed)."""
        if row.status == Status.QUEUED:
            return False
        if row.status == Status.CLAIMED and row.owner == self._me():
            return False  # mine: it opens
        words = state_words(row, self.ctx.now(), supervisor=self.ctx.may("see_board"))
        notify(self, words, timeout=8)
        return True
