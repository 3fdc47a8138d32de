"""Context of a mention: affirmed, negated, historical, about someone else, or uncertain.

A small NegEx / ConText: trigger phrases look forwards ("no chest pain") or backwards
("chest pain: none", "a fit as a child") over a limited scope that ends at the clause's edge
(comma, dash, sentence end) or at a word that turns the sentence ("but", "and", "now").
Pseudo-triggers ("not sure", "no longer", "won't stop") are read first and never negate.
Words inside the mention itself never count: in "can't breathe" or "doesn't fade under a glass"
the negative word IS the symptom.

Safety leans one way: when in doubt a mention is affirmed. Uncertain mentions count as affirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ehub_tui.sop.text import Token, fold, stem


class Context(StrEnum):
    """How a mention stands in its sentence."""

    AFFIRMED = "affirmed"
    NEGATED = "negated"
    HISTORICAL = "historical"
    OTHER = "other_person"
    UNCERTAIN = "uncertain"

    @property
    def counts(self) -> bool:
        """True when the mention counts as the patient having it now."""
        return self in (Context.AFFIRMED, Context.UNCERTAIN)

    @property
    def caution(self) -> str:
        """How a caution describes it: "mentions chest pain — says none"."""
        return {
            Context.NEGATED: "says none",
            Context.HISTORICAL: "in the past",
            Context.OTHER: "about someone else",
            Context.UNCERTAIN: "not sure",
            Context.AFFIRMED: "says so",
        }[self]


SCOPE = 6  # words a trigger reaches (fillers not counted)

_KINDS = {
    "neg": Context.NEGATED,
    "hist": Context.HISTORICAL,
    "other": Context.OTHER,
    "unc": Context.UNCERTAIN,
}

# (phrase, kind, direction): "fwd" = the mention follows the trigger, "bwd" = it comes before.
_TRIGGERS: list[tuple[str, str, str]] = [
    # negation
    *(
        (p, "neg", "fwd")
        for p in (
            "no",
            "not",
            "never",
            "without",
            "nor",
            "neither",
            "denies",
            "deny",
            "denied",
            "dont",
            "doesnt",
            "didnt",
            "havent",
            "hasnt",
            "hadnt",
            "isnt",
            "arent",
            "wasnt",
            "werent",
            "free of",
            "free from",
            "no sign of",
            "no signs of",
            "negative for",
            "ruled out",
            "absence of",
            "nothing like",
            "zero",
        )
    ),
    *(
        (p, "neg", "bwd")
        for p in (
            "none",
            "nil",
            "resolved",
            "gone away",
            "went away",
            "cleared up",
            "ruled out",
            "not present",
            "negative",
            "no",
            "denied",
        )
    ),
    # history (only words that clearly place it in the past: "had" alone is often today)
    *(
        (p, "hist", "fwd")
        for p in (
            "history of",
            "previous",
            "previously",
            "in the past",
            "used to",
            "past history",
            "years ago",
            "last year",
            "as a child",
            "as a kid",
            "as a baby",
            "when i was",
            "childhood",
            "back in",
            "once had",
            "years back",
        )
    ),
    *(
        (p, "hist", "bwd")
        for p in (
            "as a child",
            "as a kid",
            "as a baby",
            "as a teenager",
            "when i was",
            "years ago",
            "year ago",
            "years back",
            "last year",
            "in the past",
            "previously",
            "in childhood",
            "when younger",
            "when young",
            "long ago",
            "decades ago",
            "back in",
        )
    ),
    # someone else (family history). A parent writing about their child is NOT this: the child
    # is the patient ("my son", "my daughter", "my baby", "she", "he" are not triggers).
    *(
        (p, "other", "fwd")
        for p in (
            "dad",
            "father",
            "mum",
            "mom",
            "mother",
            "mam",
            "grandad",
            "grandfather",
            "grandma",
            "grandmother",
            "nan",
            "nana",
            "granny",
            "brother",
            "sister",
            "uncle",
            "aunt",
            "auntie",
            "cousin",
            "friend",
            "neighbour",
            "colleague",
            "family history",
            "relative",
            "parent",
            "parents",
            "grandparent",
            "sibling",
        )
    ),
    *(
        (p, "other", "bwd")
        for p in (
            "runs in the family",
            "runs in my family",
            "in the family",
            "family history",
        )
    ),
    # uncertain (counts as affirmed; shown as "not sure")
    *(
        (p, "unc", "fwd")
        for p in (
            "might",
            "maybe",
            "possibly",
            "possible",
            "could be",
            "not sure",
            "unsure",
            "wonder",
            "think",
            "query",
            "suspect",
            "suspected",
            "worried",
            "concerned",
            "perhaps",
            "probably",
            "likely",
            "dont know",
            "no idea",
            "not certain",
            "dont think",
        )
    ),
    *((p, "unc", "bwd") for p in ("maybe", "possibly", "not sure", "i think", "perhaps")),
]

# Read before triggers: they contain a trigger word but do not negate.
_PSEUDO = (
    "no longer",
    "not only",
    "no better",
    "not better",
    "not improving",
    "not getting better",
    "no improvement",
    "no change",
    "not stop",
    "not stopping",
    "wont stop",
    "doesnt stop",
    "didnt stop",
    "hasnt stopped",
    "cant stop",
    "no one",
    "nobody",
    "not go away",
    "doesnt go away",
    "not gone away",
    "hasnt gone away",
    "wont go away",
    "didnt go away",
    "not fade",
    "doesnt fade",
    "not able",
    "no matter",
    "not well",
    "dont feel well",
    "not eating",
    "not drinking",
    "not passed",
    "havent passed",
    "not weed",
    "havent weed",
    "not peed",
    "havent peed",
    "not right",
    "not responding",
    "not waking",
    "not making sense",
    "no energy",
    "not myself",
    "not herself",
    "not himself",
    "not breathing",
    "no strength",
)
# Uncertainty pseudo-triggers read as uncertain, never as negation.
_UNCERTAIN_PSEUDO = ("not sure", "dont know", "no idea", "not certain", "dont think")

# Words that end a trigger's scope (the sentence turns).
_TERMINATORS = frozenset(
    fold(w)
    for w in (
        "but",
        "however",
        "although",
        "though",
        "except",
        "apart",
        "aside",
        "and",
        "which",
        "who",
        "now",
        "still",
        "yet",
        "plus",
        "also",
        "whereas",
        "while",
        "today",
        "currently",
        "again",
        "this",
        "since",
        "started",
        "because",
        "as",
        "so",
    )
)
# A first-person word ends "someone else" scope: "my dad says I'm confused" is about me.
_FIRST_PERSON = frozenset(("i", "im", "ive", "me", "my", "myself", "id", "ill"))


def _stems(phrase: str) -> tuple[str, ...]:
    return tuple(stem(fold(w)) for w in phrase.split())


@dataclass(frozen=True)
class _Trig:
    stems: tuple[str, ...]
    kind: str
    direction: str  # fwd | bwd | both
    pseudo: bool = False


def _build() -> dict[str, list[_Trig]]:
    by_first: dict[str, list[_Trig]] = {}
    directions: dict[tuple[tuple[str, ...], str], set[str]] = {}
    for phrase, kind, direction in _TRIGGERS:
        directions.setdefault((_stems(phrase), kind), set()).add(direction)
    for (stems, kind), dirs in directions.items():
        t = _Trig(stems, kind, dirs.pop() if len(dirs) == 1 else "both")
        by_first.setdefault(t.stems[0], []).append(t)
    for phrase in _PSEUDO:
        t = _Trig(_stems(phrase), "unc" if phrase in _UNCERTAIN_PSEUDO else "", "fwd", True)
        by_first.setdefault(t.stems[0], []).append(t)
    for phrase in _UNCERTAIN_PSEUDO:
        t = _Trig(_stems(phrase), "unc", "fwd", True)
        by_first.setdefault(t.stems[0], []).append(t)
    for trigs in by_first.values():  # longest first, pseudo before plain at equal length
        trigs.sort(key=lambda t: (-len(t.stems), not t.pseudo))
    return by_first


_BY_FIRST = _build()


@dataclass(frozen=True, slots=True)
class Found:
    """A trigger found in a text: tokens [start, end) of the token list."""

    start: int
    end: int
    kind: str  # neg | hist | other | unc | "" (pseudo: blocks, says nothing)
    direction: str
    words: str


def find_triggers(tokens: Sequence[Token]) -> list[Found]:
    """Every trigger and pseudo-trigger in a text (longest match at each place, no overlaps)."""
    out: list[Found] = []
    i, n = 0, len(tokens)
    while i < n:
        best: _Trig | None = None
        for t in _BY_FIRST.get(tokens[i].stem, ()):
            k = len(t.stems)
            if i + k <= n and all(
                tokens[i + j].stem == t.stems[j] and tokens[i + j].clause == tokens[i].clause
                for j in range(k)
            ):
                best = t
                break
        if best is None:
            i += 1
            continue
        k = len(best.stems)
        words = " ".join(tok.word for tok in tokens[i : i + k])
        if best.pseudo:
            out.append(Found(i, i + k, best.kind, "fwd", words))
        else:
            out.append(Found(i, i + k, best.kind, best.direction, words))
        i += k
    return out


def classify(
    tokens: Sequence[Token], start: int, end: int, triggers: Sequence[Found]
) -> tuple[Context, str | None]:
    """The context of the mention spanning tokens [start, end), and the trigger words."""
    clause = tokens[start].clause
    found: list[tuple[str, str]] = []
    for f in triggers:
        if tokens[f.start].clause != clause and tokens[f.end - 1].clause != clause:
            continue  # another clause: out of scope whatever it says
        if not f.kind or (f.start < end and f.end > start):
            continue  # a pseudo-trigger, or inside the mention: part of the symptom
        if f.direction in ("fwd", "both") and f.end <= start:
            between = tokens[f.end : start]
            trigger_clause = tokens[f.end - 1].clause
        elif f.direction in ("bwd", "both") and f.start >= end:
            between = tokens[end : f.start]
            trigger_clause = tokens[f.start].clause
        else:
            continue
        if trigger_clause == clause and _in_scope(between, clause, f.kind):
            found.append((f.kind, f.words))
    for kind in ("neg", "hist", "other", "unc"):
        for k, words in found:
            if k == kind:
                return _KINDS[kind], words
    return Context.AFFIRMED, None


def _in_scope(between: Sequence[Token], clause: int, kind: str) -> bool:
    """True when the words between a trigger and a mention keep the mention in its scope."""
    distance = 0
    for tok in between:
        if tok.clause != clause or tok.word in _TERMINATORS:
            return False
        if kind == "other" and tok.word in _FIRST_PERSON:
            return False
        if not tok.filler:
            distance += 1
    return distance <= SCOPE
