"""Read NDJSON and CSV files a line at a time: memory stays flat in the file's size (issue 18).

The file is opened in binary and each line decoded on its own with the rules of
:func:`ehub_tui.ingest.decode.decode_bytes`: UTF-8, a byte that is not UTF-8 kept as a lone
surrogate and a NUL kept, so either costs only the record it is in; a byte-order mark is dropped
and CRLF is read as LF. The file-level checks that the whole-file path makes on the file's text
(empty, binary, UTF-16, too many bad bytes or NULs) are made here on its first 64 KiB, with the
same messages. A streamed file holds one batch in memory, not the file, so ``max_file_bytes``
(which guards the whole-file read) does not bound it: ``max_streamed_file_bytes`` does, checked
on the file's size before reading.

NDJSON and CSV are streamed here. A FHIR Bundle is streamed by
:mod:`ehub_tui.ingest.bundle_stream` (through :mod:`ehub_tui.ingest.json_window`); any other JSON
document (one resource) is read whole. ``open_stream`` returns None for JSON, and for anything it
cannot tell for sure from the head, so that the caller chooses and the whole-file path gives its
usual answer and messages.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ehub_tui.errors import FileError
from ehub_tui.ingest.csvfile import csv_records
from ehub_tui.ingest.decode import _size, decode_bytes
from ehub_tui.ingest.jsontext import _escape_for_json, _loads, _skip_ws
from ehub_tui.ingest.ndjson import NdjsonLines
from ehub_tui.ingest.parsers import CSV, NDJSON, NDJSON_SUFFIXES, _looks_like_csv_header
from ehub_tui.ingest.records import RawRecord

HEAD_BYTES = 65_536  # what the file-level checks and the format sniff look at

# A line longer than this many times max_record_bytes is not read into memory: escaping a NUL
# or a bad byte makes a character at most six, so no such line could pass the record limit.
_LINE_FACTOR = 6


@dataclass
class Streamed:
    """An open file being read: its format, its records (read as they are asked for) and how
    many of its ``size`` bytes have been read so far (for progress)."""

    fmt: str
    records: Iterator[RawRecord]
    position: Callable[[], int]
    size: int
    close: Callable[[], None]


def open_stream(path: Path, *, max_bytes: int | None, max_record_bytes: int) -> Streamed | None:
    """Open ``path`` for streaming, or None when it is not NDJSON or CSV (or cannot be told
    from its head); raises FileError for a file that cannot be used at all. ``max_bytes`` is
    the setting ``max_streamed_file_bytes``."""
    name = str(path)
    try:
        size = Path(path).stat().st_size
        if max_bytes is not None:
            check_streamed_size(name, size, max_bytes)
        f = open(path, "rb")  # noqa: SIM115 - closed by the Streamed's close (or below)
    except FileNotFoundError:
        raise FileError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise FileError(f"{name}: is a folder, not a file") from None
    except PermissionError:
        raise FileError(f"{name}: cannot be read (permission denied)") from None
    except OSError as e:
        raise FileError(f"{name}: cannot be read ({e.strerror or e})") from None
    try:
        fmt = _sniff_head(f, path, name)
    except BaseException:
        f.close()
        raise
    if fmt is None:
        f.close()
        return None
    cap = max_record_bytes * _LINE_FACTOR
    lines = _lines(f, cap, max_record_bytes)
    records = (
        NdjsonLines.stream(lines, name)
        if fmt == NDJSON
        else _csv_stream(lines, name, cap, lambda size: too_long_problem(size, max_record_bytes))
    )
    return Streamed(fmt, records, f.tell, size, f.close)


def check_streamed_size(name: str, size: int, max_bytes: int) -> None:
    """Refuse a file to be streamed that is over ``max_streamed_file_bytes``."""
    if size > max_bytes:
        raise FileError(
            f"{name}: is {_size(size)}, more than the {_size(max_bytes)} a file may be when "
            "it is read a record at a time (setting max_streamed_file_bytes); split it into "
            "smaller files or raise the setting"
        )


def too_big_to_read_whole(name: str, size: int, max_bytes: int) -> FileError:
    """A file over ``max_file_bytes`` that cannot be streamed (not NDJSON, CSV or a Bundle)."""
    return FileError(
        f"{name}: is {_size(size)}, more than the {_size(max_bytes)} a file read whole may be "
        "(setting max_file_bytes); only NDJSON, CSV and FHIR Bundles are read a record at a "
        "time, past that limit (setting max_streamed_file_bytes). Split it into smaller files "
        "or raise max_file_bytes"
    )


def _sniff_head(f: BinaryIO, path: Path, name: str) -> str | None:
    head = f.read(HEAD_BYTES)
    more = bool(f.peek(1)) if isinstance(f, io.BufferedReader) else True
    f.seek(0)
    if not head.strip() and more:
        return None  # blank space first: the whole-file path says what the file is
    # the same checks, messages and limits as for the whole file, on its head
    text = decode_bytes(head, name)
    if more:  # the head's last line may be cut off: judge only whole lines
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut >= 0 else ""
    start = _skip_ws(text, 0)
    if start == len(text):
        return None
    suffix = path.suffix.lower()
    if text[start] in "{[":
        first, _, rest = text[start:].partition("\n")
        second = rest.lstrip()
        if _parses(first):
            # one JSON value on a line, and another line like it: NDJSON
            if suffix in NDJSON_SUFFIXES or second.startswith("{"):
                return NDJSON
            return None
        if suffix in NDJSON_SUFFIXES and second and _parses(second.split("\n", 1)[0]):
            return NDJSON  # a broken first line costs only that record
        return None
    if suffix == ".csv" or _looks_like_csv_header(text):
        return CSV
    return None


def _parses(line: str) -> bool:
    try:
        _loads(_escape_for_json(line.strip()))
    except (ValueError, RecursionError):
        return False
    return True


class TooLong(str):
    """A line longer than the stream reads into memory: its text is its first bytes, and
    ``size`` its length in bytes (a str subclass so it flows where lines do)."""

    size: int
    limit: int


def _lines(f: BinaryIO, cap: int, limit: int) -> Iterator[str]:
    """The file's lines, each decoded on its own (line endings kept, a first BOM dropped)."""
    first = True
    while True:
        raw = f.readline(cap + 1)
        if not raw:
            return
        if first:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            first = False
        if len(raw) > cap and not raw.endswith(b"\n"):
            size = len(raw)
            while True:  # skip the rest of the line without holding it
                more = f.readline(1_048_576)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            line = TooLong(_decode(raw[:200]))
            line.size, line.limit = size, limit
            yield line
            continue
        yield _decode(raw)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape")


def too_long_problem(size: int, limit: int) -> str:
    """The reason a record over max_record_bytes is quarantined (as the runner words it)."""
    return (
        f"the record is {size:,} bytes long; at most {limit:,} are allowed "
        "(setting max_record_bytes)"
    )


def _csv_stream(
    lines: Iterator[str], name: str, cap: int, too_long: Callable[[int], str]
) -> Iterator[RawRecord]:
    # a row is bounded like a line (a quote left open would otherwise hold the rest of the
    # file), and a line too long to hold is that row's end: it never joins the next row
    # csv reads CR, LF and CRLF endings; a line read up to LF may still hold a lone CR
    def physical() -> Iterator[str]:
        for line in lines:
            if "\r" in line.rstrip("\r\n"):
                yield from io.StringIO(line, newline="").readlines()
            else:
                yield line

    return csv_records(physical(), name, max_row_chars=cap, too_long=too_long)
