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


# how much of a date of birth is known (a FHIR birthDate may be 1970-09 or 1970)
APPROXIMATE_PRECISIONS = frozenset({"month", "year"})


def is_approximate(precision: str | None) -> bool:
    """Whether an age worked out from a date of birth of this precision is approximate."""
    return precision in APPROXIMATE_PRECISIONS


def age_label(dob: date, today: date, precision: str | None = "day") -> str:
    """Whole years of age as shown: ``47``, or ``≈47`` when only the month or year of birth is
    known (the date of birth is then the first day of that month or year, so the age may be
    one more than the patient's own)."""
    years = age_years(dob, today)
    return f"≈{years}" if is_approximate(precision) else str(years)
