"""Walking the audit chain for ``audit verify``: pages bounded in bytes, one hash per check.

Events are read through the driver in keyset pages on ``seq`` (never OFFSET); each page is sized
so that its bodies come to about ``PAGE_BYTES``, so a chain of large events (a batch's covers)
never holds more than that at once, and a chain of small ones is read in few round trips.

The hash rule is ``store.audit``'s, unchanged: ``body_digest = sha256(canonical(body))`` and
``hash = sha256(prev_hash + canonical(core))``. ``audit.append`` stores the canonical text itself,
so the stored text is hashed as it is; only when that does not match (an engine that rewrote the
text, or a body edited by hand) is it decoded and re-encoded, as before, to decide.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import Connection, inspect

from ehub_tui.store import audit, bulk, coverage
from ehub_tui.store.engine import is_sqlite

PAGE_BYTES = 8 * 1024 * 1024  # the bodies of one page, about
FIRST_PAGE = 16  # events in the first page, before their size is known (then at most x4 a page)
MAX_PAGE = 20_000
ROW_OVERHEAD = 400  # bytes an event holds besides its body (hashes, names, the driver's tuple)

# (stage, done, total or None): where a long verify has got to
Progress = Callable[[str, int, int | None], None]


Want = tuple[Any, int]  # (the digest an event recorded for a row, or None: deleted; its seq)


class Expected:
    """The last digest the chain recorded for each covered row, kept small for a million rows:
    per table, the row's key to one bytes object (32 digest bytes, then 8 of seq)."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {}

    def record(self, table: Any, key: Any, digest: Any, seq: int) -> None:
        """Event ``seq`` recorded ``digest`` for the row (later events replace earlier ones)."""
        name = _NAMES.get(table) or str(table)
        if isinstance(key, list | dict):  # only a forged event's; its hash has failed already
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

    def left(self) -> list[tuple[str, Any, Want]]:
        """What is still in, oldest event first."""
        out = [(t, k, _unpack(v)) for t, rows in self.tables.items() for k, v in rows.items()]
        return sorted(out, key=lambda item: item[2][1])


def _pack(digest: Any, seq: int) -> Any:
    tail = seq.to_bytes(8, "big") if 0 <= seq < 2**63 else None
    if tail is not None and digest is None:
        return tail
    if tail is not None and type(digest) is str and len(digest) == 64:
        try:
            raw = bytes.fromhex(digest)
        except ValueError:
            raw = b""
        if len(raw) == 32 and raw.hex() == digest:  # exactly lower-case hex: stored as bytes
            return raw + tail
    return (digest, seq)  # anything else (a forged event's) as it was


def _unpack(packed: Any) -> Want:
    if type(packed) is tuple:
        return packed
    if len(packed) == 8:
        return None, int.from_bytes(packed, "big")
    return packed[:32].hex(), int.from_bytes(packed[32:], "big")


@dataclass
class Walk:
    """What a walk of the chain found, besides its problems."""

    events: int = 0
    last_seq: int = 0
    last_hash: str = audit.GENESIS
    hashes_at: dict[int, str] = field(default_factory=dict)
    # each covered row's last recorded digest (None: deleted) and the seq of that event
    expected: Expected = field(default_factory=lambda: Expected())


