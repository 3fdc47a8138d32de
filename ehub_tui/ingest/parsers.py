"""Read online-consultation files: detect the format, split into records, extract the OC fields.

File-level problems (unreadable, too big, empty, binary, UTF-16, invalid JSON, wrong resource
type, CSV without a header or without the required columns) raise :class:`FileError`; nothing in
such a file is used. Problems with one record (a broken NDJSON line, a CSV row with the wrong
number of cells, a QuestionnaireResponse whose Patient cannot be found…) become a
:class:`RawRecord` with ``data`` None and an ``error``, and the other records still parse.

Records, not files: a byte that is not UTF-8, or a NUL, costs only the record it is in. The file
is decoded with ``surrogateescape`` (a bad byte 0xE9 becomes U+DCE9) and NULs are kept; JSON text
has them rewritten as ``\\uXXXX`` escapes so that it still parses; the values carry them to
:mod:`ehub_tui.ingest.validate`, which quarantines that record naming the field and the byte.

Field values are not checked here. No message here quotes a value from a record: file errors go
to the screen, logs and ``failed/*.reason.txt``, where patient identifiers must not appear.

This module is the front door (recognising a file, walking folders); the work is done beside it:
:mod:`~ehub_tui.ingest.decode` (bytes to text), :mod:`~ehub_tui.ingest.jsontext` (JSON text),
:mod:`~ehub_tui.ingest.fhir`, :mod:`~ehub_tui.ingest.ndjson` and :mod:`~ehub_tui.ingest.csvfile`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ehub_tui.errors import FileError as FileError  # (leaf errors module; re-exported)
from ehub_tui.ingest.csvfile import _CSV_COLUMN_SET, _parse_csv
from ehub_tui.ingest.csvfile import CSV_COLUMNS as CSV_COLUMNS  # (re-exported: tests use it here)
from ehub_tui.ingest.decode import read_text as read_text  # (re-exported)
from ehub_tui.ingest.fhir import _parse_fhir_json
from ehub_tui.ingest.gcpause import gc_paused
from ehub_tui.ingest.jsontext import (
    _DECODER,
    _Document,
    _escape_for_json,
    _extra_data_error,
    _json_file_error,
    _loads,
    _scan_document,
    _skip_ws,
)
from ehub_tui.ingest.ndjson import _parse_ndjson
from ehub_tui.ingest.records import RawRecord

FHIR_JSON = "fhir-json"
NDJSON = "ndjson"
CSV = "csv"
FORMATS = (FHIR_JSON, NDJSON, CSV)


# Folder walks skip these (documentation, configuration, code); files named explicitly are kept.
SKIPPED_SUFFIXES = (".md", ".yaml", ".yml", ".py", ".pyc", ".txt")
NDJSON_SUFFIXES = (".ndjson", ".jsonl")


_NOT_PARSED: Any = object()


# (text, parsed JSON) of the last file detect_format recognised as FHIR JSON; see parse_text.
_last_document: tuple[str, Any] | None = None


def detect_format(path: Path, text: str) -> str:
    """Say which format ``text`` (the content of ``path``) is in: "fhir-json", "ndjson" or "csv".

    The content decides; the file name only settles NDJSON (``.ndjson``/``.jsonl``) and CSV
    (``.csv``) when the content is not JSON. Raises FileError when it is none of them.
    """
    global _last_document
    fmt, doc = _sniff(Path(path), text, str(path))
    # Keep the parsed JSON so that parse_text on the same text need not parse it again.
    _last_document = (text, doc) if fmt == FHIR_JSON else None
    return fmt


def _sniff(path: Path, text: str, name: str) -> tuple[str, Any]:
    """Return the format and, when the whole file had to be parsed to tell, the parsed JSON."""
    body = text[1:] if text.startswith("\ufeff") else text
    start = _skip_ws(body, 0)
    if start == len(body):
        raise FileError(f"{name}: the file is empty (it holds only blank space)")
    suffix = path.suffix.lower()
    first = body[start]
    if first in "{[":
        body = _escape_for_json(body)
        if suffix in NDJSON_SUFFIXES:
            if _first_line_parses(body, start):
                return NDJSON, _NOT_PARSED
            # Perhaps one pretty-printed resource under an .ndjson name.
            with gc_paused():
                document = _scan_document(body, start)
            return (FHIR_JSON, document) if document is not None else (NDJSON, _NOT_PARSED)
        with gc_paused():
            document = _scan_document(body, start)
        if document is not None:
            return FHIR_JSON, document
        try:
            with gc_paused():
                doc, end = _DECODER.raw_decode(body, start)
        except (ValueError, RecursionError) as e:
            if _looks_like_ndjson(body, start):
                return NDJSON, _NOT_PARSED
            raise _json_file_error(name, body, e) from None
        after = _skip_ws(body, end)
        if after == len(body):
            return FHIR_JSON, _Document(doc, body, None)
        if "\n" in body[end:after]:
            return NDJSON, _NOT_PARSED
        raise _json_file_error(name, body, _extra_data_error(body, after))
    if suffix == ".csv" or _looks_like_csv_header(body):
        return CSV, _NOT_PARSED
    if suffix in (".json", *NDJSON_SUFFIXES):
        raise _json_file_error(name, body, json.JSONDecodeError("Expecting value", body, start))
    raise FileError(
        f"{name}: is not a kind of file ehub-tui reads (FHIR JSON, NDJSON or the supplier CSV "
        "layout in docs/formats.md)"
    )


def _first_line_parses(body: str, start: int) -> bool:
    end = body.find("\n", start)
    try:
        _loads(body[start:] if end < 0 else body[start:end])
    except (ValueError, RecursionError):
        return False
    return True


def _looks_like_ndjson(body: str, start: int) -> bool:
    """Several non-blank lines, each starting like a JSON object (checks the first 50)."""
    seen = 0
    for line in body[start : start + 1_000_000].split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0] != "{":
            return False
        seen += 1
        if seen >= 50:
            break
    return seen >= 2


def _looks_like_csv_header(body: str) -> bool:
    first_line = body.lstrip("\r\n").split("\n", 1)[0]
    if "," not in first_line:
        return False
    cells = {c.strip().strip('"').strip().lower() for c in first_line.split(",")}
    return len(cells & _CSV_COLUMN_SET) >= 3


def parse_text(text: str, fmt: str, name: str = "<input>") -> Iterator[RawRecord]:
    """Yield the records of ``text`` in format ``fmt``; file-level problems raise FileError."""
    if fmt == CSV:
        return _parse_csv(text, name)
    if fmt == NDJSON:
        return _parse_ndjson(text, name)
    if fmt == FHIR_JSON:
        global _last_document
        doc = _NOT_PARSED
        cached = _last_document
        if cached is not None and cached[0] is text:
            doc = cached[1]
            _last_document = None
        return _parse_fhir_json(text, name, doc)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def read_file(path: Path) -> list[RawRecord]:
    """Read, recognise and parse one file; raise FileError when the file cannot be used at all."""
    path = Path(path)
    name = str(path)
    text = read_text(path)
    fmt, doc = _sniff(path, text, name)
    if fmt == FHIR_JSON:
        return list(_parse_fhir_json(text, name, doc))
    return list(parse_text(text, fmt, name))


def iter_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield files: those given as they are, folders walked recursively in sorted order.

    Walks skip hidden files and folders and names ending .md, .yaml, .yml, .py, .pyc or .txt.
    A path that does not exist raises FileError.
    """
    for given in paths:
        p = Path(given)
        if p.is_dir():
            yield from _walk(p, set())
        elif p.exists():
            yield p
        else:
            raise FileError(f"{p}: no such file or folder")


def _walk(folder: Path, seen: set[str]) -> Iterator[Path]:
    real = os.path.realpath(folder)
    if real in seen:  # a symbolic link back up the tree
        return
    seen.add(real)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        raise FileError(f"{folder}: the folder cannot be read ({e.strerror or e})") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if is_dir:
            yield from _walk(Path(entry.path), seen)
        elif is_file and not entry.name.lower().endswith(SKIPPED_SUFFIXES):
            yield Path(entry.path)
