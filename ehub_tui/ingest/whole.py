"""Is a file whole? A sender may still be writing it: a record without its line ending, an open
quoted CSV value or JSON that does not parse yet means "not yet" (see :func:`incomplete_reason`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ehub_tui.ingest.parsers import NDJSON_SUFFIXES

_UTF8_BOM = b"\xef\xbb\xbf"
_LINE_ENDS = (b"\n", b"\r")
# CSV records as Python's csv module reads them (comma, double quote, doubled quote as escape,
# text after a closing quote kept): a quoted field runs to its closing quote across line endings;
# a quote inside an unquoted field is literal. Atomic groups and possessive repeats: linear time,
# no backtracking, so a match that stops short of the end means "inside an open quoted value".
_CSV_RECORDS = re.compile(
    rb'(?:(?>"(?:[^"]++|"")*+"[^,\r\n]*+|[^",\r\n][^,\r\n]*+|)(?:,|\r\n?|\n))*+'
)
# The first line of a pretty-printed JSON document ("{" or "[" alone): under an .ndjson name it
# is one document, whole only when it parses (as the ingest reads it).
_PRETTY_START = re.compile(rb"[{\[][ \t]*\r?\n")
# Bytes that text files hardly ever hold (as decode.decode_bytes counts them).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13))


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    return len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > len(sample) // 10


def incomplete_reason(path: Path, data: bytes) -> str | None:
    """Why ``data`` (the bytes of ``path``) is not yet a whole file, or None when it is whole.

    Whole means: an NDJSON file (``.ndjson``, ``.jsonl``) ends with a line ending; another JSON
    file parses as one JSON document (or is NDJSON: its first line parses and it ends with a line
    ending); any other file ends with a line ending that is not inside a quoted CSV value. A file
    the ingest will refuse anyway (empty, blank, binary, UTF-16) counts as whole, so that it goes
    to failed/ with the ingest's reason rather than being waited on for ever (and should its
    sender still write into it there, it is read again).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_binary(data):
        return None
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    stripped = body.lstrip()
    if not stripped:
        return None
    suffix = path.suffix.lower()
    if suffix in NDJSON_SUFFIXES and not _PRETTY_START.match(stripped):
        # one record a line: a bad line is that record's problem (quarantined), not the file's
        return None if body.endswith(_LINE_ENDS) else "its last line has no line ending yet"
    if suffix != ".csv" and stripped[:1] in (b"{", b"["):
        return _json_incomplete(body)
    if not body.endswith(_LINE_ENDS):
        return "its last line has no line ending yet"
    match = _CSV_RECORDS.match(body)
    if match is None or match.end() != len(body):
        return "its last record is inside a quoted value that is not closed yet"
    return None


def _json_incomplete(body: bytes) -> str | None:
    # Invalid UTF-8 is replaced, not refused: the ingest names it; a character cut at the end
    # becomes U+FFFD there, which is never whole JSON nor a line ending.
    text = body.decode("utf-8", errors="replace")
    try:
        json.loads(text, strict=False)  # strict=False: control characters inside strings
        return None
    except RecursionError:
        return None  # too deep to tell here: the ingest reports it
    except ValueError:
        pass
    if not body.endswith(_LINE_ENDS):
        return "it is not yet a whole JSON document, and its last line has no line ending"
    first = text.lstrip().splitlines()[0]
    try:
        json.loads(first, strict=False)
    except (ValueError, RecursionError):
        return "it is not yet a whole JSON document"
    return None  # NDJSON: every line before the last line ending is complete
