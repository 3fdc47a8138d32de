"""Red flags against how patients really write (tests/sop/corpus/, written apart from the lexicon).

- every affirmed phrasing of the red-flag corpus raises its flag (100%);
- every term of every concept a red flag mentions, with a seeded random typo in each word of five
  or more letters, is still found as an affirmed mention of its concept (100%);
- the control corpus of routine requests (many naming red-flag words negated, in the past or
  about someone else) raises an emergency flag on at most 2% of requests; the figure is printed.

These are the tests the hazard log (docs/safety/hazard-log.md) names for H1 and H2.
"""

from __future__ import annotations

import random
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from ehub_tui.sop.conditions import CONCEPT_OPS, leaves
from ehub_tui.sop.engine import Engine
from ehub_tui.sop.lexicon import REAL_WORD_COUNT, english_counts
from ehub_tui.sop.loader import load_set

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
TODAY = date(2026, 11, 23)
TYPO_SEED = 20261205
CONTROL_EMERGENCY_LIMIT = 0.02


@cache
def engine() -> Engine:
    s = load_set([ROOT / "sops"], TODAY)
    assert s.ok, [str(p) for p in s.errors]
    return Engine(s)


def consultation(case: str | dict[str, Any], sex: str = "female") -> dict[str, Any]:
    """A consultation for a corpus case (defaults: 40, female, general_clinical, clinical)."""
    c = {"text": case} if isinstance(case, str) else dict(case)
    age = int(c.get("age", 40))
    dob = date(TODAY.year - age, TODAY.month, TODAY.day) if age else date(2026, 6, 1)
    return {
        "date_of_birth": dob.isoformat(),
        "sex": c.get("sex", sex),
        "template": c.get("template", "general_clinical"),
        "request_type": c.get("request_type", "clinical"),
        "free_text": c["text"],
    }


def text_flags() -> set[str]:
    """The red flags the patient's own words can raise. A flag raised only by the navigator's
    answer to a SOP question (Pharmacy First's emergency signs, 2.3.0) has no phrasing to test."""
    return {
        rf.spec.id
        for s in engine().sops
        for rf in s.red_flags
        if rf.condition and any(leaf.field == "free_text" for leaf in leaves(rf.condition))
    }


def red_flag_cases() -> list[tuple[str, str | dict[str, Any]]]:
    data = yaml.safe_load((CORPUS / "red_flags.yaml").read_text(encoding="utf-8"))
    return [(flag, case) for flag, cases in data.items() for case in cases]


def test_the_corpus_covers_every_red_flag_at_least_15_times() -> None:
    cases = red_flag_cases()
    flags = text_flags()
    counts = {f: sum(1 for g, _ in cases if g == f) for f in flags}
    assert min(counts.values()) >= 15, counts
    assert {g for g, _ in cases} <= flags  # no case names a flag that does not exist


def test_every_affirmed_phrasing_raises_its_flag() -> None:
    missed = []
    for flag, case in red_flag_cases():
        sex = "male" if flag == "rf_testicular_pain" else "female"
        d = engine().evaluate(consultation(case, sex), {}, TODAY, trace=False)
        if flag not in {f.id for f in d.red_flags}:
            missed.append(f"{flag}: {case}")
    total = len(red_flag_cases())
    print(f"\nred-flag corpus: {total - len(missed)}/{total} raised their flag")
    assert not missed, f"{len(missed)} of {total} phrasings missed:\n" + "\n".join(missed)


def typo(word: str, rng: random.Random) -> str:
    """One random edit (delete, insert, replace, swap) that does not make a real English word:
    a typo, not a different word ("chest" → "chess" is a real-word error, out of scope here)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    english = english_counts()
    for _ in range(50):
        i = rng.randrange(len(word))
        kind = rng.choice(("delete", "insert", "replace", "swap"))
        if kind == "delete":
            out = word[:i] + word[i + 1 :]
        elif kind == "insert":
            out = word[:i] + rng.choice(letters) + word[i:]
        elif kind == "replace":
            out = word[:i] + rng.choice(letters.replace(word[i], "")) + word[i + 1 :]
        else:
            if i == len(word) - 1 or word[i] == word[i + 1]:
                continue
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if out != word and english.get(out, 0) < REAL_WORD_COUNT:
            return out
    return word


def flag_concepts() -> dict[str, set[str]]:
    """Concept → the red flags that mention it."""
    out: dict[str, set[str]] = {}
    for s in engine().sops:
        for rf in s.red_flags:
            for leaf in leaves(rf.condition) if rf.condition else []:
                if leaf.op in CONCEPT_OPS:
                    names = [leaf.value] if isinstance(leaf.value, str) else leaf.value
                    for n in names:
                        out.setdefault(str(n), set()).add(rf.spec.id)
    return out


def test_every_red_flag_mentions_a_concept() -> None:
    used = {f for flags in flag_concepts().values() for f in flags}
    flags = text_flags()
    assert flags <= used, sorted(flags - used)


def test_every_lexicon_phrase_with_a_typo_is_still_found() -> None:
    rng = random.Random(TYPO_SEED)
    lex = engine().lexicon
    missed, tried = [], 0
    for name in sorted(flag_concepts()):
        for term in lex.concepts[name].raw_terms:
            words = term.split()
            typed = " ".join(typo(w, rng) if len(w) >= 5 and w.isalpha() else w for w in words)
            if typed == term:
                continue
            tried += 1
            found = [m for m in lex.scan(typed) if m.concept == name and m.counts]
            if not found:
                missed.append(f"{name}: {term!r} → {typed!r}")
    print(f"\ntypo corpus: {tried - len(missed)}/{tried} phrases with typos found")
    assert tried > 200
    assert not missed, f"{len(missed)} of {tried} missed:\n" + "\n".join(missed)


def control_cases() -> list[str | dict[str, Any]]:
    data = yaml.safe_load((CORPUS / "control.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_control_corpus_rarely_raises_an_emergency() -> None:
    cases = control_cases()
    assert len(cases) >= 200
    emergency, amber = [], []
    for case in cases:
        d = engine().evaluate(consultation(case), {}, TODAY, trace=False)
        levels = {f.level for f in d.red_flags}
        if "emergency" in levels:
            emergency.append(f"{[f.id for f in d.red_flags]}: {case}")
        elif "urgent" in levels:
            amber.append(case)
    rate = len(emergency) / len(cases)
    print(
        f"\ncontrol corpus: emergency flags on {len(emergency)}/{len(cases)} = {rate:.1%}"
        f" (amber on {len(amber)})\n" + "\n".join(emergency)
    )
    assert rate <= CONTROL_EMERGENCY_LIMIT, "\n".join(emergency)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Cough for a week, no chest pain, just tired", "rf_chest_pain"),
        ("my dad had chest pain before he died, I want a heart check", "rf_chest_pain"),
        ("had a fit as a child, now need a driving form", "rf_seizure"),
    ],
)
def test_negated_past_and_family_mentions_are_cautions_not_emergencies(
    text: str, flag: str
) -> None:
    d = engine().evaluate(consultation(text), {}, TODAY)
    assert flag not in {f.id for f in d.red_flags}
    caution = next(c for c in d.cautions if c.id == flag)
    assert caution.say.startswith("mentions ") and " — " in caution.say
    assert caution.evidence and all(e.context != "affirmed" for e in caution.evidence)


def test_a_structured_answer_still_raises_a_flag_the_text_denies() -> None:
    d = engine().evaluate(consultation("no chest pain"), {"chest_pain": "yes"}, TODAY)
    assert "rf_chest_pain" in {f.id for f in d.red_flags}
