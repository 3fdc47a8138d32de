"""A triage session's patient message reads the hub's clock (trial 15b: "will contact you today"
at Saturday 20:47). The session passes the guidance's date today; with the guidance's ``now`` it
also knows the hour (an evening after core hours)."""

from __future__ import annotations

from datetime import UTC, datetime

from ehub_tui.triage import LibraryGuidance, TriageSession


def _message(now: datetime, *, with_time: bool) -> str:
    from tests.triage.conftest import PRACTICES, FakeClaim, Ticks, consultation, shipped_sops

    item = consultation("throat")
    s = TriageSession(
        FakeClaim(item.id, 1, "nav1"),
        item,
        LibraryGuidance(
            shipped_sops(), today=lambda: now.date(), now=(lambda: now) if with_time else None
        ),
        practice_name=lambda ods: PRACTICES.get(ods, ods),
        monotonic=Ticks(),
    )
    s.start(now)
    return s.message_text()


def test_a_saturday_message_names_monday() -> None:
    text = _message(datetime(2026, 12, 5, 20, 47, tzinfo=UTC), with_time=False)
    assert "usually on Monday 7 December" in text and "today" not in text


def test_an_evening_message_after_core_hours_names_the_next_working_day() -> None:
    text = _message(datetime(2026, 12, 4, 18, 45, tzinfo=UTC), with_time=True)  # Friday
    assert "usually on Monday 7 December" in text and "today" not in text
