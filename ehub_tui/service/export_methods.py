"""What the spreadsheet and print exports read beside the daily return (HubService's
``ExportMethods``, issue 16): arrivals by UK-local hour of day over a range of days."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from ehub_tui.errors import StoreError
from ehub_tui.export.hourly import fold_hours
from ehub_tui.store import returns as store_returns
from ehub_tui.store.engine import read_tx
from ehub_tui.store.models import Practice

if TYPE_CHECKING:
    from ehub_tui.service.context import HubContext

P = Practice.__table__  # type: ignore[attr-defined]


class ExportMethods:
    """The export's extra series, as HubService offers them."""

    _ctx: HubContext

    def arrivals_by_hour(self, first: date, last: date) -> dict[str, list[int]]:
        """Submissions per UK-local hour of day (24 counts, summed over ``first``..``last``) for
        every practice by ODS code, and ``ALL`` for the hub (those who export returns).

        Not audited on its own: it is read for an export whose return call is audited."""
        ctx = self._ctx
        ctx.require("export_returns")
        # the same refusals, in the same words, as the return itself (service/returns.py)
        if last < first:
            raise StoreError(f"the range ends ({last}) before it starts ({first})")
        if first > ctx.today():
            raise StoreError(f"{first} is in the future: there is nothing to report yet")
        if first.year < 2000:
            raise StoreError(f"{first} is before 2000: online consultations had not started")
        with read_tx(ctx.engine, snapshot=True) as conn:
            codes = [str(c) for c in conn.execute(select(P.c.ods_code)).scalars()]
            rows = store_returns.arrivals_by_hour(conn, first, last)
        return fold_hours(rows, sorted(codes))
