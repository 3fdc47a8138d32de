"""Typed values of capacity planning (issue 17): what the hub hands out of its history, and the
plan the capacity engine (``ehub_tui.capacity.plan``) makes of it.

No patient identifiers cross here: an arrival is a time, a request type, a practice code and a
priority; a handling sample is seconds of active work with its type and route category. The
plan is counts and rates per hour, so it may be printed, exported and shown to managers.
"""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field

#: The share of items that must meet their response standard, unless the user chooses another.
DEFAULT_SHARE = 0.95
#: Weeks of history read unless the user chooses another (and the most a request may ask for).
DEFAULT_WEEKS = 8
MAX_WEEKS = 104


class _Model(BaseModel):
    # frozen and strict about names, like domain.models: a misspelt field is an error where made
    model_config = ConfigDict(frozen=True, extra="forbid")


class HistoryArrival(_Model):
    """One request as it arrived (hub time, aware UTC), without who sent it."""

    at: datetime
    request_type: str
    practice_ods: str
    priority: int = Field(ge=0, le=2)


class HistoryHandling(_Model):
    """Active seconds a navigator spent on one completed request (from its outcome)."""

    request_type: str
    category: str  # signpost | clinical | admin | escalate
    priority: int = Field(ge=0, le=2)
    seconds: float = Field(gt=0)


class CapacityHistory(_Model):
    """The hub's own history for capacity planning: whole UK-local weeks before ``as_of``.

    ``first_monday`` .. ``first_monday + weeks`` (exclusive) is the window; arrivals and handling
    samples are those inside it. Core hours and closures are the hub's, so the plan's due times
    are the hub's.
    """

    as_of: datetime
    first_monday: date
    weeks: int = Field(ge=1, le=MAX_WEEKS)
    core_start: time
    core_end: time
    closed_days: list[date] = Field(default_factory=list)
    arrivals: list[HistoryArrival] = Field(default_factory=list)
    handling: list[HistoryHandling] = Field(default_factory=list)


class ForecastScore(_Model):
    """One forecast method's back-tested error over the hub's history (arrivals per hour)."""

    method: str  # e.g. "seasonal mean of 6 weeks", "same hour last week"
    mae: float
    wape: float
    hours: int
    weeks: int


class HandlingSummary(_Model):
    """Handling time of one request type and route category ("all" pools every one)."""

    request_type: str
    category: str
    count: int
    mean_seconds: float
    median_seconds: float
    p90_seconds: float


class HourPlan(_Model):
    """One hour of the planned week."""

    start: datetime  # aware UTC start of the hour
    day: date  # UK-local day
    hour: int  # UK-local hour of day, 0..23
    open: bool  # inside core hours on a working day
    arrivals: float  # forecast arrivals in the hour
    need: int  # fewest navigators (the simulation search)
    erlang: int | None = None  # Erlang C's count, for the busiest hours only
    rota: int | None = None  # navigators the rota puts on (None without a rota)

    @property
    def short(self) -> int:
        """Navigators missing against the need (0 when staffed, or without a rota)."""
        return 0 if self.rota is None else max(0, self.need - self.rota)


class DayOutlook(_Model):
    """A day of the planned week as the simulation ran it (mean over its replications)."""

    day: date
    working: bool
    arrivals: float  # forecast arrivals that day
    completed: float  # items finished that day
    backlog_end: float  # items waiting at the end of the day's core hours
    breaches: float  # items due that day not finished by their due time


class CapacityPlan(_Model):
    """The plan for one week: demand, work, need per hour, and the rota checked against it."""

    as_of: datetime
    week_of: date  # the Monday of the planned week
    history_first_monday: date
    history_weeks: int
    excluded_days: list[date]  # bank holidays and closures left out of the history
    closed_days: list[date]  # days of the planned week the hub is closed (no need, no rota)
    share: float  # target share of items meeting their standard
    seed: int
    replications: int
    forecast_method: str
    backtest: list[ForecastScore]  # the method and the naive baseline; empty if too little history
    arrivals_per_week: float
    by_type: dict[str, float]  # mean arrivals per week by request type
    by_practice: dict[str, float]  # mean arrivals per week by practice ODS code
    urgent_share: float  # share of arrivals urgent or emergency
    handling: list[HandlingSummary]
    hours: list[HourPlan]  # 168, Monday 00:00 UK time first
    need_hours: int  # navigator-hours the need adds up to
    need_share_met: float  # share met (simulated) with the need staffing
    rota_name: str | None = None
    rota_hours: int | None = None  # navigator-hours the rota adds up to
    rota_share_met: float | None = None
    under_hours: int = 0  # open hours with fewer on the rota than needed
    over_hours: int = 0  # open hours with more on the rota than needed
    days: list[DayOutlook] = Field(default_factory=list)  # under the rota, else under the need
    notes: list[str] = Field(default_factory=list)  # limits of this plan, in plain words
