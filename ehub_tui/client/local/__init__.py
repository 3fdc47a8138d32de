"""The workstation's local store: a SQLite file of its own (SQLModel tables, its own migrations)
holding what a navigator needs with the hub away and what they did until the hub has it.

A completion, a return to the queue, a draft sent, an item first viewed: each is written here
with an **outbox** row in one transaction, and the sender (``client.sync``) pushes the rows to
the hub in device order. Pulls refresh the cached queue, the held items and the SOP versions.
See docs/operations.md ("The workstation's local store") for what is kept and for how long.
"""

from ehub_tui.client.local.base import NewEvent
from ehub_tui.client.local.db import hub_key, path_for
from ehub_tui.client.local.store import DeviceState, LocalStore, Purged

__all__ = ["DeviceState", "LocalStore", "NewEvent", "Purged", "hub_key", "path_for"]
