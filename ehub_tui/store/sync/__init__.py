"""The hub's side of sync in SQL: applying one pushed event (``apply``: the dedupe ledger, the
fencing guard, the audit event, a kept outcome applied; ``ledger``: the stored answers and
refusals; ``refusals``: why an event was refused), and reading what a
workstation pulls (``read``). Everything runs inside the caller's transaction (service/sync.py
decides the transactions).

A pushed event is answered once and the answer kept (``sync_event``): a resend is answered from
the ledger, never applied again. An event the hub refuses is kept whole in ``sync_rejected``
(never deleted) with its own audit event; the events behind it are applied as usual. Every row
these functions write is covered by the audit event written with it (store/coverage.py).

Holder-guarded writes are the queue's: ``owner = me AND epoch = my epoch AND status = 'claimed'``
(store/queue.py).
"""

from ehub_tui.store.sync.apply import _APPLY, apply_event, apply_kept
from ehub_tui.store.sync.ledger import (
    OPEN,
    RESET_AFTER,
    RESET_CAP,
    SD,
    SE,
    SR,
    C,
    E,
    O,
    Pusher,
    Refused,
    ledger_row,
    mark_resolved,
    refuse_unstored,
    reject,
    result_of,
    wrong_user,
)
from ehub_tui.store.sync.read import (
    changed_items,
    head,
    held_items,
    open_rows,
    rejected,
    rejected_one,
    resolve,
    results,
)

__all__ = [
    "OPEN",
    "RESET_AFTER",
    "RESET_CAP",
    "SD",
    "SE",
    "SR",
    "_APPLY",
    "C",
    "E",
    "O",
    "Pusher",
    "Refused",
    "apply_event",
    "apply_kept",
    "changed_items",
    "head",
    "held_items",
    "ledger_row",
    "mark_resolved",
    "open_rows",
    "refuse_unstored",
    "reject",
    "rejected",
    "rejected_one",
    "resolve",
    "result_of",
    "results",
    "wrong_user",
]
