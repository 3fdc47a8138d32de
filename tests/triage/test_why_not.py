"""Why-not says each destination once, without repeating itself (issue 15 trial: "it needs the
request's form to be uti, or the request's form to be uti, or …")."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ehub_tui.triage.why_not import sentences


def _session(*near: tuple[str, list[str]]) -> Any:
    routes = {
        "gp_a": "GP urgent same-day",
        "gp_b": "GP urgent same-day",
        "gp_c": "GP urgent same-day",
        "gp_d": "GP urgent same-day",
        "gp_e": "GP urgent same-day",
        "pf": "Community pharmacy",
    }
    return SimpleNamespace(
        decision=SimpleNamespace(
            why_not=[SimpleNamespace(route=r, failed=failed) for r, failed in near]
        ),
        draft=SimpleNamespace(override=None),
        guidance=SimpleNamespace(engine=None),
        all_routes=lambda: [SimpleNamespace(id=k, destination=v) for k, v in routes.items()],
    )


def test_identical_alternatives_and_parts_are_said_once() -> None:
    said = sentences(
        _session(
            ("gp_a", ["form_is_uti"]),
            ("gp_b", ["form_is_uti"]),
            ("gp_c", ["form_is_uti", "form_is_uti"]),
            ("pf", ["fever_no"]),
        )
    )
    assert said == [
        "Not GP urgent same-day: it needs form is uti.",
        "Not Community pharmacy: it needs fever no.",
    ]


def test_at_most_two_ways_then_how_many_more() -> None:
    said = sentences(
        _session(
            ("gp_a", ["age_under_5"]),
            ("gp_b", ["form_is_uti"]),
            ("gp_c", ["age_under_5"]),
            ("gp_d", ["pregnant"]),
            ("gp_e", ["fever_yes"]),
        )
    )
    assert said == ["Not GP urgent same-day: it needs age under 5, or form is uti, or 2 more ways."]
    one_more = sentences(_session(("gp_a", ["a"]), ("gp_b", ["b"]), ("gp_c", ["c"])))
    assert one_more == ["Not GP urgent same-day: it needs a, or b, or 1 more way."]
