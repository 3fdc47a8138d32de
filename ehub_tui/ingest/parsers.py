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
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import re
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from ehub_tui.domain.fields import OC_FIELDS, REQUIRED_FIELDS
from ehub_tui.errors import FileError as FileError  # (leaf errors module; re-exported)
from ehub_tui.ingest.records import RawRecord

FHIR_JSON = "fhir-json"
NDJSON = "ndjson"
CSV = "csv"
FORMATS = (FHIR_JSON, NDJSON, CSV)

CSV_COLUMNS = OC_FIELDS  # the supplier CSV header is the OC fields, in order

SUPPLIER_SYSTEM_PREFIX = "urn:ehub-tui:supplier:"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset")
RESERVED_LINK_IDS = frozenset({"request_type", "free_text", "supplier_flag"})

# Folder walks skip these (documentation, configuration, code); files named explicitly are kept.
SKIPPED_SUFFIXES = (".md", ".yaml", ".yml", ".py", ".pyc", ".txt")
NDJSON_SUFFIXES = (".ndjson", ".jsonl")

_UTF8_BOM = b"\xef\xbb\xbf"
_CSV_COLUMN_SET = frozenset(CSV_COLUMNS)
_JSON_WS = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()
_loads = json.loads
# Control characters other than tab, CR, LF, FF, VT: text files hardly ever hold them.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13))
# Characters that cannot be stored (NUL; lone surrogates, which is how a byte that was not UTF-8
# arrives from surrogateescape), with the backslashes before them (see _escape_for_json).
_UNSTORABLE_IN_JSON = re.compile("(\\\\*)([\x00\ud800-\udfff])")
_SURROGATES = re.compile("[\ud800-\udfff]")
# The CSV reader's own field limit (128 KiB) would make a long field a parse error that no
# setting can lift; fields are limited by settings.max_field_chars in validate instead.
_CSV_FIELD_LIMIT = 2**31 - 1
_NOT_PARSED: Any = object()
_NO_VALUE: Any = object()
_BUNDLE_OPEN = '{"resourceType":"Bundle","type":"collection","entry":['
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
# (text, parsed JSON) of the last file detect_format recognised as FHIR JSON; see parse_text.
_last_document: tuple[str, Any] | None = None


# --------------------------------------------------------------------------------------------
# Reading and recognising files


def read_text(path: Path, *, max_bytes: int | None = None) -> str:
    """Read a file as UTF-8 text (a byte-order mark is dropped), or raise FileError.

    ``max_bytes`` (settings.max_file_bytes) refuses a bigger file before reading it. Bytes that
    are not UTF-8 become lone surrogates (see :func:`decode_bytes`).
    """
    name = str(path)
    try:
        if max_bytes is not None:
            _check_size(name, Path(path).stat().st_size, max_bytes)
        data = Path(path).read_bytes()
        if max_bytes is not None:  # it may have grown since
            _check_size(name, len(data), max_bytes)
    except FileNotFoundError:
        raise FileError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise FileError(f"{name}: is a folder, not a file") from None
    except PermissionError:
        raise FileError(f"{name}: cannot be read (permission denied)") from None
    except OSError as e:
        raise FileError(f"{name}: cannot be read ({e.strerror or e})") from None
    return decode_bytes(data, name)


def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileError(
            f"{name}: is {_size(size)}, more than the {_size(max_bytes)} a file may be "
            "(setting max_file_bytes); split it into smaller files or raise the setting"
        )


def _size(n: int) -> str:
    """A byte count for people: 1,048,576 bytes → "1 MiB (1,048,576 bytes)"."""
    if n >= 1_048_576:
        return f"{n / 1_048_576:,.1f} MiB ({n:,} bytes)".replace(".0 MiB", " MiB")
    return f"{n:,} bytes"


