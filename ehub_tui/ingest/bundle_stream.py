"""Read a large FHIR Bundle an entry at a time: memory stays flat in the file's size (issue 18).

A Bundle file (of the types the whole-file path reads: collection, transaction, batch, searchset,
message) is read twice through a window of its text (:mod:`ehub_tui.ingest.json_window`):

1. The first pass checks the whole file is one valid JSON object, reads its members other than
   ``entry`` (the resource type, the Bundle type) and puts every Patient and Organization entry
   in a temporary database (:mod:`ehub_tui.ingest.bundle_index`), since a response may name a
   Patient that comes later in the file. Nothing is stored until this pass has found the file
   sound, so a file the whole-file path would refuse (invalid or cut-short JSON, not a Bundle, a
   Bundle of another type) is refused with nothing stored, as it would be.
2. The second pass yields each entry's record as the whole-file path makes it: the same
   location (``entry N``), data, problem and raw text (the entry's own text, with its Patient's
   and Organization's).

Memory holds a window of about a megabyte, one entry and a few Patients at a time. A Bundle the
whole-file path would read differently (a member ``entry`` given twice, an entry over six times
``max_record_bytes``, anything but a Bundle) is left to it when the file is within
``max_file_bytes``; a bigger one is refused with a message saying what and where, except that an
entry too long to hold is quarantined as too long, unread, and reading goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ehub_tui.errors import FileError
from ehub_tui.ingest.bundle_index import StoredRefs, is_indexed
from ehub_tui.ingest.decode import decode_bytes
from ehub_tui.ingest.fhir import _bundle_entries, _qr_record
from ehub_tui.ingest.json_window import Invalid, TooDeep, TooLong, Window
from ehub_tui.ingest.jsontext import _dumps, _kind, _skip_ws
from ehub_tui.ingest.parsers import FHIR_JSON
from ehub_tui.ingest.records import IngestLimits, RawRecord
from ehub_tui.ingest.stream import (
    HEAD_BYTES,
    Streamed,
    check_streamed_size,
    open_stream,
    too_big_to_read_whole,
    too_long_problem,
)

log = logging.getLogger(__name__)

_LINE_FACTOR = 6  # as ingest.stream: an entry over six times max_record_bytes is not held


class _Skipped:
    """An entry too long to hold: its size in bytes and first characters."""

    __slots__ = ("head", "size")

    def __init__(self, size: int, head: str) -> None:
        self.size, self.head = size, head


class _NotBundle(Exception):
    """A JSON object that is not a Bundle: read whole (when it may be), like any document."""


class _LeaveIt(Exception):
    """The whole-file path should read this file (it reads it differently); ``why`` says how,
    for a file too big for that path."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def open_any(path: Path, limits: IngestLimits, min_bytes: int) -> Streamed | None:
    """``path`` opened as a stream when it is at least ``min_bytes`` long and NDJSON, CSV or a
    FHIR Bundle, else None (it is read whole). A streamed file is bounded by
    ``max_streamed_file_bytes``, one read whole by ``max_file_bytes``: a file over the latter
    that cannot be streamed is refused here (FileError), saying which limit applies."""
    try:
        size = Path(path).stat().st_size
    except OSError:
        return None  # the whole-file path says why it cannot be read
    if size < min_bytes:
        return None
    limit, record = limits.max_streamed_file_bytes, limits.max_record_bytes
    got = open_stream(path, max_bytes=limit, max_record_bytes=record)
    if got is None:  # a JSON document: a Bundle is read an entry at a time
        whole_ok = size <= limits.max_file_bytes
        got = open_bundle(path, max_bytes=limit, max_record_bytes=record, whole_ok=whole_ok)
    if got is None:
        if size > limits.max_file_bytes:
            raise too_big_to_read_whole(str(path), size, limits.max_file_bytes)
        log.info("%s (%d bytes) is read whole: it is not NDJSON, CSV or a Bundle", path, size)
    return got


def open_bundle(
    path: Path, *, max_bytes: int | None, max_record_bytes: int, whole_ok: bool
) -> Streamed | None:
    """Open a FHIR Bundle file for reading an entry at a time (after the first pass), or None
    when it is not one (or, with ``whole_ok``, when the whole-file path should read it); raises
    FileError for a file that cannot be used at all."""
    name = str(path)
    size = _size_of(path, name)
    if max_bytes is not None:
        check_streamed_size(name, size, max_bytes)
    cap = max_record_bytes * _LINE_FACTOR
    with _open(path, name) as f:
        head = f.read(HEAD_BYTES)
        text = decode_bytes(head, name) if head.strip() else ""  # the file-level checks
        if text[_skip_ws(text, 0) :][:1] != "{":
            return None  # not a JSON object (or blank as far as the head goes)
        log.info("%s (%d bytes): finding its Patients and Organizations", path, size)
        f.seek(0)
        refs = StoredRefs()
        try:
            skipped = _first_pass(Window(f), name, cap, refs)
        except _NotBundle:
            refs.close()
            return None
        except (_LeaveIt, FileError) as e:
            refs.close()
            if whole_ok:  # the whole-file path says it in its words (or reads it its way)
                return None
            raise e if isinstance(e, FileError) else FileError(f"{name}: {e.why}") from None
        except BaseException:
            refs.close()
            raise
    if skipped and whole_ok:  # the whole-file path reads an entry of any length
        refs.close()
        return None
    refs.ready()
    g = _open(path, name)
    records = _second_pass(Window(g), name, cap, refs, max_record_bytes)

    def close() -> None:
        g.close()
        refs.close()

    return Streamed(FHIR_JSON, records, g.tell, size, close)


