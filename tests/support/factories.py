"""Building consultations for store tests without going through the parsers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from ehub_tui.domain.models import Consultation, NewConsultation
from ehub_tui.domain.nhs import make_test_nhs_number

PRACTICES = ["Z99001", "Z99002", "Z99003", "Z99004", "Z99005", "Z99006", "Z99007"]


def oc_row(i: int, *, priority: int = 0, minutes_ago: int = 0, **extra: Any) -> NewConsultation:
    """A valid consultation numbered ``i`` (source TEST, external id T-i), ready to store;
    ``extra`` replaces any of its fields."""
    row: dict[str, Any] = {
        "source": "TEST",
        "external_id": f"T-{i:07d}",
        "practice_ods": PRACTICES[i % len(PRACTICES)],
        "nhs_number": make_test_nhs_number(i + 2),
        "given_name": "Alex",
        "family_name": f"Tester{i}",
        "date_of_birth": date(1980, 1, 1) + timedelta(days=i % 9000),
        "sex": "female" if i % 2 else "male",
        "received_at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC) - timedelta(minutes=minutes_ago),
        "request_type": "clinical",
        "template": "sore_throat",
        "answers": {"duration_days": 3},
        "free_text": "sore throat",
        "supplier_flags": [],
        "priority": priority,
    }
    row.update(extra)
    return NewConsultation(**row)


def many_rows(n: int, start: int = 0) -> list[NewConsultation]:
    """n consultations received a minute apart, oldest first."""
    return [oc_row(start + i, minutes_ago=n - i) for i in range(n)]


def as_consultation(fields: dict[str, Any], *, item_id: int = 1) -> Consultation:
    """A typed Consultation with ``fields`` (the request a test is about) over oc_row's
    defaults, as the hub would hand it to a screen (queued, due the same day)."""
    row = oc_row(item_id).columns() | fields
    received = row["received_at"]
    return Consultation(
        id=item_id,
        due_by=received + timedelta(hours=8),
        ingested_at=received,
        updated_at=received,
        **row,
    )
