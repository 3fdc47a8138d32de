"""The hub's history for capacity planning (HubService's ``CapacityMethods``, issue 17).

The hub hands out its own arrivals and handling times over the last whole UK-local weeks by its
clock; the plan is made from them on the workstation (``ehub_tui.capacity.plan``). Like the
reports screen's figures, it is a read for supervisors and managers of values without patient
identifiers, so it is not audited (a refusal is, as every refusal is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ehub_tui.capacity.demand import Window
from ehub_tui.domain.capacity import MAX_WEEKS, CapacityHistory
from ehub_tui.domain.clock import local_midnight
from ehub_tui.errors import StoreError
from ehub_tui.store import capacity as store_capacity
from ehub_tui.store.engine import read_tx

if TYPE_CHECKING:
    from ehub_tui.service.context import HubContext


def check_weeks(weeks: int) -> None:
    """Refuse a history length outside 1..MAX_WEEKS, in words."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise StoreError(
            f"capacity planning reads 1 to {MAX_WEEKS} whole weeks of history, not {weeks}"
        )


class CapacityMethods:
    """Capacity planning's read, as HubService offers it."""

    _ctx: HubContext

    def capacity_history(self, weeks: int) -> CapacityHistory:
        """Every arrival and handling time of the ``weeks`` whole UK-local weeks before this one
        by the hub's clock, with the hub's core hours and closures (supervisors and managers)."""
        ctx = self._ctx
        ctx.require("see_reports")  # first: a navigator is refused for their role, not the weeks
        check_weeks(weeks)
        as_of = ctx.now()
        closed = sorted(ctx.core_hours.extra_closed_days)
        window = Window.last_whole_weeks(as_of, weeks, closed)
        start, end = local_midnight(window.first_monday), local_midnight(window.end_monday)
        # one snapshot: the handling samples are of the same moment as the arrivals
        with read_tx(ctx.engine, snapshot=True) as conn:
            arrivals = store_capacity.arrivals(conn, start, end)
            handling = store_capacity.handling(conn, start, end)
        return CapacityHistory(
            as_of=as_of,
            first_monday=window.first_monday,
            weeks=weeks,
            core_start=ctx.core_hours.start,
            core_end=ctx.core_hours.end,
            closed_days=closed,  # all of them: the planned week's matter as much as the past's
            arrivals=arrivals,
            handling=handling,
        )
