"""NHS number check digits and display."""

from __future__ import annotations

import pytest

from ehub_tui.domain.nhs import (
    format_nhs_number,
    is_valid_nhs_number,
    make_test_nhs_number,
    nhs_number_problem,
)


def test_known_valid_and_invalid_numbers() -> None:
    assert is_valid_nhs_number("943 476 5919")  # the NHS's published example
    assert not is_valid_nhs_number("9434765918")
    assert nhs_number_problem("9434765918") is not None
    assert "check digit" in (nhs_number_problem("9434765918") or "")


@pytest.mark.parametrize(
    ("value", "words"),
    [("", "missing"), ("12345", "5 digits"), ("94347659AB", "other than digits")],
)
def test_problems_are_plain_english(value: str, words: str) -> None:
    assert words in (nhs_number_problem(value) or "")


def test_test_range_generator_is_valid() -> None:
    numbers = {make_test_nhs_number(i) for i in range(500)}
    assert all(n.startswith("999") and is_valid_nhs_number(n) for n in numbers)
    assert len(numbers) > 400


def test_display_is_3_3_4() -> None:
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number("123") == "123"
