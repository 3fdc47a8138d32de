"""The park dialog as the trial met it (issue 15 fixes): enter in the question moves on to the
return times and enter there parks, as the footer says; the return choices follow working days
("Mon 10:00" on a Saturday, never Sunday)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App
from textual.widgets import Input, OptionList

from ehub_tui.domain.awaiting import return_choices
from ehub_tui.domain.clock import LONDON, CoreHours
from ehub_tui.ui.screens.park import ParkDialog, ParkRequest
from tests.ui.conftest import type_text

# Saturday 5 December 2026, 19:00 UK time (GMT)
SATURDAY_EVENING = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)


def test_saturday_offers_monday_not_sunday() -> None:
    choices = return_choices(SATURDAY_EVENING, CoreHours())
    assert [c.label for c in choices] == ["Mon 10:00", "in 2 working days", "in 5 working days"]
    monday = choices[0].at.astimezone(LONDON)
    assert (monday.date().isoformat(), monday.hour) == ("2026-12-07", 10)
    assert all(c.at.astimezone(LONDON).weekday() < 5 for c in choices)


def test_next_working_day_skips_a_bank_holiday() -> None:
    # Thursday 24 December 2026 at 11:00: Christmas Day and Boxing Day (substitute Monday 28th)
    christmas_eve = datetime(2026, 12, 24, 11, 0, tzinfo=UTC)
    choices = return_choices(christmas_eve, CoreHours())
    nxt = next(c for c in choices if c.key == "tomorrow")
    assert nxt.label == "Tue 10:00"
    assert nxt.at.astimezone(LONDON).date().isoformat() == "2026-12-29"


def test_a_weekday_still_says_tomorrow() -> None:
    tuesday = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    labels = [c.label for c in return_choices(tuesday, CoreHours())]
    assert labels[:2] == ["end of today", "tomorrow 10:00"]


class _Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answer: list[ParkRequest | None] = []

    def on_mount(self) -> None:
        dialog = ParkDialog(7, SATURDAY_EVENING + timedelta(days=2), SATURDAY_EVENING, CoreHours())
        self.push_screen(dialog, self.answer.append)


async def _until(pilot: Any, cond: Any, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 5
    while not cond():
        assert asyncio.get_running_loop().time() < deadline, f"waited for {what}"
        await pilot.pause(0.02)


def test_enter_moves_on_from_the_question_then_parks() -> None:
    app = _Host()

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await _until(pilot, lambda: isinstance(app.screen, ParkDialog), "the dialog")
            box = app.screen.query_one("#park-question", Input)
            await _until(pilot, lambda: box.has_focus, "the question focused")
            await pilot.press("enter")  # nothing written yet: it stays on the question
            await pilot.pause()
            assert box.has_focus and not app.answer
            await type_text(pilot, "Is the rash still spreading?")
            await pilot.press("enter")
            times = app.screen.query_one("#park-when", OptionList)
            await _until(pilot, lambda: times.has_focus, "the return times focused")
            assert box.value == "Is the rash still spreading?"  # one line, no newline added
            await pilot.press("enter")
            await _until(pilot, lambda: bool(app.answer), "the dialog answered")

    asyncio.run(body())
    request = app.answer[0]
    assert request is not None
    assert request.question == "Is the rash still spreading?"
    assert request.choice == "Mon 10:00"
    assert request.return_at.astimezone(LONDON).weekday() == 0
