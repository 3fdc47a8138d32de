"""Each vocabulary is written down once, in ehub_tui.domain (issue 12)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from ehub_tui.domain.patient import age_on, age_years
from ehub_tui.domain.types import (
    CATEGORIES,
    PRIORITY_LABELS,
    REQUEST_TYPES,
    SEXES,
    Priority,
)


def test_priority_from_flags_takes_the_highest_named() -> None:
    assert Priority.from_flags(["Urgent"]) is Priority.URGENT
    assert Priority.from_flags(["urgent", "EMERGENCY"]) is Priority.EMERGENCY
    assert Priority.from_flags([]) is Priority.NORMAL
    assert Priority.from_flags(["routine"]) is Priority.NORMAL
    assert PRIORITY_LABELS == {0: "normal", 1: "urgent", 2: "emergency"}


def test_the_vocabularies() -> None:
    assert CATEGORIES == ("signpost", "clinical", "admin", "escalate")
    assert REQUEST_TYPES == ("clinical", "admin", "other")
    assert SEXES == ("male", "female", "other", "unknown")


def test_age_in_years_and_months() -> None:
    today = date(2026, 11, 23)
    assert age_on(date(2010, 11, 23), today) == (16, 192)
    assert age_on(date(2010, 11, 24), today) == (15, 191)
    assert age_on(date(2026, 10, 24), today) == (0, 0)
    assert age_years(date(2000, 2, 29), date(2025, 2, 28)) == 24
    rand = random.Random(12)
    for _ in range(2000):
        dob = date(1900, 1, 1) + timedelta(days=rand.randrange(45000))
        day = dob + timedelta(days=rand.randrange(45000))
        whole = day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
        assert age_years(dob, day) == whole
