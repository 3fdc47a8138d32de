"""Keyset paging for the queue window: a page is read by seeking from a known row's sort key,
not by counting past every row before it (OFFSET), so its cost does not grow with the queue.

The window still asks for rows by position (offset, limit): ``Marks`` remembers the sort key of
rows at positions already read, for one state of the hub (the caller drops them when the hub
changes). A page next to a remembered row (scrolling), the first page (Home) and the last page
(End: the order reversed, a LIMIT, the rows reversed back) each cost one index seek; a page
far from any (a jump into the middle) is read with OFFSET from whichever end is nearer.

An order is a tuple of (column, descending) whose last column is unique (the id), so every row
has one place. "After a key" is split at each change of direction into a few seeks, each an
equality on the leading columns and a row-value comparison on the rest, which SQLite and
PostgreSQL answer from the ordering index: priority DESC, (received_at, id) ASC is "the same
priority, later (received_at, id)" then "a lower priority".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Order = tuple[tuple[str, bool], ...]  # (column, descending); the last column is unique
Key = tuple[Any, ...]
# run(sql suffix after WHERE ..., extra params) -> rows carrying the key columns k0, k1, ...
Run = Callable[[str, dict[str, Any]], list[Any]]

MAX_SKIP = 1000  # rows a seek may step past in Python before plain OFFSET is cheaper
MAX_MARKS = 512


@dataclass
class Marks:
    """Sort keys of rows at known positions of one list, for one state of the hub (and the
    set of items placed ahead of the list, ``fronts``: a change of them moves every row)."""

    keys: dict[int, Key] = field(default_factory=dict)
    counts: dict[Any, int] = field(default_factory=dict)  # other counts kept with them
    fronts: tuple[int, ...] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # bumped whenever everything is forgotten: a reader that checked the fronts before another
    # thread changed them must not store what it read under the new fronts (two requests of one
    # user at once, across the moment a return ages out)
    generation: int = 0

    def check_fronts(self, fronts: tuple[int, ...]) -> int:
        """Forget everything when the items ahead of the list changed (a return aged out); the
        generation the caller then reads under (pass it to ``remember`` and ``keep_count``)."""
        with self.lock:
            if self.fronts != fronts:
                self.keys.clear()
                self.counts.clear()
                self.fronts = fronts
                self.generation += 1
            return self.generation

    def count(self, name: Any, generation: int | None = None) -> int | None:
        """A count kept under this generation, or None."""
        with self.lock:
            if generation is not None and generation != self.generation:
                return None
            return self.counts.get(name)

    def keep_count(self, name: Any, n: int, generation: int | None = None) -> None:
        """Keep a count read under ``generation`` (dropped if everything was forgotten since)."""
        with self.lock:
            if generation is None or generation == self.generation:
                self.counts[name] = n

    def near(
        self, offset: int, limit: int, generation: int | None = None
    ) -> tuple[tuple[int, Key] | None, ...]:
        """The nearest remembered row before ``offset`` and the nearest from ``offset+limit``
        (none when the marks were forgotten since ``generation``)."""
        with self.lock:
            if generation is not None and generation != self.generation:
                return (None, None)
            below = [o for o in self.keys if o < offset]
            beyond = [o for o in self.keys if o >= offset + limit]
            lo = max(below) if below else None
            hi = min(beyond) if beyond else None
            return (
                (lo, self.keys[lo]) if lo is not None else None,
                (hi, self.keys[hi]) if hi is not None else None,
            )

    def remember(self, offset: int, key: Key, generation: int | None = None) -> None:
        """The row at ``offset`` has ``key`` (a key with a NULL is not kept: it cannot seek; a
        key read under an older ``generation`` is not kept: its list is not this one)."""
        if any(v is None for v in key):
            return
        with self.lock:
            if generation is not None and generation != self.generation:
                return
            if len(self.keys) >= MAX_MARKS:
                self.keys.pop(next(iter(self.keys)))
            self.keys[offset] = key


def order_sql(order: Order, reverse: bool = False) -> str:
    """The ORDER BY list (reversed: every direction flipped)."""
    return ", ".join(f"{col}{' DESC' if desc != reverse else ''}" for col, desc in order)


def key_columns(order: Order) -> str:
    """The select list's key columns (k0, k1, ...), read back raw to seek from."""
    return "".join(f", {col} AS k{i}" for i, (col, _) in enumerate(order))


def key_of(row: Any, order: Order) -> Key:
    """A row's sort key as read (raw: it binds back exactly as it was stored)."""
    return tuple(getattr(row, f"k{i}") for i in range(len(order)))


