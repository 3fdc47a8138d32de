"""What the queue says in words (ui/screens/queue_words.py): the Queue tab's label, ⏎ on an item
that is not waiting (held, parked, completed, cancelled) and the emergency alert."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from ehub_tui.domain.queue import QueueRow
from ehub_tui.ui.screens.queue_words import (
    emergency_words,
    held_for,
    queue_label,
    state_words,
)

NOW = datetime(2026, 12, 5, 20, 50, tzinfo=UTC)  # Sat 05 Dec, 20:50 in the UK
ROW = QueueRow(
    id=41,
    priority=0,
    status="queued",
    owner=None,
    received_at=NOW - timedelta(hours=2),
    due_by=NOW + timedelta(days=1),
    practice_ods="Z99001",
    request_type="clinical",
    template="cough",
    initials="AB",
    date_of_birth=date(1980, 1, 1),
    sex="female",
    summary="cough",
    supplier_flags=(),
)


def test_the_queue_label_counts_what_waits_then_emergencies_and_in_hand() -> None:
    assert queue_label({"queue": 36, "mine": 1}) == "Queue (36)"
    assert queue_label({"queue": 36, "in_hand": 4}) == "Queue (36 · 4 in hand)"
    assert queue_label({"queue": 36, "emergencies": 2, "in_hand": 4}) == (
        "Queue (36 · ‼2 EM · 4 in hand)"
    )


def test_enter_on_items_not_waiting_says_where_they_are_and_h() -> None:
    held = dataclasses.replace(
        ROW,
        status="claimed",
        owner="nav2",
        holder="Tom Fletcher",
        since=NOW - timedelta(minutes=12),
    )
    assert held_for(held, NOW) == "held by Tom Fletcher · 12m"
    assert state_words(held, NOW) == (
        "#41 is held by Tom Fletcher since 20:38 (12m): a supervisor can reassign it. "
        "h shows its history."
    )
    assert "you can reassign it from the board (b)" in state_words(held, NOW, supervisor=True)
    parked = dataclasses.replace(
        ROW, status="awaiting", since=NOW - timedelta(minutes=3), until=NOW + timedelta(days=2)
    )
    assert state_words(parked, NOW) == (
        "#41 is awaiting the patient's reply since 20:47; it comes back by Mon 20:50 "
        "(or when they reply). h shows its history."
    )
    done = dataclasses.replace(
        ROW, status="completed", route="Optometrist", since=NOW - timedelta(minutes=5)
    )
    assert state_words(done, NOW) == (
        "#41 was completed at 20:45 → Optometrist. h shows its history."
    )
    gone = dataclasses.replace(ROW, status="cancelled", since=NOW - timedelta(days=1))
    assert state_words(gone, NOW) == "#41 was cancelled on Fri 20:50. h shows its history."


def test_the_emergency_alert_names_the_items() -> None:
    assert emergency_words([220]) == "‼ Emergency #220 arrived — n takes it now."
    assert emergency_words([1, 2, 3, 4, 5]) == (
        "‼ 5 emergencies arrived (#1, #2, #3, #4 …) — n takes the first now."
    )
