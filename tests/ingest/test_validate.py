"""Validating OC fields: every rule, normalisation, time zones and priority."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehub_tui.domain.fields import REQUIRED_FIELDS
from ehub_tui.domain.nhs import make_test_nhs_number, nhs_number_problem
from ehub_tui.ingest.parsers import read_file
from ehub_tui.ingest.records import OCRecord
from ehub_tui.ingest.validate import validate

TODAY = date(2026, 11, 20)
KNOWN = {"Z99001", "Z99002"}
NHS = make_test_nhs_number(7)


def good(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": " eConsult ",
        "external_id": "EC-1",
        "practice_ods": "z99001",
        "nhs_number": f"{NHS[:3]} {NHS[3:6]} {NHS[6:]}",
        "given_name": " Ann ",
        "family_name": "Lee ",
        "date_of_birth": "1980-01-02",
        "sex": "Female",
        "received_at": "2026-11-20T09:14:00Z",
        "request_type": " Clinical",
        "template": "sore_throat",
        "answers": {"duration_days": 3, "fever": True, "notes": " a bit "},
        "free_text": "  sore throat since Monday \n",
        "supplier_flags": [" Urgent", "", "SAFEGUARDING", "urgent"],
    }
    data.update(overrides)
    return data


def check(**overrides: Any) -> tuple[OCRecord | None, list[str]]:
    return validate(good(**overrides), KNOWN, TODAY)


def problems_of(**overrides: Any) -> list[str]:
    rec, problems = check(**overrides)
    assert rec is None
    assert problems
    return problems


def test_valid_record_is_normalised() -> None:
    rec, problems = check()
    assert problems == []
    assert rec == OCRecord(
        source="eConsult",
        external_id="EC-1",
        practice_ods="Z99001",
        nhs_number=NHS,
        given_name="Ann",
        family_name="Lee",
        date_of_birth=date(1980, 1, 2),
        sex="female",
        received_at=datetime(2026, 11, 20, 9, 14, tzinfo=UTC),
        request_type="clinical",
        template="sore_throat",
        answers={"duration_days": 3, "fever": "yes", "notes": "a bit"},
        free_text="sore throat since Monday",
        supplier_flags=("urgent", "safeguarding"),
    )
    assert rec.priority == 1


def test_optional_fields_may_be_absent() -> None:
    data = good()
    for key in ("given_name", "template", "answers", "free_text", "supplier_flags"):
        del data[key]
    rec, problems = validate(data, KNOWN, TODAY)
    assert problems == []
    assert rec is not None
    assert (rec.given_name, rec.template, rec.answers, rec.free_text, rec.supplier_flags) == (
        "",
        None,
        {},
        "",
        (),
    )


def test_empty_template_becomes_none() -> None:
    rec, _ = check(template="  ")
    assert rec is not None and rec.template is None


@pytest.mark.parametrize("field", [f for f in REQUIRED_FIELDS if f != "nhs_number"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_each_required_field_missing(field: str, value: Any) -> None:
    assert problems_of(**{field: value}) == [f"{field} is missing"]


def test_missing_nhs_number() -> None:
    assert problems_of(nhs_number="") == ["NHS number is missing"]


def test_every_problem_is_reported_at_once() -> None:
    rec, problems = validate({}, KNOWN, TODAY)
    assert rec is None
    assert len(problems) == len(REQUIRED_FIELDS)
    assert "NHS number is missing" in problems
    assert "family_name is missing" in problems


def test_several_different_problems() -> None:
    problems = problems_of(sex="robot", date_of_birth="2030-01-01", practice_ods="Z99999")
    assert problems == [
        "practice Z99999 is not known to this hub",
        "date_of_birth is in the future",
        "sex is not one of male, female, other or unknown",
    ]


def test_nhs_number_check_digit() -> None:
    bad = NHS[:9] + str((int(NHS[9]) + 1) % 10)
    assert problems_of(nhs_number=bad) == ["NHS number fails the Modulus 11 check digit"]
    assert "digits" in problems_of(nhs_number="12345")[0]
    assert "characters other than digits" in problems_of(nhs_number="999ABC1234")[0]


def test_nhs_number_as_a_json_number_is_accepted() -> None:
    rec, _ = check(nhs_number=int(NHS))
    assert rec is not None and rec.nhs_number == NHS


@pytest.mark.parametrize(
    ("dob", "message"),
    [
        ("02/01/1980", "date_of_birth is not a date in the form YYYY-MM-DD"),
        ("1980-1-2", "date_of_birth is not a date in the form YYYY-MM-DD"),
        ("1980", "date_of_birth is not a date in the form YYYY-MM-DD"),
        ("19800102", "date_of_birth is not a date in the form YYYY-MM-DD"),
        ("1980-01-02T00:00", "date_of_birth is not a date in the form YYYY-MM-DD"),
        ("2021-02-29", "date_of_birth is not a real date"),
        ("2021-13-01", "date_of_birth is not a real date"),
        ("2026-11-21", "date_of_birth is in the future"),
        ("1899-12-31", "date_of_birth is before 1900"),
        (
            "١٩٨٠-٠١-٠٢",
            "date_of_birth is not a date in the form YYYY-MM-DD; date_of_birth has digits other "
            "than the ASCII digits 0-9",
        ),
    ],
)
def test_date_of_birth_rules(dob: str, message: str) -> None:
    assert problems_of(date_of_birth=dob) == [message]
    assert dob not in message  # a date of birth is never quoted


@pytest.mark.parametrize("dob", ["2026-11-20", "1900-01-01", "2024-02-29"])
def test_date_of_birth_edges_accepted(dob: str) -> None:
    rec, problems = check(date_of_birth=dob)
    assert problems == []
    assert rec is not None and rec.date_of_birth == date.fromisoformat(dob)


def test_unknown_practice() -> None:
    assert problems_of(practice_ods="Z99999") == ["practice Z99999 is not known to this hub"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("male", "male"),
        ("FEMALE", "female"),
        (" Other ", "other"),
        ("unknown", "unknown"),
        ("M", "male"),
        ("f", "female"),
        ("U", "unknown"),
    ],
)
def test_sex_values(given: str, expected: str) -> None:
    rec, _ = check(sex=given)
    assert rec is not None and rec.sex == expected


def test_bad_sex() -> None:
    assert problems_of(sex="x") == ["sex is not one of male, female, other or unknown"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [("clinical", "clinical"), ("ADMIN", "admin"), ("Administrative", "admin"), ("other", "other")],
)
def test_request_type_values(given: str, expected: str) -> None:
    rec, _ = check(request_type=given)
    assert rec is not None and rec.request_type == expected


def test_bad_request_type() -> None:
    assert problems_of(request_type="repeat") == [
        "request_type is not one of clinical, admin or other"
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-07-01T10:00", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),  # BST
        ("2026-07-01T10:00:00", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),
        ("2026-07-01 10:00:00", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),
        ("2026-12-01T10:00:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),  # GMT
        ("2026-07-01T10:00:00Z", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
        ("2026-07-01T10:00:00+02:00", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        ("2026-07-01T10:00:00.250-05:00", datetime(2026, 7, 1, 15, 0, 0, 250000, tzinfo=UTC)),
        ("2026-10-25T01:30:00", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # repeated hour: BST
        ("2026-03-29T01:30:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # skipped hour: GMT
    ],
)
def test_received_at_is_converted_to_utc(given: str, expected: datetime) -> None:
    rec, problems = check(received_at=given)
    assert problems == []
    assert rec is not None
    assert rec.received_at == expected
    assert rec.received_at.utcoffset() is not None
    assert rec.received_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("yesterday", "is not an ISO 8601 date and time"),
        ("2026-13-01T10:00:00Z", "is not a real date"),
        ("2026-11-31T09:00:00Z", "is not a real date"),
        ("2026-11-20T25:00:00Z", "is not an ISO 8601 date and time"),
        ("20/11/2026 09:14", "is not an ISO 8601 date and time"),
        ("2026-11-20", "has a date but no time"),
    ],
)
def test_bad_received_at(given: str, fragment: str) -> None:
    [problem] = problems_of(received_at=given)
    assert problem.startswith("received_at ")
    assert fragment in problem and given not in problem


def test_received_at_out_of_range() -> None:
    [problem] = problems_of(received_at="0001-01-01T00:00:00+05:00")
    assert "out of range" in problem


def test_answers_normalised() -> None:
    answers = {
        " fever ": True,
        "rash": False,
        "temp": 38.2,
        "days": 3,
        "symptoms": ["cough", True, 2, " wheeze "],
        "skipped": None,
        "pregnant": "yes",
    }
    rec, _ = check(answers=answers)
    assert rec is not None
    assert rec.answers == {
        "fever": "yes",
        "rash": "no",
        "temp": 38.2,
        "days": 3,
        "symptoms": ["cough", "yes", 2, "wheeze"],
        "pregnant": "yes",
    }


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ([1, 2], "answers must be a JSON object of question ids and answers, not a list"),
        ("fever=yes", "answers must be a JSON object"),
        ({"x": {"nested": 1}}, "answer 'x' is a JSON object; answers must be text"),
        ({"x": [["a"]]}, "answer 'x' is a list holding a list"),
        ({"x": [None]}, "answer 'x' is a list holding null"),
        ({"x": float("nan")}, "answer 'x' is a number that is not finite"),
        ({"  ": "a"}, "answers has a question with an empty id"),
    ],
)
def test_bad_answers(answers: Any, fragment: str) -> None:
    [problem] = problems_of(answers=answers)
    assert fragment in problem


def test_supplier_flags() -> None:
    rec, _ = check(supplier_flags="Emergency; urgent;;")
    assert rec is not None and rec.supplier_flags == ("emergency", "urgent")
    assert rec.priority == 2
    assert problems_of(supplier_flags=5) == ["supplier_flags must be a list of text, not a number"]
    assert problems_of(supplier_flags=["ok", 3]) == [
        "supplier_flags holds a number; each flag must be text"
    ]


def test_non_text_fields() -> None:
    assert problems_of(family_name=["Lee"]) == ["family_name must be text, not a list"]
    assert problems_of(source={"a": 1}) == ["source must be text, not a JSON object"]
    assert problems_of(nhs_number=True) == ["nhs_number must be text, not true/false"]
    rec, _ = check(external_id=12345)
    assert rec is not None and rec.external_id == "12345"


def test_unstorable_text() -> None:
    [problem] = problems_of(family_name="Lee\ud800")
    assert "cannot be stored" in problem
    [problem] = problems_of(free_text="a\x00b")
    assert "cannot be stored" in problem


@pytest.mark.parametrize(
    ("flags", "priority"),
    [((), 0), (("safeguarding",), 0), (("URGENT",), 1), (("Urgent", "EMERGENCY"), 2)],
)
def test_priority(flags: tuple[str, ...], priority: int) -> None:
    rec, _ = check()
    assert rec is not None
    assert replace(rec, supplier_flags=flags).priority == priority


def test_known_practices_may_be_any_container() -> None:
    rec, _ = validate(good(), frozenset({"Z99001"}), TODAY)
    assert rec is not None
    rec, _ = validate(good(), ["Z99001"], TODAY)
    assert rec is not None


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from([*REQUIRED_FIELDS, "answers", "supplier_flags", "template", "free_text"]),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=30)
        | st.lists(st.text(max_size=5) | st.integers() | st.none(), max_size=3)
        | st.dictionaries(st.text(max_size=5), st.text(max_size=5) | st.floats(), max_size=3),
    )
)
def test_validate_never_raises(overrides: dict[str, Any]) -> None:
    rec, problems = check(**overrides)
    assert (rec is None) == bool(problems)
    assert all(isinstance(p, str) and p for p in problems)


# --------------------------------------------------------------------------------------------
# From file to record


def test_csv_file_to_validated_records(tmp_path: Path) -> None:
    header = (
        "source,external_id,practice_ods,nhs_number,given_name,family_name,date_of_birth,sex,"
        "received_at,request_type,template,answers,free_text,supplier_flags"
    )
    answers = json.dumps({"fever": True}).replace('"', '""')
    rows = [
        f'PATCHS,P-1,Z99002,{NHS},Bo,Kim,2001-05-06,M,2026-07-01T10:00,admin,fit_note,"{answers}",'
        '"I need a fit note,\nplease",EMERGENCY',
        f"PATCHS,P-2,Z99003,{NHS},Bo,Kim,2001-05-06,M,2026-07-01T10:00,admin,,,,",
    ]
    path = tmp_path / "patchs.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    first, second = read_file(path)
    assert first.data is not None and second.data is not None
    rec, problems = validate(first.data, KNOWN, TODAY)
    assert problems == []
    assert rec is not None
    assert rec.received_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert rec.answers == {"fever": "yes"}
    assert rec.free_text == "I need a fit note,\nplease"
    assert rec.priority == 2
    assert second.location == "line 4"
    assert validate(second.data, KNOWN, TODAY) == (
        None,
        ["practice Z99003 is not known to this hub"],
    )


@settings(max_examples=500)
@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_nhs_number_quick_path_agrees_with_the_domain_rule(digits: str) -> None:
    rec, _ = check(nhs_number=digits)
    assert (rec is not None) == (nhs_number_problem(digits) is None)
    if rec is not None:
        assert rec.nhs_number == digits


# --------------------------------------------------------------------------------------------
# The project's hand-written fixtures (when present)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.skipif(not (FIXTURES / "oc").is_dir(), reason="fixtures/oc not written yet")
def test_fixture_ocs_are_all_valid() -> None:
    import yaml

    from ehub_tui.ingest.parsers import iter_paths

    practices = yaml.safe_load((FIXTURES / "practices.yaml").read_text(encoding="utf-8"))
    known = {p["ods_code"] for p in practices["practices"]}
    problems: list[str] = []
    ids: list[tuple[str, str]] = []
    for path in iter_paths([FIXTURES / "oc"]):
        for raw in read_file(path):
            assert raw.data is not None, f"{path}: {raw.location}: {raw.error}"
            rec, found = validate(raw.data, known, date(2026, 11, 23))
            problems.extend(f"{path}: {raw.location}: {p}" for p in found)
            if rec is not None:
                ids.append((rec.source, rec.external_id))
    assert problems == []
    assert len(ids) == len(set(ids))
