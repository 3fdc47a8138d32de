"""The lexicon: named clinical concepts found in patient text however it is written.

A concept has terms (words and phrases patients use) and near-patterns (a body part and a symptom
a few words apart in one sentence). Text and terms are reduced to stems the same way
(:mod:`ehub_tui.sop.text`), so plurals and endings match; a word of five or more letters that is
not in the lexicon's vocabulary is corrected to the nearest vocabulary word (one edit, two for
nine letters or more) with SymSpell. A correction that turns one real English word into another
("paint" → "faint") is only taken inside a longer phrase or pattern whose other words match as
written, so real words are not bent into symptoms on their own.

Every mention carries its context (:mod:`ehub_tui.sop.context`) and how it was found: ``exact``
(the concept's own label), ``synonym`` (another term), ``typo`` (a corrected word) or ``pattern``.
A concept and a mention are defined in :mod:`~ehub_tui.sop.concepts`.
"""

from __future__ import annotations

import importlib.resources
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ehub_tui.sop.concepts import ConceptDef, Mention, NearDef
from ehub_tui.sop.context import Found, classify, find_triggers
from ehub_tui.sop.text import (
    IRREGULAR,
    Token,
    clear_word_caches,
    phrase_stems,
    phrase_words,
    tokenize,
)

TYPO_MIN_LETTERS = 4  # shorter words are never corrected (too many real neighbours)
TWO_EDITS_FROM = 9  # words this long may be two edits away
REAL_WORD_COUNT = 10_000  # a word this common in English is a real word, not a typo
MIN_TARGET = 5  # never bend a word into a lexicon word shorter than this ("gums" → "bums")
_CACHE_MAX = 50_000
# "is not" is joined to "isnt" (text.py); a lexicon term written with "not" still meets it
NOT_FORMS = frozenset(
    [
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "couldnt",
        "wont",
        "wouldnt",
        "shouldnt",
        "havent",
        "hasnt",
        "hadnt",
    ]
)


@dataclass(frozen=True)
class _Phrase:
    stems: tuple[str, ...]
    concept: int
    kind: str  # term | a | b  (a/b: the two sides of a near-pattern)
    near: int = -1
    label: bool = False


_english_lock = threading.Lock()
_english: dict[str, int] | None = None


def english_counts() -> dict[str, int]:
    """Word → frequency from the English dictionary shipped with symspellpy (loaded once)."""
    global _english
    if _english is None:
        with _english_lock:
            if _english is None:
                counts: dict[str, int] = {}
                res = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
                for line in res.read_text(encoding="utf-8").splitlines():
                    word, _, count = line.partition(" ")
                    if count.isdigit():
                        counts[word] = int(count)
                _english = counts
    return _english


@dataclass
class _Hit:
    lo: int  # positions in the content-token list, [lo, hi)
    hi: int
    typo: tuple[tuple[str, str], ...]
    real_typo: bool  # a real English word was bent to fit
    parts: tuple[tuple[int, int], ...] = ()  # the matched words (a pattern's two sides)


@dataclass(frozen=True)
class _Alt:
    stems: frozenset[str]  # every lexicon stem at the closest distance (a phrase picks one)
    real: bool  # the word as written is a real English word


