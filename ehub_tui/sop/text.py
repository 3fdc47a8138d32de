"""Patient text as words: normalised (case, accents, apostrophes, repeated letters, emoji),
split into tokens that remember where they stand in the original, and reduced to stems so that
plurals and -s/-es/-ed/-ing endings match the lexicon's words.

Nothing clever: the same small rules are applied to the lexicon's phrases and to the patient's
text, so an imperfect stem still meets itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# A word: letters/digits, with apostrophes inside ("can't", "o'clock"). Everything else —
# punctuation, emoji, symbols — separates words.
_WORD = re.compile(r"[^\W_]+(?:['’‘`´][^\W_]+)*")
# Punctuation that ends a sentence (near-patterns and phrases stay inside one) ...
_SENTENCE_END = re.compile(r"[.!?;\n\r]")
# ... and what ends a clause (context scope stays inside one).
_CLAUSE_END = re.compile(r"[,.!?;\n\r()\[\]\"“”–—-]")
_REPEATS = re.compile(r"(.)\1{2,}")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")

# Words that carry no meaning inside a phrase: "pain in my chest" == "pain in the chest".
FILLERS = frozenset(
    {"a", "an", "the", "my", "her", "his", "their", "our", "your", "its"}
    | {"very", "really", "quite", "so", "just"}
)

# "does not" → "doesnt": one form for contractions written either way.
_CONTRACT = {
    "do": "dont",
    "does": "doesnt",
    "did": "didnt",
    "is": "isnt",
    "are": "arent",
    "was": "wasnt",
    "were": "werent",
    "can": "cant",
    "could": "couldnt",
    "would": "wouldnt",
    "should": "shouldnt",
    "will": "wont",
    "have": "havent",
    "has": "hasnt",
    "had": "hadnt",
}
# One spelling for words written several ways (text-speak included).
_SPELLINGS = {
    "cannot": "cant",
    "wouldn": "wouldnt",
    "couldn": "couldnt",
    "cnt": "cant",
    "carnt": "cant",
    "dnt": "dont",
    "dsnt": "doesnt",
    "doesn": "doesnt",
    "didn": "didnt",
    "havnt": "havent",
    "isn": "isnt",
    "wasn": "wasnt",
    "2day": "today",
    "2nite": "tonight",
    "tonite": "tonight",
    "u": "you",
    "ur": "your",
    "n": "and",
    "pls": "please",
    "plz": "please",
    "dosnt": "doesnt",
    "dosent": "doesnt",
    "doesent": "doesnt",
    "dident": "didnt",
    "didint": "didnt",
    "wasent": "wasnt",
    "isint": "isnt",
    "cannt": "cant",
    "wen": "when",
}

# Forms the suffix rules cannot reach.
IRREGULAR = {
    "swollen": "swell",
    "swolen": "swell",
    "bled": "bleed",
    "felt": "feel",
    "fell": "fall",
    "fallen": "fall",
    "ate": "eat",
    "eaten": "eat",
    "bitten": "bite",
    "threw": "throw",
    "thrown": "throw",
    "woke": "wake",
    "spat": "spit",
    "feet": "foot",
    "teeth": "tooth",
    "children": "child",
    "kids": "kid",
    "women": "woman",
    "men": "man",
    "peeing": "pee",
    "weeing": "wee",
    "seeing": "see",
    "being": "be",
    "lying": "lie",
    "dying": "die",
    "testes": "testicle",
    "testis": "testicle",
}
_KEEP_DOUBLE = frozenset("lsz")
_VOWELS = frozenset("aeiouy")


def fold(word: str) -> str:
    """Lower-case ASCII letters and digits only: accents and apostrophes dropped."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return _NOT_ALNUM.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def squeeze(word: str) -> str:
    """Three or more of one letter become two ("sooooo" → "soo", "painnnn" → "painn")."""
    return _REPEATS.sub(r"\1\1", word)


def stem(word: str) -> str:
    """A crude stem: plural and -ed/-ing endings off, a final e off, doubled consonants single."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if len(word) <= 3 or word.isdigit():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = _unsuffix(w[:-3])
    elif w.endswith("ed") and len(w) > 4 and not w.endswith("eed"):
        w = _unsuffix(w[:-2])
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def _unsuffix(w: str) -> str:
    """What is left of a word once -ed/-ing is off: "fitt" → "fit", "fad" → "fade"."""
    if len(w) >= 3 and w[-1] == w[-2] and w[-1] not in _VOWELS and w[-1] not in _KEEP_DOUBLE:
        return w[:-1]
    if len(w) == 3 and w[0] not in _VOWELS and w[1] in _VOWELS and w[2] not in _VOWELS:
        return w + "e"  # faded → fade, biting → bite (a short word that lost its e)
    return w


@functools.lru_cache(maxsize=65536)
def _form(raw: str) -> str:
    """A word as written → its normalised form (cached: texts repeat their words)."""
    word = fold(raw)
    return squeeze(_SPELLINGS.get(word, word)) if word else ""


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return stem(word)


def clear_word_caches() -> None:
    """Forget the cached word forms and stems."""
    _form.cache_clear()
    _stem.cache_clear()


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text."""

    word: str  # normalised surface form ("cant", "testicals")
    stem: str
    start: int  # character offsets in the original text
    end: int
    sentence: int  # index of the sentence it stands in
    clause: int  # index of the clause (commas, dashes and sentence ends split clauses)
    filler: bool


def tokenize(text: str) -> list[Token]:
    """The words of ``text`` with their positions, contractions joined ("does not" → "doesnt")."""
    out: list[Token] = []
    sentence = clause = 0
    last_end = 0
    for m in _WORD.finditer(text):
        gap = text[last_end : m.start()]
        if gap:
            if _SENTENCE_END.search(gap):
                sentence += 1
                clause += 1
            elif _CLAUSE_END.search(gap):
                clause += 1
        last_end = m.end()
        word = _form(m.group())
        if not word:
            continue
        if word == "not" and out and out[-1].clause == clause and out[-1].word in _CONTRACT:
            prev = out.pop()
            joined = _CONTRACT[prev.word]
            out.append(Token(joined, joined, prev.start, m.end(), sentence, clause, False))
            continue
        out.append(Token(word, _stem(word), m.start(), m.end(), sentence, clause, word in FILLERS))
    return out


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A phrase as its normalised written words (fillers dropped), for exact matching."""
    return tuple(t.word for t in tokenize(phrase) if not t.filler)


def phrase_stems(phrase: str) -> tuple[str, ...]:
    """A lexicon phrase as the stems of its meaningful words (fillers dropped)."""
    return tuple(t.stem for t in tokenize(phrase) if not t.filler)
