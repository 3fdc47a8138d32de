"""Hub and supplier text made safe to show: literal, visible, never a command to the terminal.

Anything that came from a record, a supplier file, a practices file, a user's name or a SOP
file may hold Rich markup (``[/b]``), terminal escape sequences (``\\x1b[2J``), other C0/C1
control characters or bidi overrides. Shown raw, the first crashes the printing code or restyles
the screen, the second drives the terminal (clears it, retitles it, plants links) and the third
reorders what a navigator reads. Every CLI table and every screen shows such text through the
helpers here:

- ``visible`` / ``one_line``: control characters become visible symbols, one for one (ESC →
  ``␛``, so ``\\x1b[2J`` shows as ``␛[2J``; BEL → ``␇``; C1 controls, bidi overrides and
  isolates → ``�``), so character offsets into the original still line up;
- ``literal``: the same, as a ``rich.text.Text`` (never parsed as markup or emoji codes);
- ``visible_text``: an assembled ``Text`` made safe, its styles kept;
- ``dumps``: JSON for standard output, with C1 controls, bidi marks and line separators written
  as ``\\u`` escapes (the same data, nothing a terminal acts on).

Rich only (no Textual): the CLI and the UI both use it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.cells import set_cell_size
from rich.style import StyleType
from rich.text import Text

# bidi embeddings, overrides and isolates, the implicit marks, the Arabic letter mark, and the
# deprecated shaping controls beside the isolates: each can reorder or reshape what follows
BIDI = frozenset(
    [*range(0x202A, 0x202F), *range(0x2066, 0x2070), 0x200E, 0x200F, 0x061C],
)
LINE_SEPARATORS = (0x2028, 0x2029)  # line breaks to some programs, not to others
SURROGATES = range(0xD800, 0xE000)  # lone halves (e.g. from a JSON "\ud800"): not encodable
REPLACEMENT = "\ufffd"


def _picture(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␇ for BEL, ␀ for NUL
    if code == 0x7F:
        return "␡"
    if code in LINE_SEPARATORS:
        return "␤"
    return REPLACEMENT  # C1 controls (CSI \x9b…), bidi controls, lone surrogates


_ALWAYS = [*range(0x20), 0x7F, *range(0x80, 0xA0), *BIDI, *LINE_SEPARATORS, *SURROGATES]
_ONE_LINE: dict[int, str] = {c: _picture(c) for c in _ALWAYS}
_MULTI_LINE: dict[int, str] = {c: p for c, p in _ONE_LINE.items() if c not in (0x09, 0x0A)}
_CR_BEFORE_LF = re.compile("\r(?=\n)")


def visible(text: object, *, multiline: bool = True) -> str:
    """``text`` as plain characters that can only ever be read, never obeyed.

    Control characters (ESC, BEL, NUL, C1…) become visible symbols and bidi controls ``�``, one
    for one, so offsets into the original still line up. ``multiline`` keeps newlines and tabs
    (for a widget that shows several lines); a carriage return before a newline becomes a space
    (Windows line endings stay quiet), any other one ``␍``. ``None`` is the empty string.
    """
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    if "\r\n" in s:
        s = _CR_BEFORE_LF.sub(" ", s)
    return s.translate(_MULTI_LINE if multiline else _ONE_LINE)


def one_line(text: object) -> str:
    """``visible`` for a single line (a table cell, a title): newlines and tabs shown as ␊ ␉."""
    return visible(text, multiline=False)


def literal(text: object, style: StyleType = "", *, multiline: bool = False) -> Text:
    """Hub text as a Rich ``Text``: shown exactly as written (never markup, never an emoji code),
    its control characters visible; one line unless ``multiline``."""
    return Text(visible(text, multiline=multiline), style=style)


def visible_text(text: Text, *, multiline: bool = True) -> Text:
    """An assembled ``Text`` made safe: its characters through ``visible`` (one for one, so its
    styles stay where they were), a copy."""
    out = text.copy()
    out.plain = visible(text.plain, multiline=multiline)
    return out


def fit(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` terminal cells (wide emoji and combining marks
    counted as the terminal counts them, so columns stay aligned)."""
    return set_cell_size(text, max(width, 0))


_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u206f\ud800-\udfff]"
)


def dumps(data: Any, **kwargs: Any) -> str:
    """JSON as ``json.dumps(..., ensure_ascii=False)`` (UTF-8 text stays readable), except that
    what a terminal could act on or reorder is written as a ``\\u`` escape: C0 controls (as
    JSON always does), DEL and C1 controls, bidi controls, line separators, lone surrogates.
    A JSON reader gets exactly the same data."""
    text = json.dumps(data, ensure_ascii=False, **kwargs)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
