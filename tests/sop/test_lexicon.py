"""The concept matcher's parts: normalising and stems, context, terms, near-patterns, typos, and
what `sops validate` says about concepts. Small lexicons written here, so each rule is seen alone.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehub_tui.sop.context import Context, classify, find_triggers
from ehub_tui.sop.lexicon import Lexicon, compile_concepts
from ehub_tui.sop.loader import load_set
from ehub_tui.sop.text import phrase_stems, stem, tokenize


def concept(label: str, terms: list[str], near: list[tuple[list[str], list[str]]] = ()) -> object:
    return SimpleNamespace(
        label=label,
        terms=terms,
        near=[SimpleNamespace(words=a, with_=b, within=4) for a, b in near],
        sets=None,
        suggests=None,
    )


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return compile_concepts(
        [
            (
                "chest_pain",
                concept(
                    "chest pain",
                    ["chest pain", "angina"],
                    [(["chest", "breastbone"], ["pain", "tight", "heavy", "squeezing", "hurt"])],
                ),
            ),
            ("seizure", concept("seizure", ["seizure", "fit", "wont stop fitting"])),
            ("faint", concept("fainted", ["faint", "passed out"])),
            ("no_fade", concept("rash that does not fade", ["doesnt fade under a glass"])),
        ]
    )


def found(lex: Lexicon, text: str) -> dict[str, tuple[str, str]]:
    return {m.concept: (m.how, m.context.value) for m in lex.scan(text)}


# -- words ----------------------------------------------------------------------------------------


def test_normalising_case_accents_apostrophes_repeats_and_emoji() -> None:
    words = [t.word for t in tokenize("CAN’T breathe!!! Sooooo scared 😭 café. It does not stop")]
    assert words == ["cant", "breathe", "soo", "scared", "cafe", "it", "doesnt", "stop"]


def test_plurals_and_endings_meet_their_stem() -> None:
    for a, b in [
        ("pains", "pain"),
        ("fitting", "fits"),
        ("collapsed", "collapse"),
        ("faded", "fade"),
        ("bruises", "bruised"),
        ("babies", "baby"),
    ]:
        assert stem(a) == stem(b), (a, b)
    assert phrase_stems("pain in my chest") == phrase_stems("pains in the chest")


# -- matching -------------------------------------------------------------------------------------


def test_terms_synonyms_patterns_and_typos(lex: Lexicon) -> None:
    assert found(lex, "Chest Pain since 5am")["chest_pain"] == ("exact", "affirmed")
    assert found(lex, "my angina is back")["chest_pain"] == ("synonym", "affirmed")
    assert found(lex, "my chest feels heavy")["chest_pain"] == ("pattern", "affirmed")
    assert found(lex, "sqeezing pain in my chest")["chest_pain"][0] == "pattern"
    m = next(m for m in lex.scan("cheast pain") if m.concept == "chest_pain")
    assert m.how == "typo" and m.corrected == (("cheast", "chest"),)
    assert m.words == "cheast pain" and (m.start, m.end) == (0, 11)


def test_patterns_stay_in_one_sentence(lex: Lexicon) -> None:
    assert "chest_pain" not in found(lex, "My chest is fine. My knee hurts")


def test_a_real_word_is_not_bent_into_a_symptom_on_its_own(lex: Lexicon) -> None:
    assert "faint" not in found(lex, "I want to paint the fence")
    # ... but inside a phrase whose other word is written right, a real-word slip is read
    assert "chest_pain" in found(lex, "chess pain since lunch")


def test_negative_words_inside_a_symptom_are_the_symptom(lex: Lexicon) -> None:
    assert found(lex, "he wont stop fitting")["seizure"] == ("synonym", "affirmed")
    assert found(lex, "spots that doesnt fade under a glass")["no_fade"][1] == "affirmed"


# -- context --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("no chest pain", "negated"),
        ("I don't have chest pain", "negated"),
        ("chest pain: none", "negated"),
        ("had a fit as a child, now need a driving form", "historical"),
        ("history of angina", "historical"),
        ("my dad had chest pain before he died", "other_person"),
        ("not sure if it is chest pain", "uncertain"),
        ("no fever but chest pain since lunch", "affirmed"),
        ("no fever and chest pain", "affirmed"),
        ("my son has had a fit", "affirmed"),  # a parent writing about the patient
        ("my mum says I have chest pain", "affirmed"),  # first person ends her scope
        ("I can no longer ignore this chest pain", "affirmed"),
    ],
)
def test_context(lex: Lexicon, text: str, context: str) -> None:
    mentions = [m for m in lex.scan(text) if m.concept in ("chest_pain", "seizure")]
    assert mentions and mentions[0].context.value == context, mentions


def test_uncertain_counts_and_the_others_do_not() -> None:
    assert Context.AFFIRMED.counts and Context.UNCERTAIN.counts
    assert not any(c.counts for c in (Context.NEGATED, Context.HISTORICAL, Context.OTHER))


def test_a_trigger_reaches_only_so_far() -> None:
    toks = tokenize("no problems at all with anything in the last few weeks until chest pain")
    last = len(toks) - 2
    assert classify(toks, last, last + 2, find_triggers(toks))[0] is Context.AFFIRMED


# -- hostile text is only data -------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_scans_and_every_mention_points_into_it(lex: Lexicon, text: str) -> None:
    for m in lex.scan(text):
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.words


def test_control_characters_and_markup_are_just_text(lex: Lexicon) -> None:
    text = "\x1b[31m[bold]chest pain[/bold]\x07 \u202e"
    ms = lex.scan(text)
    assert [m.concept for m in ms] == ["chest_pain"] and ms[0].words == "chest pain"


# -- sops validate ------------------------------------------------------------------------------

SOP = """\
sop:
  id: demo
  title: Demo
  version: 1.0.0
  status: draft
  owner: Hub lead
  effective_from: 2026-01-01
  review_by: 2030-01-01
