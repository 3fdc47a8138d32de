"""A JSON file read through a window of its text: one value at a time, in bounded memory.

The text is what the whole-file path parses (:func:`ehub_tui.ingest.decode.decode_bytes` and
:func:`ehub_tui.ingest.jsontext._escape_for_json`): UTF-8 with a bad byte kept as a lone
surrogate, a byte-order mark dropped, NULs and lone surrogates written as ``\\uXXXX``. Values are
parsed by the standard library's JSON scanner (the one the whole-file path uses), so a value read
here is the same object, its text the same characters, and a line and column in an error the
same as when the file is read whole.

Why not ijson: an incremental parser gives each value but not the text it came from, and a
Bundle entry's own text is what a quarantined record keeps (and what the comparison with the
whole-file path checks); its grammar also differs from the standard library's (NaN, lone
surrogate escapes). The window needs no parser of its own: the scanner is tried on what has been
read, and a value cut off by the window's end is tried again with more text.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from typing import Any, BinaryIO

from ehub_tui.ingest.jsontext import _DECODER, _JSON_WS, _escape_for_json, _json_problem

CHUNK = 1_048_576  # bytes read at a time
# what is read past a value before it is taken as whole (a \uXXXX\uXXXX pair is 12)
_MARGIN = 16

_scan: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
# the characters that matter when a value too long to hold is skipped
_STRUCTURE = re.compile(r'["\[\]{}]')
_IN_STRING = re.compile(r'["\\]')


class Invalid(Exception):
    """The text is not valid JSON: ``msg`` (json's words), at ``line`` and ``column``; ``cut``
    when the problem is that the file ends too soon."""

    def __init__(self, msg: str, line: int, column: int, cut: bool) -> None:
        super().__init__(msg)
        self.msg, self.line, self.column, self.cut = msg, line, column, cut

    def describe(self) -> str:
        """json's message with its place, e.g. "Expecting ',' delimiter at line 9, column 5"."""
        text = _json_problem(self.msg, f"line {self.line}, column {self.column}")
        return text + (" (the file seems to be cut short)" if self.cut else "")


class TooDeep(Exception):
    """A value nested too deeply for the scanner."""


class TooLong(Exception):
    """A value longer than the window may hold (the caller may :meth:`Window.skip` it)."""


class Window:
    """The text of an open binary file, read a chunk at a time; ``pos`` is where reading is."""

    def __init__(self, f: BinaryIO, chunk: int | None = None) -> None:
        self.f = f
        self.chunk = chunk or CHUNK  # (read now: tests set CHUNK small to cut values anywhere)
        self._decode = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._first = True
        self._carry = ""  # backslashes at a chunk's end: escaping depends on what follows them
        self._dropped = 0  # characters read and let go before buf
        self._line = 1  # the line buf starts on
        self._line_start = 0  # where that line starts (characters from the file's start)

    def more(self) -> bool:
        """Read the next chunk into the window; False when the file had ended already."""
        if self.eof:
            return False
        data = self.f.read(self.chunk)
        if self._first:
            data = data.removeprefix(b"\xef\xbb\xbf")
        text = self._carry + self._decode(data, final=not data)
        if self._first:
            text = text.removeprefix("\ufeff")  # as the whole-file path: a second mark too
            self._first = False
        if data:
            kept = text.rstrip("\\")
            self._carry, text = text[len(kept) :], kept
        else:
            self.eof, self._carry = True, ""
        self._let_go()
        self.buf += _escape_for_json(text)
        return True

    def _let_go(self) -> None:
        """Drop the text before ``pos``, keeping count of its lines."""
        pos = self.pos
        if not pos:
            return
        lines = self.buf.count("\n", 0, pos)
        if lines:
            self._line += lines
            self._line_start = self._dropped + self.buf.rindex("\n", 0, pos) + 1
        self._dropped += pos
        self.buf = self.buf[pos:]
        self.pos = 0

    def peek(self) -> str:
        """The next character that is not blank space ("" at the file's end); not consumed."""
        while True:
            m = _JSON_WS.match(self.buf, self.pos)
            self.pos = m.end() if m else self.pos
            if self.pos < len(self.buf) or not self.more():
                return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def expect(self, char: str, problem: str) -> None:
        """Consume ``char`` (after blank space) or raise Invalid with json's ``problem``."""
        if self.peek() != char:
            raise self.invalid(problem, self.pos)
        self.pos += 1

    def value(self, cap: int) -> tuple[Any, str]:
        """The next JSON value and its text. Raises Invalid, TooDeep, or TooLong when it is
        more than ``cap`` characters and not yet whole (``pos`` is then at its start)."""
        self.peek()
        while True:
            start, buf = self.pos, self.buf
            try:
                value, end = _scan(buf, start)
            except StopIteration as e:
                problem, at = "Expecting value", int(e.value)
            except json.JSONDecodeError as e:
                problem, at = e.msg, e.pos
            except RecursionError:
                raise TooDeep from None
            else:
                # near the window's end a number may go on in the next chunk ("12." then "5")
                if end < len(buf) - _MARGIN or not self.more():
                    self.pos = end
                    return value, buf[start:end]
                continue
            # a problem well before the window's end is the text's; near it, perhaps only the
            # window's (a cut \u escape or number; a string's is reported where it starts)
            if at < len(buf) - _MARGIN and not problem.startswith("Unterminated string"):
                raise self.invalid(problem, at)
            if self.eof:
                raise self.invalid(problem, at)
            if len(buf) - start > cap:
                raise TooLong
            self.more()

    def skip(self) -> tuple[int, str]:
        """Skip the object, array or string at ``pos`` without holding it; its size in bytes
        and its first 200 characters. Its inside is not checked as JSON."""
        self.peek()
        head = self.buf[self.pos : self.pos + 200]
        if head[:1] not in ('"', "[", "{"):
            raise self.invalid("Value too long to read", self.pos)
        depth, in_string, size, i = 0, False, 0, self.pos
        while True:
            m = (_IN_STRING if in_string else _STRUCTURE).search(self.buf, i)
            if m is not None and m.group() == "\\" and m.end() < len(self.buf):
                i = m.end() + 1  # the escaped character is not structure
                continue
            if m is None or m.group() == "\\":  # the window ends first: read on
                i = len(self.buf) if m is None else m.start()
                size += _bytes(self.buf[self.pos : i])
                self.pos = i
                if not self.more():
                    raise self.invalid("Unterminated value", self.pos)
                i = self.pos
                continue
            i = m.end()
            char = m.group()
            if char == '"':
                in_string = not in_string
            elif char in "[{":
                depth += 1
            else:
                depth -= 1
            if depth == 0 and not in_string:
                size += _bytes(self.buf[self.pos : i])
                self.pos = i
                return size, head

    def invalid(self, problem: str, at: int) -> Invalid:
        """Invalid JSON at ``at`` (an index into the window), with json's line and column."""
        line = self._line + self.buf.count("\n", 0, at)
        newline = self.buf.rfind("\n", 0, at)
        column = at - newline if newline >= 0 else self._dropped + at - self._line_start + 1
        cut = self.eof and at >= len(self.buf.rstrip())
        cut = cut or (self.eof and problem.startswith("Unterminated string"))
        return Invalid(problem, line, column, cut)


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))