def _groups(order: Order) -> list[list[int]]:
    out: list[list[int]] = []
    for i, (_, desc) in enumerate(order):
        if out and order[out[-1][-1]][1] == desc:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _seeks(order: Order, key: Key, reverse: bool) -> list[tuple[str, dict[str, Any]]]:
    """The predicates, in list order, whose rows together are those after ``key``."""
    params = {f"key{i}": v for i, v in enumerate(key)}
    groups = _groups(order)
    out = []
    for g in range(len(groups) - 1, -1, -1):
        same = [f"{order[i][0]} = :key{i}" for grp in groups[:g] for i in grp]
        cols = [order[i][0] for i in groups[g]]
        names = [f":key{i}" for i in groups[g]]
        op = ">" if order[groups[g][0]][1] == reverse else "<"
        if len(cols) == 1:
            cmp = f"{cols[0]} {op} {names[0]}"
        else:
            cmp = f"({', '.join(cols)}) {op} ({', '.join(names)})"
        out.append((" AND ".join([*same, cmp]), params))
    return out


def _after(run: Run, order: Order, key: Key, skip: int, n: int, reverse: bool) -> list[Any]:
    rows: list[Any] = []
    for pred, params in _seeks(order, key, reverse):
        want = skip + n - len(rows)
        got = run(
            f" AND {pred} ORDER BY {order_sql(order, reverse)} LIMIT :lim", params | {"lim": want}
        )
        rows.extend(got)
        if len(rows) >= skip + n:
            break
    return rows[skip : skip + n]


def fetch(
    run: Run,
    order: Order,
    offset: int,
    limit: int,
    total: int,
    marks: Marks,
    generation: int | None = None,
) -> list[Any]:
    """Rows ``offset`` .. ``offset+limit`` of a list of ``total`` rows in ``order``, read by the
    cheapest way the remembered keys allow (see the module docstring); their keys are kept
    (unless ``generation``, the one the caller checked the fronts under, is no longer the
    marks')."""
    limit = min(limit, total - offset)
    if limit <= 0 or offset < 0:
        return []
    lo, hi = marks.near(offset, limit, generation)
    end = total - offset - limit  # rows after the page
    # (cost in rows stepped past, how): the ends cost nothing to find
    ways: list[tuple[int, str, tuple[int, Key] | None]] = [(offset, "start", None)]
    ways.append((end, "end", None))
    if lo is not None:
        ways.append((offset - lo[0] - 1, "after", lo))
    if hi is not None:
        ways.append((hi[0] - offset - limit, "before", hi))
    cost, how, mark = min(ways, key=lambda w: w[0])
    if how == "after" and mark is not None and cost <= MAX_SKIP:
        rows = _after(run, order, mark[1], cost, limit, reverse=False)
    elif how == "before" and mark is not None and cost <= MAX_SKIP:
        rows = _after(run, order, mark[1], cost, limit, reverse=True)[::-1]
    elif offset <= end:
        sql = f" ORDER BY {order_sql(order)} LIMIT :lim OFFSET :off"
        rows = run(sql, {"lim": limit, "off": offset})
    else:
        sql = f" ORDER BY {order_sql(order, reverse=True)} LIMIT :lim OFFSET :off"
        rows = run(sql, {"lim": limit, "off": end})[::-1]
    if rows:
        marks.remember(offset, key_of(rows[0], order), generation)
        marks.remember(offset + len(rows) - 1, key_of(rows[-1], order), generation)
    return rows


def before(order: Order, a: Key, b: Key) -> bool:
    """Does a row with key ``a`` come before one with key ``b`` in ``order``?"""
    for (_, desc), x, y in zip(order, a, b, strict=True):
        if x != y:
            return bool(x > y) if desc else bool(x < y)
    return False


def carried(marks: Marks, order: Order, was: list[Key], now: list[Key]) -> Marks:
    """The marks of one state of the hub moved to the next, given the keys of the changed rows
    that were in the list then (``was``) and are in it now (``now``); every other row kept its
    key and its place in the list. A row's new place is its old one plus the changed rows now
    before it minus those before it then; a marked row that changed is dropped."""
    with marks.lock:
        keys, fronts = dict(marks.keys), marks.fronts
    changed = {k[-1] for k in was} | {k[-1] for k in now}
    out = Marks(fronts=fronts)
    for offset, key in keys.items():
        if key[-1] in changed:
            continue
        ahead = sum(before(order, c, key) for c in now) - sum(before(order, c, key) for c in was)
        out.keys[offset + ahead] = key
    return out
