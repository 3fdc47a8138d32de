"""JSON text for the parsers: escaping unstorable characters, one pass that notes where Bundle
entries lie, errors that name the line and column, and describing a value without quoting it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from ehub_tui.errors import FileError
from ehub_tui.ingest.decode import _SURROGATES

_JSON_WS = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()
_loads = json.loads


# Characters that cannot be stored (NUL; lone surrogates, which is how a byte that was not UTF-8
# arrives from surrogateescape), with the backslashes before them (see _escape_for_json).
_UNSTORABLE_IN_JSON = re.compile("(\\\\*)([\x00\ud800-\udfff])")


_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


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


def _skip_ws(text: str, pos: int) -> int:
    """Index of the first character at or after ``pos`` that is not JSON whitespace."""
    match = _JSON_WS.match(text, pos)
    return match.end() if match else pos