def pages(conn: Connection, after: int, upto: int, budget: int = PAGE_BYTES) -> Iterator[list[Any]]:
    """Events ``after`` < seq <= ``upto`` as driver tuples (seq, at, actor, action, item, body
    text, body digest, prev hash, hash), a byte-bounded page at a time."""
    sqlite = is_sqlite(conn)
    p = bulk.param(sqlite)
    body = "body" if sqlite else "body::text"  # PostgreSQL's json keeps the text it was given
    sql = (
        f"SELECT seq, at, actor, action, consultation_id, {body}, body_digest, prev_hash, hash "
        f"FROM audit_event WHERE seq > {p} AND seq <= {p} ORDER BY seq LIMIT {p}"
    )
    size = FIRST_PAGE
    while after < upto:
        cur = bulk.driver(conn).cursor()
        try:
            cur.execute(sql, (after, upto, size))
            rows = cur.fetchall()
        finally:
            cur.close()
        if not rows:
            return
        yield rows
        used = sum(len(r[5]) if isinstance(r[5], str) else 0 for r in rows)
        used += ROW_OVERHEAD * len(rows)
        size = max(1, min(MAX_PAGE, size * 4, budget * len(rows) // max(1, used)))
        after = rows[-1][0]


def link(prev_hash: str, seq: int, stamp: str, actor: Any, action: Any, item: Any, bd: Any) -> str:
    """``audit``'s chained hash, written out for the verifier's loop: the same canonical JSON of
    the same six keys in sorted order (a test holds it to ``audit.event_hash``)."""
    if not (
        isinstance(actor, str)
        and isinstance(action, str)
        and isinstance(bd, str)
        and (item is None or type(item) is int)
    ):
        return audit._chain_hash(prev_hash, seq, stamp, actor, action, item, bd)
    core = (
        f'{{"action":{encode_basestring(action)},"actor":{encode_basestring(actor)},'
        f'"at":"{stamp}","body":{encode_basestring(bd)},'
        f'"item":{"null" if item is None else item},"seq":{seq}}}'
    )
    return hashlib.sha256((prev_hash + core).encode("utf-8")).hexdigest()


class Stamps:
    """The canonical time text of a stored ``at`` (the events of one append share one)."""

    def __init__(self) -> None:
        self._raw: Any = None
        self._stamp = ""

    def __call__(self, raw: Any) -> str | None:
        if raw == self._raw and self._stamp:
            return self._stamp
        try:
            at = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
            if not isinstance(at, datetime):
                return None
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
            stamp = at.isoformat(timespec="microseconds")
        except (TypeError, ValueError):
            return None
        self._raw, self._stamp = raw, stamp
        return stamp


def body_of(text: Any) -> tuple[Any, bool]:
    """(the decoded body, whether the text is JSON at all)."""
    if isinstance(text, dict):
        return text, True
    try:
        return json.loads(text), True
    except (TypeError, ValueError):
        return None, False


def _body_holds(text: Any, body_digest: Any) -> tuple[bool, Any]:
    """(does the body match its digest, the body if it had to be decoded)."""
    if isinstance(text, str) and audit.digest(text) == body_digest:
        return True, None
    body, ok = body_of(text)
    return ok and audit.digest(audit.canonical(body)) == body_digest, body


_NAMES = {name: name for name in coverage.TABLES}  # one string per table name, not one per row


def walk(
    conn: Connection,
    after: int,
    after_hash: str,
    upto: int,
    problem: Callable[[str, int, str], None],
    keep_hashes: set[int] | frozenset[int] = frozenset(),
    progress: Progress | None = None,
) -> Walk:
    """Check every event ``after`` < seq <= ``upto``: numbered in order, linked to the one before
    (the first to ``after_hash``), its body and hash as stored. ``problem(where, seq, what)`` is
    told each one; the result has the covers of the events walked, for the replay."""
    found = Walk(last_seq=after, last_hash=after_hash)
    expected = found.expected
    stamp_of = Stamps()
    prev = after_hash
    want = after + 1
    total = upto - after
    for rows in pages(conn, after, upto):
        for seq, at, actor, action, item, text, bd, prev_hash, h in rows:
            if seq != want:
                problem(f"event {want}", want, f"is missing (the next event found is {seq})")
                want = seq
            if prev_hash != prev:
                problem(f"event {seq}", seq, "its prev_hash does not match the event before it")
            holds, body = _body_holds(text, bd)
            if not holds:
                problem(f"event {seq}", seq, "its body was changed")
            stamp = stamp_of(at)
            if stamp is None or link(prev_hash, seq, stamp, actor, action, item, bd) != h:
                problem(f"event {seq}", seq, "its hash does not match its contents (edited)")
            if seq in keep_hashes:
                found.hashes_at[seq] = h
            if body is None and isinstance(text, str) and '"covers"' in text:
                body, _ = body_of(text)
            if isinstance(body, dict):
                for entry in body.get("covers") or ():
                    if isinstance(entry, list) and len(entry) == 3:
                        expected.record(entry[0], entry[1], entry[2], seq)
            prev = h
            want += 1
            found.events += 1
        if progress is not None:
            progress("checking events", found.events, total)
    found.last_seq, found.last_hash = want - 1, prev
    return found


def fast_digest(columns: Sequence[str], row: Sequence[Any]) -> str:
    """``coverage.row_digest(coverage.row_state(spec, row))`` in one pass, for the replay's
    million rows: text and integers (all SQLite hands back, bar floats) written here, anything
    else through ``coverage``'s own pieces (a test holds the two equal)."""
    parts: list[str] = []
    add = parts.append
    for c, v in zip(columns, row, strict=True):
        if v is None:
            continue
        t = type(v)
        if t is str:
            add(f"{c}\x1fs{len(v)}\x1f{v}")
        elif t is int:
            s = str(v)
            add(f"{c}\x1fi{len(s)}\x1f{s}")
        else:
            add(coverage._piece(c, coverage.plain(v)))
    return hashlib.sha256("".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _present(conn: Connection, spec: coverage.Covered) -> tuple[str, ...]:
    """The covered columns the database has (none when the table or its key is not there: a
    hub at an older revision, verified before upgrading; see ``coverage.scan``)."""
    if not inspect(conn).has_table(spec.name):
        return ()
    have = {c["name"] for c in inspect(conn).get_columns(spec.name)}
    columns = tuple(c for c in spec.columns if c in have)
    return columns if spec.key in columns else ()


def _select(spec: coverage.Covered, columns: Sequence[str]) -> str:
    # identifiers come from the table definitions, never from data
    return "SELECT " + ", ".join(f'"{c}"' for c in columns) + f' FROM "{spec.name}"'


def read_digests(conn: Connection, spec: coverage.Covered, keys: Sequence[Any]) -> dict[Any, str]:
    """The digest now of each of these rows that is in the table, by key."""
    columns = _present(conn, spec)
    if not columns:
        return {}
    at = columns.index(spec.key)
    p = bulk.param(is_sqlite(conn))
    try:
        kind: type = spec.table.c[spec.key].type.python_type
    except NotImplementedError:
        kind = object
    # a key of another type (only a forged event's) is in no row: PostgreSQL would refuse it
    keys = [k for k in keys if isinstance(k, kind) and not isinstance(k, bool)]
    found: dict[Any, str] = {}
    for i in range(0, len(keys), 500):
        part = keys[i : i + 500]
        marks = ", ".join([p] * len(part))
        cur = bulk.driver(conn).cursor()
        try:
            cur.execute(f'{_select(spec, columns)} WHERE "{spec.key}" IN ({marks})', tuple(part))
            rows = cur.fetchall()
        finally:
            cur.close()
        for row in rows:
            found[row[at]] = fast_digest(columns, row)
    return found


def scan_digests(
    conn: Connection, spec: coverage.Covered, batch: int = 5000
) -> Iterator[tuple[Any, str]]:
    """Every row of a covered table as (key, digest), in key order: ``coverage.scan`` without
    building each row's state (only a row that does not match is read again, to say how)."""
    columns = _present(conn, spec)
    if not columns:
        return
    at = columns.index(spec.key)
    p = bulk.param(is_sqlite(conn))
    select = _select(spec, columns)
    last: Any = None
    while True:
        where = f' WHERE "{spec.key}" > {p}' if last is not None else ""
        cur = bulk.driver(conn).cursor()
        try:
            cur.execute(
                f'{select}{where} ORDER BY "{spec.key}" LIMIT {int(batch)}',
                (last,) if last is not None else (),
            )
            rows = cur.fetchall()
        finally:
            cur.close()
        if not rows:
            return
        for row in rows:
            yield row[at], fast_digest(columns, row)
        last = rows[-1][at]


def count_rows(conn: Connection) -> int:
    """Rows in the covered tables (the replay's total, for its progress)."""
    tables = inspect(conn).get_table_names()
    total = 0
    for name in coverage.TABLES:
        if name in tables:
            cur = bulk.driver(conn).cursor()
            try:
                cur.execute(f'SELECT count(*) FROM "{name}"')  # a name from the table specs
                total += int(cur.fetchone()[0])
            finally:
                cur.close()
    return total
