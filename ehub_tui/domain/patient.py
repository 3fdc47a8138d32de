"""Facts about a patient worked out from what a request carries (no I/O)."""

from __future__ import annotations

from datetime import date


def age_on(dob: date, today: date) -> tuple[int, int]:
    """Whole years and whole months of age on a day (a baby's age is told in months)."""
    months = (today.year - dob.year) * 12 + (today.month - dob.month)
    if today.day < dob.day:
        months -= 1
    return months // 12, months


def age_years(dob: date, today: date) -> int:
    """Whole years of age on a day."""
    return age_on(dob, today)[0]
