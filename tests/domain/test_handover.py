"""The handover's words, the carried draft and the stale alerts' order (issue 15), without a hub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ehub_tui.domain.handover import (
    Handover,
    StaleClaim,
    carried_draft,
    order_alerts,
    reassign_words,
)

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _stale(item: int, priority: int, flags: tuple[str, ...] | None, idle_min: int) -> StaleClaim:
    idle = timedelta(minutes=idle_min)
    return StaleClaim(item, "amira", priority, flags, AT - idle, AT - idle, idle)


def test_red_flags_first_then_the_longest_idle() -> None:
    alerts = [
        _stale(1, 0, (), 30),
        _stale(2, 0, ("urgent",), 11),
        _stale(3, 0, None, 12),  # not screened yet: "?", not a red flag
        _stale(4, 0, ("emergency",), 10),
        _stale(5, 2, (), 15),  # marked emergency by a supervisor
    ]
    got = [(a.item_id, a.flag) for a in order_alerts(alerts)]
    assert got == [(5, "‼EM"), (4, "‼EM"), (2, "!UR"), (1, ""), (3, "?")]
    assert _stale(4, 0, ("emergency",), 11).words() == (
        "‼EM #4 held by amira, not worked for 11 min"
    )
    assert _stale(1, 0, (), 11).words() == "#1 held by amira, not worked for 11 min"


def test_the_carried_draft_leaves_the_previous_holders_timings() -> None:
    draft = {"answers": {"a": "no"}, "note": "rang", "first_viewed_at": "x", "seconds": 9.0}
    assert carried_draft(draft) == {"answers": {"a": "no"}, "note": "rang"}
    assert carried_draft({"seconds": 3.0}) is None
    assert carried_draft(None) is None


def test_words_say_who_to_whom() -> None:
    body = {"from": "amira", "to": "ben", "reason": "off sick", "epoch": 3}
    # who-to-whom first: a 100-column board cuts the note, never the receiver (issue 15 trial)
    assert reassign_words("sam", 140, body) == "sam: #140 amira → ben: off sick"
    body = {"from": None, "to": "ben", "reason": "yours", "draft_carried": False}
    assert reassign_words("sam", 140, body) == "sam: #140 queue → ben: yours"
    body = {"from": "amira", "to": "ben", "reason": "rang", "draft_carried": True}
    assert reassign_words("sam", 5, body) == "sam: #5 amira → ben (with draft): rang"
    h = Handover(140, 4, "amira", "ben", "sam", "call after 2", AT, draft={"note": "x"})
    assert h.words() == "sam handed you #140 from amira: call after 2. amira's draft comes with it."
    h = Handover(140, 4, None, "ben", "sam", "yours.", AT)
    assert h.words() == "sam handed you #140 (it was waiting): yours."
