"""The outcome panel's vocabulary: how the patient is contacted, how soon, and by which team.

An outcome records its route's urgency, which the navigator may make MORE urgent but never less
urgent than the route allows, nor less than a standing red flag demands (``urgency_choices``);
its mode of contact (message, phone, face to face, video, home visit) with a sensible default
per destination and category (``default_contact``); and the destination team in words
(``team_words``), from the route's destination code. Pure values, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from ehub_tui.domain.destinations import DESTINATION_CODES

ContactMode = Literal["message", "phone", "face_to_face", "video", "home_visit"]
CONTACT_MODES: tuple[ContactMode, ...] = get_args(ContactMode)
CONTACT_WORDS: dict[str, str] = {
    "message": "message",
    "phone": "phone",
    "face_to_face": "face to face",
    "video": "video",
    "home_visit": "home visit",
}

# Most urgent first. ``within_24h`` is the outcome panel's own step between a same-day slot and
# 48 hours (no shipped route uses it; a navigator may choose it for any route that allows it).
URGENCY_LADDER = (
    "immediate",
    "same_day",
    "within_24h",
    "within_48h",
    "within_3_days",
    "within_5_days",
    "routine",
)
URGENCY_WORDS: dict[str, str] = {
    "immediate": "now",
    "same_day": "today",
    "within_24h": "24 h",
    "within_48h": "48 h",
    "within_3_days": "3 days",
    "within_5_days": "5 days",
    "routine": "routine",
}

# The least urgent a standing red flag allows, by its level (as the engine governs a route:
# an emergency flag escalates now, an amber one allows nothing below a same-day clinician).
FLAG_FLOOR = {"emergency": "immediate", "urgent": "same_day"}

# How the receiving team usually makes contact, by destination code; anything not listed falls
# back to its category's default (_CATEGORY_CONTACT).
_CODE_CONTACT: dict[str, ContactMode] = {
    "DUTY_CLINICIAN_NOW": "phone",
    "EMERGENCY_999": "phone",
    "MENTAL_HEALTH_CRISIS": "phone",
    "GP_SAME_DAY": "phone",
    "GP_ROUTINE": "phone",
    "ANP_MINOR_ILLNESS": "face_to_face",
    "CLINICAL_PHARMACIST": "phone",
    "FIRST_CONTACT_PHYSIO": "face_to_face",
    "MENTAL_HEALTH_PRACTITIONER": "phone",
    "CARE_HOME_TEAM": "home_visit",
    "PRACTICE_NURSE": "face_to_face",
    "URGENT_EYE_CARE": "face_to_face",
    "ARI_HUB": "face_to_face",
    "MATERNITY": "phone",
    "HEALTH_VISITOR": "phone",
    "SOCIAL_PRESCRIBER": "phone",
}
_CATEGORY_CONTACT: dict[str, ContactMode] = {
    "escalate": "phone",
    "clinical": "phone",
    "signpost": "message",
    "admin": "message",
}

# The team that acts on an outcome, in words, by destination code; a code not listed is named
# by its vocabulary description (DESTINATION_CODES), capitalised.
_TEAMS: dict[str, str] = {
    "DUTY_CLINICIAN_NOW": "Duty clinician",
    "EMERGENCY_999": "Emergency services (999 / A&E)",
    "MENTAL_HEALTH_CRISIS": "Mental health crisis team",
    "GP_SAME_DAY": "GP same-day team",
    "GP_ROUTINE": "GP team",
    "ANP_MINOR_ILLNESS": "ANP minor illness team",
    "CLINICAL_PHARMACIST": "Clinical pharmacist (PCN)",
    "FIRST_CONTACT_PHYSIO": "First contact physiotherapist",
    "MENTAL_HEALTH_PRACTITIONER": "Mental health practitioner",
    "CARE_HOME_TEAM": "Care-home team (PCN)",
    "PRACTICE_NURSE": "Practice nurse",
    "URGENT_EYE_CARE": "Urgent eye care",
    "COMMUNITY_PHARMACY": "Community pharmacy (outside the practice)",
    "SELF_CARE": "Self-care (no team)",
    "SELF_CERTIFICATION": "Admin team",
    "FIT_NOTE": "Admin team (a clinician signs)",
    "REPEAT_PRESCRIPTION": "Prescriptions team",
    "TEST_RESULTS": "Admin team",
    "LETTERS_AND_FORMS": "Admin team",
    "REFERRAL_STATUS": "Referrals co-ordinator",
    "MEDICAL_RECORDS": "Records team",
    "REGISTRATION": "Reception",
    "APPOINTMENT_ADMIN": "Reception",
    "PRACTICE_MANAGER": "Practice manager",
    "PRACTICE_ADMIN": "Admin team",
}


def urgency_words(urgency: str) -> str:
    """``within_48h`` → ``48 h`` (an unknown value as written, underscores as spaces)."""
    return URGENCY_WORDS.get(urgency, urgency.replace("_", " "))


def contact_words(mode: str | None) -> str:
    """``face_to_face`` → ``face to face`` ("" for none)."""
    if not mode:
        return ""
    return CONTACT_WORDS.get(mode, mode.replace("_", " "))


def rank(urgency: str) -> int:
    """Place on the ladder (0 = most urgent); an unknown urgency ranks as routine."""
    try:
        return URGENCY_LADDER.index(urgency)
    except ValueError:
        return len(URGENCY_LADDER) - 1


def urgency_floor(route_urgency: str, standing_levels: Iterable[str] = ()) -> str:
    """The least urgent an outcome may be: the route's urgency, or a standing red flag's
    minimum when that is more urgent."""
    floor = route_urgency if route_urgency in URGENCY_LADDER else "routine"
    for level in standing_levels:
        demand = FLAG_FLOOR.get(level)
        if demand is not None and rank(demand) < rank(floor):
            floor = demand
    return floor


def urgency_choices(route_urgency: str, standing_levels: Iterable[str] = ()) -> list[str]:
    """The urgencies a navigator may set, least urgent (the floor) first. ``immediate`` is
    offered only when the floor is immediate: an escalation now is its own action (e), not a
    quicker slot with the same team."""
    floor = rank(urgency_floor(route_urgency, standing_levels))
    if floor == 0:
        return ["immediate"]
    return [URGENCY_LADDER[i] for i in range(floor, 0, -1)]


def allowed_urgency(urgency: str, route_urgency: str, standing_levels: Iterable[str] = ()) -> bool:
    """May an outcome of a route with ``route_urgency`` be recorded as ``urgency``?"""
    return urgency in urgency_choices(route_urgency, standing_levels)


def contact_choices(category: str) -> list[ContactMode]:
    """The modes of contact a route of ``category`` may use: an escalation is never a message."""
    if category == "escalate":
        return [m for m in CONTACT_MODES if m != "message"]
    return list(CONTACT_MODES)


def default_contact(category: str, destination_code: str | None) -> ContactMode:
    """The usual mode of contact for a route (its destination's, else its category's)."""
    mode = _CODE_CONTACT.get(destination_code or "")
    if mode is None:
        mode = _CATEGORY_CONTACT.get(category, "phone")
    return mode if mode in contact_choices(category) else "phone"


def team_words(destination_code: str | None) -> str:
    """The team an outcome goes to, in words (``GP_SAME_DAY`` → ``GP same-day team``)."""
    code = destination_code or "OTHER"
    if code in _TEAMS:
        return _TEAMS[code]
    description = DESTINATION_CODES.get(code, DESTINATION_CODES["OTHER"])
    return description[:1].upper() + description[1:]
