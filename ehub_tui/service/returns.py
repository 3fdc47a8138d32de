"""Returns and reports: the daily return (exported, audited) and the reports screen's figures,
each read from one consistent snapshot of the hub."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from sqlalchemy import Connection, select

from ehub_tui.errors import StoreError
from ehub_tui.export.report import Report, build_report, period_days
from ehub_tui.export.returns import DailyReturn, PracticeRef, ProgressFn, build_return
from ehub_tui.service.context import HubContext
from ehub_tui.store import audit, practice_sizes
from ehub_tui.store import returns as store_returns
from ehub_tui.store.engine import read_tx
from ehub_tui.store.models import Practice

P = Practice.__table__  # type: ignore[attr-defined]
T = TypeVar("T")


class _SnapshotReader:
    """The return's reader (export.returns.Reader) over one snapshot transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def counts(self, first: date, last: date) -> store_returns.RangeCounts:
        """Counts for the UK-local days ``first`` to ``last``."""
        return store_returns.range_counts(self.conn, first, last)

    def open_at(self, day: date) -> dict[str, int]:
        """Items open at 00:00 UK time on ``day``, by practice."""
        return store_returns.open_at(self.conn, day)


def _practice_refs(conn: Connection) -> list[PracticeRef]:
    rows = conn.execute(select(P)).all()
    refs = [
        PracticeRef(r.ods_code, r.name, r.pcn_code, r.pcn_name, int(r.list_size or 0)) for r in rows
    ]
    return sorted(refs, key=lambda p: p.ods_code)  # the same order on every engine


class Returns:
    """The daily return and the reports (managers, supervisors; admins export too)."""

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx

    def _build(
        self,
        first: date,
        last: date,
        practice: str | None,
        progress: ProgressFn | None,
        also: Callable[[Connection], T],
    ) -> tuple[DailyReturn, T]:
        """The return, read from one snapshot; ``also(conn)`` reads more from that snapshot."""
        if last < first:
            raise StoreError(f"the range ends ({last}) before it starts ({first})")
        if first > self._ctx.today():
            raise StoreError(f"{first} is in the future: there is nothing to report yet")
        if first.year < 2000:
            raise StoreError(f"{first} is before 2000: online consultations had not started")
        with read_tx(self._ctx.engine, snapshot=True) as conn:
            refs = _practice_refs(conn)
            if not refs:
                raise StoreError(
                    "this hub has no practices yet: import them first "
                    "(ehub-tui practices import FILE)"
                )
            if practice is not None and practice not in {p.ods_code for p in refs}:
                known = ", ".join(p.ods_code for p in refs)
                raise StoreError(f"no practice {practice!r} in this hub (practices: {known})")
            ret = build_return(
                _SnapshotReader(conn),
                refs,
                first,
                last,
                practice,
                progress,
                suppliers=self._ctx.settings.suppliers,
                # a past day's shares use the list size of its month (issue 16)
                sizes=practice_sizes.sizes_by_practice(conn),
            )
            extra = also(conn)
        return ret, extra

    def daily_return(
        self,
        first: date,
        last: date,
        practice: str | None = None,
        progress: ProgressFn | None = None,
        purpose: str = "export",
    ) -> DailyReturn:
        """The daily return for UK-local days ``first``..``last`` (managers, supervisors, admins).

        Reads one consistent snapshot of the hub; the export itself is audited (who, which days).
        """
        ctx = self._ctx
        ctx.require("export_returns")
        ret, _ = self._build(first, last, practice, progress, lambda conn: None)
        body = {
            "what": purpose,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "practice": practice,
        }
        ctx.record(audit.Event(ctx.actor, "export", None, body))
        return ret

    def report(self, period: str) -> Report:
        """The reports screen's figures for "today", "yesterday", "week" (Monday to today) or
        "last_week" (supervisors and managers)."""
        ctx = self._ctx
        ctx.require("see_reports")
        try:
            first, last = period_days(period, ctx.today())
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        ret, hours = self._build(
            first, last, None, None, lambda conn: store_returns.arrivals_by_hour(conn, first, last)
        )
        return build_report(period, ret, hours, ctx.now())