concepts:
  chest_pain:
    label: chest pain
    terms: [chest pain]
  {extra}
inputs:
  free_text: {{}}
red_flags:
  - id: rf_chest
    level: emergency
    when: {{field: free_text, mentions: {name}}}
    say: Chest pain.
    action: Call 999.
"""


def problems(tmp_path: Path, name: str = "chest_pain", extra: str = "") -> list[str]:
    (tmp_path / "demo.sop.yaml").write_text(SOP.format(name=name, extra=extra))
    return [str(p) for p in load_set([tmp_path]).problems]


def test_validate_accepts_concepts(tmp_path: Path) -> None:
    assert not [p for p in problems(tmp_path) if "demo.sop.yaml" in p and "error" in p]


def test_validate_names_an_unknown_concept_with_a_did_you_mean(tmp_path: Path) -> None:
    found = problems(tmp_path, name="chest_pian")
    assert any(
        "demo.sop.yaml:" in p and "no concept named 'chest_pian'" in p and "chest_pain" in p
        for p in found
    ), found


def test_validate_refuses_a_concept_with_nothing_to_match(tmp_path: Path) -> None:
    found = problems(tmp_path, extra="empty:\n    label: nothing\n    terms: ['the', '!!']")
    assert any("has no words to match" in p for p in found), found


def test_a_past_year_is_history_by_the_hubs_year_not_the_machines(lex: Lexicon) -> None:
    text = "had chest pain in 2019, tests were fine"
    assert lex.scan(text, year=2026)[0].context is Context.HISTORICAL
    assert lex.scan(text, year=2019)[0].context is Context.AFFIRMED  # this year: not the past
    assert lex.scan(text)[0].context is Context.AFFIRMED  # no year given: no year is read


def test_a_loaded_library_has_its_typo_dictionaries_ready(tmp_path: Path) -> None:
    """Built when the SOPs load (a worker), not at the first misspelt word (a key press)."""
    from ehub_tui.sop.library import SopLibrary

    (tmp_path / "demo.sop.yaml").write_text(SOP.format(name="chest_pain", extra=""))
    lib = SopLibrary(tmp_path)
    lib.reload()
    assert lib.engine is not None and lib.engine.lexicon._spellers is not None
