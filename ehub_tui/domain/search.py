"""What the navigator typed after ``/``, read as the thing they are looking for, and the queue's
view choices (age bands, waiting time, sort order). No I/O: the hub store turns a ``Search`` into
SQL (store/search.py) and the workstation's cache into its own; both use the word rule here.

- ``#140`` or ``140`` (one to nine digits): an item number.
- Ten digits in any spacing (``999 802 0026``, ``999-802-0026``, ``9998020026``): an NHS number.
- Anything else: words, each of which must begin a word of the patient's name, the practice
  (code or name), the template or the request's text. "Begin a word": at the start or after one of
  ``WORD_BREAKS`` — so ``uti`` finds "UTI symptoms" and "(uti)", never "duties"; ``mai`` finds
  "Maisie".

Why word starts and not substrings: a substring search finds "uti" in "duties", "institution",
"routine"; navigators type the start of what they remember.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

# A word begins at the start of a value or after one of these: every ASCII space, punctuation
# and symbol character, and the punctuation patients' phones and word processors put in (curly
# quotes, dashes, ellipsis, no-break space, currency). The same set makes SQLite's GLOB class,
# PostgreSQL's class and Python's pattern, and it is what the SQLite hub's word index (FTS5's
# unicode61 tokenizer, migration 0014) splits on, so all of them agree on what matched.
WORD_BREAKS = (
    " \t\n\r\f\v!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    "\u00a0\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a3\u20ac\u2022"
)
MAX_WORDS = 5
MAX_WORD_CHARS = 40

ITEM = "item"
NHS = "nhs"
TEXT = "text"

_ITEM = re.compile(r"^#\s*(\d{1,9})$")
_DIGITS_ONLY = re.compile(r"^[\d\s-]+$")
_SPLIT = re.compile("[" + re.escape(WORD_BREAKS) + "]+")


@dataclass(frozen=True, slots=True)
class Search:
    """A parsed search: its kind (item | nhs | text) and what to look for."""

    kind: str
    item: int | None = None
    nhs: str | None = None
    words: tuple[str, ...] = ()

    @property
    def identifier(self) -> bool:
        """True for an item number or an NHS number (always audited when searched)."""
        return self.kind in (ITEM, NHS)


def parse(query: str | None) -> Search | None:
    """Read what was typed; None when nothing searchable was typed."""
    q = (query or "").strip()
    if not q:
        return None
    m = _ITEM.match(q)
    if m:
        return Search(ITEM, item=int(m.group(1)))
    if _DIGITS_ONLY.match(q):
        digits = re.sub(r"[\s-]", "", q)
        if len(digits) == 10:
            return Search(NHS, nhs=digits)
        if digits == q and len(digits) <= 9:  # "140": an item number; "999 802": words
            return Search(ITEM, item=int(digits))
    words = tuple(w[:MAX_WORD_CHARS] for w in _SPLIT.split(q.lower()) if w and not w.isspace())[
        :MAX_WORDS
    ]
    return Search(TEXT, words=words) if words else None


@lru_cache(maxsize=64)
def word_pattern(word: str) -> re.Pattern[str]:
    """A pattern finding ``word`` at a word start (lower-case text). Kept: every row of a
    searched window asks it again for the same few words."""
    return re.compile("(?:^|[" + re.escape(WORD_BREAKS) + "])" + re.escape(word.lower()))


def starts_word(text: str | None, word: str) -> bool:
    """Does ``word`` begin a word of ``text`` (case-insensitive)?"""
    return bool(text) and word_pattern(word).search((text or "").lower()) is not None


def whole_word_at(text: str, word: str) -> str | None:
    """The word of ``text`` that ``word`` begins, as written (``mai`` in "Maisie J" -> "Maisie")."""
    m = word_pattern(word).search(text.lower())
    if m is None:
        return None
    start = m.end() - len(word)
    end = start
    while end < len(text) and text[end] not in WORD_BREAKS:
        end += 1
    return text[start:end]


def snippet(text: str, word: str, width: int = 40) -> str:
    """A few words of ``text`` around where ``word`` begins a word (for "text: …")."""
    flat = " ".join(text.split())
    m = word_pattern(word).search(flat.lower())
    if m is None:
        return flat[:width]
    at = m.end() - len(word)
    start = max(0, at - width // 3)
    if start:  # begin at a word, not inside one
        space = flat.find(" ", start, at)
        start = space + 1 if space >= 0 else at
    part = flat[start : start + width]
    return ("…" if start else "") + part + ("…" if start + width < len(flat) else "")


# -- the view choices --------------------------------------------------------------------------

# name -> (youngest, oldest or None), ages in whole years on the hub's today
AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "0-4": (0, 4),
    "5-15": (5, 15),
    "16-64": (16, 64),
    "65+": (65, None),
}
AGE_BAND_WORDS = {"0-4": "aged 0–4", "5-15": "aged 5–15", "16-64": "aged 16–64", "65+": "65+"}

SORTS: dict[str, str] = {
    "priority": "emergency and urgent first, then oldest",
    "due": "due soonest first",
    "received": "received first (oldest first)",
}
DEFAULT_SORT = "priority"


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February -> 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def born_between(band: str, today: date) -> tuple[date | None, date]:
    """The dates of birth of someone in the age band on ``today``: (after, on or before).

    ``after`` is exclusive (None: no lower bound on the date of birth, the open top band)."""
    youngest, oldest = AGE_BANDS[band]
    latest = years_before(today, youngest)
    if oldest is None:
        return None, latest
    return years_before(today, oldest + 1), latest


def band_of(dob: date, today: date) -> str | None:
    """The age band someone born on ``dob`` is in on ``today``."""
    for band in AGE_BANDS:
        after, latest = born_between(band, today)
        if dob <= latest and (after is None or dob > after):
            return band
    return None


def waited_cutoff(now: datetime, hours: float | None) -> datetime | None:
    """Received on or before this time = waited over ``hours`` (None: no cutoff)."""
    if hours is None:
        return None
    return now - timedelta(hours=hours)
