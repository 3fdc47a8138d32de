"""Filling a route's patient message template with the consultation's details.

What each placeholder becomes is decided here, not by the template author, so every message
follows the same grammar (tests/sop/test_message_grammar.py renders every shipped template):

- ``{greeting}``: "Hello Sam," to an adult; to the parent or guardian of a child under 16
  "Hello, this message is about Maisie." (the next word then gets its capital letter);
- ``{timescale}``: from the route's urgency, read on the hub's clock with its core hours, working
  days and bank holidays (see ``timescale``), so a message can never promise a different time
  from the route, nor "today" on a Saturday night;
- ``{safety_net}``: "If you get worse, call NHS 111…" for clinical, signposting and escalation
  routes ("If this cannot wait until then…" when a same-day need waits for the hub to open),
  and nothing at all on admin replies (a repeat prescription is not an illness);
- ``{destination}``: who the patient will hear from in plain words ("a GP", "our clinical
  pharmacist"), from the route's destination code — never a code, never brackets.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ehub_tui.domain.clock import DEFAULT_CORE_HOURS, LONDON, CoreHours
from ehub_tui.domain.patient import age_years
from ehub_tui.sop.models import PLACEHOLDERS

WORDS = {
    "uti": "urinary tract infection",
    "acute_otitis_media": "ear infection",
    "infected_insect_bite": "infected insect bite",
    "msk": "muscle or joint problem",
    "general_clinical": "condition",  # a general request: "treat this condition"
}

CHILD_UNDER = 16  # below this age the message is written to a parent or guardian

# urgency -> the words a message uses for when the patient will hear (or be seen)
TIMESCALES = {
    "immediate": "very shortly",
    "same_day": "today",
    "within_24h": "within 24 hours",
    "within_48h": "within 2 working days",
    "within_3_days": "within 3 working days",
    "within_5_days": "within 5 working days",
    "routine": "in the next few weeks",
}
NO_URGENCY = "as soon as we can"
# urgencies counted in working days: how many, from the working day the request counts as sent
WORKING_DAYS = {"within_24h": 1, "within_48h": 2, "within_3_days": 3, "within_5_days": 5}

# destination code -> who or where, as a patient reads it (fits "passed your request to …" and
# "… will contact you"); OTHER and unknown codes fall back to the route's own words
PLAIN_DESTINATIONS = {
    "DUTY_CLINICIAN_NOW": "the duty clinician",
    "EMERGENCY_999": "the emergency services",
    "MENTAL_HEALTH_CRISIS": "the mental health crisis team",
    "GP_SAME_DAY": "a GP",
    "GP_ROUTINE": "a GP",
    "ANP_MINOR_ILLNESS": "an advanced nurse practitioner",
    "CLINICAL_PHARMACIST": "our clinical pharmacist",
    "FIRST_CONTACT_PHYSIO": "a physiotherapist",
    "MENTAL_HEALTH_PRACTITIONER": "a mental health practitioner",
    "CARE_HOME_TEAM": "the care home team",
    "PRACTICE_NURSE": "a practice nurse",
    "SOCIAL_PRESCRIBER": "a social prescribing link worker",
    "ARI_HUB": "the respiratory infection hub",
    "URGENT_EYE_CARE": "the urgent eye care service",
    "MATERNITY": "the maternity team",
    "HEALTH_VISITOR": "a health visitor",
    "COMMUNITY_PHARMACY": "a community pharmacist",
    "SELF_CARE": "the NHS website and your pharmacist",
    "NHS_111": "NHS 111",
    "URGENT_TREATMENT_CENTRE": "an urgent treatment centre",
    "OPTOMETRIST": "a local optician",
    "DENTIST": "your dentist",
    "URGENT_DENTAL_CARE": "urgent dental care through NHS 111",
    "SEXUAL_HEALTH_CLINIC": "the sexual health clinic",
    "CONTRACEPTION_CLINIC": "the contraception clinic",
    "MSK_SELF_REFERRAL": "NHS physiotherapy",
    "TALKING_THERAPIES": "NHS Talking Therapies",
    "STOP_SMOKING": "the stop-smoking service",
    "CITIZENS_ADVICE": "Citizens Advice",
    "SELF_CERTIFICATION": "your employer",
    "FIT_NOTE": "the practice team",
    "REPEAT_PRESCRIPTION": "our prescriptions team",
    "TEST_RESULTS": "the practice team",
    "LETTERS_AND_FORMS": "the practice team",
    "REFERRAL_STATUS": "our referrals team",
    "MEDICAL_RECORDS": "our records team",
    "REGISTRATION": "reception",
    "APPOINTMENT_ADMIN": "reception",
    "PRACTICE_MANAGER": "the practice manager",
    "PRACTICE_ADMIN": "the admin team",
}

_BRACKETED = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_GREETING_END = "\x00"  # marks where {greeting} ended while the text is tidied


def condition_words(template: str | None) -> str:
    """A template id in words: ``sore_throat`` → ``sore throat``, ``uti`` → ``urinary …``."""
    if template in WORDS:
        return WORDS[template]
    return (template or "condition").replace("_", " ").replace("-", " ").strip()


def day_words(day: date) -> str:
    """A day as a patient reads it: ``Monday 7 December``."""
    return f"{day:%A} {day.day} {day:%B}"


def timescale(
    urgency: str | None,
    when: date | datetime | None = None,
    hours: CoreHours | None = None,
) -> str:
    """When the patient will hear, in words, for an urgency, on the hub's clock ``when``.

    While the hub is open (a working day, before the end of core hours: the day the response
    standard counts the request as sent, domain/clock.py) the urgency's own words are true as
    they stand: "today", "within 24 hours" (when tomorrow is a working day), "within 3 working
    days". Otherwise the words would be false or ambiguous (a Saturday night, a bank holiday, an
    evening), so the day is named, counted in working days from the next working day:
    "on Monday 7 December" for a same-day urgency, "by the end of Wednesday 9 December" for the
    others. ``immediate`` always says "very shortly": a red flag is acted on now by whoever is
    on duty, and a patient must never read that an emergency waits for Monday. ``routine`` and
    no urgency name no day. ``when`` as a date only (no time known) counts a working day as
    open; None gives the urgency's words alone."""
    words = TIMESCALES.get(urgency or "", NO_URGENCY)
    if when is None or (urgency != "same_day" and urgency not in WORKING_DAYS):
        return words
    hours = hours or DEFAULT_CORE_HOURS
    today, open_now = _open_now(when, hours)
    counted = today if open_now else hours.next_working_day(today)
    if urgency == "same_day":
        return words if open_now else f"on {day_words(counted)}"
    # "within 24 hours" only when the 24 hours end on a working day (not on Friday)
    if open_now and (urgency != "within_24h" or hours.is_working_day(today + timedelta(days=1))):
        return words
    last = counted
    for _ in range(WORKING_DAYS[str(urgency)]):
        last = hours.next_working_day(last)
    return f"by the end of {day_words(last)}"


