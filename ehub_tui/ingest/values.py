"""Checks of one value for validation: a text field (type, length, characters the hub cannot
store), the answers object and the supplier flags. Each problem is a sentence naming the field,
never quoting the value.
"""

from __future__ import annotations

import math
import re
from typing import Any

# A question id as supplier templates write them; anything else is not quoted.
_QUESTION_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,63}")
_FULL_WIDTH_DIGITS = re.compile("[\uff10-\uff19]")
_BAD = object()


def _text(data: dict[str, Any], field: str, problems: list[str], *, required: bool) -> str | None:
    """The field as trimmed text ("" when absent), or None when it is not text at all."""
    value = data.get(field)
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        problems.append(f"{field} must be text, not {_kind(value)}")
        return None
    if not text:
        if required:
            problems.append(f"{field} is missing")
        return text
    if _unstorable(text):
        problems.append(_unstorable_problem(field, text))
        return None
    return text


def _too_long(field: str, length: int, limit: int) -> str:
    return (
        f"{field} is {length:,} characters long; at most {limit:,} are allowed "
        "(setting max_field_chars)"
    )


def _unstorable_problem(field: str, text: str) -> str:
    """Why ``text`` cannot be stored, naming the field but not the value.

    A byte that was not UTF-8 reaches here as U+DC80..U+DCFF (the parsers decode a file with
    ``surrogateescape`` so that one bad byte costs only its own record), so the byte can be
    named; any other lone surrogate came from a JSON escape such as ``\\ud800``.
    """
    if "\x00" in text:
        return f"{field} holds a NUL character, which cannot be stored"
    for ch in text:
        if "\udc80" <= ch <= "\udcff":
            return (
                f"{field} holds the byte 0x{ord(ch) - 0xDC00:02X}, which is not UTF-8 text, so it "
                "cannot be stored (was the file saved as Latin-1 or Windows-1252? save it as "
                "UTF-8 and ingest it again)"
            )
    return f"{field} holds characters that cannot be stored (a lone surrogate)"


def _digits_hint(field: str, text: str) -> str:
    """A clause saying ``text`` is written with full-width or other non-ASCII digits, or ""."""
    if _FULL_WIDTH_DIGITS.search(text):
        return (
            f"; {field} is written with full-width digits (such as \uff11\uff12\uff13): use "
            "the ASCII digits 0-9"
        )
    if not text.isascii() and any(c.isdigit() and not c.isascii() for c in text):
        return f"; {field} has digits other than the ASCII digits 0-9"
    return ""


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _question(name: str) -> str:
    """A question id quoted when it looks like one, else not at all (it could be anything)."""
    return f"{name!r}" if _QUESTION_ID_RE.fullmatch(name) else "(an id that is not shown)"


def _answers(value: Any, problems: list[str], longest: int) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(
            f"answers must be a JSON object of question ids and answers, not {_kind(value)}"
        )
        return {}
    out: dict[str, Any] = {}
    for key, answer in value.items():
        name = key.strip() if isinstance(key, str) else str(key)
        if not name:
            problems.append("answers has a question with an empty id")
            continue
        if _unstorable(name):
            problems.append(
                "answers has a question id that cannot be stored: "
                + _unstorable_problem("the id", name)
            )
            continue
        if len(name) > longest:
            problems.append(_too_long("an answers question id", len(name), longest))
            continue
        if answer is None:  # unanswered
            continue
        if isinstance(answer, list):
            items = []
            for item in answer:
                norm = _scalar(item)
                if norm is _BAD:
                    problems.append(_bad_answer(name, item, listed=True))
                    break
                if isinstance(norm, str) and len(norm) > longest:
                    problems.append(_too_long(f"answer {_question(name)}", len(norm), longest))
                    break
                items.append(norm)
            else:
                out[name] = items
            continue
        norm = _scalar(answer)
        if norm is _BAD:
            problems.append(_bad_answer(name, answer, listed=False))
            continue
        if isinstance(norm, str) and len(norm) > longest:
            problems.append(_too_long(f"answer {_question(name)}", len(norm), longest))
            continue
        out[name] = norm
    return out


def _bad_answer(name: str, value: Any, *, listed: bool) -> str:
    label = f"answer {_question(name)}"
    if isinstance(value, str):  # text that cannot be stored: say why
        return _unstorable_problem(label, value)
    if listed:
        return (
            f"{label} is a list holding {_kind(value)}; lists may hold only text, numbers or yes/no"
        )
    return f"{label} is {_kind(value)}; answers must be text, numbers, yes/no or lists of those"


def _scalar(value: Any) -> Any:
    """A normalised answer value, or _BAD."""
    if isinstance(value, str):
        value = value.strip()
        return _BAD if _unstorable(value) else value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _BAD
    return _BAD


def _flags(value: Any, problems: list[str], longest: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: Any = value.split(";")
    elif isinstance(value, list | tuple):
        items = value
    else:
        problems.append(f"supplier_flags must be a list of text, not {_kind(value)}")
        return ()
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            problems.append(f"supplier_flags holds {_kind(item)}; each flag must be text")
            return ()
        if _unstorable(item):
            problems.append(_unstorable_problem("supplier_flags", item))
            return ()
        if len(item) > longest:
            problems.append(_too_long("a supplier flag", len(item), longest))
            return ()
        flag = item.strip().lower()
        if flag and flag not in out:
            out.append(flag)
    return tuple(out)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float) and not math.isfinite(value):
        return "a number that is not finite"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text that cannot be stored"
    if value is None:
        return "null"
    return type(value).__name__