@dataclass
class Lexicon:
    """Every concept of a SOP set, ready to scan texts."""

    concepts: dict[str, ConceptDef]
    _index: dict[str, list[_Phrase]] = field(default_factory=dict, repr=False)
    _order: list[str] = field(default_factory=list, repr=False)
    _vocab: set[str] = field(default_factory=set, repr=False)
    _surface: dict[str, str] = field(default_factory=dict, repr=False)  # written form → stem
    _excepts: dict[str, list[tuple[tuple[str, ...], int]]] = field(default_factory=dict, repr=False)
    _spellers: tuple[Any, Any] | None = field(default=None, repr=False)
    _cache: dict[str, _Alt | None] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._order = list(self.concepts)
        for ci, name in enumerate(self._order):
            c = self.concepts[name]
            label = phrase_stems(c.label)
            for stems in c.terms:
                self._add(_Phrase(stems, ci, "term", label=stems == label))
            for ni, near in enumerate(c.near):
                for stems in near.words:
                    self._add(_Phrase(stems, ci, "a", ni))
                for stems in near.with_:
                    self._add(_Phrase(stems, ci, "b", ni))
            for words in c.exceptions:  # written words, not stems: "keep fit" ≠ "keep fitting"
                self._excepts.setdefault(words[0], []).append((words, ci))
            for phrase in (*c.raw_terms, *c.near_words):
                for tok in tokenize(phrase):
                    if not tok.filler:
                        self._add_surface(tok.word, tok.stem)

    def _add(self, p: _Phrase) -> None:
        if not p.stems:
            return
        self._index.setdefault(p.stems[0], []).append(p)
        if p.kind != "except":
            self._vocab.update(p.stems)

    def _add_surface(self, word: str, st: str) -> None:
        """A lexicon word as written and its regular forms, each standing for its stem, so a
        typo in an ending ("bleedinr") is found from the written word ("bleeding")."""
        forms = {word}
        if word not in IRREGULAR:  # "woke" makes no "woking" (that is a typo of "working")
            forms |= {word + "s", word + "es", word + "ed", word + "ing"}
            if word.endswith("e"):
                forms |= {word + "d", word[:-1] + "ing"}
        for f in forms:
            self._surface.setdefault(f, st)

    def prepare(self) -> None:
        """Build the typo dictionaries now (about 0.4 s), not at the first misspelt word — which
        could be a key press on the navigator's screen. Libraries call this when they load."""
        self._spell()
        english_counts()

    def clear_cache(self) -> None:
        """Forget the typo corrections and word forms worked out so far (benchmarks start
        cold)."""
        self._cache.clear()
        clear_word_caches()

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every stem the lexicon's phrases use."""
        return frozenset(self._vocab)

    # -- typos -----------------------------------------------------------------------------------

    def _spell(self) -> tuple[Any, Any]:
        """Two SymSpell dictionaries: the lexicon's written forms and its stems."""
        if self._spellers is None:
            with self._lock:
                if self._spellers is None:
                    from symspellpy import SymSpell

                    surface = SymSpell(max_dictionary_edit_distance=2, prefix_length=16)
                    for w in sorted(self._surface):
                        if len(w) >= 3 and not w.isdigit():
                            surface.create_dictionary_entry(w, 1)
                    stems = SymSpell(max_dictionary_edit_distance=2, prefix_length=16)
                    for w in sorted(self._vocab):
                        if len(w) >= 3 and not w.isdigit():
                            stems.create_dictionary_entry(w, 1)
                    self._spellers = (surface, stems)
        return self._spellers

    def correct(self, tok: Token) -> _Alt | None:
        """The lexicon stems a misspelt word may stand for (all at the closest distance, so a
        phrase can pick the one that fits), and whether the word is itself a real English word
        (then it is only read as another inside a longer phrase); None: no correction."""
        if len(tok.word) < TYPO_MIN_LETTERS or tok.word.isdigit() or tok.word in self._surface:
            return None
        cached = self._cache.get(tok.word, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        real = english_counts().get(tok.word, 0) >= REAL_WORD_COUNT
        result: _Alt | None = None
        # a word whose stem is a lexicon stem is only looked at again when it is not a real
        # word ("evere" stems to "ever" but is a typo of "severe")
        if tok.stem not in self._vocab or not real:
            from symspellpy import Verbosity

            distance = 2 if len(tok.word) >= TWO_EDITS_FROM else 1
            surface, stems = self._spell()
            found: set[str] = set()
            # a real word is never bent into a short one ("gums" → "bums"); a non-word may be
            # ("keeed" → "keel")
            shortest = MIN_TARGET if real else TYPO_MIN_LETTERS
            for sug in surface.lookup(
                tok.word, Verbosity.CLOSEST, max_edit_distance=distance, transfer_casing=False
            ):
                if len(sug.term) >= shortest:  # "asking" may stand for "ask"
                    found.add(self._surface[sug.term])
            for sug in stems.lookup(
                tok.stem, Verbosity.CLOSEST, max_edit_distance=distance, transfer_casing=False
            ):
                if len(sug.term) >= shortest:
                    found.add(sug.term)
            found.discard(tok.stem)
            if found:
                result = _Alt(frozenset(found), real)
        if len(self._cache) > _CACHE_MAX:
            self._cache.clear()
        self._cache[tok.word] = result
        return result

    # -- scanning --------------------------------------------------------------------------------

    def scan(self, text: str, year: int | None = None) -> list[Mention]:
        """Every mention of every concept in a text, with its context. ``year``: the hub's
        current year, so "in 2019" reads as the past (without it, no year does)."""
        if not text or not self._index:
            return []
        tokens = tokenize(text)
        pos = [i for i, t in enumerate(tokens) if not t.filler]  # content position → token
        content = [tokens[i] for i in pos]
        alts = [self.correct(t) for t in content]
        terms: list[tuple[int, _Hit, str]] = []  # (concept, hit, how)
        sides: dict[tuple[int, int, str], list[_Hit]] = {}
        excepted: list[tuple[int, _Hit]] = []
        for p, tok in enumerate(content):
            firsts = {tok.stem}
            alt = alts[p]
            if alt is not None:
                firsts |= alt.stems
            if tok.word in NOT_FORMS:
                firsts.add("not")
            seen: set[int] = set()
            for first in firsts:
                for ph in self._index.get(first, ()):
                    if id(ph) in seen:
                        continue
                    seen.add(id(ph))
                    hit = self._match(ph.stems, p, content, alts)
                    if hit is None:
                        continue
                    if ph.kind == "term":
                        if hit.real_typo and (len(ph.stems) < 2 or len(hit.typo) >= len(ph.stems)):
                            continue  # a real word bent on its own: not a typo of ours
                        how = "typo" if hit.typo else ("exact" if ph.label else "synonym")
                        terms.append((ph.concept, hit, how))
                    elif not hit.real_typo:  # a pattern never bends a real word into a side
                        sides.setdefault((ph.concept, ph.near, ph.kind), []).append(hit)
            for words, ci in self._excepts.get(tok.word, ()):
                k = len(words)
                if tuple(t.word for t in content[p : p + k]) == words:
                    excepted.append((ci, _Hit(p, p + k, (), False)))
        found: list[tuple[int, _Hit, str]] = list(terms)
        for (ci, ni, kind), hits in sides.items():
            if kind != "a":
                continue
            within = self.concepts[self._order[ci]].near[ni].within
            for a in hits:
                for b in sides.get((ci, ni, "b"), ()):
                    if content[a.lo].sentence != content[b.lo].sentence:
                        continue
                    gap = b.lo - a.hi if b.lo >= a.hi else a.lo - b.hi
                    if gap < 0 or gap > within - 1:
                        continue
                    if a.typo and b.typo:
                        continue  # both sides bent: too weak
                    lo, hi = min(a.lo, b.lo), max(a.hi, b.hi)
                    parts = ((a.lo, a.hi), (b.lo, b.hi))
                    found.append((ci, _Hit(lo, hi, a.typo + b.typo, False, parts), "pattern"))
        if excepted:  # "seizure tablets", "fit note": not the concept, here
            found = [
                f
                for f in found
                if not any(ci == f[0] and h.lo < f[1].hi and f[1].lo < h.hi for ci, h in excepted)
            ]
        return self._mentions(text, tokens, pos, content, found, year)

    def _match(
        self,
        stems: tuple[str, ...],
        p: int,
        content: Sequence[Token],
        alts: Sequence[_Alt | None],
    ) -> _Hit | None:
        if p + len(stems) > len(content):
            return None
        sentence = content[p].sentence
        typo: list[tuple[str, str]] = []
        real = False
        for j, s in enumerate(stems):
            tok = content[p + j]
            if tok.sentence != sentence:
                return None
            if tok.stem == s or (s == "not" and tok.word in NOT_FORMS):
                continue
            alt = alts[p + j]
            if alt is None or s not in alt.stems:
                return None
            typo.append((tok.word, s))
            real = real or alt.real
        return _Hit(p, p + len(stems), tuple(typo), real)

    def _mentions(
        self,
        text: str,
        tokens: Sequence[Token],
        pos: Sequence[int],
        content: Sequence[Token],
        found: Iterable[tuple[int, _Hit, str]],
        year: int | None = None,
    ) -> list[Mention]:
        # one mention per concept per place: the longest, a term before a pattern
        rank = {"exact": 0, "synonym": 1, "typo": 2, "pattern": 3}
        ordered = sorted(found, key=lambda f: (f[0], f[1].lo, -(f[1].hi - f[1].lo), rank[f[2]]))
        kept: list[tuple[int, _Hit, str]] = []
        reach: dict[int, int] = {}  # concept → the furthest end kept so far (sorted by start)
        for f in ordered:
            if f[1].lo < reach.get(f[0], -1):
                continue  # overlaps a longer or earlier mention of the same concept
            kept.append(f)
            reach[f[0]] = max(reach.get(f[0], -1), f[1].hi)
        if not kept:
            return []
        by_clause: dict[int, list[Found]] = {}
        for trig in find_triggers(tokens, year):  # a trigger reaches inside its own clause
            by_clause.setdefault(tokens[trig.start].clause, []).append(trig)
            if tokens[trig.end - 1].clause != tokens[trig.start].clause:
                by_clause.setdefault(tokens[trig.end - 1].clause, []).append(trig)
        out: list[Mention] = []
        for ci, hit, how in sorted(kept, key=lambda f: (f[1].lo, f[0])):
            first, last = pos[hit.lo], pos[hit.hi - 1]
            # the words that ARE the symptom never set its context ("can't breathe"); for a
            # pattern only its two sides are: "lip, no swelling" is negated by the gap's "no"
            if hit.parts:
                own = {i for lo, hi in hit.parts for i in range(pos[lo], pos[hi - 1] + 1)}
            else:
                own = set(range(first, last + 1))
            triggers = by_clause.get(tokens[first].clause, [])
            if tokens[last].clause != tokens[first].clause:
                triggers = triggers + by_clause.get(tokens[last].clause, [])
            ctx, trigger = classify(tokens, first, last + 1, triggers, own)
            c = self.concepts[self._order[ci]]
            start, end = content[hit.lo].start, content[hit.hi - 1].end
            out.append(
                Mention(c.name, c.label, text[start:end], start, end, how, ctx, trigger, hit.typo)
            )
        return out


def compile_concepts(specs: Iterable[tuple[str, Any]]) -> Lexicon:
    """Compile (name, spec) pairs, where a spec has label, terms, near, sets and suggests."""
    out: dict[str, ConceptDef] = {}
    for name, spec in specs:
        near = tuple(
            NearDef(
                tuple(s for s in (phrase_stems(w) for w in n.words) if s),
                tuple(s for s in (phrase_stems(w) for w in n.with_) if s),
                n.within,
            )
            for n in spec.near
        )
        out[name] = ConceptDef(
            name=name,
            label=spec.label or name.replace("_", " "),
            terms=tuple(s for s in (phrase_stems(t) for t in spec.terms) if s),
            near=near,
            sets=spec.sets,
            suggests=spec.suggests,
            raw_terms=tuple(spec.terms),
            near_words=tuple(w for n in spec.near for w in (*n.words, *n.with_)),
            exceptions=tuple(
                s for s in (phrase_words(x) for x in getattr(spec, "except_", ())) if s
            ),
            lasting=bool(getattr(spec, "lasting", False)),
        )
    return Lexicon(out)
