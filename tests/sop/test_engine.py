"""The engine: red flags first, questions one at a time, first matching route, trace, why-not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ehub_tui.domain.models import TraceStep
from ehub_tui.sop import ENGINE_VERSION
from ehub_tui.sop.conditions import Facts, compile_condition, normalise_text, parse_condition
from ehub_tui.sop.engine import Engine, age_on
from ehub_tui.sop.loader import load_set
from ehub_tui.yamlload import Mark, load_yaml

TODAY = date(2026, 11, 23)


def engine_for(path: Path) -> Engine:
    s = load_set([path], TODAY)
    assert s.ok, [str(p) for p in s.problems]
    return Engine(s)


def adult(**extra: object) -> dict:
    return {"date_of_birth": "1990-04-02", "template": "sore_throat", "free_text": "", **extra}


def test_red_flags_come_first_whatever_the_route(write_sop) -> None:
    e = engine_for(write_sop())
    d = e.evaluate(adult(free_text="Crushing CHEST-PAIN since 5am"), {"fever": "no"}, TODAY)
    assert [f.id for f in d.red_flags] == ["rf_chest"]
    assert d.matched_rules[0] == "red_flags.rf_chest"
    # the standing emergency flag IS the route; the pathway's own route is kept beside it
    assert d.route is not None and d.route.id == "escalate_rf_chest"
    assert d.route.category == "escalate" and d.route.urgency == "immediate"
    assert d.route.governed_by == "rf_chest" and "Call 999 now." in d.route.destination
    assert d.pathway_route is not None and d.pathway_route.id == "pf_sore_throat"
    # only a flag dismissed with a reason lets the pathway's route through
    dismissed = e.evaluate(
        adult(free_text="Crushing CHEST-PAIN since 5am"),
        {"fever": "no"},
        TODAY,
        dismissed={"rf_chest"},
    )
    assert dismissed.route is not None and dismissed.route.id == "pf_sore_throat"
    assert [f.id for f in dismissed.red_flags] == ["rf_chest"]  # still shown, never hidden


def test_questions_then_route(write_sop) -> None:
    e = engine_for(write_sop())
    first = e.evaluate(adult(), {}, TODAY)
    assert first.next_question is not None and first.next_question.id == "fever"
    assert first.provisional and first.route.id == "gp_routine"
    why = {w.route: w.failed for w in first.why_not}
    assert why["pf_sore_throat"] == ("answers.fever eq 'no'",)
    done = e.evaluate(adult(), {"fever": "no"}, TODAY)
    assert done.next_question is None and not done.provisional
    assert done.route.id == "pf_sore_throat" and done.answered == {"fever": "no"}
    assert done.route.snomed == "1362511000000107"
    assert done.routing_sop.id == "demo" and len(done.routing_sop.sha256) == 64
    assert done.engine_version == ENGINE_VERSION


def test_structured_answer_skips_the_question(write_sop) -> None:
    e = engine_for(write_sop())
    d = e.evaluate(adult(answers={"fever": "no"}), {}, TODAY)
    assert d.next_question is None and d.route.id == "pf_sore_throat"


def test_unknown_fields_never_match(write_sop) -> None:
    e = engine_for(write_sop())
    d = e.evaluate({"template": "sore_throat"}, {"fever": "no"}, TODAY)  # no date of birth
    assert d.route.id == "gp_routine"
    step = next(s for t in d.trace for s in t.steps if s[1] == "age")
    assert step[4] is None and step[5] is False


def test_trace_records_field_operator_expected_actual_result(write_sop) -> None:
    e = engine_for(write_sop())
    d = e.evaluate(adult(supplier_flags=["urgent"]), {"fever": "yes"}, TODAY)
    assert d.route.id == "gp_urgent"
    steps = {s[1]: s for t in d.trace for s in t.steps}
    assert steps["age"][2:] == ("gte", 5, 36, True)
    assert steps["answers.fever"][2:] == ("eq", "no", "yes", False)
    assert steps["supplier_flags"][2:] == (
        "includes_any",
        ["urgent", "emergency"],
        ["urgent"],
        True,
    )
    as_dict = d.as_dict()
    assert as_dict["route"]["id"] == "gp_urgent" and as_dict["trace"][0]["steps"]
    # a typed TraceStep: named fields, and the JSON of a step keeps its six keys in order
    fever = steps["answers.fever"]
    assert isinstance(fever, TraceStep)
    assert (fever.operator, fever.expected, fever.actual, fever.result) == (
        "eq",
        "no",
        "yes",
        False,
    )
    dumped = next(s for t in as_dict["trace"] for s in t["steps"] if s["field"] == "answers.fever")
    assert list(dumped) == ["condition", "field", "operator", "expected", "actual", "result"]
    assert dumped["condition"] == fever.condition and dumped["result"] is False


def test_trace_off_gives_the_same_decision(write_sop) -> None:
    e = engine_for(write_sop())
    for case, answers in ((adult(free_text="cant breathe"), {}), (adult(), {"fever": "no"})):
        on = e.evaluate(case, answers, TODAY, trace=True)
        off = e.evaluate(case, answers, TODAY, trace=False)
        assert (off.route.id, [f.id for f in off.red_flags]) == (
            on.route.id,
            [f.id for f in on.red_flags],
        )
        assert off.trace == [] and off.why_not == []


def cond(yaml_text: str):
    problems: list = []
    c = parse_condition(load_yaml(yaml_text), "when", Mark(1, 1), problems)
    assert c is not None, problems
    return compile_condition(c)


@pytest.mark.parametrize(
    ("text", "free_text", "result"),
    [
        ("chest pain", "I have CHEST PAIN", True),
        ("chest pain", "chest-pain!!", True),
        ("chest pain", "chestpain", False),
        ("chest pain", "no chest painkillers needed", False),
        ("deja vu", "Déjà vu again", True),
        ("naïve", "NAIVE", True),
        ("sob", "sobbing", False),
    ],
)
def test_contains_any_is_case_accent_insensitive_on_word_boundaries(
    text: str, free_text: str, result: bool
) -> None:
    fn = cond(f"{{field: free_text, contains_any: [{text}]}}")
    assert fn(Facts({"free_text": free_text}), None) is result


@pytest.mark.parametrize(
    ("yaml_text", "values", "result"),
    [
        ("{field: age, between: [16, 64]}", {"age": 16}, True),
        ("{field: age, between: [16, 64]}", {"age": 64}, True),
        ("{field: age, between: [16, 64]}", {"age": 65}, False),
        ("{field: age, lt: 1}", {"age": 0}, True),
        ("{field: answers.n, gte: 2}", {"answers.n": "3"}, True),
        ("{field: answers.n, gte: 2}", {"answers.n": "three"}, False),
        ("{field: sex, in: [female]}", {"sex": "Female"}, True),
        ("{field: sex, not_in: [female]}", {"sex": "male"}, True),
        ("{field: sex, ne: female}", {}, False),
        ("{field: supplier_flags, includes: urgent}", {"supplier_flags": ["urgent"]}, True),
        ("{field: answers.x, is_set: false}", {}, True),
        ("{not: {field: answers.x, eq: 'yes'}}", {}, True),
        ("{any: [{field: age, lt: 1}, {field: age, gt: 90}]}", {"age": 95}, True),
        ("{all: [{field: age, gt: 1}, {field: age, lt: 3}]}", {"age": 5}, False),
    ],
)
def test_operators(yaml_text: str, values: dict, result: bool) -> None:
    assert cond(yaml_text)(Facts(values), None) is result


def test_age_on_birthdays() -> None:
    assert age_on(date(2010, 11, 23), TODAY) == (16, 192)
    assert age_on(date(2010, 11, 24), TODAY) == (15, 191)
    assert age_on(date(2026, 10, 24), TODAY) == (0, 0)


def test_normalise_text() -> None:
    assert normalise_text("  Zoë's  CHEST—pain!! ") == " zoe s chest pain "