def _open_now(when: date | datetime, hours: CoreHours) -> tuple[date, bool]:
    """The hub's local day at ``when`` and whether it is open then (a working day, before the
    end of core hours); a date alone counts a working day as open."""
    if isinstance(when, datetime):
        local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(LONDON)
        return local.date(), hours.is_working_day(local.date()) and local.time() < hours.end
    return when, hours.is_working_day(when)


def waits_for_opening(
    urgency: str | None, when: date | datetime | None, hours: CoreHours | None = None
) -> bool:
    """True when a same-day or 24-hour urgency is sent while the hub is closed (an evening, a
    weekend, a bank holiday), so the patient will not hear until the next working day."""
    if when is None or urgency not in ("same_day", "within_24h"):
        return False
    return not _open_now(when, hours or DEFAULT_CORE_HOURS)[1]


def plain_destination(code: str | None, text: str = "") -> str:
    """Who the patient will hear from in plain words: from the code when it has words, else the
    route's text with anything in brackets taken out ("GP (controlled drug …)" → "GP")."""
    if code in PLAIN_DESTINATIONS:
        return PLAIN_DESTINATIONS[code]
    plain = text
    while True:  # innermost brackets first, so nested ones go too
        shorter = _BRACKETED.sub("", plain)
        if shorter == plain:
            break
        plain = shorter
    plain = plain.replace("(", "").replace(")", "").replace("[", "").replace("]", "")
    plain = plain.split(":")[0].replace("_", " ").strip(" ,;—-")
    return plain or "the practice team"