def decode_bytes(data: bytes, name: str = "<input>") -> str:
    """Decode a file's bytes as UTF-8 text as :func:`read_text` does, or raise FileError.

    Text with a few bad bytes or NULs is still text: a byte that is not UTF-8 is decoded to a
    lone surrogate (U+DC80..U+DCFF, ``surrogateescape``) and a NUL is kept, so the record
    holding it, and only that record, is quarantined by validation. A file that is mostly not
    text (control bytes or invalid UTF-8) is refused as binary, and UTF-16 is refused by name,
    with or without a byte-order mark.
    """
    if not data:
        raise FileError(f"{name}: the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError(f"{name}: is UTF-16 text, not UTF-8; save it as UTF-8 and try again")
    if data.startswith(_UTF8_BOM):
        data = data[3:]
    sample = data[:8192]
    utf16 = _utf16_without_bom(sample)
    if utf16:
        raise FileError(
            f"{name}: looks like UTF-16 text ({utf16}) without a byte-order mark, not UTF-8; "
            "save it as UTF-8 and try again"
        )
    if sample and len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > len(sample) // 10:
        raise FileError(f"{name}: looks like a binary file, not JSON or CSV")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Some bytes are not UTF-8: keep them as lone surrogates for validation to name, unless
        # there are so many that this is not text at all.
        text = data.decode("utf-8", "surrogateescape")
        head = sample.decode("utf-8", "surrogateescape")
        if len(_SURROGATES.findall(head)) > max(8, len(head) // 10):
            raise FileError(
                f"{name}: looks like a binary file, or text in an encoding other than UTF-8 "
                "(most of its bytes are not UTF-8); save text as UTF-8 and try again"
            ) from None
    if "\x00" in text and text.count("\x00") > max(8, len(text) // 100):
        raise FileError(f"{name}: looks like a binary file, not JSON or CSV")
    if not text.strip():
        raise FileError(f"{name}: the file is empty (it holds only blank space)")
    return text


def _utf16_without_bom(sample: bytes) -> str | None:
    """Say "UTF-16LE" or "UTF-16BE" when ``sample`` looks like UTF-16 without a byte-order mark.

    In UTF-16 text that is mostly ASCII (field names, digits, dates) every other byte is zero:
    the odd ones in little-endian, the even ones in big-endian. Nothing else looks like that.
    """
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_zero = sample[0 : pairs * 2 : 2].count(0)
    odd_zero = sample[1 : pairs * 2 : 2].count(0)
    if odd_zero >= pairs * 0.4 and even_zero <= pairs * 0.05:
        return "UTF-16LE"
    if even_zero >= pairs * 0.4 and odd_zero <= pairs * 0.05:
        return "UTF-16BE"
    return None


def _escape_for_json(text: str) -> str:
    """JSON text with NULs and lone surrogates written as ``\\uXXXX`` escapes.

    Inside a JSON string the escape means the same character, so the document parses and the
    value carries it to validation (which quarantines only that record); the text itself can be
    stored (as a quarantined record's raw text) and read again with the same result. After an
    odd number of backslashes the character is left alone: that was an invalid escape already.
    """
    if "\x00" not in text and (text.isascii() or not _SURROGATES.search(text)):
        return text

    def escape(m: re.Match[str]) -> str:
        slashes, ch = m.group(1), m.group(2)
        if len(slashes) % 2:
            return m.group(0)
        return f"{slashes}\\u{ord(ch):04x}"

    return _UNSTORABLE_IN_JSON.sub(escape, text)


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


def _extra_data_error(body: str, pos: int) -> json.JSONDecodeError:
    return json.JSONDecodeError("Extra data", body, pos)


def _json_file_error(name: str, body: str, e: BaseException) -> FileError:
    if isinstance(e, RecursionError):
        return FileError(f"{name}: the JSON is nested too deeply to read")
    if isinstance(e, json.JSONDecodeError):
        where = f"line {e.lineno}, column {e.colno}"
        message = f"{name}: is not valid JSON: {_json_problem(e.msg, where)}"
        if e.pos >= len(body.rstrip()) or e.msg.startswith("Unterminated string"):
            message += " (the file seems to be cut short)"
        return FileError(message)
    return FileError(f"{name}: is not valid JSON: {e}")


class _Document(NamedTuple):
    """A parsed JSON file; ``spans`` are where its Bundle entries lie in ``body``, if known."""

    value: Any
    body: str
    spans: list[tuple[int, int]] | None


def _json_problem(msg: str, where: str) -> str:
    """``json``'s message with the place, e.g. "Unterminated string starting at column 9"."""
    return f"{msg.removesuffix(' at')} at {where}"


def _load_document(text: str, name: str) -> _Document:
    body = _escape_for_json(text[1:] if text.startswith("\ufeff") else text)
    document = _scan_document(body, _skip_ws(body, 0))
    if document is not None:
        return document
    try:
        return _Document(_loads(body), body, None)
    except (ValueError, RecursionError) as e:
        raise _json_file_error(name, body, e) from None


def _scan_document(body: str, idx: int) -> _Document | None:
    """Parse a JSON object holding one document, noting where each element of ``entry`` lies.

    The spans let a Bundle entry's own text be kept as its ``raw`` without writing the JSON out
    again. Returns None when the text is anything else or is not valid JSON (the caller then
    parses it the ordinary way, for the value or for a precise error message).
    """
    scan: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
    try:
        if body[idx] != "{":
            return None
        doc: dict[str, Any] = {}
        spans: list[tuple[int, int]] | None = None
        idx = _skip_ws(body, idx + 1)
        if body[idx] == "}":
            idx += 1
        else:
            while True:
                if body[idx] != '"':
                    return None
                key, idx = _scanstring(body, idx + 1, True)
                idx = _skip_ws(body, idx)
                if body[idx] != ":":
                    return None
                idx = _skip_ws(body, idx + 1)
                value: Any
                if key == "entry" and body[idx] == "[":
                    value = []
                    spans = []
                    idx = _skip_ws(body, idx + 1)
                    if body[idx] == "]":
                        idx += 1
                    else:
                        while True:
                            element, end = scan(body, idx)
                            value.append(element)
                            spans.append((idx, end))
                            idx = _skip_ws(body, end)
                            if body[idx] == "]":
                                idx += 1
                                break
                            if body[idx] != ",":
                                return None
                            idx = _skip_ws(body, idx + 1)
                else:
                    value, idx = scan(body, idx)
                doc[key] = value
                idx = _skip_ws(body, idx)
                if body[idx] == "}":
                    idx += 1
                    break
                if body[idx] != ",":
                    return None
                idx = _skip_ws(body, idx + 1)
        if _skip_ws(body, idx) != len(body):
            return None
    except (IndexError, StopIteration, ValueError, RecursionError):
        return None
    entries = doc.get("entry")
    if spans is not None and not (isinstance(entries, list) and len(entries) == len(spans)):
        spans = None  # "entry" given twice, the last not a list
    return _Document(doc, body, spans)


# --------------------------------------------------------------------------------------------
# Public entry points


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


# --------------------------------------------------------------------------------------------
# CSV


def _parse_csv(text: str, name: str) -> Iterator[RawRecord]:
    with gc_paused():
        records = list(_csv_records(text, name))
    yield from records


def _csv_records(text: str, name: str) -> Iterator[RawRecord]:
    if text.startswith("\ufeff"):
        text = text[1:]
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    # Physical lines, split as csv expects (CRLF, LF or CR), endings kept so rows can be re-joined.
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    header: list[str] | None = None
    header_start = 0
    while header is None:
        header_start = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            raise FileError(f"{name}: the CSV file has no header line") from None
        except csv.Error as e:
            raise FileError(f"{name}: the CSV header cannot be read ({e})") from None
        if any(cell.strip() for cell in row):
            header = row
    header_end = reader.line_num
    header_text = "".join(lines[header_start:header_end])
    if not header_text.endswith(("\n", "\r")):
        header_text += "\n"

    names = [cell.strip().lower() for cell in header]
    known = [n for n in names if n in _CSV_COLUMN_SET]
    where = f"line {header_start + 1}"
    if len(known) < min(3, len(REQUIRED_FIELDS)):
        # Most likely no header at all: the first line is a record. Its cells are a patient's
        # details, so they are counted, never quoted.
        raise FileError(
            f"{name}: the CSV file has no header line: {where}, its first line, does not name "
            f"the columns (it has {len(header)} cells, of which {len(known)} "
            f"{'is a' if len(known) == 1 else 'are'} column name{'' if len(known) == 1 else 's'}). "
            f"The first line must name the columns, e.g. {','.join(REQUIRED_FIELDS[:4])},… "
            "(see docs/formats.md)"
        )
    duplicates = sorted({n for n in known if names.count(n) > 1})
    if duplicates:
        raise FileError(
            f"{name}: the CSV header names the column{'s' if len(duplicates) > 1 else ''} "
            f"{', '.join(duplicates)} more than once"
        )
    missing = [c for c in REQUIRED_FIELDS if c not in names]
    if missing:
        others = len([n for n in names if n and n not in _CSV_COLUMN_SET])
        found = ", ".join(known)
        if others:  # unknown cells are counted, not quoted: they may be data
            found += f" and {others} other column{'s' if others > 1 else ''}"
        raise FileError(
            f"{name}: the CSV header is missing the required column"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} ({where} names: {found})"
        )
    simple = [
        (n, i)
        for i, n in enumerate(names)
        if n in _CSV_COLUMN_SET and n not in ("answers", "supplier_flags")
    ]
    answers_at = names.index("answers") if "answers" in names else None
    flags_at = names.index("supplier_flags") if "supplier_flags" in names else None
    width = len(header)

    prev = header_end
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            now = reader.line_num
            yield RawRecord(
                f"line {prev + 1}",
                None,
                header_text + "".join(lines[prev:now]),
                f"the row cannot be read as CSV ({e})",
            )
            if now <= prev:
                return
            prev = now
            continue
        now = reader.line_num
        start = prev + 1
        chunk = lines[prev] if now == start else "".join(lines[prev:now])
        prev = now
        if not any(cell.strip() for cell in row):  # blank line, or a row of empty cells
            continue
        raw = header_text + chunk
        location = f"line {start}"
        if len(row) != width:
            hint = ""
            if now - start > 0 and len(row) < width:
                hint = " (is a quote left unclosed?)"
            yield RawRecord(
                location,
                None,
                raw,
                f"the row has {len(row)} cells but the header has {width} columns{hint}",
            )
            continue
        data: dict[str, Any] = {field: row[i] for field, i in simple}
        if answers_at is not None:
            cell = row[answers_at].strip()
            if cell:
                try:
                    answers = _loads(cell)
                except (ValueError, RecursionError) as e:
                    detail = (
                        _json_problem(e.msg, f"character {e.pos + 1}")
                        if isinstance(e, json.JSONDecodeError)
                        else str(e)
                    )
                    yield RawRecord(
                        location, None, raw, f"the answers cell is not valid JSON ({detail})"
                    )
                    continue
                if not isinstance(answers, dict):
                    yield RawRecord(
                        location,
                        None,
                        raw,
                        f"the answers cell holds {_kind(answers)}; it must be a JSON object "
                        'such as {"fever": "yes"}',
                    )
                    continue
                data["answers"] = answers
            else:
                data["answers"] = {}
        if flags_at is not None:
            cell = row[flags_at]
            data["supplier_flags"] = cell.split(";") if cell.strip() else []
        yield RawRecord(location, data, raw)


# --------------------------------------------------------------------------------------------
# NDJSON


def _parse_ndjson(text: str, name: str) -> Iterator[RawRecord]:
    with gc_paused():
        records = _ndjson_records(text)
    yield from records


def _ndjson_records(text: str) -> list[RawRecord]:
    """One pass over the lines; each line is parsed once and its JSON dropped when read.

    A QuestionnaireResponse whose Patient is on another line that has not been seen yet is kept
    back until the end of the file, then read in its place.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = _escape_for_json(text)
    out: list[RawRecord | None] = []
    patients: dict[str, dict[str, Any]] = {}
    waiting: list[tuple[int, str, dict[str, Any], str]] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        location = f"line {number}"
        try:
            obj = _loads(line)
        except json.JSONDecodeError as e:
            problem = f"the line is not valid JSON ({_json_problem(e.msg, f'column {e.colno}')})"
            out.append(RawRecord(location, None, line, problem))
            continue
        except (ValueError, RecursionError) as e:
            detail = "it is nested too deeply" if isinstance(e, RecursionError) else str(e)
            out.append(RawRecord(location, None, line, f"the line is not valid JSON ({detail})"))
            continue
        if not isinstance(obj, dict):
            problem = f"the line holds {_kind(obj)}, not a FHIR resource"
            out.append(RawRecord(location, None, line, problem))
            continue
        rtype = obj.get("resourceType")
        if rtype == "QuestionnaireResponse":
            ref = _subject_reference(obj)
            if ref is not None and not ref.startswith("#") and ref not in patients:
                waiting.append((len(out), location, obj, line))
                out.append(None)
            else:
                out.append(_qr_record(location, obj, patients, raw_text=line, entry=None))
        elif rtype == "Patient":
            pid = obj.get("id")
            if isinstance(pid, str) and pid:
                key = f"Patient/{pid}"
                patients.setdefault(key, {"fullUrl": key, "resource": obj})
        elif rtype == "Bundle":
            entries, bundle_problem = _bundle_entries(obj)
            if bundle_problem is not None:
                out.append(RawRecord(location, None, line, bundle_problem))
            else:
                out.extend(_bundle_records(entries, f"{location}, entry ", patients))
        elif rtype is None:
            problem = "the line has no resourceType, so it is not a FHIR resource"
            out.append(RawRecord(location, None, line, problem))
        # other resource types are ignored
    for at, location, obj, line in waiting:
        out[at] = _qr_record(location, obj, patients, raw_text=line, entry=None)
    return [r for r in out if r is not None]


def _subject_reference(qr: dict[str, Any]) -> str | None:
    subject = qr.get("subject")
    ref = subject.get("reference") if isinstance(subject, dict) else None
    return ref.strip() if isinstance(ref, str) else None


# --------------------------------------------------------------------------------------------
# FHIR JSON


def _parse_fhir_json(text: str, name: str, document: Any) -> Iterator[RawRecord]:
    with gc_paused():
        if not isinstance(document, _Document):
            document = _load_document(text, name)
        records = list(_fhir_records(name, document))
    yield from records


def _fhir_records(name: str, document: _Document) -> Iterator[RawRecord]:
    doc = document.value
    if not isinstance(doc, dict):
        raise FileError(f"{name}: holds {_kind(doc)}, not a FHIR QuestionnaireResponse or Bundle")
    rtype = doc.get("resourceType")
    if rtype == "QuestionnaireResponse":
        yield _qr_record("resource", doc, {}, raw_text=document.body.strip(), entry=None)
    elif rtype == "Bundle":
        entries, problem = _bundle_entries(doc)
        if problem is not None:
            raise FileError(f"{name}: {problem}")
        yield from _bundle_records(entries, "entry ", {}, document.body, document.spans)
    elif rtype is None:
        raise FileError(f"{name}: the JSON has no resourceType, so it is not a FHIR resource")
    else:
        raise FileError(
            f"{name}: holds a FHIR {_short(rtype)} resource; expected a QuestionnaireResponse "
            "or a Bundle of them"
        )


def _bundle_entries(bundle: dict[str, Any]) -> tuple[list[Any], str | None]:
    btype = bundle.get("type")
    if btype is not None and btype not in BUNDLE_TYPES:
        return [], (
            f"the Bundle is of type {_short(btype)}; ehub-tui reads Bundles of type "
            f"{', '.join(BUNDLE_TYPES[:-1])} or {BUNDLE_TYPES[-1]}"
        )
    entries = bundle.get("entry")
    if entries is None:
        return [], None
    if not isinstance(entries, list):
        return [], f"the Bundle's entry is {_kind(entries)}, not a list"
    return entries, None


def _bundle_records(
    entries: list[Any],
    prefix: str,
    outer: dict[str, dict[str, Any]],
    body: str | None = None,
    spans: list[tuple[int, int]] | None = None,
) -> Iterator[RawRecord]:
    """Records of a Bundle's entries; ``body`` and ``spans`` give each entry's own text."""
    index: dict[str, dict[str, Any]] = {}
    texts: dict[int, str] = {}  # id(Patient entry) -> its text
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        res = entry.get("resource")
        if isinstance(res, dict) and res.get("resourceType") == "Patient":
            if body is not None and spans is not None:
                start, end = spans[number]
                texts[id(entry)] = body[start:end]
            full = entry.get("fullUrl")
            if isinstance(full, str) and full.strip():
                index[full.strip()] = entry
            pid = res.get("id")
            if isinstance(pid, str) and pid:
                index.setdefault(f"Patient/{pid}", entry)
    lookup: Mapping[str, dict[str, Any]] = ChainMap(index, outer) if outer else index
    for number, entry in enumerate(entries, 1):
        location = f"{prefix}{number}"
        if not isinstance(entry, dict):
            yield RawRecord(
                location, None, _dumps(entry), f"the Bundle entry is {_kind(entry)}, not an object"
            )
            continue
        res = entry.get("resource")
        if res is None:
            continue  # e.g. a request-only entry: nothing to read
        if not isinstance(res, dict):
            yield RawRecord(
                location,
                None,
                _dumps(entry),
                f"the entry's resource is {_kind(res)}, not an object",
            )
            continue
        if res.get("resourceType") == "QuestionnaireResponse":
            entry_text = None
            if body is not None and spans is not None:
                start, end = spans[number - 1]
                entry_text = body[start:end]
            yield _qr_record(
                location,
                res,
                lookup,
                raw_text=None,
                entry=entry,
                entry_text=entry_text,
                patient_texts=texts,
            )


def _qr_record(
    location: str,
    qr: dict[str, Any],
    patients: Mapping[str, dict[str, Any]],
    *,
    raw_text: str | None,
    entry: dict[str, Any] | None,
    entry_text: str | None = None,
    patient_texts: Mapping[int, str] | None = None,
) -> RawRecord:
    """Turn one QuestionnaireResponse into a RawRecord.

    ``raw`` is text that can be read again on its own: ``raw_text`` when given (an NDJSON line,
    a single-resource file), for a Bundle entry a one-entry collection Bundle, and when the
    Patient is another entry or line a two-entry collection Bundle (the QuestionnaireResponse
    and its Patient). The entries' own text is used when known, else their JSON is written out.
    """
    try:
        patient, patient_entry, problem = _resolve_patient(qr, patients)
        patient_text = None
        if patient_entry is not None and patient_texts:
            patient_text = patient_texts.get(id(patient_entry))
        if entry_text is not None and patient_entry is None:
            raw = f"{_BUNDLE_OPEN}{entry_text}]}}"
        elif entry_text is not None and patient_text is not None:
            raw = f"{_BUNDLE_OPEN}{entry_text},{patient_text}]}}"
        elif patient_entry is not None:
            qr_entry: dict[str, Any] = {"resource": qr}
            if entry is not None and isinstance(entry.get("fullUrl"), str):
                qr_entry = {"fullUrl": entry["fullUrl"], "resource": qr}
            pat: dict[str, Any] = {"resource": patient_entry.get("resource")}
            if isinstance(patient_entry.get("fullUrl"), str):
                pat = {"fullUrl": patient_entry["fullUrl"], "resource": patient_entry["resource"]}
            raw = _dumps({"resourceType": "Bundle", "type": "collection", "entry": [qr_entry, pat]})
        elif raw_text is not None:
            raw = raw_text
        else:
            only = entry if entry is not None else {"resource": qr}
            raw = _dumps({"resourceType": "Bundle", "type": "collection", "entry": [only]})
        if problem is not None or patient is None:
            return RawRecord(location, None, raw, problem or "the patient could not be found")
        return RawRecord(location, _qr_data(qr, patient), raw)
    except Exception as e:  # pragma: no cover - safety net for shapes no test thought of
        fallback = raw_text if raw_text is not None else _dumps(qr)
        return RawRecord(location, None, fallback, f"could not be read ({type(e).__name__}: {e})")


def _resolve_patient(
    qr: dict[str, Any], patients: Mapping[str, dict[str, Any]]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """Return (patient, the Bundle entry holding it or None if contained, problem)."""
    subject = qr.get("subject")
    if not isinstance(subject, dict):
        return None, None, "the QuestionnaireResponse has no subject (the patient)"
    ref = subject.get("reference")
    if not isinstance(ref, str) or not ref.strip():
        return None, None, "the QuestionnaireResponse's subject has no reference to a Patient"
    ref = ref.strip()
    if ref.startswith("#"):
        wanted = ref[1:]
        contained = qr.get("contained")
        if isinstance(contained, list):
            for res in contained:
                if isinstance(res, dict) and res.get("id") == wanted:
                    kind = _short(res.get("resourceType"))
                    if kind != "Patient":
                        problem = f"the subject {_ref(ref)} is a contained {kind}, not a Patient"
                        return None, None, problem
                    return res, None, None
        return (
            None,
            None,
            f"Patient reference {_ref(ref)} not found among the contained resources",
        )
    entry = patients.get(ref)
    if entry is None and "/Patient/" in ref:
        entry = patients.get("Patient/" + ref.rsplit("/Patient/", 1)[1])
    if entry is None:
        return None, None, f"Patient reference {_ref(ref)} not found in the file"
    res = entry.get("resource")
    if not isinstance(res, dict):  # pragma: no cover - the index only holds dict resources
        return None, None, f"Patient reference {_ref(ref)} not found in the file"
    return res, entry, None


def _qr_data(qr: dict[str, Any], patient: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    ident = qr.get("identifier")
    if isinstance(ident, list):  # R4 has one identifier; accept a list and pick the supplier's
        dicts = [i for i in ident if isinstance(i, dict)]
        ident = next(
            (
                i
                for i in dicts
                if isinstance(i.get("system"), str)
                and i["system"].startswith(SUPPLIER_SYSTEM_PREFIX)
            ),
            dicts[0] if dicts else None,
        )
    if isinstance(ident, dict):
        system = ident.get("system")
        if isinstance(system, str):
            system = system.strip()
            data["source"] = (
                system[len(SUPPLIER_SYSTEM_PREFIX) :]
                if system.startswith(SUPPLIER_SYSTEM_PREFIX)
                else system
            )
        data["external_id"] = ident.get("value")
    questionnaire = qr.get("questionnaire")
    if isinstance(questionnaire, str) and questionnaire.strip():
        data["template"] = questionnaire.split("|", 1)[0].strip().rstrip("/").rsplit("/", 1)[-1]
    data["received_at"] = qr.get("authored")

    # Patient
    identifiers = patient.get("identifier")
    if isinstance(identifiers, list):
        for i in identifiers:
            if isinstance(i, dict) and i.get("system") == NHS_NUMBER_SYSTEM:
                data["nhs_number"] = i.get("value")
                break
    names = patient.get("name")
    if isinstance(names, list) and names and isinstance(names[0], dict):
        first = names[0]
        data["family_name"] = first.get("family")
        given = first.get("given")
        if isinstance(given, list):
            data["given_name"] = " ".join(
                g.strip() for g in given if isinstance(g, str) and g.strip()
            )
        elif given is not None:
            data["given_name"] = given
    data["date_of_birth"] = patient.get("birthDate")
    data["sex"] = patient.get("gender")
    gps = patient.get("generalPractitioner")
    if isinstance(gps, list):
        ods: Any = None
        for gp in gps:
            gp_id = gp.get("identifier") if isinstance(gp, dict) else None
            if isinstance(gp_id, dict):
                if gp_id.get("system") == ODS_SYSTEM:
                    ods = gp_id.get("value")
                    break
                if ods is None:
                    ods = gp_id.get("value")
        data["practice_ods"] = ods

    # Items: reserved linkIds become fields, every other linkId an answer; nesting is flattened.
    # (Parsed JSON holds plain dicts and lists, so exact type checks are enough and quicker.)
    answers: dict[str, Any] = {}
    flags: list[Any] = []
    texts: list[str] = []
    items = qr.get("item")
    stack: list[Any] = items[::-1] if type(items) is list else []
    while stack:
        item = stack.pop()
        if type(item) is not dict:
            continue
        link = item.get("linkId")
        answer_list = item.get("answer")
        nested = item.get("item")
        children: list[Any] | None = None
        values: list[Any] = []
        if type(answer_list) is list:
            for answer in answer_list:
                if type(answer) is not dict:
                    continue
                value = _answer_value(answer)
                if value is not _NO_VALUE:
                    values.append(value)
                sub = answer.get("item")
                if type(sub) is list and sub:
                    children = sub if children is None else children + sub
        if type(nested) is list and nested:
            children = nested if children is None else children + nested
        if children:
            stack.extend(reversed(children))
        if not values or type(link) is not str:
            continue
        if link in RESERVED_LINK_IDS:
            if link == "request_type":
                data["request_type"] = values[0]
            elif link == "free_text":
                texts.extend(v if type(v) is str else str(v) for v in values)
            else:
                flags.extend(values)
            continue
        value = values[0] if len(values) == 1 else values
        if link in answers:  # the same question answered again, e.g. in a repeated group
            before = answers[link]
            merged = before if type(before) is list else [before]
            answers[link] = merged + (value if type(value) is list else [value])
        else:
            answers[link] = value
    data["answers"] = answers
    if texts:
        data["free_text"] = "\n".join(texts)
    if flags:
        data["supplier_flags"] = flags
    return data


# Answer types whose value is used as it is.
_PLAIN_VALUES = frozenset(
    {
        "valueString",
        "valueInteger",
        "valueDecimal",
        "valueDate",
        "valueDateTime",
        "valueTime",
        "valueUri",
    }
)


def _answer_value(answer: dict[str, Any]) -> Any:
    for key, value in answer.items():
        if key in _PLAIN_VALUES:
            return value
        if key == "valueBoolean":
            if value is True:
                return "yes"
            if value is False:
                return "no"
            return value
        if key == "valueCoding":
            if type(value) is dict:
                code = value.get("code")
                return code if code is not None else value.get("display", _NO_VALUE)
            return value
        if not key.startswith("value"):
            continue
        if type(value) is dict:
            if key == "valueQuantity":
                return value.get("value", _NO_VALUE)
            if key == "valueReference":
                return value.get("reference", _NO_VALUE)
            if key == "valueAttachment":
                return value.get("title") or value.get("url") or _NO_VALUE
        return value  # any other value[x]
    return _NO_VALUE


# --------------------------------------------------------------------------------------------
# Helpers


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's records are built.

    Parsed JSON and records hold no reference cycles, but building hundreds of thousands of
    containers makes the collector walk them again and again (several times the parse itself).
    Nothing outside this module runs while it is paused.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _dumps(obj: Any) -> str:
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        return "<could not be written out as JSON>"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates from \\ud800-style escapes
            text = json.dumps(obj, separators=(",", ":"))
    return text


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__  # pragma: no cover


def _short(value: Any) -> str:
    if not isinstance(value, str):
        return f"({_kind(value)})"
    return value if len(value) <= 80 else value[:77] + "…"


_LONG_NUMBER = re.compile(r"[0-9]{8}")


def _ref(ref: str) -> str:
    """A reference quoted for a message, unless it may hold an NHS number or a date of birth
    (some suppliers name a Patient by its NHS number): then only that there is one."""
    return "(not shown)" if _LONG_NUMBER.search(ref) else _short(ref)


def _skip_ws(text: str, pos: int) -> int:
    """Index of the first character at or after ``pos`` that is not JSON whitespace."""
    match = _JSON_WS.match(text, pos)
    return match.end() if match else pos
