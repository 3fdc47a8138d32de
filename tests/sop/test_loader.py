"""Loading SOPs: every problem located as file:line:col, with did-you-mean."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ehub_tui.sop.loader import load_set, load_sop
from ehub_tui.yamlload import YamlError, load_yaml
from tests.sop.conftest import BASE


def messages(path: Path) -> list[str]:
    _, problems = load_sop(path, date(2026, 11, 23))
    return [str(p) for p in problems]


def test_the_base_sop_is_clean(write_sop) -> None:
    sop, problems = load_sop(write_sop(), date(2026, 11, 23))
    assert sop is not None and problems == []
    assert sop.meta.version == "1.0.0" and len(sop.sha256) == 64


def test_yes_no_stay_strings_and_duplicates_name_both_lines() -> None:
    data = load_yaml("a: yes\nb: NO\nc: on\nd: true\n")
    assert data == {"a": "yes", "b": "NO", "c": "on", "d": True}
    with pytest.raises(YamlError) as err:
        load_yaml("x: 1\ny: 2\nx: 3\n")
    assert "first on line 1, again on line 3" in err.value.message
    assert err.value.mark is not None and err.value.mark.line == 3


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    category: signpost",
            "    categry: signpost",
            ":35:5: error: routes[0].categry: unknown key; did you mean 'category'?",
        ),
        (
            "        - {field: age, gte: 5}",
            "        - {field: agee, gte: 5}",
            "field 'agee' is not declared in inputs; did you mean 'age'?",
        ),
        (
            '        - {field: answers.fever, eq: "no"}',
            "        - {field: answers.fever, eq: maybe}",
            "'maybe' is not an answer answers.fever can have (allowed: yes, no)",
        ),
        ("{condition}", "{conditon}", "unknown placeholder {conditon}; did you mean 'condition'?"),
        ("    message: pf", "    message: pff", "no message template named 'pff'"),
        ("  version: 1.0.0", "  version: one", "'one' is not a semantic version"),
        ("  status: active", "  status: live", "'live' is not allowed"),
        ("  approved_by: Dr Example\n", "", "an active SOP must name who approved it"),
        ("    default: true\n", "", "default route (default: true) is mandatory"),
        (
            "        - {field: age, gte: 5}",
            "        - {field: age, gtee: 5}",
            "unknown operator; did you mean 'gte'?",
        ),
        (
            "        - {field: age, gte: 5}",
            "        - {field: template, gte: 5}",
            "gte needs a number field; template is text",
        ),
        (
            "        - {field: age, gte: 5}",
            "        - {field: age, between: [9, 5]}",
            "low 9 is greater than high 5",
        ),
        ('    snomed: "1362511000000107"', "    snomed: abc", "is not a SNOMED CT code"),
        ("  answers.duration_days: {type: number}", "  answers.duration_days: {}", "say its type"),
    ],
)
def test_errors_are_located_and_helpful(write_sop, old: str, new: str, expected: str) -> None:
    path = write_sop(replace={old: new})
    found = messages(path)
    assert any(expected in m for m in found), found
    assert all(m.startswith(f"{path}:") for m in found)


def test_duplicate_key_in_a_sop_is_an_error(write_sop) -> None:
    path = write_sop(replace={"  owner: Hub lead\n": "  owner: Hub lead\n  owner: Someone\n"})
    (msg,) = messages(path)
    assert ":8:3: error: duplicate key 'owner': first on line 7, again on line 8" in msg


def test_warnings(write_sop) -> None:
    text = (
        BASE.replace("  review_by: 2030-01-01", "  review_by: 2026-06-01")
        .replace(
            "  - id: gp_urgent\n",
            "  - id: pf_any_sore_throat\n"
            "    when: {field: template, eq: sore_throat}\n"
            "    category: signpost\n    destination: Pharmacy\n"
            "    destination_code: COMMUNITY_PHARMACY\n"
            "    urgency: routine\n"
            "    because: shadowed below\n"
            "  - id: pf_sore_throat_older\n"
            "    when: {all: [{field: template, eq: sore_throat}, {field: age, gte: 60}]}\n"
            "    category: signpost\n    destination: Pharmacy\n"
            "    destination_code: COMMUNITY_PHARMACY\n"
            "    urgency: routine\n"
            "    because: never reached\n"
            "  - id: gp_urgent\n",
        )
        .replace("  free_text: {}\n", "  free_text: {}\n  practice: {}\n")
    )
    found = messages(write_sop(text))
    joined = "\n".join(found)
    assert "warning: sop.review_by 2026-06-01 is in the past" in joined
    assert "pf_sore_throat_older) can never be suggested: pf_any_sore_throat" in joined
    assert "inputs.practice: declared but never used" in joined


def test_age_gap_warning(write_sop) -> None:
    text = BASE.replace(
        "  - id: gp_urgent\n",
        "  - id: child\n"
        "    when: {all: [{field: template, eq: x}, {field: age, between: [1, 11]}]}\n"
        "    category: clinical\n    destination: A\n    destination_code: GP_ROUTINE\n"
        "    urgency: routine\n    because: a\n"
        "  - id: adult\n"
        "    when: {all: [{field: template, eq: x}, {field: age, between: [18, 64]}]}\n"
        "    category: clinical\n    destination: B\n    destination_code: GP_ROUTINE\n"
        "    urgency: routine\n    because: b\n"
        "  - id: gp_urgent\n",
    )
    assert any("gap between 11 and 18" in m for m in messages(write_sop(text)))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    destination_code: GP_ROUTINE\n",
            "",
            ":53:5: error: routes[2] (gp_routine): destination_code is missing: every route "
            "needs one, the code returns count it under — one of the destination codes in "
            "docs/sop-authoring.md, e.g. destination_code: GP_ROUTINE",
        ),
        (
            "    destination: GP routine\n    destination_code: GP_ROUTINE\n",
            "    destination: Dr Who's garden shed\n",
            "routes[2] (gp_routine): destination_code is missing: every route needs one, the "
            "code returns count it under — one of the destination codes in "
            "docs/sop-authoring.md (OTHER if none fits)",
        ),
        (
            "    destination_code: GP_SAME_DAY\n",
            "    destination_code: GP_SAMEDAY\n",
            ":49:23: error: routes[1] (gp_urgent): destination_code 'GP_SAMEDAY' is not one of "
            "the destination codes (docs/sop-authoring.md lists them); did you mean 'GP_SAME_DAY'?",
        ),
        (
            "    destination_code: COMMUNITY_PHARMACY\n",
            "    destination_code: Community pharmacy\n",
            "routes[0] (pf_sore_throat): destination_code 'Community pharmacy' is malformed: a "
            "destination code is UPPER_SNAKE_CASE: capital letters, digits and _; did you mean "
            "'COMMUNITY_PHARMACY'?",
        ),
        (
            "    destination_code: COMMUNITY_PHARMACY\n",
            "    destination_code: " + "A" * 41 + "\n",
            "is malformed: a destination code is at most 40 characters",
        ),
        (
            "    destination_code: COMMUNITY_PHARMACY\n",
            "    destination_code: 999\n",
            "routes[0].destination_code: Input should be a valid string",
        ),
        (
            "    destination_code: COMMUNITY_PHARMACY\n",
            "    destination_code: COMMUNITY_PHARMACY\n    destination_cod: X\n",
            "routes[0].destination_cod: unknown key; did you mean 'destination_code'?",
        ),
    ],
)
def test_destination_codes_are_checked(write_sop, old: str, new: str, expected: str) -> None:
    path = write_sop(replace={old: new})
    sop, problems = load_sop(path, date(2026, 11, 23))
    found = [str(p) for p in problems]
    assert sop is None
    assert any(expected in m for m in found), found
    assert all(m.startswith(f"{path}:") for m in found)


def test_every_shipped_route_has_a_destination_code() -> None:
    from ehub_tui.domain.destinations import DESTINATION_CODES

    shipped = load_set([Path(__file__).resolve().parents[2] / "sops"], date(2026, 11, 23))
    assert shipped.ok, shipped.errors
    routes = [r.spec for s in shipped.sops for r in s.routes]
    assert len(routes) > 100
    assert all(r.destination_code in DESTINATION_CODES for r in routes)


def test_set_checks(write_sop, tmp_path: Path) -> None:
    write_sop()
    write_sop(name="second", replace={"  id: demo": "  id: demo", "priority: 10": "priority: 5"})
    s = load_set([tmp_path], date(2026, 11, 23))
    text = "\n".join(str(p) for p in s.problems)
    assert "sop.id 'demo' is also used by" in text
    assert "must be unique across the set" in text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "must be a mapping"),
        ("- just\n- a list\n", "must be a mapping"),
        ("sop: [\n", "YAML syntax"),
        ("sop: {id: x}\nextra: 1\n", "extra: unknown key"),
    ],
)
def test_broken_files(tmp_path: Path, text: str, words: str) -> None:
    p = tmp_path / "x.sop.yaml"
    p.write_text(text)
    found = messages(p)
    assert found and any(words in m for m in found), found


def test_binary_file(tmp_path: Path) -> None:
    p = tmp_path / "x.sop.yaml"
    p.write_bytes(b"\xff\xfe\x00bad")
    assert "not UTF-8" in messages(p)[0]


def test_the_authoring_guide_lists_every_destination_code() -> None:
    import re

    from ehub_tui.domain.destinations import DESTINATION_CODES

    guide = Path(__file__).resolve().parents[2] / "docs" / "sop-authoring.md"
    section = guide.read_text(encoding="utf-8").split("### Destination codes", 1)[1]
    table = section.split("\n\n")[2]
    assert re.findall(r"^\|[^|]*\| `([A-Z0-9_]+)` \|", table, re.M) == list(DESTINATION_CODES)


def test_versions_published_before_codes_still_load_with_a_warning(
    write_sop, tmp_path: Path
) -> None:
    """Upgrading ehub-tui must not take away the guidance of a version approved and published
    before routes had codes: for such versions a missing code is a warning (its outcomes count
    by its words' service name); a file being written or published still needs every code."""
    from ehub_tui.sop.loader import load_sop_bytes, load_texts

    old = BASE.replace("    destination_code: GP_SAME_DAY\n", "")
    path = write_sop(old)
    sop, problems = load_sop_bytes(path, old.encode(), date(2026, 11, 23), codes_required=False)
    assert sop is not None and [p.severity for p in problems] == ["warning"]
    assert (
        "routes[1] (gp_urgent): destination_code is missing (a version published before routes "
        "had codes): returns count its outcomes as OTHER until a version with codes is "
        "published" in str(problems[0])
    )
    route = sop.route("gp_urgent")
    assert route is not None and route.spec.destination_code is None
    published = load_texts([(Path("demo.sop.yaml"), old.encode())], codes_required=False)
    assert published.ok and published.warnings
    assert not load_texts([(Path("demo.sop.yaml"), old.encode())]).ok
    # a folder where one file is a published version and one is new
    write_sop(name="second", replace={"  id: demo": "  id: second", "priority: 10": "priority: 5",
        "rf_chest": "rf_chest2", "id: pf_sore_throat": "id: pf2", "id: gp_urgent": "id: gpu2",
        "id: gp_routine": "id: gpr2", "    destination_code: GP_ROUTINE\n": ""})  # fmt: skip
    mixed = load_set([tmp_path], date(2026, 11, 23), published={"demo.sop.yaml"})
    assert [str(p).split(": ", 1)[1] for p in mixed.errors] == [
        "error: routes[2] (gpr2): destination_code is missing: every route needs one, the code "
        "returns count it under — one of the destination codes in docs/sop-authoring.md, e.g. "
        "destination_code: GP_ROUTINE"
    ]
    assert any("gp_urgent" in str(p) for p in mixed.warnings)


def test_integers_follow_yaml_1_2() -> None:
    """A leading zero is decimal, a time is text, 0o/0x are octal/hex (1.1 would say 8, 1020)."""
    got = load_yaml("a: 010\nb: 17:00\nc: 0o17\nd: 0x1F\ne: 1_000\nf: -5\ng: yes\n")
    assert got == {"a": 10, "b": "17:00", "c": 15, "d": 31, "e": "1_000", "f": -5, "g": "yes"}


def test_aliases_nested_inside_each_other_are_refused_quickly() -> None:
    # "a billion laughs": nine levels of nine aliases is 9**9 values from under 1 KB of text
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    with pytest.raises(YamlError, match="expands to more than 200,000 values") as caught:
        load_yaml("\n".join(lines))
    assert caught.value.mark is not None
    # a modest use of an alias is still fine
    assert load_yaml("x: &x [1, 2]\ny: *x") == {"x": [1, 2], "y": [1, 2]}
