"""Keyset marks across a change of the items placed first (store/keyset.py): a reader that
checked the fronts before another request changed them (one user's poll and scroll at once,
across the moment a return ages out) neither uses nor stores keys of the other list."""

from __future__ import annotations

from ehub_tui.store.keyset import Marks


def test_a_reader_of_the_old_fronts_stores_nothing_under_the_new() -> None:
    marks = Marks()
    first = marks.check_fronts((7, 9))
    marks.remember(0, (2, "a", 7), first)
    assert marks.near(50, 25, first)[0] == (0, (2, "a", 7))
    second = marks.check_fronts((9,))  # another request: a return aged out
    assert second != first and marks.keys == {}
    # the first reader goes on with what it read under (7, 9)
    marks.remember(75, (1, "b", 40), first)
    marks.keep_count(("above", 1), 3, first)
    assert marks.keys == {} and marks.count(("above", 1), second) is None
    assert marks.near(100, 25, first) == (None, None)
    # the second reader's keys and counts are kept
    marks.remember(75, (1, "c", 41), second)
    marks.keep_count(("above", 1), 2, second)
    assert marks.near(100, 25, second)[0] == (75, (1, "c", 41))
    assert marks.count(("above", 1), second) == 2
    assert marks.check_fronts((9,)) == second  # the same fronts: nothing forgotten
