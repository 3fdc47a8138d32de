"""Wire shapes of awaiting the patient and an item's history (issue 15), shared by the hub's
routes (hub/routes/awaiting.py) and the HTTP client (client/awaiting.py)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from ehub_tui.domain.awaiting import MAX_QUESTION_CHARS, HistoryEntry, Parking
from ehub_tui.domain.queue import Claim


class ParkIn(BaseModel):
    """POST /v1/items/{id}/park: the holder's claim, the question sent, when it comes back."""

    model_config = ConfigDict(extra="forbid")

    claim: Claim
    question: str = Field(max_length=MAX_QUESTION_CHARS)
    return_at: AwareDatetime


PARKING = TypeAdapter(Parking | None)
HISTORY = TypeAdapter(list[HistoryEntry])
