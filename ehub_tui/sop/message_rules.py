"""The grammar of patient messages, checked where SOP authors will see it.

Two kinds of check, each answering in a plain sentence an author (not a programmer) can act on:

- ``template_problems`` / ``template_warnings``: one template as written — brackets inside
  brackets, a bracket never closed, a placeholder with Python formatting after its name, a
  greeting that would say "Hello Maisie" to a four-year-old, a timescale written out by hand;
- ``route_message_problems``: a route and the template it names — a written-out timescale that
  is not the route's urgency ("within 2 working days" on a 3-day route);
- ``rendered_problems``: a filled-in message (what the grammar test and ``sops check`` look at).

The loader (sop/semantics.py) prefixes each sentence with ``messages.<id>:`` and the file and
line, so the author knows where to look.
"""

from __future__ import annotations

import re
import string

from ehub_tui.sop.messages import TIMESCALES

_OPEN, _CLOSE = "([", ")]"
# timescales written out by hand: these should be {timescale} so they follow the urgency
_WRITTEN_TIMESCALE = re.compile(
    r"\bwithin\s+(?:\d+|one|two|three|four|five)\s+(?:working\s+)?(?:days?|hours?)\b"
    r"|\bby the end of the next working day\b",
    re.IGNORECASE,
)
_SAFETY_NET = re.compile(
    r"\b(?:get|gets|getting)\s+worse\b|\bfeel(?:s)?\s+very\s+unwell\b|\bin an emergency\b"
    r"|\bcall 999\b",
    re.IGNORECASE,
)
_CODE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z]+_[a-z_]+\b")


def bracket_problems(text: str) -> list[str]:
    """Brackets inside brackets, or not matched, in ``text`` (in words; [] when all is well)."""
    depth, opened_at = 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            if depth >= 1:
                inner = text[opened_at : text.find(")", i) + 1 or len(text)]
                return [
                    f"brackets inside brackets near {inner[:60]!r}: write it as two sentences "
                    "or use a comma"
                ]
            depth, opened_at = depth + 1, i
        elif ch in _CLOSE:
            if depth == 0:
                return [
                    f"a closing bracket has no opening one near {text[max(0, i - 30) : i + 1]!r}"
                ]
            depth -= 1
    if depth:
        return [f"a bracket is never closed near {text[opened_at : opened_at + 40]!r}"]
    return []


def template_problems(template: str) -> list[str]:
    """What makes a template unusable (errors). Unknown placeholder names are the loader's own
    check (it suggests the nearest name); this adds brackets and formatting after a name."""
    out = bracket_problems(_literal(template))
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return [*out, f"{exc} (use {{name}} for a placeholder)"]
    for _, name, spec, conversion in parsed:
        if name is not None and (spec or conversion):
            out.append(f"write the placeholder as {{{name}}}, with nothing after the name")
    return out


def template_warnings(template: str) -> list[str]:
    """What reads badly in a template (warnings): it still works, but a patient may be misled."""
    out = []
    if re.search(r"\b(?:hello|hi|dear)\s+\{first_name\}", template, re.IGNORECASE):
        out.append(
            "start with {greeting} rather than 'Hello {first_name}': {greeting} writes to a "
            "parent or guardian when the patient is a child"
        )
    found = _WRITTEN_TIMESCALE.search(template)
    if found:
        out.append(
            f"{found.group(0)!r} is written out: use {{timescale}} so the message always "
            "says what the route's urgency says"
        )
    return out


def route_message_problems(template: str, urgency: str, category: str | None = None) -> list[str]:
    """A written-out timescale that contradicts the route's urgency, or safety-netting written
    into a template an admin route sends (errors)."""
    expected = TIMESCALES.get(urgency)
    out = []
    net = _SAFETY_NET.search(_literal(template)) if category == "admin" else None
    if net:
        out.append(
            f"an admin reply should not say what to do if the patient gets worse "
            f"({net.group(0)!r}): take it out; {{safety_net}} adds it only where it belongs"
        )
    for found in _WRITTEN_TIMESCALE.finditer(template):
        if expected is None or found.group(0).lower() != expected:
            out.append(
                f"the route's urgency is {urgency.replace('_', ' ')} but its message says "
                f"{found.group(0)!r}: use {{timescale}} (it says {expected or 'when'!r})"
            )
    return out


def rendered_problems(text: str, *, category: str | None, urgency: str | None) -> list[str]:
    """What is wrong with a filled-in message: nested brackets, a placeholder left unfilled, an
    internal code, a timescale that is not the urgency's, safety-netting on an admin reply."""
    out = list(bracket_problems(text))
    if "{" in text or "}" in text:
        out.append(f"a placeholder was not filled in: {text[text.find('{') :][:40]!r}")
    code = _CODE.search(text)
    if code:
        out.append(f"an internal code is shown to the patient: {code.group(0)!r}")
    expected = TIMESCALES.get(urgency or "")
    for found in _WRITTEN_TIMESCALE.finditer(text):
        if found.group(0).lower() != expected:
            out.append(f"says {found.group(0)!r} but the urgency is {urgency}")
    if category == "admin":
        net = _SAFETY_NET.search(text)
        if net:
            out.append(f"safety-netting on an admin reply: {net.group(0)!r}")
    return out


def _literal(template: str) -> str:
    """The template's own words, placeholders taken out (what a bracket count should see)."""
    try:
        return "".join(lit for lit, *_ in string.Formatter().parse(template))
    except ValueError:
        return template
