"""The daily return (an export: audited once per call) and the supervisors' reports."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Response

from ehub_tui.errors import QueueError
from ehub_tui.export.report import PERIODS, Report
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire import DAILY_RETURN, HOURLY_ARRIVALS, REPORT, DailyReturnWire

router = APIRouter(tags=["returns"])

MAX_RETURN_DAYS = 400  # a year and a bit per request: the reply is built in memory


@router.get("/returns/daily", response_model=DailyReturnWire)
def daily_return(
    svc: Svc,
    first: date,
    last: date,
    practice: str | None = Query(None, max_length=16),
    purpose: str = Query("export", max_length=32),
) -> Response:
    """The daily return for UK-local days ``first``..``last`` (export_returns)."""
    # Only the length is the route's to cap. Who may export, and a range that ends before it
    # starts, are the service's to refuse: so a refusal is audited, and worded, as on the hub
    # machine (a navigator asking for any range is refused for their role, never for the range).
    if (last - first).days >= MAX_RETURN_DAYS and svc.may("export_returns"):
        raise QueueError(
            f"a return covers 1 to {MAX_RETURN_DAYS} days from first to last; "
            f"{first}..{last} is not such a range"
        )
    ret = svc.daily_return(first, last, practice, None, purpose)
    return reply(DAILY_RETURN, DailyReturnWire.of(ret))


@router.get("/returns/hourly", response_model=dict[str, list[int]])
def arrivals_by_hour(svc: Svc, first: date, last: date) -> Response:
    """Submissions per UK-local hour of day over ``first``..``last``, by practice and ALL (the
    xlsx and html exports' chart; export_returns)."""
    if (last - first).days >= MAX_RETURN_DAYS and svc.may("export_returns"):
        raise QueueError(
            f"a return covers 1 to {MAX_RETURN_DAYS} days from first to last; "
            f"{first}..{last} is not such a range"
        )
    return reply(HOURLY_ARRIVALS, svc.arrivals_by_hour(first, last))


@router.get("/reports/{period}", response_model=Report)
def report(period: str, svc: Svc) -> Response:
    """The reports screen's figures for today, yesterday, week or last_week."""
    if period not in PERIODS:
        raise QueueError(f"unknown period {period!r}: choose one of {', '.join(PERIODS)}")
    return reply(REPORT, svc.report(period))
