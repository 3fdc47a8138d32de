"""An emergency is due "now" in words (issue 15, after the tmux trial): its due time follows
core hours (right for the response standard), so a Saturday's read "1d 22h left"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from ehub_tui.domain.models import Consultation
from ehub_tui.ui.format import DUE_NOW, DUE_OVERDUE, DUE_SOON, due_cell
from ehub_tui.ui.screens.triage_view import banner_text

NOW = datetime(2026, 11, 21, 11, 0, tzinfo=UTC)  # a Saturday
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_due_cell_says_now_for_an_emergency() -> None:
    assert due_cell(MONDAY, NOW, emergency=True) == ("now", DUE_NOW)
    assert due_cell(MONDAY, NOW) == ("1d 22h", "")  # not an emergency: time left, as before
    assert due_cell(NOW + timedelta(minutes=30), NOW)[1] == DUE_SOON
    assert due_cell(NOW - timedelta(minutes=30), NOW)[1] == DUE_OVERDUE


def _item(**extra: Any) -> Consultation:
    fields: dict[str, Any] = {
        "id": 7,
        "source": "TEST",
        "external_id": "T-7",
        "practice_ods": "Z99001",
        "nhs_number": "9998020026",
        "given_name": "Ann",
        "family_name": "Lee",
        "date_of_birth": date(1980, 1, 1),
        "sex": "female",
        "received_at": NOW,
        "request_type": "clinical",
        "due_by": MONDAY,
        "ingested_at": NOW,
        "updated_at": NOW,
        "screened_at": NOW,
        "sop_flags": [],
    }
    fields.update(extra)
    return Consultation(**fields)


def test_the_triage_banner_says_due_now_for_an_emergency() -> None:
    text = banner_text(_item(priority=2), NOW, "Harbour Street", 5).plain
    # no later response-standard time beside "now" (trial 15b: "…now (response standard: Mon")
    assert text.rstrip().endswith("due now: emergency — deal with it now")
    assert "left" not in text and "Mon 23 Nov" not in text
    late = banner_text(_item(priority=2), MONDAY + timedelta(hours=2), "Harbour Street", 5)
    assert "due now: emergency — deal with it now (2h 00m overdue)" in late.plain
    found = _item(sop_flags=[{"id": "thunderclap", "level": "emergency"}])
    assert "due now: emergency" in banner_text(found, NOW, "Harbour Street", 5).plain
    normal = banner_text(_item(), NOW, "Harbour Street", 5).plain
    assert "due Mon 23 Nov 09:00 (1d 22h left)" in normal and "due now" not in normal