def patient_age(consultation: Mapping[str, Any], today: date | None = None) -> int | None:
    """The patient's age in whole years on ``today`` (None when the date of birth is missing)."""
    dob = consultation.get("date_of_birth")
    if isinstance(dob, str):
        try:
            dob = date.fromisoformat(dob[:10])
        except ValueError:
            return None
    if not isinstance(dob, date):
        return None
    # the age only chooses the greeting, so the local date will do when a caller has no clock
    return age_years(dob, today or date.today())


def greeting(first_name: str, age: int | None) -> str:
    """``Hello Sam,`` to an adult; to a child's parent or guardian a sentence about the child."""
    if age is not None and age < CHILD_UNDER:
        return f"Hello, this message is about {first_name or 'your child'}."
    return f"Hello {first_name}," if first_name else "Hello,"


def safety_net(
    first_name: str,
    age: int | None,
    category: str | None,
    urgency: str | None,
    hub_phone: str = "",
    waits: bool = False,
) -> str:
    """What to do if things get worse — nothing on an admin reply.

    ``waits``: a same-day or 24-hour need sent while the hub is closed (waits_for_opening). The
    patient is told the day they will hear, so they are also told plainly where to go if it
    cannot wait that long: NHS 111 now, not only "if you get worse" (trial 15d: a baby with
    fewer wet nappies read only that a GP would call on Monday)."""
    if category == "admin":
        return ""
    child = age is not None and age < CHILD_UNDER
    who = (first_name or "your child") if child else "you"
    if urgency == "immediate":
        if child:
            return f"If {who} is getting worse quickly or has trouble breathing, call 999 now."
        return "If you are getting worse quickly, have chest pain or cannot breathe, call 999 now."
    worse = f"If {who} gets worse" if child else "If you get worse"
    if waits:
        return (
            "If this cannot wait until then, or "
            + (f"{who} gets" if child else "you get")
            + " worse, call NHS 111 now, or 999 in an emergency."
        )
    if urgency in ("same_day", "within_24h") or not hub_phone:
        return f"{worse}, call NHS 111, or 999 in an emergency."
    return f"{worse}, call the hub on {hub_phone} or NHS 111, or 999 in an emergency."


def message_context(
    consultation: Mapping[str, Any],
    *,
    destination: str = "",
    destination_code: str | None = None,
    practice_name: str = "",
    hub_phone: str = "",
    category: str | None = None,
    urgency: str | None = None,
    age: int | None = None,
    today: date | None = None,
    pathway: str | None = None,
    now: datetime | None = None,
    hours: CoreHours | None = None,
) -> dict[str, str]:
    """The values of every placeholder for one consultation sent along one route.

    ``category`` and ``urgency`` are the route's (or the outcome's, when the navigator changed the
    urgency); ``age`` is worked out from the date of birth on ``today`` when not given;
    ``pathway`` is the condition the navigator took from the text, when the request's own
    template does not name one; ``now`` (the hub's clock) and ``hours`` (its core hours) decide
    the timescale's words — without ``now`` it is read on ``today`` alone."""
    if today is None and now is not None:
        today = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(LONDON).date()
    given = str(consultation.get("given_name") or "").strip()
    first = given.split()[0] if given else ""
    if age is None:
        age = patient_age(consultation, today)
    return {
        "greeting": greeting(first, age),
        "first_name": first or "there",
        "practice_name": practice_name or str(consultation.get("practice_ods") or "your practice"),
        "destination": plain_destination(destination_code, destination),
        "condition": condition_words(pathway or consultation.get("template")),
        "timescale": timescale(urgency, now or today, hours),
        "safety_net": safety_net(
            first, age, category, urgency, hub_phone, waits_for_opening(urgency, now, hours)
        ),
        "hub_phone": hub_phone or "your practice's usual number",
    }


def render_message(template: str, context: Mapping[str, str]) -> str:
    """Fill the placeholders (the loader has already refused unknown ones) and tidy the result:
    a greeting that ends a sentence gives the next word its capital letter, and an empty
    placeholder (no safety net on an admin reply) leaves no doubled space behind."""
    values = {name: context.get(name, "") for name in PLACEHOLDERS}
    values["greeting"] = values["greeting"] + _GREETING_END
    text = string.Formatter().vformat(template, (), values)
    text = re.sub(r"\.\x00(\s*)([a-z])", lambda mt: f".{mt.group(1)}{mt.group(2).upper()}", text)
    text = text.replace(_GREETING_END, "")
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([.,;:!?])", r"\1", text)
    return text.strip()
