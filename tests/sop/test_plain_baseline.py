"""The hand-written baseline (benchmarks/sop_plain.py) encodes exactly the rules of the shipped SOP
set: for every fixture OC, every golden case, 5,000 generated OCs and phrase-driven texts (every
contains_any phrase and every lexicon phrase, the latter also negated, in the past, about someone
else and uncertain), with no answers and with several deterministic answer sets, the engine and
``decide`` give the same sorted red flag ids, next question and route (the route as the standing
flags leave it: ``escalate_<flag>`` / ``same_day_<flag>`` when a flag governs it).

If a SOP in sops/ changes, this fails until benchmarks/sop_plain.py is changed to match, so the
benchmark never compares the engine with a baseline that does less work.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from benchmarks.sop_plain import decide
from ehub_tui.ingest.generate import generate_records
from ehub_tui.ingest.parsers import iter_paths, read_file
from ehub_tui.sop.conditions import leaves
from ehub_tui.sop.engine import Engine, fields_used
from ehub_tui.sop.loader import SopSet, load_set
from ehub_tui.sop.testing import load_cases

ROOT = Path(__file__).resolve().parents[2]
SOPS = ROOT / "sops"
TODAY = date(2026, 11, 23)

Decided = tuple[list[str], str | None, str | None]
Item = tuple[str, Mapping[str, Any], Mapping[str, Any], date]

# Values the fuzzed answer sets draw from: the enum answers in several spellings, numbers as
# numbers and as text, text that is not a number, and "no answer" (None and "").
VALUE_POOL: tuple[Any, ...] = (
    "yes",
    "no",
    "YES",
    "No",
    "not_sure",
    "severe",
    "extension",
    "emergency_contraception",
    "contraception",
    "moderate",
    "lower_back",
    "0",
    "1",
    "2",
    "3",
    " 7 ",
    "14",
    "21",
    "37.5",
    "38",
    "85",
    "abc",
    0,
    1,
    2,
    3,
    7,
    8,
    15,
    21,
    37.4,
    38.5,
    84,
    True,
    None,
    "",
)


@pytest.fixture(scope="module")
def sop_set() -> SopSet:
    s = load_set([SOPS], TODAY)
    assert s.ok, [str(p) for p in s.errors]
    return s


@pytest.fixture(scope="module")
def engine(sop_set: SopSet) -> Engine:
    return Engine(sop_set)


def engine_decides(
    engine: Engine, consultation: Mapping[str, Any], answers: Mapping[str, Any], today: date
) -> Decided | str:
    """The engine's (flags, question, route), or the name of the exception it raised."""
    try:
        d = engine.evaluate(consultation, answers, today, trace=False)
    except Exception as exc:
        return type(exc).__name__
    return (
        sorted(f.id for f in d.red_flags),
        d.next_question.id if d.next_question else None,
        d.route.id if d.route else None,
    )


def plain_decides(
    consultation: Mapping[str, Any], answers: Mapping[str, Any], today: date
) -> Decided | str:
    """The baseline's answer, or the name of the exception it raised."""
    try:
        return decide(consultation, answers, today)
    except Exception as exc:
        return type(exc).__name__


def fixture_ocs() -> list[dict[str, Any]]:
    out = []
    for path in iter_paths([ROOT / "fixtures" / "oc"]):
        for record in read_file(path):
            assert record.data is not None, (path, record.location, record.error)
            out.append(record.data)
    return out


def golden_items() -> list[Item]:
    items: list[Item] = []
    for path in sorted(SOPS.glob("*.tests.yaml")):
        cases, problems = load_cases(path)
        assert not problems, [str(p) for p in problems]
        items += [(f"{path.name}:{c.id}", c.consultation, c.answers, c.today) for c in cases]
    return items


def answer_options(sop_set: SopSet) -> dict[str, list[str]]:
    """Every question of the active SOPs, with the answers it allows."""
    return {q.spec.id: list(q.spec.answers) for s in sop_set.sops if s.active for q in s.questions}


def answer_fields(sop_set: SopSet) -> list[str]:
    """Every answer any rule of the set looks at (patient attributes are answers too)."""
    names: set[str] = set()
    for s in sop_set.sops:
        for f in fields_used(s):
            if f.startswith(("answers.", "patient.")):
                names.add(f.split(".", 1)[1])
    return sorted(names)


