"""Destination codes: the fixed vocabulary a SOP route names where it sends a consultation.

A route's ``destination`` is words for navigators and patients ("GP urgent same-day (frailty)");
its ``destination_code`` is one of the codes below. Returns count outcomes by code only, so no
route text (and nothing a supplier or navigator typed) ever becomes part of a metric name. The
list is documented in docs/sop-authoring.md; adding a code is a code change, reviewed like one.
"""

from __future__ import annotations

import re

OTHER = "OTHER"
# A code's shape: UPPER_SNAKE_CASE, a letter first, at most 40 characters.
CODE_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
MAX_CODE_CHARS = 40

# code -> what it means (in groups: escalation, clinicians, services outside, admin, other).
DESTINATION_CODES: dict[str, str] = {
    # escalation and emergencies
    "DUTY_CLINICIAN_NOW": "the hub's duty clinician, now (an escalation; 999 if life-threatening)",
    "EMERGENCY_999": "the patient is told to call 999 or go to A&E now",
    "MENTAL_HEALTH_CRISIS": "mental health crisis line or team (NHS 111, option 2)",
    # clinicians in the practice or PCN
    "GP_SAME_DAY": "a GP or the duty clinician, today",
    "GP_ROUTINE": "a GP, not today (routine, or within a few days)",
    "ANP_MINOR_ILLNESS": "advanced nurse practitioner minor-illness hub",
    "CLINICAL_PHARMACIST": "the PCN's clinical pharmacist",
    "FIRST_CONTACT_PHYSIO": "first contact physiotherapist",
    "MENTAL_HEALTH_PRACTITIONER": "mental health practitioner",
    "CARE_HOME_TEAM": "the PCN's care-home team",
    "PRACTICE_NURSE": "practice nurse",
    "SOCIAL_PRESCRIBER": "social prescribing link worker",
    "ARI_HUB": "acute respiratory infection hub",
    "URGENT_EYE_CARE": "same-day urgent eye care (eye casualty, urgent MECS slot)",
    "MATERNITY": "maternity triage or maternity self-referral",
    "HEALTH_VISITOR": "health visitor",
    # services outside the practice (signposting)
    "COMMUNITY_PHARMACY": "community pharmacy (including Pharmacy First)",
    "SELF_CARE": "self-care (NHS website, pharmacist advice)",
    "NHS_111": "NHS 111",
    "URGENT_TREATMENT_CENTRE": "urgent treatment centre or minor injuries unit",
    "OPTOMETRIST": "optometrist (Minor Eye Conditions Service)",
    "DENTIST": "the patient's own dentist",
    "URGENT_DENTAL_CARE": "urgent dental care via NHS 111",
    "SEXUAL_HEALTH_CLINIC": "sexual health clinic",
    "CONTRACEPTION_CLINIC": "contraception clinic",
    "MSK_SELF_REFERRAL": "MSK physiotherapy self-referral",
    "TALKING_THERAPIES": "NHS Talking Therapies (self-referral)",
    "STOP_SMOKING": "stop-smoking service",
    "CITIZENS_ADVICE": "Citizens Advice",
    # administration
    "SELF_CERTIFICATION": "self-certification (no fit note needed)",
    "FIT_NOTE": "fit note, new or extended",
    "REPEAT_PRESCRIPTION": "repeat prescription",
    "TEST_RESULTS": "test results query",
    "LETTERS_AND_FORMS": "letters and forms (non-NHS work)",
    "REFERRAL_STATUS": "referral status query",
    "MEDICAL_RECORDS": "medical records or subject access request",
    "REGISTRATION": "registration or change of details",
    "APPOINTMENT_ADMIN": "appointment admin (cancel or rebook)",
    "PRACTICE_MANAGER": "practice manager (feedback and complaints)",
    "PRACTICE_ADMIN": "practice admin team (general enquiry)",
    # anything else
    OTHER: "anywhere else (a local service with no code of its own)",
}

# The routes the engine makes itself when red flags stand (sop/engine.py govern()).
ESCALATION = "DUTY_CLINICIAN_NOW"  # an emergency flag: "Duty clinician now: <the flag's action>"
SAME_DAY = "GP_SAME_DAY"  # an amber flag's minimum: "Same-day clinician (GP urgent same-day)"


