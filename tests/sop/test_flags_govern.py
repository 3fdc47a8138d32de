"""A standing red flag governs the route, whatever the text, template, answers or SOP route:

- an emergency flag → the suggested route is the escalation (category escalate, immediate);
- an amber flag → never a signposting, Pharmacy First or admin route, nothing later than same day;
- only a dismissed flag lets the pathway's own route through (and it is still shown).

Checked over every fixture consultation, every corpus phrasing, 2,000 generated consultations,
and hypothesis-chosen answers to every question of the set.
"""

from __future__ import annotations

import random
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ehub_tui.ingest.generate import generate_records
from ehub_tui.ingest.parsers import iter_paths, read_file
from ehub_tui.sop.engine import Decision, Engine
from ehub_tui.sop.loader import load_set
from tests.sop.test_corpus import consultation

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 23)


@cache
def engine() -> Engine:
    s = load_set([ROOT / "sops"], TODAY)
    assert s.ok, [str(p) for p in s.errors]
    return Engine(s)


@cache
def population() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in iter_paths([ROOT / "fixtures" / "oc"]):
        out.extend(r.data for r in read_file(path) if r.data is not None)
    corpus = Path(__file__).parent / "corpus"
    flags = yaml.safe_load((corpus / "red_flags.yaml").read_text(encoding="utf-8"))
    for name, cases in flags.items():
        sex = "male" if name == "rf_testicular_pain" else "female"
        out.extend(consultation(c, sex) for c in cases)
    control = yaml.safe_load((corpus / "control.yaml").read_text(encoding="utf-8"))
    out.extend(consultation(c) for c in control)
    out.extend(generate_records(2000, 7))
    return out


def questions() -> list[tuple[str, tuple[str, ...]]]:
    return [(q.spec.id, tuple(q.spec.answers)) for s in engine().sops for q in s.questions]


def check(d: Decision, dismissed: set[str]) -> None:
    standing = [f for f in d.red_flags if f.id not in dismissed]
    route = d.route
    if any(f.level == "emergency" for f in standing):
        assert route is not None and route.category == "escalate", (d.red_flags, route)
        assert route.urgency == "immediate"
    elif standing:
        assert route is not None, d.red_flags
        assert route.category in ("clinical", "escalate"), (standing, route)
        assert route.urgency in ("immediate", "same_day"), (standing, route)
    else:
        assert route == d.pathway_route  # nothing stands: the SOP's own route


def test_every_consultation_with_no_answers() -> None:
    flagged = 0
    for oc in population():
        d = engine().evaluate(oc, {}, TODAY, trace=False)
        flagged += bool(d.red_flags)
        check(d, set())
    assert flagged > 400  # the corpus alone brings hundreds of flagged consultations


@settings(max_examples=400, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=10**6))
def test_any_answers_and_any_dismissals(rnd: random.Random, pick: int) -> None:
    people = population()
    oc = people[pick % len(people)]
    answers = {qid: rnd.choice(opts) for qid, opts in questions() if rnd.random() < 0.6}
    first = engine().evaluate(oc, answers, TODAY, trace=False)
    dismissed = {f.id for f in first.red_flags if rnd.random() < 0.5}
    d = engine().evaluate(oc, answers, TODAY, trace=False, dismissed=dismissed)
    assert [f.id for f in d.red_flags] == [f.id for f in first.red_flags]  # never hidden
    check(d, dismissed)
