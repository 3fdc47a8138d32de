"""Dates written in a demo item move with it by whole weeks (cli/demodates.py): an appointment
stays on its weekday and never before the item's new received day, a past date stays past, and
numbers that are not dates ("4th one this year", "23rd in the queue") are left alone."""

from __future__ import annotations

from datetime import date

from ehub_tui.cli.demodates import DateMover

SUNDAY_22 = date(2026, 11, 22)  # the fixture's received day
THURSDAY_10 = date(2026, 12, 10)  # where the item lands (18 days on: not whole weeks)


def test_an_appointment_keeps_its_weekday_and_stays_ahead() -> None:
    mover = DateMover(SUNDAY_22, THURSDAY_10, (date(2026, 11, 25),))
    moved = mover.answers({"action": "rebook", "appointment_date": "2026-11-25"})
    assert moved["appointment_date"] == "2026-12-16"  # three weeks on: a Wednesday, after the 10th
    assert mover.text("my smear appointment on Weds 25th?") == "my smear appointment on Weds 16th?"


def test_past_dates_stay_past_and_other_numbers_alone() -> None:
    mover = DateMover(SUNDAY_22, THURSDAY_10, (date(2026, 11, 9),))
    assert mover.answers({"off_work_since": "2026-11-09"}) == {"off_work_since": "2026-11-23"}
    assert mover.text("Started 9/11.") == "Started 23/11."
    assert mover.text("x-ray on 6 Nov, trip on 2 Dec") == "x-ray on 20 Nov, trip on 23 Dec"
    text = "UTI again, 4th one this year. I was 23rd in the queue, 10/10 pain"
    assert mover.text(text) == text
    assert mover.birth(date(2026, 11, 2)) == date(2026, 11, 16)  # a baby's, with its text
    assert mover.birth(date(1980, 11, 2)) == date(1980, 11, 2)  # an adult's as written
