"""What ``/`` reads (domain.search): an NHS number in any spacing, an item number, words; the word
rule ("uti" never inside "duties"); age bands on a day; a saved view keeps no search."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ehub_tui.domain import search as S
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.views import from_json, kept, to_json

digits10 = st.text(alphabet="0123456789", min_size=10, max_size=10)
gaps = st.lists(st.sampled_from(["", " ", "  ", "-", " - "]), min_size=11, max_size=11)


@given(digits10, gaps)
def test_ten_digits_in_any_spacing_are_an_nhs_number(digits: str, seps: list[str]) -> None:
    typed = "".join(seps[i] + d for i, d in enumerate(digits)) + seps[10]
    assert S.parse(typed) == S.Search(S.NHS, nhs=digits)


@given(st.integers(min_value=1, max_value=999_999_999), st.sampled_from(["#", "# ", ""]))
def test_an_item_number_with_or_without_a_hash(n: int, hash_: str) -> None:
    assert S.parse(f"{hash_}{n}") == S.Search(S.ITEM, item=n)


def test_other_text_is_words() -> None:
    assert S.parse("  Maisie   JONES ") == S.Search(S.TEXT, words=("maisie", "jones"))
    assert S.parse("999 802") == S.Search(S.TEXT, words=("999", "802"))
    assert S.parse("   ") is None and S.parse(None) is None


@pytest.mark.parametrize(
    ("text", "word", "found"),
    [
        ("my work duties", "uti", False),
        ("burning (UTI?)", "uti", True),
        ("UTI symptoms", "uti", True),
        ("urinary_symptoms", "symp", True),
        ("Maisie", "mai", True),
        ("Amaia", "mai", False),
        ("Smith-Moore", "moore", True),
    ],
)
def test_word_starts_only(text: str, word: str, found: bool) -> None:
    assert S.starts_word(text, word) is found


def test_age_bands_on_a_day() -> None:
    today = date(2026, 11, 23)
    assert S.band_of(date(2021, 11, 24), today) == "0-4"  # 4 until tomorrow
    assert S.band_of(date(2021, 11, 23), today) == "5-15"  # 5 today
    assert S.band_of(date(1961, 11, 23), today) == "65+"
    assert S.band_of(date(1961, 11, 24), today) == "16-64"


def test_a_saved_view_keeps_no_search_nor_due_time() -> None:
    f = QueueFilter(practice="Z99001", search="maisie", age_bands=("65+",), sort="due")
    back = from_json(to_json(f))
    assert back == QueueFilter(practices=("Z99001",), age_bands=("65+",), sort="due")
    with pytest.raises(ValueError, match="age band"):
        kept(QueueFilter(age_bands=("teens",)))
