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
from json.scanner import make_scanner
from typing import Any, cast

from sqlalchemy import Connection, inspect

from ehub_tui.store import audit, bulk, coverage
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.verify_expected import Expected

PAGE_BYTES = 8 * 1024 * 1024  # the bodies of one page, about
FIRST_PAGE = 16  # events in the first page, before their size is known (then at most x4 a page)
MAX_PAGE = 20_000
ROW_OVERHEAD = 400  # bytes an event holds besides its body (hashes, names, the driver's tuple)

# (stage, done, total or None): where a long verify has got to
Progress = Callable[[str, int, int | None], None]


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
        type(actor) is str
        and type(action) is str
        and type(bd) is str
        and (item is None or type(item) is int)
    ):
        return audit._chain_hash(prev_hash, seq, stamp, actor, action, item, bd)
    core = (
        f'{prev_hash}{{"action":{_enc(action)},"actor":{_enc(actor)},'
        f'"at":"{stamp}","body":{_enc(bd)},'
        f'"item":{"null" if item is None else item},"seq":{seq}}}'
    )
    return _sha256(core.encode("utf-8")).hexdigest()


_enc = encode_basestring
_sha256 = hashlib.sha256


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
    except (TypeError, ValueError, RecursionError):  # RecursionError: nested past all sense
        return None, False


def _body_holds(text: Any, body_digest: Any) -> tuple[bool, Any]:
    """(does the body match its digest, the body if it had to be decoded)."""
    if isinstance(text, str) and audit.digest(text) == body_digest:
        return True, None
    body, ok = body_of(text)
    return ok and audit.digest(audit.canonical(body)) == body_digest, body


_COVERS_FIRST = '{"covers":'  # how canonical text (sorted keys) starts when an event has covers
_AFTER_KEY = len(_COVERS_FIRST)
# the decoder's own scanner: one JSON value from an index, as ``raw_decode`` reads it, less a
# layer of Python (it raises StopIteration where no value starts there)
_READ_VALUE = make_scanner(cast(Any, json.JSONDecoder()))  # the stub wants its own type


def covers_in(text: str) -> Any:
    """The body's top-level ``covers``, as ``json.loads(text).get("covers")`` gives it (None
    when there are none, or the text is not a JSON object).

    In the canonical text the hub writes, ``covers`` is the first key, so only that value is
    decoded (a claim's ``shows`` are not): when no later key could be a second ``covers`` (the
    word is not there again, and there is no escape that could spell it), the value read is the
    one ``json.loads`` keeps. Anything else is decoded whole. The one difference: text after the
    covers that is not JSON is not looked at, as it was not before when its digest held (the
    verify holds a body to its digest, not to being JSON).
    """
    if text.startswith(_COVERS_FIRST):
        try:
            value, end = _READ_VALUE(text, _AFTER_KEY)
        except (StopIteration, ValueError, RecursionError):
            end = 0
        if (
            end > _AFTER_KEY
            and text[end : end + 1] in (",", "}")
            and text.find('"covers"', end) < 0
            and text.find("\\", end) < 0
        ):
            return value
    body, _ = body_of(text)
    return body.get("covers") if isinstance(body, dict) else None


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
    told each one; the result has the covers of the events walked, for the replay.

    Per event: one sha256 of the stored body, one of the chained core, and only the covers
    decoded (``covers_in``); a body that does not hold is decoded whole to decide, as before.
    """
    found = Walk(last_seq=after, last_hash=after_hash)
    record = found.expected.record
    stamp_of = Stamps()
    sha256 = hashlib.sha256
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
            if type(text) is str and sha256(text.encode("utf-8")).hexdigest() == bd:
                entries = covers_in(text) if '"covers"' in text else None
            else:  # not as written (or not text): decoded to decide, as ``_body_holds`` does
                holds, body = _body_holds(text, bd)
                if not holds:
                    problem(f"event {seq}", seq, "its body was changed")
                if body is None and isinstance(text, str) and '"covers"' in text:
                    body, _ = body_of(text)
                entries = body.get("covers") if isinstance(body, dict) else None
            stamp = stamp_of(at)
            if stamp is None or link(prev_hash, seq, stamp, actor, action, item, bd) != h:
                problem(f"event {seq}", seq, "its hash does not match its contents (edited)")
            if seq in keep_hashes:
                found.hashes_at[seq] = h
            if entries:
                for entry in entries if type(entries) is list else ():
                    if type(entry) is list and len(entry) == 3:
                        record(entry[0], entry[1], entry[2], seq)
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
