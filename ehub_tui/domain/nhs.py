"""NHS number rules: Modulus 11 check digit and 3-3-4 display.

Messages about an NHS number never quote it: they end up in quarantine reasons, logs and
``failed/*.reason.txt`` files, where a patient identifier must not appear.
"""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[\s-]")
_ASCII_DIGITS = frozenset("0123456789")
# FULLWIDTH DIGIT ZERO..NINE, as East Asian input methods and some spreadsheets type them.
_FULL_WIDTH_DIGITS = frozenset(chr(c) for c in range(0xFF10, 0xFF1A))


def normalise_nhs_number(value: str) -> str:
    """Strip spaces and hyphens; the result may still be invalid."""
    return _NON_DIGITS.sub("", value or "")


def nhs_check_digit(first_nine: str) -> int | None:
    """Return the Modulus 11 check digit for nine digits, or None if no valid digit exists."""
    if len(first_nine) != 9 or not set(first_nine) <= _ASCII_DIGITS:
        raise ValueError("need exactly nine digits")
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_repeated_digit(digits: str) -> bool:
    """True for ten copies of one digit (``0000000000``, ``1111111111``…).

    Every one of them passes the Modulus 11 check, yet none is ever issued: they are what a
    supplier's form sends when the field was filled with a placeholder.
    """
    return len(digits) == 10 and digits == digits[0] * 10


def nhs_number_problem(value: str) -> str | None:
    """Say what is wrong with an NHS number (without quoting it), or None when it is valid."""
    digits = normalise_nhs_number(value)
    if not digits:
        return "NHS number is missing"
    if not set(digits) <= _ASCII_DIGITS:
        if any(c in _FULL_WIDTH_DIGITS for c in digits):
            return (
                "NHS number is written with full-width digits (such as \uff11\uff12\uff13); "
                "use the ASCII digits 0-9"
            )
        if digits.isdigit():
            return "NHS number has digits other than the ASCII digits 0-9"
        return "NHS number has characters other than digits"
    if len(digits) != 10:
        return f"NHS number has {len(digits)} digits, not 10"
    if is_repeated_digit(digits):
        return "NHS number is one digit repeated ten times, which is never a real NHS number"
    expected = nhs_check_digit(digits[:9])
    if expected is None or expected != int(digits[9]):
        return "NHS number fails the Modulus 11 check digit"
    return None


def is_valid_nhs_number(value: str) -> bool:
    """True when the value is a 10-digit NHS number with a valid check digit."""
    return nhs_number_problem(value) is None


def format_nhs_number(value: str) -> str:
    """Display an NHS number as 3-3-4, e.g. ``999 123 4567``."""
    d = normalise_nhs_number(value)
    if len(d) != 10:
        return value
    return f"{d[:3]} {d[3:6]} {d[6:]}"


def make_test_nhs_number(serial: int) -> str:
    """Build a valid NHS number in the 999 test range from a serial (skipping invalid ones)."""
    n = serial
    while True:
        first_nine = f"999{n % 1_000_000:06d}"
        check = nhs_check_digit(first_nine)
        if check is not None and not is_repeated_digit(first_nine + str(check)):
            return first_nine + str(check)
        n += 1
