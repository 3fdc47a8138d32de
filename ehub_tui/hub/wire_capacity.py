"""The hub API's wire form of capacity planning's history (issue 17): GET /v1/capacity/history.

A year of a busy hub is some 54,000 arrivals and as many handling samples: as a list of objects
that is about 10 MB of JSON, repeating every field name and time zone. So the history goes by
column: each arrival's time as whole microseconds after the window's first Monday 00:00 UK time
(exact, and short), and request types, practices and categories as indexes into lists of the
values seen: about a fifth of the size (1.8 MB for that year), read back to the same
``CapacityHistory``. The window itself (as of, weeks, core hours, closures) goes as it is.

Everything a ``CapacityHistory`` would refuse is refused here while the reply is read (columns of
one length, indexes in range, priorities 0..2, seconds above 0), so a bad reply is the client's
"cannot read" error, never a half-built history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from ehub_tui.domain.capacity import CapacityHistory, HistoryArrival, HistoryHandling
from ehub_tui.domain.clock import local_midnight

Index = Annotated[int, Field(ge=0)]
Priority = Annotated[int, Field(ge=0, le=2)]
_US = timedelta(microseconds=1)


def _codes(values: list[str]) -> tuple[list[str], dict[str, int]]:
    seen = sorted(set(values))
    return seen, {v: i for i, v in enumerate(seen)}


class CapacityHistoryWire(BaseModel):
    """A CapacityHistory by column (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window: CapacityHistory  # as_of, the weeks, core hours and closures (no rows: see below)
    request_types: list[str] = Field(default_factory=list)
    practices: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    # arrivals: microseconds after local_midnight(first_monday), type, practice, priority
    arrival_at: list[Index] = Field(default_factory=list)
    arrival_type: list[Index] = Field(default_factory=list)
    arrival_practice: list[Index] = Field(default_factory=list)
    arrival_priority: list[Priority] = Field(default_factory=list)
    # handling samples: type, category, priority, active seconds
    handling_type: list[Index] = Field(default_factory=list)
    handling_category: list[Index] = Field(default_factory=list)
    handling_priority: list[Priority] = Field(default_factory=list)
    handling_seconds: list[Annotated[float, Field(gt=0)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        arrivals = (self.arrival_at, self.arrival_type, self.arrival_practice)
        handling = (self.handling_type, self.handling_category, self.handling_seconds)
        if any(len(c) != len(self.arrival_priority) for c in arrivals):
            raise ValueError("the arrival columns differ in length")
        if any(len(c) != len(self.handling_priority) for c in handling):
            raise ValueError("the handling columns differ in length")
        for column, values in (
            (self.arrival_type, self.request_types),
            (self.arrival_practice, self.practices),
            (self.handling_type, self.request_types),
            (self.handling_category, self.categories),
        ):
            if column and max(column) >= len(values):
                raise ValueError("an index points past its list of values")
        return self

    @classmethod
    def of(cls, history: CapacityHistory) -> CapacityHistoryWire:
        """The wire form of a history."""
        start = local_midnight(history.first_monday)
        types, type_code = _codes(
            [a.request_type for a in history.arrivals] + [h.request_type for h in history.handling]
        )
        practices, practice_code = _codes([a.practice_ods for a in history.arrivals])
        categories, category_code = _codes([h.category for h in history.handling])
        arrivals, handling = history.arrivals, history.handling
        return cls(
            window=history.model_copy(update={"arrivals": [], "handling": []}),
            request_types=types,
            practices=practices,
            categories=categories,
            arrival_at=[(a.at - start) // _US for a in arrivals],
            arrival_type=[type_code[a.request_type] for a in arrivals],
            arrival_practice=[practice_code[a.practice_ods] for a in arrivals],
            arrival_priority=[a.priority for a in arrivals],
            handling_type=[type_code[h.request_type] for h in handling],
            handling_category=[category_code[h.category] for h in handling],
            handling_priority=[h.priority for h in handling],
            handling_seconds=[h.seconds for h in handling],
        )

    def to_domain(self) -> CapacityHistory:
        """The CapacityHistory it was made from."""
        start = local_midnight(self.window.first_monday)
        types, practices, categories = self.request_types, self.practices, self.categories
        # every value was checked as the reply was read: built without checking each again
        arrivals = [
            HistoryArrival.model_construct(
                at=start + timedelta(microseconds=us),
                request_type=types[t],
                practice_ods=practices[p],
                priority=pr,
            )
            for us, t, p, pr in zip(
                self.arrival_at,
                self.arrival_type,
                self.arrival_practice,
                self.arrival_priority,
                strict=True,
            )
        ]
        handling = [
            HistoryHandling.model_construct(
                request_type=types[t], category=categories[c], priority=pr, seconds=s
            )
            for t, c, pr, s in zip(
                self.handling_type,
                self.handling_category,
                self.handling_priority,
                self.handling_seconds,
                strict=True,
            )
        ]
        return self.window.model_copy(update={"arrivals": arrivals, "handling": handling})


CAPACITY_HISTORY: TypeAdapter[CapacityHistoryWire] = TypeAdapter(CapacityHistoryWire)
