"""Practices from their national sources (issue 16): a practice as the ODS ``epraccur`` file
describes it, a month's registered-patient counts from NHS Digital, and what importing each did.

A list size is kept per month (``YYYY-MM``): a return for a past day uses the size of that day's
month (the latest month at or before it), so re-exporting October after November's figures
arrive still gives October's shares. ``size_on`` is that rule, shared by the return and tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

# an ODS organisation code: letters and digits (a GP practice's is a letter and five digits,
# e.g. A81001; other organisations' are 3 to 8 characters)
ODS_CODE = re.compile(r"^[A-Z0-9]{3,8}$")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CLOSED_STATUSES = frozenset({"C", "D"})  # closed, dormant (A active, P proposed)
GP_PRACTICE_SETTING = 4  # epraccur's prescribing setting of a GP practice


@dataclass(frozen=True, slots=True)
class OdsPractice:
    """One practice row of an ODS ``epraccur`` file, as the hub is sent it (no address: the hub
    keeps only a practice's code, name and PCN)."""

    ods_code: str
    name: str
    parent_code: str  # the commissioner (column 15)
    status: str  # A | C | D | P
    open_date: date | None = None
    close_date: date | None = None
    setting: int | None = None  # prescribing setting (column 26): 4 = GP practice

    @property
    def closed(self) -> bool:
        """Closed or dormant, or given a close date: reported, never made active."""
        return self.status in CLOSED_STATUSES or self.close_date is not None


@dataclass(frozen=True, slots=True)
class OdsImportResult:
    """What an ``import-ods`` did (or, with ``dry_run``, would do), by ODS code."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # a new name or PCN, or open again
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)  # closed in the file: no longer active
    closed_not_added: list[str] = field(default_factory=list)  # closed and new to the hub
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class ListSize:
    """One practice's registered patients at the start of a month."""

    ods_code: str
    list_size: int


@dataclass(frozen=True, slots=True)
class ListSizeResult:
    """What a ``list-sizes`` import did (or, with ``dry_run``, would do)."""

    month: str
    stored: list[str] = field(default_factory=list)  # ODS codes whose size for the month is kept
    unknown: int = 0  # rows for practices the hub does not have: skipped
    current: list[str] = field(default_factory=list)  # whose current list size this became
    dry_run: bool = False


def month_of(day: date) -> str:
    """``YYYY-MM`` of a day."""
    return f"{day.year:04d}-{day.month:02d}"


def check_month(text: str) -> str:
    """A ``YYYY-MM`` month, or ValueError saying what one looks like."""
    value = (text or "").strip()
    if not MONTH.match(value):
        raise ValueError(f"{value!r} is not a month: give it as YYYY-MM, e.g. 2026-10")
    return value


def size_on(day: date, sizes: Sequence[tuple[str, int]], current: int) -> int:
    """A practice's list size for ``day``: that of the latest month at or before the day's month
    (``sizes`` as (YYYY-MM, size) pairs, any order), else its ``current`` list size."""
    month = month_of(day)
    best: tuple[str, int] | None = None
    for m, n in sizes:
        if m <= month and (best is None or m > best[0]):
            best = (m, n)
    return current if best is None else best[1]
