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


@pytest.mark.parametrize("digit", "0123456789")
def test_one_digit_repeated_is_never_an_nhs_number(digit: str) -> None:
    # every one of them passes the Modulus 11 check
    assert not is_valid_nhs_number(digit * 10)
    assert "repeated" in (nhs_number_problem(digit * 10) or "")
    assert not is_valid_nhs_number(f"{digit * 3} {digit * 3} {digit * 4}")


def test_full_width_and_other_digits_are_named() -> None:
    full_width = "".join(chr(0xFF10 + int(d)) for d in "9434765919")
    assert "full-width digits" in (nhs_number_problem(full_width) or "")
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in "9434765919")
    assert "other than the ASCII digits" in (nhs_number_problem(arabic_indic) or "")


@pytest.mark.parametrize("value", ["9434765918", "94347659", "943476591999", "94347659AB"])
def test_problems_never_quote_the_number(value: str) -> None:
    problem = nhs_number_problem(value) or ""
    assert problem and value not in problem and value[:6] not in problem


def test_test_range_generator_never_makes_a_repeated_digit() -> None:
    assert make_test_nhs_number(999_999) != "9999999999"
    assert is_valid_nhs_number(make_test_nhs_number(999_999))
