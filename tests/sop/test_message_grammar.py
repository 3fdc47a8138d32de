"""Every patient message of the shipped SOPs, filled in for an adult, a child and an admin
request, reads well: no brackets inside brackets, nothing left unfilled, no internal codes, the
route's own timescale, a parent or guardian greeted for a child, and no "if you get worse" on an
admin reply (while clinical and signposting replies keep it).

The timescale is read on the hub's clock: "today" only while a working day's core hours last
(trial 15b: "will contact you today" at Saturday 20:47); otherwise the working day is named."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ehub_tui.domain.sms import first_non_gsm
from ehub_tui.sop.loader import load_set, load_sop
from ehub_tui.sop.message_rules import (
    rendered_problems,
    route_message_problems,
    template_problems,
    template_warnings,
)
from ehub_tui.sop.messages import (
    TIMESCALES,
    message_context,
    plain_destination,
    render_message,
    safety_net,
    timescale,
)
from ehub_tui.sop.models import PLACEHOLDERS
from tests.conftest import REPO

TODAY = date(2026, 12, 5)
# the hub's clock (UTC; Europe/London is on GMT in winter): a working Monday morning, and the
# times trial 15b and the response standard make awkward
MON_0900 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SAT_2047 = datetime(2026, 12, 5, 20, 47, tzinfo=UTC)
FRI_1745 = datetime(2026, 12, 4, 17, 45, tzinfo=UTC)
BANK_HOLIDAY_MON = datetime(2026, 8, 31, 10, 0, tzinfo=UTC)  # summer bank holiday (BST: 11:00)
HUB_PHONE = "01234 567890"
ADULT = {
    "given_name": "Sam Rivers",
    "date_of_birth": date(1990, 4, 2),
    "template": "sore_throat",
    "practice_ods": "Z99001",
}
CHILD = {
    "given_name": "Maisie",
    "date_of_birth": date(2022, 6, 30),  # four years old
    "template": "acute_otitis_media",
    "practice_ods": "Z99001",
}


@dataclass(frozen=True)
class Use:
    """One route of one SOP and the template it sends."""

    sop: str
    route: Any
    name: str
    template: str


@pytest.fixture(scope="module")
def sops() -> list[Any]:
    s = load_set([REPO / "sops"], TODAY)
    assert s.ok, [str(p) for p in s.errors]
    return list(s.sops)


@pytest.fixture(scope="module")
def uses(sops: list[Any]) -> list[Use]:
    """Every route with a message, with its template found both in its own SOP and the way the
    app finds templates today (by name, the first SOP in priority order that has one)."""
    out = []
    for s in sops:
        for r in s.routes:
            name = r.spec.message
            if not name:
                continue
            out.append(Use(s.id, r.spec, name, s.messages[name]))
            first = next(o.messages[name] for o in sops if name in o.messages)
            out.append(Use(s.id, r.spec, name, first))
    assert len(out) > 200
    return out


def fill(
    template: str,
    who: dict[str, Any],
    route: Any,
    category: str | None = None,
    now: datetime = MON_0900,
) -> tuple[str, dict[str, str]]:
    ctx = message_context(
        who,
        destination=route.destination,
        destination_code=route.destination_code,
        practice_name="Harbour Street Surgery",
        hub_phone=HUB_PHONE,
        category=category or route.category,
        urgency=route.urgency,
        today=TODAY,
        now=now,
    )
    return render_message(template, ctx), ctx


def names(template: str) -> set[str]:
    return {n for _, n, _, _ in string.Formatter().parse(template) if n is not None}


def test_the_placeholders_are_the_documented_ones() -> None:
    doc = (REPO / "docs" / "sop-authoring.md").read_text(encoding="utf-8")
    for name in PLACEHOLDERS:
        assert f"{{{name}}}" in doc, name


def test_every_template_is_written_well(sops: list[Any]) -> None:
    checked = 0
    for s in sops:
        for name, template in s.messages.items():
            where = f"{s.id} messages.{name}"
            assert template_problems(template) == [], where
            assert template_warnings(template) == [], where
            literal = "".join(lit for lit, *_ in string.Formatter().parse(template))
            # one character outside GSM-7 (an em dash, a curly quote) halves what an SMS holds
            assert first_non_gsm(literal) is None, (where, first_non_gsm(literal))
            checked += 1
    assert checked >= 30


def test_every_route_message_reads_well_for_an_adult(uses: list[Use]) -> None:
    for u in uses:
        where = f"{u.sop} {u.route.id} ({u.name})"
        text, ctx = fill(u.template, ADULT, u.route)
        assert rendered_problems(text, category=u.route.category, urgency=u.route.urgency) == [], (
            where,
            text,
        )
        assert route_message_problems(u.template, u.route.urgency, u.route.category) == [], where
        if "greeting" in names(u.template):
            assert text.startswith("Hello Sam, "), (where, text)
        if "timescale" in names(u.template):
            assert TIMESCALES[u.route.urgency] in text, (where, text)
        # the route's own words and code never reach the patient
        assert u.route.destination_code not in text, where
        if "(" in u.route.destination:
            assert u.route.destination not in text, where
        if "safety_net" in names(u.template) and u.route.category != "admin":
            assert ctx["safety_net"] and ctx["safety_net"] in text, (where, text)
        assert "Sam Rivers" not in text  # the first name only


def test_every_route_message_greets_a_childs_parent_or_guardian(uses: list[Use]) -> None:
    for u in uses:
        where = f"{u.sop} {u.route.id} ({u.name})"
        text, _ = fill(u.template, CHILD, u.route)
        assert rendered_problems(text, category=u.route.category, urgency=u.route.urgency) == [], (
            where,
            text,
        )
        assert not re.search(r"\b(?:hello|hi|dear) maisie\b", text, re.IGNORECASE), (where, text)
        if "greeting" in names(u.template):
            assert text.startswith("Hello, this message is about Maisie. "), (where, text)
        # every sentence starts with a capital letter, the one after the greeting too
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            assert not sentence[:1].islower(), (where, sentence)
        assert "If you get worse" not in text, (where, text)  # it is Maisie who might


def test_admin_replies_have_no_safety_netting(uses: list[Use], sops: list[Any]) -> None:
    admin = [u for u in uses if u.route.category == "admin"]
    assert len(admin) >= 20
    for u in admin:
        for who in (ADULT, CHILD):
            text, ctx = fill(u.template, who, u.route)
            assert ctx["safety_net"] == ""
            assert rendered_problems(text, category="admin", urgency=u.route.urgency) == [], (
                u.route.id,
                text,
            )
    # any template at all, sent as an admin reply, loses the safety net it would carry
    route = next(u.route for u in uses if u.route.id == "adm_repeat_prescription")
    for s in sops:
        for name, template in s.messages.items():
            text, ctx = fill(template, ADULT, route, category="admin")
            clinical = safety_net("Sam", 36, "clinical", route.urgency, HUB_PHONE)
            assert clinical not in text, (s.id, name, text)
            assert "{" not in text and "  " not in text, (s.id, name, text)


def test_what_the_issue_saw_now_reads_well(uses: list[Use]) -> None:
    by_id = {u.route.id: u for u in uses}
    cd = by_id["adm_controlled_drug_early"]
    text, _ = fill(cd.template, ADULT, cd.route)
    assert "We have passed your request to a GP, who will contact you today." in text
    assert "((" not in text and "controlled drug" not in text
    # a 3-day route says 3 days, not the 2 its template used to say
    chronic = by_id["pf_sinusitis_chronic"]
    text, _ = fill(chronic.template, ADULT, chronic.route)
    assert "within 3 working days" in text and "2 working days" not in text
    # a repeat prescription reply: no "if you get worse"
    repeat = by_id["adm_repeat_prescription"]
    text, _ = fill(repeat.template, ADULT, repeat.route)
    assert "worse" not in text and "within 2 working days" in text
    # Pharmacy First for a four-year-old: to the parent, about Maisie
    otitis = by_id["pf_otitis"]
    text, _ = fill(otitis.template, CHILD, otitis.route)
    assert text.startswith("Hello, this message is about Maisie. Harbour Street Surgery has")
    assert "treat this ear infection" in text and "If Maisie gets worse" in text


def test_the_age_comes_from_the_date_of_birth_on_the_day() -> None:
    born = {"given_name": "Ali", "date_of_birth": "2010-12-06"}
    on_day_before = message_context(born, today=date(2026, 12, 5))["greeting"]
    on_birthday = message_context(born, today=date(2026, 12, 6))["greeting"]
    assert on_day_before == "Hello, this message is about Ali."  # 15
    assert on_birthday == "Hello Ali,"  # 16
    assert message_context({}, age=4)["greeting"] == "Hello, this message is about your child."
    assert message_context({})["greeting"] == "Hello,"


def test_destinations_in_plain_words() -> None:
    assert plain_destination("GP_SAME_DAY", "GP (controlled drug — early)") == "a GP"
    assert plain_destination("OTHER", "Memory clinic (via GP (letter))") == "Memory clinic"
    assert plain_destination(None, "Duty clinician now: call 999") == "Duty clinician now"
    assert plain_destination(None, "") == "the practice team"


# -- what an SOP author is told -------------------------------------------------------------


def test_template_problems_name_what_to_fix() -> None:
    nested = template_problems("A clinician ({destination} (today)) will call.")
    assert nested and "brackets inside brackets" in nested[0]
    assert "never closed" in template_problems("See us (today.")[0]
    assert "no opening" in template_problems("See us today).")[0]
    assert template_problems("Hi {first_name!r}") == [
        "write the placeholder as {first_name}, with nothing after the name"
    ]
    assert "placeholder" in template_problems("Hi {first_name")[0]
    assert template_problems("A clinician ({destination}) will call {timescale}.") == []
    warned = template_warnings("Hello {first_name}, we will call within 2 working days.")
    assert len(warned) == 2 and "{greeting}" in warned[0] and "{timescale}" in warned[1]


def test_a_written_timescale_must_be_the_routes() -> None:
    assert route_message_problems("We will call within 2 working days.", "within_48h") == []
    problems = route_message_problems("We will call within 2 working days.", "within_3_days")
    assert problems and "within 3 days" in problems[0] and "{timescale}" in problems[0]
    admin = route_message_problems("If you get worse, call 111.", "routine", "admin")
    assert admin and "admin reply" in admin[0] and "'get worse'" in admin[0]
    assert route_message_problems("If you get worse, call 111.", "routine", "clinical") == []


def test_the_loader_refuses_nested_brackets(write_sop: Any, tmp_path: Path) -> None:
    from tests.sop.conftest import BASE

    pf_line = next(line for line in BASE.splitlines() if line.startswith("  pf: "))
    path = write_sop(
        replace={pf_line: '  pf: "{greeting} A pharmacist (Pharmacy First (NHS)) can treat this."'}
    )
    loaded, problems = load_sop(path, today=TODAY)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert loaded is None
    assert any(
        "demo.sop.yaml" in e and "messages.pf" in e and "brackets inside brackets" in e
        for e in errors
    ), errors


def test_the_triage_session_fills_messages_from_the_route() -> None:
    from ehub_tui.triage import LibraryGuidance, TriageSession
    from tests.triage.conftest import NOW, PRACTICES, FakeClaim, Ticks, consultation, shipped_sops

    adult = consultation("throat")
    # the same sore throat from a four-year-old: a clinician, today, told to the parent
    child = adult.model_copy(update={"given_name": "Maisie", "date_of_birth": date(2022, 6, 30)})
    texts = []
    for item in (adult, child):
        s = TriageSession(
            FakeClaim(item.id, 1, "nav1"),
            item,
            LibraryGuidance(shipped_sops(), today=lambda: NOW.date()),
            practice_name=lambda ods: PRACTICES.get(ods, ods),
            hub_phone="01131 234567",
            monotonic=Ticks(),
        )
        s.start(NOW)
        texts.append(s.message_text())
    grown, little = texts
    assert grown.startswith("Hello Sam, Riverside Surgery has looked at your request.")
    assert "usually today" in grown and "If you get worse, call NHS 111" in grown
    assert little.startswith("Hello, this message is about Maisie. Thank you for contacting")
    assert "to an advanced nurse practitioner, who will contact you today." in little
    assert "If Maisie gets worse" in little


# -- the timescale on the hub's clock (trial 15b: "will contact you today" at Saturday 20:47) ------

URGENCIES = (
    "immediate",
    "same_day",
    "within_24h",
    "within_48h",
    "within_3_days",
    "within_5_days",
    "routine",
)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(
            SAT_2047,
            (
                "very shortly",  # an emergency never waits for Monday
                "on Monday 7 December",
                "by the end of Tuesday 8 December",
                "by the end of Wednesday 9 December",
                "by the end of Thursday 10 December",
                "by the end of Monday 14 December",
                "in the next few weeks",
            ),
            id="saturday-20:47",
        ),
        pytest.param(
            FRI_1745,  # still in core hours; 24 hours from now ends on Saturday
            (
                "very shortly",
                "today",
                "by the end of Monday 7 December",
                "within 2 working days",
                "within 3 working days",
                "within 5 working days",
                "in the next few weeks",
            ),
            id="friday-17:45",
        ),
        pytest.param(
            BANK_HOLIDAY_MON,  # counted from Tuesday 1 September
            (
                "very shortly",
                "on Tuesday 1 September",
                "by the end of Wednesday 2 September",
                "by the end of Thursday 3 September",
                "by the end of Friday 4 September",
                "by the end of Tuesday 8 September",
                "in the next few weeks",
            ),
            id="bank-holiday-monday",
        ),
        pytest.param(
            MON_0900,
            (
                "very shortly",
                "today",
                "within 24 hours",
                "within 2 working days",
                "within 3 working days",
                "within 5 working days",
                "in the next few weeks",
            ),
            id="monday-09:00",
        ),
    ],
)
def test_the_timescale_reads_the_hubs_clock(now: datetime, expected: tuple[str, ...]) -> None:
    assert tuple(timescale(u, now) for u in URGENCIES) == expected
    # and the words reach the message: the clinician_today template, for every urgency
    for urgency, words in zip(URGENCIES, expected, strict=True):
        ctx = message_context(ADULT, destination_code="GP_SAME_DAY", urgency=urgency, now=now)
        text = render_message("{greeting} A GP will contact you {timescale}. {safety_net}", ctx)
        assert f"A GP will contact you {words}." in text, text
        if now != MON_0900 and now != FRI_1745:
            assert "today" not in text, text


def test_after_core_hours_today_is_no_longer_promised() -> None:
    fri_1845 = datetime(2026, 12, 4, 18, 45, tzinfo=UTC)
    assert timescale("same_day", fri_1845) == "on Monday 7 December"
    # counted from Monday, the next working day (at 17:45 it was "within 2 working days")
    assert timescale("within_48h", fri_1845) == "by the end of Wednesday 9 December"
    # core hours are the hub's own (an earlier close moves the line)
    from ehub_tui.domain.clock import CoreHours

    early = CoreHours(end=datetime(2026, 1, 1, 17, 0).time())
    assert timescale("same_day", FRI_1745, early) == "on Monday 7 December"
    # without a time, a date alone: a weekend is never "today"
    assert timescale("same_day", date(2026, 12, 5)) == "on Monday 7 December"
    assert timescale("same_day") == "today"  # no clock at all: the urgency's own words


@pytest.mark.parametrize("now", [SAT_2047, FRI_1745, BANK_HOLIDAY_MON], ids=str)
def test_every_route_message_reads_well_out_of_hours(uses: list[Use], now: datetime) -> None:
    for u in uses:
        text, ctx = fill(u.template, ADULT, u.route, now=now)
        where = f"{u.sop} {u.route.id} ({u.name})"
        assert rendered_problems(text, category=u.route.category, urgency=u.route.urgency) == [], (
            where,
            text,
        )
        if "timescale" in names(u.template):
            assert ctx["timescale"] == timescale(u.route.urgency, now), where
            assert ctx["timescale"] in text, (where, text)
        if now is SAT_2047 or now is BANK_HOLIDAY_MON:
            assert not re.search(r"\btoday\b", ctx["timescale"]), (where, text)
