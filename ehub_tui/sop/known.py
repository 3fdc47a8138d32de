"""What is known about one consultation, as compiled conditions read it: field values, their
normalised text and the concept mentions found in them (see :class:`Facts`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ehub_tui.sop.concepts import Mention
from ehub_tui.sop.context import Context
from ehub_tui.sop.lexicon import Lexicon

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise_text(text: str) -> str:
    """Lower-case, strip accents, words separated by single spaces, padded with a space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " " + _NON_WORD.sub(" ", stripped).strip() + " "


class Facts:
    """What is known about one consultation: field name → value (absent = not known).

    With a lexicon, text fields are scanned for concept mentions (once per field). ``lenient``
    facts count every mention whatever its context: the engine uses them to find the red flags
    that only negated, past or someone else's mentions would raise (shown as cautions).
    """

    __slots__ = ("_mentions", "_norm", "lenient", "lexicon", "values", "year")

    def __init__(
        self, values: dict[str, Any], lexicon: Lexicon | None = None, year: int | None = None
    ) -> None:
        self.values = values
        self.lexicon = lexicon
        self.year = year  # the hub's current year: "in 2019" is the past
        self.lenient = False
        self._norm: dict[str, str] = {}
        self._mentions: dict[str, list[Mention]] = {}

    def mentions(self, name: str) -> list[Mention]:
        """Every concept mention in a text field (any context)."""
        found = self._mentions.get(name)
        if found is None:
            raw = self.values.get(name)
            if raw is None or self.lexicon is None:
                found = []
            else:
                if isinstance(raw, list | tuple):
                    raw = ". ".join(map(str, raw))
                found = self.lexicon.scan(raw if isinstance(raw, str) else str(raw), self.year)
            self._mentions[name] = found
        return found

    def counts(self, mention: Mention) -> bool:
        """True when a mention counts for `mentions`: the patient's own, now (affirmed or
        uncertain) — or in the past, for a lasting concept ("history of recurrent UTIs")."""
        if mention.counts:
            return True
        return (
            mention.context is Context.HISTORICAL
            and self.lexicon is not None
            and self.lexicon.concepts[mention.concept].lasting
        )

    def lenient_view(self) -> Facts:
        """The same facts, counting mentions in any context (shares the scans)."""
        other = Facts(self.values, self.lexicon, self.year)
        other._norm = self._norm
        other._mentions = self._mentions
        other.lenient = True
        return other

    def text(self, name: str) -> str | None:
        """The normalised form of a text field (computed once)."""
        cached = self._norm.get(name)
        if cached is None:
            raw = self.values.get(name)
            if raw is None:
                return None
            if isinstance(raw, list | tuple):
                raw = " ".join(map(str, raw))
            cached = normalise_text(raw if isinstance(raw, str) else str(raw))
            self._norm[name] = cached
        return cached