def is_code(value: object) -> bool:
    """True when ``value`` is a destination code of the vocabulary."""
    return isinstance(value, str) and value in DESTINATION_CODES


def shape_problem(value: str) -> str | None:
    """Why ``value`` is not shaped like a code (None when it is): UPPER_SNAKE_CASE, at most 40."""
    if len(value) > MAX_CODE_CHARS:
        return f"a destination code is at most {MAX_CODE_CHARS} characters"
    if not CODE_SHAPE.match(value):
        return "a destination code is UPPER_SNAKE_CASE: capital letters, digits and _"
    return None


# -- outcomes recorded without a code ----------------------------------------------------------
# Outcomes recorded before routes had codes (and any recorded by a client that does not send one)
# are counted by their destination's service name, through this fixed table: the names the
# shipped SOPs used. Anything not listed is OTHER, so free text still never reaches a return.
_LEGACY_TEXTS = {
    "gp (controlled drug — early, lost or stolen prescription)": "GP_SAME_DAY",
    "gp (perinatal mental health)": "GP_ROUTINE",
}
_LEGACY_NAMES = {
    "anp minor illness hub": "ANP_MINOR_ILLNESS",
    "appointment admin": "APPOINTMENT_ADMIN",
    "care-home team": "CARE_HOME_TEAM",
    "clinical pharmacist": "CLINICAL_PHARMACIST",
    "community pharmacy": "COMMUNITY_PHARMACY",
    "contraception clinic": "CONTRACEPTION_CLINIC",
    "dentist today": "DENTIST",
    "duty clinician": "GP_SAME_DAY",
    "duty clinician now": "DUTY_CLINICIAN_NOW",
    "first contact physiotherapist": "FIRST_CONTACT_PHYSIO",
    "fit note": "FIT_NOTE",
    "gp routine": "GP_ROUTINE",
    "gp urgent same-day": "GP_SAME_DAY",
    "letters and forms": "LETTERS_AND_FORMS",
    "medical records": "MEDICAL_RECORDS",
    "mental health practitioner": "MENTAL_HEALTH_PRACTITIONER",
    "msk physiotherapy self-referral": "MSK_SELF_REFERRAL",
    "nhs talking therapies": "TALKING_THERAPIES",
    "optometrist": "OPTOMETRIST",
    "own dentist": "DENTIST",
    "practice admin team": "PRACTICE_ADMIN",
    "practice manager": "PRACTICE_MANAGER",
    "referral status": "REFERRAL_STATUS",
    "referral status query": "REFERRAL_STATUS",
    "registration / change of details": "REGISTRATION",
    "repeat prescription": "REPEAT_PRESCRIPTION",
    "same-day clinician": "GP_SAME_DAY",
    "same-day urgent eye care": "URGENT_EYE_CARE",
    "self-care": "SELF_CARE",
    "self-certification": "SELF_CERTIFICATION",
    "sexual health clinic": "SEXUAL_HEALTH_CLINIC",
    "test results query": "TEST_RESULTS",
    "urgent dental care via nhs 111": "URGENT_DENTAL_CARE",
    "urgent treatment centre / minor injuries unit": "URGENT_TREATMENT_CENTRE",
}
_NAME_END = re.compile(r" ?\(| ?:| ?;|,| [—–-] ")


def legacy_code(destination: str | None) -> str:
    """The code of an outcome recorded without one, from its destination's service name (the
    text up to the first bracket, colon, semicolon, comma or dash), else ``OTHER``.

    >>> legacy_code("GP urgent same-day (frailty)")
    'GP_SAME_DAY'
    >>> legacy_code("Duty clinician now: Call 999 now.")
    'DUTY_CLINICIAN_NOW'
    >>> legacy_code("9998345138 Jane Smith")
    'OTHER'
    """
    text = " ".join((destination or "").split()).casefold()
    if text in _LEGACY_TEXTS:
        return _LEGACY_TEXTS[text]
    name = _NAME_END.split(text, maxsplit=1)[0].strip()
    return _LEGACY_NAMES.get(name, OTHER)


def reported_code(stored: str | None, destination: str | None) -> str:
    """The code a return counts an outcome under: its stored code (``OTHER`` when that is not
    one of the vocabulary), or :func:`legacy_code` of its destination text when it has none."""
    if stored is not None and stored != "":
        return stored if is_code(stored) else OTHER
    return legacy_code(destination)
