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


def test_every_layer_names_the_one_vocabulary() -> None:
    from typing import get_args

    from ehub_tui.export import metrics
    from ehub_tui.ingest import validate
    from ehub_tui.sop import engine, models

    assert models.CATEGORIES is CATEGORIES and metrics.CATEGORIES is CATEGORIES
    # the SOP schema spells the categories out (authors see the words): the same words
    assert get_args(models.Route.model_fields["category"].annotation) == CATEGORIES
    assert validate.SEXES is SEXES and validate.REQUEST_TYPES is REQUEST_TYPES
    assert set(validate._SEX_VALUES.values()) == set(SEXES)
    assert set(validate._REQUEST_TYPE_VALUES.values()) == set(REQUEST_TYPES)
    assert engine.age_on is age_on