def answer_sets(
    sop_set: SopSet, base: Mapping[str, Any], rng: random.Random
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The fixed answer sets tried on every consultation (besides walking the questions)."""
    options = answer_options(sop_set)
    yield "none", {}
    if base:
        yield "own", dict(base)
    yield "all-yes", {q: "yes" for q in options}
    yield "all-no", {q: "no" for q in options}
    yield "last-option", {q: answers[-1] for q, answers in options.items()}
    yield "some-questions", {q: rng.choice(a) for q, a in options.items() if rng.random() < 0.5}
    fuzz = {f: rng.choice(VALUE_POOL) for f in answer_fields(sop_set) if rng.random() < 0.3}
    yield "fuzzed", {**dict(base), **fuzz}


def check(
    engine: Engine,
    sop_set: SopSet,
    items: list[Item],
    seed: int,
) -> int:
    """Compare engine and baseline on every item with every answer set; return evaluations done."""
    options = answer_options(sop_set)
    rng = random.Random(seed)
    done = 0
    for name, consultation, base, today in items:
        for label, answers in answer_sets(sop_set, base, rng):
            want = engine_decides(engine, consultation, answers, today)
            got = plain_decides(consultation, answers, today)
            assert got == want, (name, label, consultation, answers)
            done += 1
        # a navigator answering the questions one by one, as the engine asks them
        walked: dict[str, Any] = dict(base)
        for _ in range(len(options) + 1):
            want = engine_decides(engine, consultation, walked, today)
            got = plain_decides(consultation, walked, today)
            assert got == want, (name, "walk", consultation, walked)
            done += 1
            if isinstance(want, str) or want[1] is None:
                break
            walked[want[1]] = rng.choice(options[want[1]])
        else:
            pytest.fail(f"{name}: questions never ran out")
    return done


def test_fixture_ocs_agree(engine: Engine, sop_set: SopSet) -> None:
    ocs = fixture_ocs()
    assert len(ocs) > 100
    items: list[Item] = [(str(oc.get("external_id")), oc, {}, TODAY) for oc in ocs]
    assert check(engine, sop_set, items, seed=1) >= 7 * len(ocs)


def test_golden_cases_agree(engine: Engine, sop_set: SopSet) -> None:
    items = golden_items()
    assert len(items) > 150
    check(engine, sop_set, items, seed=2)


def test_generated_ocs_agree(engine: Engine, sop_set: SopSet) -> None:
    ocs = list(generate_records(5000, seed=3))
    items: list[Item] = [(str(oc["external_id"]), oc, {}, TODAY) for oc in ocs]
    check(engine, sop_set, items, seed=3)


def lexicon_phrases(sop_set: SopSet) -> list[str]:
    """Every term of every concept, and each word of each near-pattern beside a word of its
    other side (both orders), as written in the SOPs."""
    out: set[str] = set()
    for s in sop_set.sops:
        for concept in s.concepts.values():
            out.update(concept.terms)
            for near in concept.near:
                for i, w in enumerate(near.words):
                    out.add(f"{w} {near.with_[i % len(near.with_)]}")
                for i, x in enumerate(near.with_):
                    out.add(f"{x} {near.words[i % len(near.words)]}")
    return sorted(out)


def test_every_phrase_agrees(engine: Engine, sop_set: SopSet) -> None:
    """Each contains_any phrase and each lexicon phrase alone, and random pairs of them, on a
    spread of templates, ages and sexes: every phrase table and concept test of the baseline
    matches the SOPs. Lexicon phrases are also tried negated, in the past, about someone else
    and uncertain, so context decides as well."""
    phrases = sorted(
        {
            str(p)
            for s in sop_set.sops
            for rule in [*s.red_flags, *s.questions, *s.routes]
            if rule.condition is not None
            for leaf in leaves(rule.condition)
            if leaf.op == "contains_any"
            for p in leaf.value
        }
    )
    concept_phrases = lexicon_phrases(sop_set)
    assert len(concept_phrases) > 1000
    every = sorted({*phrases, *concept_phrases})
    templates = [
        None,
        "general_clinical",
        "sore_throat",
        "uti",
        "sinusitis",
        "shingles",
        "impetigo",
        "infected_insect_bite",
        "acute_otitis_media",
        "mental_health",
        "msk",
        "eye_problem",
        "dental",
        "sexual_health",
        "repeat_medication",
        "referral_query",
        "fit_note",
        "other",
    ]
    people = [
        ("2024-06-01", "female"),
        ("1950-02-03", "male"),
        ("1990-04-02", "female"),
        ("2013-05-06", "female"),
        ("2010-01-01", None),
    ]
    rng = random.Random(4)
    items: list[Item] = []
    for i, phrase in enumerate(every):
        dob, sex = people[i % len(people)]
        tpl = templates[i % len(templates)]
        rtype = "admin" if tpl in ("repeat_medication", "referral_query", "fit_note") else "other"
        oc = {"date_of_birth": dob, "sex": sex, "template": tpl, "request_type": rtype}
        items.append((phrase, {**oc, "free_text": phrase.upper()}, {}, TODAY))
        pair = f"{phrase}, and {rng.choice(every)}"
        items.append((pair, {**oc, "free_text": pair}, {}, TODAY))
        meds = {"medications": [rng.choice(every), "paracetamol"]}
        items.append((f"meds {phrase}", {**oc, "free_text": "early", "answers": meds}, {}, TODAY))
    for i, phrase in enumerate(concept_phrases):
        dob, sex = people[(i + 1) % len(people)]
        tpl = templates[(i + 3) % len(templates)]
        oc = {"date_of_birth": dob, "sex": sex, "template": tpl, "request_type": "clinical"}
        for said in (
            f"no {phrase}",
            f"had {phrase} as a child",
            f"my dad has {phrase}",
            f"i think it might be {phrase}",
            f"{phrase}. no {rng.choice(concept_phrases)}",
        ):
            items.append((said, {**oc, "free_text": said}, {}, TODAY))
    for name, consultation, answers, today in items:
        want = engine_decides(engine, consultation, answers, today)
        assert plain_decides(consultation, answers, today) == want, (name, consultation)


def test_unknowns_and_odd_values_agree(engine: Engine) -> None:
    """Missing fields, empty strings, odd types and a birth date after today."""
    odd: list[dict[str, Any]] = [
        {},
        {"template": "", "free_text": "", "sex": "", "request_type": ""},
        {"template": "UTI", "sex": "Female", "date_of_birth": "1990-01-01T10:00:00"},
        {"template": "uti", "sex": "female", "date_of_birth": "2030-01-01"},
        {"template": "shingles", "date_of_birth": "not a date", "free_text": "Déjà vu"},
        {"template": "Sore_Throat", "date_of_birth": date(2021, 11, 24)},
        {"template": "sore_throat", "date_of_birth": date(2021, 11, 23), "free_text": "hoarse"},
        {"supplier_flags": ["URGENT"], "template": "msk"},
        {"supplier_flags": ("Emergency",), "template": "impetigo"},
        {"request_type": "ADMIN", "free_text": "I want to complain"},
        {"template": "mental_health", "answers": {"current_medication": ""}},
        {"template": "repeat_medication", "answers": {"medications": "Tramadol 50mg"}},
        {"template": "repeat_medication", "answers": {"medications": []}, "free_text": "lost"},
        {"free_text": ["chest", "pain"], "template": 7},
    ]
    answer_variants: list[dict[str, Any]] = [
        {},
        {"pregnant": None, "fever": ""},
        {"uti_episodes_6_months": "nan", "uti_episodes_12_months": " 2 "},
        {"temperature_c": "38.0", "on_chemotherapy": "YES"},
        {"duration_days": True, "rash_days": "7"},
    ]
    for oc in odd:
        for answers in answer_variants:
            want = engine_decides(engine, oc, answers, TODAY)
            assert plain_decides(oc, answers, TODAY) == want, (oc, answers)


def test_numbers_in_text_fields_are_read_as_text(engine: Engine) -> None:
    """A supplier may send a number where a phrase list expects text: it is read as text, and
    both agree (this once raised TypeError in both)."""
    oc = {"template": "repeat_medication", "request_type": "admin", "free_text": "ran out"}
    want = engine_decides(engine, oc, {"medications": 5}, TODAY)
    assert want != "TypeError"
    assert plain_decides(oc, {"medications": 5}, TODAY) == want
