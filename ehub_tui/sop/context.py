"""Context of a mention: affirmed, negated, historical, about someone else, or uncertain.

A small NegEx / ConText: trigger phrases look forwards ("no chest pain") or backwards
("chest pain: none", "a fit as a child") over a limited scope that ends at the clause's edge
(comma, dash, sentence end) or at a word that turns the sentence ("but", "and", "now").
Pseudo-triggers ("not sure", "no longer", "won't stop") are read first and never negate.
Words that ARE the symptom never count: in "can't breathe" or "doesn't fade under a glass" the
negative word is the symptom.

Safety leans one way: when in doubt a mention is affirmed. Uncertain mentions count as affirmed;
"someone else" needs a past event ("my dad had"), and words that place it now ("this morning")
undo "someone else" and "in the past", because carers write about the patient.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ehub_tui.sop.text import Token, fold, tokenize


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
# fmt: off
_TRIGGERS: list[tuple[str, str, str]] = [
    # negation
    *((p, "neg", "fwd") for p in (
        "no", "not", "never", "without", "nor", "neither", "denies", "deny", "denied",
        "dont", "doesnt", "didnt", "havent", "hasnt", "hadnt", "isnt", "arent", "wasnt",
        "werent", "free of", "free from", "no sign of", "no signs of", "negative for",
        "ruled out", "absence of", "nothing like", "zero",
    )),
    *((p, "neg", "bwd") for p in (
        "none", "nil", "resolved", "gone away", "went away", "cleared up", "ruled out",
        "not present", "negative", "no", "denied",
    )),
    # history (only words that clearly place it in the past: "had" alone is often today)
    *((p, "hist", "fwd") for p in (
        "history of", "previous", "previously", "in the past", "used to", "past history",
        "years ago", "last year", "as a child", "as a kid", "as a baby", "when i was",
        "childhood", "back in", "once had", "years back",
    )),
    *((p, "hist", "both") for p in (
        "as a toddler", "as a teen", "as a teenager", "when little", "growing up", "last month",
    )),
    *((p, "hist", "bwd") for p in (
        "as a child", "as a kid", "as a baby", "as a teenager", "when i was", "years ago",
        "year ago", "years back", "last year", "in the past", "previously", "in childhood",
        "when younger", "when young", "long ago", "decades ago", "back in",
    )),
    # someone else (family history). A parent writing about their child is NOT this: the child
    # is the patient ("my son", "my daughter", "my baby", "she", "he" are not triggers).
    *((p, "other", "fwd") for p in (
        "dad", "father", "mum", "mom", "mother", "mam", "grandad", "grandfather", "grandma",
        "grandmother", "nan", "nana", "granny", "brother", "sister", "uncle", "aunt",
        "auntie", "cousin", "friend", "neighbour", "colleague", "family history",
        "relative", "parent", "parents", "grandparent", "sibling",
    )),
    *((p, "other", "bwd") for p in (
        "runs in the family", "runs in my family", "in the family", "family history",
    )),
    # uncertain (counts as affirmed; shown as "not sure")
    *((p, "unc", "fwd") for p in (
        "might", "maybe", "possibly", "possible", "could be", "not sure", "unsure",
        "wonder", "think", "query", "suspect", "suspected", "worried", "concerned",
        "perhaps", "probably", "likely", "dont know", "no idea", "not certain", "dont think",
    )),
    *((p, "unc", "bwd") for p in (
        "maybe", "possibly", "not sure", "i think", "perhaps",
    )),
]

# Read before triggers: they contain a trigger word but do not negate.
_PSEUDO = (
    "no longer", "not only", "no better", "not better", "not improving", "not getting better",
    "no improvement", "no change", "not stop", "not stopping", "wont stop", "doesnt stop",
    "didnt stop", "hasnt stopped", "cant stop", "no one", "nobody", "not go away",
    "doesnt go away", "not gone away", "hasnt gone away", "wont go away", "didnt go away",
    "not fade",
    "doesnt fade", "not able", "no matter", "not well", "dont feel well", "not eating",
    "not drinking", "not passed", "havent passed", "not weed", "havent weed", "not peed",
    "havent peed", "not right", "not responding", "not waking", "not making sense", "no energy",
    "not myself", "not herself", "not himself", "not breathing", "no strength",
)
# Uncertainty pseudo-triggers read as uncertain, never as negation.
_UNCERTAIN_PSEUDO = (
    "not sure", "dont know", "no idea", "not certain", "dont think",
)

# Words that end a trigger's scope (the sentence turns).
_TERMINATORS = frozenset(fold(w) for w in (
    "but", "however", "although", "though", "except", "apart", "aside", "and", "which", "who",
    "now", "still", "yet", "plus", "also", "whereas", "while", "today", "currently", "again",
    "since", "started", "because", "as", "so",
))
# fmt: on
# A first-person word ends "someone else" scope: "my dad says I'm confused" is about me.
_FIRST_PERSON = frozenset(("i", "im", "ive", "me", "my", "myself", "id", "ill"))


def _stems(phrase: str) -> tuple[str, ...]:
    """A trigger phrase as the stems of its meaningful words (fillers are skipped, as in text)."""
    return tuple(t.stem for t in tokenize(phrase) if not t.filler)


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


def find_triggers(tokens: Sequence[Token], year: int | None = None) -> list[Found]:
    """Every trigger and pseudo-trigger in a text (longest match at each place, no overlaps).
    Trigger words are matched like lexicon phrases: fillers ("a", "the", "my") are skipped."""
    out: list[Found] = []
    pos = [i for i, t in enumerate(tokens) if not t.filler]
    content = [tokens[i] for i in pos]
    i, n = 0, len(content)
    while i < n:
        best: _Trig | None = None
        for t in _BY_FIRST.get(content[i].stem, ()):
            k = len(t.stems)
            if i + k <= n and all(
                content[i + j].stem == t.stems[j] and content[i + j].clause == content[i].clause
                for j in range(k)
            ):
                best = t
                break
        if best is None:
            if year and _past_year(content, i, year):  # "in 2019": a past year (hub's today)
                first, last = pos[i], pos[i + 1]
                words = f"{content[i].word} {content[i + 1].word}"
                out.append(Found(first, last + 1, "hist", "both", words))
                i += 2
                continue
            i += 1
            continue
        k = len(best.stems)
        first, last = pos[i], pos[i + k - 1]
        words = " ".join(tok.word for tok in tokens[first : last + 1])
        out.append(
            Found(first, last + 1, best.kind, "fwd" if best.pseudo else best.direction, words)
        )
        i += k
    return out


def _past_year(content: Sequence[Token], i: int, this_year: int) -> bool:
    if content[i].word != "in" or i + 1 >= len(content):
        return False
    year = content[i + 1].word
    return len(year) == 4 and year.isdigit() and 1900 <= int(year) < this_year


# Words that place a mention now: "my dad had chest pain this morning" is about today, so neither
# "someone else" nor "in the past" applies (a carer is writing about the patient).
_RECENT = frozenset(
    ["today", "tonight", "now", "morning", "yesterday", "hour", "hours", "minutes", "currently"]
)
# "Someone else" needs a past or settled event ("my dad had", "my mum died of"); a relative with
# a present symptom ("Mum's face has dropped") is most often the patient, written by a carer.
_PAST_MARKERS = frozenset(
    ["had", "was", "were", "died", "passed", "suffered", "diagnosed", "lost", "went", "got"]
)


def classify(
    tokens: Sequence[Token],
    start: int,
    end: int,
    triggers: Sequence[Found],
    own: Collection[int] | None = None,
) -> tuple[Context, str | None]:
    """The context of the mention spanning tokens [start, end), and the trigger words. ``own``: the
    token indexes that ARE the symptom (default: the whole span); a trigger among them is part of
    the symptom ("can't breathe"), one elsewhere in the span counts ("lip, no swelling")."""
    own = set(range(start, end)) if own is None else set(own)
    clause = tokens[start].clause
    found: list[tuple[str, str]] = []
    for f in triggers:
        if not f.kind or any(i in own for i in range(f.start, f.end)):
            continue  # a pseudo-trigger, or part of the symptom itself
        if f.start >= start and f.end <= end:
            found.append((f.kind, f.words))  # inside a pattern's gap
            continue
        if f.direction in ("fwd", "both") and f.end <= start:
            between = tokens[f.end : start]
            trigger_clause = tokens[f.end - 1].clause
        elif f.direction in ("bwd", "both") and f.start >= end:
            between = tokens[end : f.start]
            trigger_clause = tokens[f.start].clause
        else:
            continue
        if trigger_clause != clause or not _in_scope(between, clause, f.kind):
            continue
        if f.kind == "other" and f.direction != "bwd" and not _past(between, tokens, own):
            continue
        found.append((f.kind, f.words))
    if any(k in ("hist", "other") for k, _ in found) and _recent(tokens, start, end):
        found = [(k, w) for k, w in found if k not in ("hist", "other")]
    for kind in ("neg", "hist", "other", "unc"):
        for k, words in found:
            if k == kind:
                return _KINDS[kind], words
    return Context.AFFIRMED, None


def _recent(tokens: Sequence[Token], start: int, end: int) -> bool:
    """A word placing it now in the mention's own stretch of the sentence (up to the clause
    edges or a turning word on either side): "my dad had chest pain this morning"."""
    clause = tokens[start].clause

    def inside(t: Token) -> bool:  # "and" carries the time over: "this morning and collapsed"
        return t.clause == clause and (t.word not in _TERMINATORS or t.word == "and")

    lo = start
    while lo > 0 and inside(tokens[lo - 1]):
        lo -= 1
    hi = end
    while hi < len(tokens) and inside(tokens[hi]):
        hi += 1
    stretch = tokens[lo:hi]
    if any(t.word in _RECENT for t in stretch):
        return True
    # a turning word that itself says "now" ("now", "today") right after the mention
    return hi < len(tokens) and tokens[hi].clause == clause and tokens[hi].word in _RECENT


_PRESENT_AUX = frozenset(["has", "have", "hasnt", "havent", "is", "are", "been", "s", "ve"])


def _past(between: Sequence[Token], tokens: Sequence[Token], own: Collection[int]) -> bool:
    """A past event: "had", "was", "died"… before the mention, or the symptom in the past
    tense ("my dad collapsed", "lost his sight") — not "Mum's face has dropped", which is now."""
    if any(t.word in _PAST_MARKERS for t in between):
        return True
    for i in sorted(own):
        word = tokens[i].word
        if word in _PAST_MARKERS or word.endswith("ed"):
            before = tokens[i - 1].word if i > 0 else ""
            if before not in _PRESENT_AUX:
                return True
    return False


def _in_scope(between: Sequence[Token], clause: int, kind: str) -> bool:
    """True when the words between a trigger and a mention keep the mention in its scope."""
    distance = 0
    for tok in between:
        if tok.clause != clause:
            return False
        if tok.word in _TERMINATORS and not (kind == "other" and tok.word == "and"):
            return False
        if kind == "other" and tok.word in _FIRST_PERSON:
            return False
        if not tok.filler:
            distance += 1
    return distance <= SCOPE
