"""A compiled concept of the lexicon (its terms and near-patterns as stems) and a mention of one
found in patient text, with its context and how it was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ehub_tui.sop.context import Context


@dataclass(frozen=True)
class NearDef:
    """A body part and a symptom close together."""

    words: tuple[tuple[str, ...], ...]
    with_: tuple[tuple[str, ...], ...]
    within: int


@dataclass(frozen=True)
class ConceptDef:
    """One concept, compiled."""

    name: str
    label: str
    terms: tuple[tuple[str, ...], ...]
    near: tuple[NearDef, ...] = ()
    sets: str | None = None
    suggests: str | None = None
    raw_terms: tuple[str, ...] = ()
    near_words: tuple[str, ...] = ()  # the near-patterns' words as written (both sides)
    exceptions: tuple[tuple[str, ...], ...] = ()  # phrases that cancel a mention where they stand
    lasting: bool = False  # a past mention still counts for `sets` (no spleen, a transplant)


@dataclass(frozen=True, slots=True)
class Mention:
    """One place a concept is mentioned in a text."""

    concept: str
    label: str
    words: str  # the patient's words, as written
    start: int  # character offsets in the text
    end: int
    how: str  # exact | synonym | typo | pattern
    context: Context
    trigger: str | None = None  # the words that set the context ("no", "as a child")
    corrected: tuple[tuple[str, str], ...] = ()  # (as written, read as)

    @property
    def counts(self) -> bool:
        """True when it counts as the patient having it now (affirmed or uncertain)."""
        return self.context.counts

    def describe(self) -> str:
        """'"sqeezing pain in my chest" — typo-corrected (sqeezing → squeez), affirmed'."""
        how = self.how
        if self.corrected:
            how += " (" + ", ".join(f"{a} → {b}" for a, b in self.corrected) + ")"
        ctx = self.context.value.replace("_", " ")
        if self.trigger:
            ctx += f' ("{self.trigger}")'
        return f'"{self.words}" — {how}, {ctx}'

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "concept": self.concept,
            "words": self.words,
            "start": self.start,
            "end": self.end,
            "how": self.how,
            "context": self.context.value,
            "trigger": self.trigger,
            "corrected": [list(c) for c in self.corrected],
        }
