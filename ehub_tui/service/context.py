"""What every part of the service shares: the hub's engine, the settings, the one clock, and the
session (who is acting). Built once by HubService and handed to each part."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from ehub_tui.config import Settings
from ehub_tui.domain.clock import CoreHours, SystemClock, local_midnight
from ehub_tui.errors import StoreError
from ehub_tui.service.session import Session
from ehub_tui.store import audit
from ehub_tui.store.engine import write_tx


@dataclass(frozen=True)
class HubContext:
    """The hub one service works on, and who works on it."""

    engine: Engine
    settings: Settings
    clock: SystemClock
    session: Session
    core_hours: CoreHours = field(init=False)
    lease: timedelta = field(init=False)

    def __post_init__(self) -> None:
        hours = CoreHours(
            start=self.settings.core_hours_start,
            end=self.settings.core_hours_end,
            extra_closed_days=frozenset(self.settings.closed_days),
        )
        object.__setattr__(self, "core_hours", hours)
        object.__setattr__(self, "lease", timedelta(minutes=self.settings.lease_minutes))

    @property
    def actor(self) -> str:
        """Who is acting (the session's principal)."""
        return self.session.actor

    def now(self) -> datetime:
        """The wall time that stamps records."""
        return self.clock.now()

    def today(self) -> date:
        """Today's date in the UK."""
        return self.clock.today()

    def start_of_today(self) -> datetime:
        """Midnight UK time today, in UTC (for "done today")."""
        return local_midnight(self.today())

    def due_by(self, received_at: datetime, priority: int) -> datetime:
        """When a response is due, by the response standard (urgent: same day)."""
        return self.core_hours.due_by(received_at, urgent=priority > 0)

    def require(self, permission: str) -> None:
        """Refuse (audited) unless the session may do ``permission``."""
        self.session.require(permission)

    def record(self, *events: audit.Event) -> None:
        """Append events to the audit chain in a transaction of their own."""
        with write_tx(self.engine) as conn:
            audit.append(conn, list(events), self.now())


def need_reason(reason: str, what: str) -> None:
    """A supervisor's action (and a release, a cancel) always says why."""
    if not (reason or "").strip():
        raise StoreError(f"a reason is needed to {what}")


def aware(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite gives it back naive)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def first_line(exc: BaseException) -> str:
    """The first line of a driver's message (the rest is SQL and parameters)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
