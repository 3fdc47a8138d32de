"""Saved views: a named queue filter and sort order kept on the hub ("Admin team", "Clinical"),
and the one a supervisor set as a user's default (applied when that user's queue opens).

A saved view never keeps a search (what was typed may name a patient) nor an absolute time
(``due_before``): only what stays true from day to day.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.search import AGE_BAND_WORDS, AGE_BANDS, SORTS

MAX_NAME_CHARS = 64
# the filter fields a saved view keeps
KEPT = ("practices", "request_types", "min_priority", "age_bands", "waited_over_hours", "sort")


@dataclass(frozen=True, slots=True)
class SavedView:
    """One saved view, as a user sees it (``is_default``: it is this user's default)."""

    name: str
    filters: QueueFilter
    updated_by: str
    updated_at: datetime
    is_default: bool = False


def check_name(name: str) -> str:
    """The name trimmed; ValueError naming the problem when it cannot be a view's name."""
    clean = " ".join((name or "").split())
    if not clean:
        raise ValueError("a saved view needs a name")
    if len(clean) > MAX_NAME_CHARS:
        raise ValueError(f"a saved view's name is at most {MAX_NAME_CHARS} characters")
    return clean


def kept(f: QueueFilter) -> QueueFilter:
    """What a saved view keeps of a filter: the single practice/type folded into the lists;
    no search, no absolute due time. ValueError for an unknown age band or sort order."""
    bad = [b for b in f.age_bands if b not in AGE_BANDS]
    if bad:
        raise ValueError(f"unknown age band {bad[0]!r}: choose from {', '.join(AGE_BANDS)}")
    if f.sort not in SORTS:
        raise ValueError(f"unknown sort order {f.sort!r}: choose from {', '.join(SORTS)}")
    if f.waited_over_hours is not None and f.waited_over_hours < 0:
        raise ValueError("waited over needs a number of hours of 0 or more")
    return QueueFilter(
        practices=f.all_practices(),
        request_types=f.all_types(),
        min_priority=f.min_priority,
        age_bands=tuple(dict.fromkeys(f.age_bands)),
        waited_over_hours=f.waited_over_hours,
        sort=f.sort,
    )


def to_json(f: QueueFilter) -> dict[str, Any]:
    """A kept filter as JSON (lists for tuples)."""
    g = kept(f)
    out: dict[str, Any] = {}
    for name in KEPT:
        value = getattr(g, name)
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def from_json(data: dict[str, Any]) -> QueueFilter:
    """A filter from its stored JSON (unknown keys ignored)."""
    values: dict[str, Any] = {}
    for name in KEPT:
        if name in data and data[name] is not None:
            value = data[name]
            values[name] = tuple(value) if isinstance(value, list) else value
    return dataclasses.replace(QueueFilter(), **values)


def describe(f: QueueFilter) -> str:
    """A filter in words, for the filter line and the views list."""
    parts = []
    if f.all_practices():
        parts.append("practice " + " or ".join(f.all_practices()))
    if f.all_types():
        parts.append(" or ".join(f.all_types()))
    if f.min_priority:
        parts.append("urgent and emergency only")
    if f.age_bands:
        parts.append(" or ".join(AGE_BAND_WORDS.get(b, b) for b in f.age_bands))
    if f.waited_over_hours:
        parts.append(f"waited over {f.waited_over_hours:g} h")
    if f.due_before:
        parts.append("due within 1 h")
    if f.sort != "priority":
        parts.append(SORTS.get(f.sort, f.sort))
    return ", ".join(parts) or "everything, emergency and urgent first"
