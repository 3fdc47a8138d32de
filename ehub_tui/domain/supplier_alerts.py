"""What the supervisor board says about a supplier changing an item after work began (issue 16):
a response withdrawn (entered in error) or amended once the item was claimed or completed. The
hub never changes such an item; it keeps the supplier's record in the quarantine (kind
``withdrawn_worked`` or ``amended_conflict``) and the board names it until the entry is dealt
with (discarded with what was done)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WITHDRAWN_WORKED = "withdrawn_worked"
AMENDED_CONFLICT = "amended_conflict"


@dataclass(frozen=True, slots=True)
class SupplierAlert:
    """One open supplier change of a worked item: the quarantine entry, the item and how it
    stands now (no patient details)."""

    quarantine_id: int
    item_id: int
    kind: str  # WITHDRAWN_WORKED | AMENDED_CONFLICT
    item_status: str  # claimed | completed | cancelled | queued | awaiting (as it is now)
    owner: str | None
    practice_ods: str
    at: datetime  # when the hub received the supplier's change

    def words(self) -> str:
        """One line for the board: "#12 withdrawn by the supplier, completed (quarantine 7)"."""
        what = "withdrawn by the supplier" if self.kind == WITHDRAWN_WORKED else "amended"
        state = (
            f"held by {self.owner}"
            if self.item_status == "claimed" and self.owner
            else (self.item_status)
        )
        return f"#{self.item_id} {what}, {state} (quarantine {self.quarantine_id})"
