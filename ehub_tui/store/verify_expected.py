"""What the audit chain recorded for each covered row, as ``audit verify`` walks it: the last
digest an event recorded (None: deleted) and that event's seq, kept small for a million rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ehub_tui.store import audit, coverage

Want = tuple[Any, int]  # (the digest an event recorded for a row, or None: deleted; its seq)


class Expected:
    """The last digest the chain recorded for each covered row, kept small for a million rows:
    per table, the row's key to one bytes object (32 digest bytes, then 8 of seq)."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {}

    def record(self, table: Any, key: Any, digest: Any, seq: int) -> None:
        """Event ``seq`` recorded ``digest`` for the row (later events replace earlier ones)."""
        name = _NAMES.get(table) if type(table) is str else None
        if name is None:  # not a covered table's name (only a forged event's): kept as text
            name = table if type(table) is str else audit.canonical(table)
        if type(key) is list or type(key) is dict:  # only a forged event's (its hash failed)
            key = audit.canonical(key)
        rows = self.tables.get(name)
        if rows is None:
            rows = self.tables[name] = {}
        rows[key] = _pack(digest, seq)

    def pop(self, table: str, key: Any) -> Want | None:
        """The row's recorded digest and seq, taken out; None when no event covered it."""
        rows = self.tables.get(table)
        packed = rows.pop(key, None) if rows is not None else None
        return None if packed is None else _unpack(packed)

    def keys(self, table: str) -> list[Any]:
        """The keys of the rows recorded for ``table``, in key order where they have one (a
        lookup by key then walks the table's index forwards)."""
        keys = list(self.tables.get(table) or ())
        try:
            return sorted(keys)
        except TypeError:  # keys of mixed kinds (only a forged event's): any order will do
            return keys

    def differing(self, table: str, now: dict[Any, str]) -> Iterator[tuple[Any, str | None, Want]]:
        """(key, digest now or None, what was recorded) of each row recorded for ``table`` whose
        digest in ``now`` is not the recorded one, in the order recorded; a row that matches
        is passed over without being unpacked (most of them)."""
        for key, packed in (self.tables.get(table) or {}).items():
            digest = now.get(key)
            if (
                digest is not None
                and type(packed) is bytes
                and len(packed) == 40
                and packed[:32].hex() == digest
            ):
                continue
            yield key, digest, _unpack(packed)

    def left(self) -> list[tuple[str, Any, Want]]:
        """What is still in, oldest event first."""
        out = [(t, k, _unpack(v)) for t, rows in self.tables.items() for k, v in rows.items()]
        return sorted(out, key=lambda item: item[2][1])


_HEX64 = re.compile("[0-9a-f]{64}").fullmatch  # a digest as the hub writes it
_SEQ_LIMIT = 2**63
_fromhex = bytes.fromhex


def _pack(digest: Any, seq: int) -> Any:
    if 0 <= seq < _SEQ_LIMIT:
        if digest is None:
            return seq.to_bytes(8, "big")
        if type(digest) is str and _HEX64(digest):  # stored as its 32 bytes
            return _fromhex(digest) + seq.to_bytes(8, "big")
    return (digest, seq)  # anything else (a forged event's) as it was


def _unpack(packed: Any) -> Want:
    if type(packed) is tuple:
        return packed
    if len(packed) == 8:
        return None, int.from_bytes(packed, "big")
    return packed[:32].hex(), int.from_bytes(packed[32:], "big")


_NAMES = {name: name for name in coverage.TABLES}  # one string per table name, not one per row