def _size_of(path: Path, name: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError as e:
        raise FileError(f"{name}: cannot be read ({e.strerror or e})") from None


def _open(path: Path, name: str) -> BinaryIO:
    try:
        return open(path, "rb")  # (the caller closes it)
    except OSError as e:
        raise FileError(f"{name}: cannot be read ({e.strerror or e})") from None


def _first_pass(w: Window, name: str, cap: int, refs: StoredRefs) -> int:
    """Check the file and index its Patients and Organizations; returns how many entries were
    too long to hold. Raises FileError (refused, as the whole-file path would) or _LeaveIt."""
    members: dict[str, Any] = {}
    skipped = 0
    walk = _walk(w, name, cap, members)
    for number, entry, text in walk:
        if isinstance(entry, _Skipped):
            skipped += 1
        elif is_indexed(entry):
            refs.add_entry(number, entry, text)
    if members.get("resourceType") != "Bundle":
        raise _NotBundle
    _, problem = _bundle_entries(members)
    if problem is not None:
        raise FileError(f"{name}: {problem}")  # the whole-file path's words
    return skipped


def _second_pass(
    w: Window, name: str, cap: int, refs: StoredRefs, limit: int
) -> Iterator[RawRecord]:
    """The records of the entries, as the whole-file path makes them (second loop of
    :func:`ehub_tui.ingest.fhir._bundle_records`)."""
    try:
        for number, entry, text in _walk(w, name, cap, {}):
            location = f"entry {number}"
            if isinstance(entry, _Skipped):
                yield RawRecord(
                    location, None, entry.head.strip(), too_long_problem(entry.size, limit)
                )
                continue
            if not isinstance(entry, dict):
                problem = f"the Bundle entry is {_kind(entry)}, not an object"
                yield RawRecord(location, None, _dumps(entry), problem)
                continue
            res = entry.get("resource")
            if res is None:
                continue  # e.g. a request-only entry: nothing to read
            if not isinstance(res, dict):
                problem = f"the entry's resource is {_kind(res)}, not an object"
                yield RawRecord(location, None, _dumps(entry), problem)
                continue
            if res.get("resourceType") == "QuestionnaireResponse":
                yield _qr_record(
                    location, res, refs, raw_text=None, entry=entry, entry_text=text,
                    texts=refs.texts,
                )  # fmt: skip
    except (FileError, _LeaveIt, _NotBundle) as e:  # it read as sound a moment ago
        why = str(e).removeprefix(f"{name}: ") or "it is no longer a Bundle"
        raise FileError(
            f"{name}: changed while it was being read ({why}); the entries before were read"
        ) from None


def _walk(
    w: Window, name: str, cap: int, members: dict[str, Any]
) -> Iterator[tuple[int, Any, str]]:
    """(number, entry, its text) of each element of the Bundle's ``entry`` (an entry too long
    to hold as a _Skipped); the other members go into ``members``. Raises FileError for JSON
    that is not valid (naming the line, column and entry), _LeaveIt for shapes the whole-file
    path reads differently."""
    number, place = 0, ""  # place: where a problem is, in the entries' words
    try:
        w.expect("{", "Expecting value")
        if w.peek() == "}":
            w.pos += 1
        else:
            while True:
                if w.peek() != '"':
                    raise w.invalid("Expecting property name enclosed in double quotes", w.pos)
                key, _ = w.value(cap)
                w.expect(":", "Expecting ':' delimiter")
                if key == "entry" and "entry" in members:
                    raise _LeaveIt("the Bundle has more than one member 'entry'")
                if key == "entry" and w.peek() == "[":
                    w.pos += 1
                    members["entry"] = []
                    if w.peek() == "]":
                        w.pos += 1
                    else:
                        while True:
                            number += 1
                            place = f" (in entry {number})"
                            yield (number, *_element(w, cap))
                            place = f" (after entry {number})"
                            if w.peek() == "]":
                                w.pos += 1
                                break
                            w.expect(",", "Expecting ',' delimiter")
                else:
                    members[key], _ = w.value(cap)
                    if key == "resourceType" and members[key] != "Bundle":
                        raise _NotBundle  # (a single response, say: read whole if it may be)
                if w.peek() == "}":
                    w.pos += 1
                    break
                w.expect(",", "Expecting ',' delimiter")
        place = " (after the Bundle's end)" if number else ""
        if w.peek() != "":
            raise w.invalid("Extra data", w.pos)
    except Invalid as e:
        raise FileError(f"{name}: is not valid JSON: {e.describe()}{place}") from None
    except TooDeep:
        raise FileError(f"{name}: the JSON is nested too deeply to read{place}") from None
    except TooLong:
        raise _LeaveIt(f"a member of the Bundle is over {cap:,} characters long") from None


def _element(w: Window, cap: int) -> tuple[Any, str]:
    """The next element of ``entry`` and its text, or a _Skipped when too long to hold."""
    try:
        return w.value(cap)
    except TooLong:
        size, head = w.skip()
        return _Skipped(size, head), ""
