"""What the synthetic consultations ask about: templates (request type, SOP template, answers)
with their weights, and the phrases free text is made of. Answers draw only from the ``rng``
passed in, so a seed always gives the same records.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _yn(rng: random.Random, p_yes: float) -> str:
    return "yes" if rng.random() < p_yes else "no"


@dataclass(frozen=True, slots=True)
class _Template:
    name: str
    request_type: str
    weight: int
    min_age: int
    max_age: int
    female_share: float
    answers: Callable[[random.Random], dict[str, Any]]
    phrases: tuple[str, ...]


def _a_sore_throat(r: random.Random) -> dict[str, Any]:
    return {
        "duration_days": r.randint(1, 10),
        "fever": _yn(r, 0.4),
        "cough": _yn(r, 0.5),
        "pain_score": r.randint(2, 9),
    }


def _a_sinusitis(r: random.Random) -> dict[str, Any]:
    return {
        "duration_days": r.choice((5, 8, 10, 12, 14, 21, 30, 100)),
        "facial_pain": _yn(r, 0.8),
        "nasal_discharge": _yn(r, 0.7),
        "immunosuppressed": _yn(r, 0.05),
        "pregnant": "no",
    }


def _a_otitis(r: random.Random) -> dict[str, Any]:
    return {
        "duration_days": r.randint(1, 5),
        "ear_pain": "yes",
        "fever": _yn(r, 0.3),
        "which_ear": r.choice(("left", "right", "both")),
    }


def _a_bite(r: random.Random) -> dict[str, Any]:
    return {
        "duration_days": r.randint(1, 4),
        "redness_spreading": _yn(r, 0.6),
        "swelling": _yn(r, 0.7),
        "bite_location": r.choice(("arm", "leg", "ankle", "neck", "face")),
    }


def _a_impetigo(r: random.Random) -> dict[str, Any]:
    return {
        "duration_days": r.randint(1, 7),
        "bullous": _yn(r, 0.1),
        "widespread": _yn(r, 0.1),
        "episodes_12_months": r.choice((0, 0, 0, 1, 2)),
    }


def _a_shingles(r: random.Random) -> dict[str, Any]:
    return {
        "rash_days": r.randint(1, 10),
        "pain": "yes",
        "near_eye": _yn(r, 0.05),
        "pregnant": "no",
        "immunosuppressed": _yn(r, 0.05),
    }


def _a_uti(r: random.Random) -> dict[str, Any]:
    return {
        "duration_days": r.randint(1, 5),
        "pregnant": _yn(r, 0.05),
        "catheter": _yn(r, 0.03),
        "uti_episodes_6_months": r.choice((0, 0, 0, 1, 2)),
        "fever": _yn(r, 0.1),
        "back_pain": _yn(r, 0.05),
    }


def _a_fit_note(r: random.Random) -> dict[str, Any]:
    return {
        "fit_note_type": r.choice(("new", "extension")),
        "days_off": r.choice((7, 10, 14, 28)),
        "condition": r.choice(("back pain", "anxiety", "post-op", "flu", "stress")),
    }


def _a_repeat(r: random.Random) -> dict[str, Any]:
    meds = ("ramipril 5mg", "atorvastatin 20mg", "salbutamol inhaler", "levothyroxine 100mcg",
            "sertraline 50mg", "metformin 500mg", "amlodipine 5mg", "omeprazole 20mg")  # fmt: skip
    return {"medications": r.sample(meds, r.randint(1, 3)), "ran_out": _yn(r, 0.2)}


def _a_test_results(r: random.Random) -> dict[str, Any]:
    return {"test_type": r.choice(("blood test", "x-ray", "urine sample", "smear", "ECG"))}


def _a_letter(r: random.Random) -> dict[str, Any]:
    return {"form_type": r.choice(("travel_insurance", "firearms", "dvla", "blue_badge", "gym"))}


def _a_referral(r: random.Random) -> dict[str, Any]:
    return {"referral_to": r.choice(("orthopaedics", "dermatology", "ENT", "cardiology"))}


def _a_sar(r: random.Random) -> dict[str, Any]:
    return {"date_range": r.choice(("all", "last 2 years")), "format": "electronic"}


def _a_registration(r: random.Random) -> dict[str, Any]:
    return {"change_type": r.choice(("address", "phone", "name", "new_registration"))}


def _a_appointment(r: random.Random) -> dict[str, Any]:
    return {"action": r.choice(("cancel", "rebook"))}


def _a_mental(r: random.Random) -> dict[str, Any]:
    return {
        "low_mood_weeks": r.randint(1, 20),
        "thoughts_of_self_harm": _yn(r, 0.08),
        "plans_to_end_life": "no",
    }


def _a_msk(r: random.Random) -> dict[str, Any]:
    return {
        "body_part": r.choice(("lower_back", "knee", "shoulder", "neck", "elbow", "ankle")),
        "duration_days": r.randint(2, 90),
        "numbness": _yn(r, 0.1),
        "bladder_bowel_change": "no",
    }


def _a_eye(r: random.Random) -> dict[str, Any]:
    return {
        "which_eye": r.choice(("left", "right", "both")),
        "vision_changed": _yn(r, 0.05),
        "discharge": _yn(r, 0.5),
    }


def _a_dental(r: random.Random) -> dict[str, Any]:
    return {"registered_dentist": _yn(r, 0.5), "facial_swelling": _yn(r, 0.15)}


def _a_sexual(r: random.Random) -> dict[str, Any]:
    return {"request": r.choice(("sti_test", "contraception", "emergency_contraception"))}


def _a_general(r: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {"duration_days": r.randint(1, 60), "fever": _yn(r, 0.2)}
    if r.random() < 0.04:
        out["care_home_resident"] = "yes"
    if r.random() < 0.03:
        out["no_spleen"] = "yes"
    return out


def _a_none(r: random.Random) -> dict[str, Any]:
    return {}


_TEMPLATES: tuple[_Template, ...] = (
    _Template("sore_throat", "clinical", 60, 3, 80, 0.55, _a_sore_throat, (
        "sore throat, hurts to swallow", "throat is agony and my glands are up",
        "scratchy throat and hoarse voice", "white spots on my tonsils")),
    _Template("sinusitis", "clinical", 40, 8, 80, 0.6, _a_sinusitis, (
        "blocked nose and pain in my cheeks", "pressure behind my eyes, green snot",
        "sinus pain worse bending down")),
    _Template("acute_otitis_media", "clinical", 35, 0, 25, 0.5, _a_otitis, (
        "earache, woke up crying", "pulling at her ear and grizzly",
        "ear pain and muffled hearing")),
    _Template("infected_insect_bite", "clinical", 25, 0, 85, 0.5, _a_bite, (
        "bite is red, hot and swollen", "insect bite getting bigger and itchy",
        "horsefly bite gone red and angry")),
    _Template("impetigo", "clinical", 20, 0, 60, 0.5, _a_impetigo, (
        "crusty golden patches round the nose", "sores that weep and crust over",
        "nursery say it looks like impetigo")),
    _Template("shingles", "clinical", 20, 14, 95, 0.55, _a_shingles, (
        "painful blistery rash in a band on one side", "burning pain then a stripy rash",
        "rash on one side of my back, really sore")),
    _Template("uti", "clinical", 70, 12, 90, 0.88, _a_uti, (
        "burning when I wee and going all the time", "cystitis again, stinging",
        "think its a water infection", "cloudy smelly urine and stinging")),
    _Template("general_clinical", "clinical", 150, 0, 95, 0.55, _a_general, (
        "cough that won't shift", "itchy rash on my arms", "feeling tired all the time",
        "dizzy spells when I stand up", "ear wax, can't hear properly", "hay fever is awful",
        "verruca on my foot", "BP reading at home was high")),
    _Template("mental_health", "clinical", 50, 14, 85, 0.6, _a_mental, (
        "feeling really low and not sleeping", "anxious all the time, can't switch off",
        "panic attacks at work", "would like to try talking therapies")),
    _Template("msk", "clinical", 45, 16, 85, 0.5, _a_msk, (
        "did my back in lifting", "knee clicks and gives way", "shoulder stiff and sore",
        "tennis elbow from work")),
    _Template("eye_problem", "clinical", 20, 1, 90, 0.5, _a_eye, (
        "sticky red eye", "something in my eye, scratchy", "dry gritty eyes", "stye on my eyelid")),
    _Template("dental", "clinical", 15, 5, 85, 0.5, _a_dental, (
        "toothache for days", "broken filling", "wisdom tooth pain")),
    _Template("sexual_health", "clinical", 15, 16, 55, 0.7, _a_sexual, (
        "would like an STI check", "want to change contraception", "need the morning after pill")),
    _Template("fit_note", "admin", 60, 18, 67, 0.5, _a_fit_note, (
        "need a fit note for work", "please extend my sick note", "employer wants a fit note")),
    _Template("repeat_medication", "admin", 110, 18, 95, 0.55, _a_repeat, (
        "please can I have my usual repeat", "ran out of my tablets", "app won't let me order")),
    _Template("test_results", "admin", 60, 16, 90, 0.55, _a_test_results, (
        "are my results back", "had bloods last week, nobody called", "can I get my results")),
    _Template("letter_or_form", "admin", 20, 18, 90, 0.5, _a_letter, (
        "need a form filling in", "letter for travel insurance", "DVLA sent a form")),
    _Template("referral_query", "admin", 25, 5, 90, 0.5, _a_referral, (
        "heard nothing about my referral", "can you chase my hospital appointment")),
    _Template("subject_access", "admin", 8, 18, 90, 0.5, _a_sar, (
        "copy of my medical records please", "subject access request")),
    _Template("registration", "admin", 15, 0, 90, 0.5, _a_registration, (
        "we've moved house", "new mobile number", "changed my name after marriage")),
    _Template("appointment_admin", "admin", 30, 0, 90, 0.55, _a_appointment, (
        "need to cancel my appointment", "can I rebook my review", "missed my call")),
    _Template("other", "other", 25, 16, 90, 0.55, _a_none, (
        "thank you to the nurse", "is there parking at the surgery", "complaint about the phones")),
)  # fmt: skip
_TEMPLATE_WEIGHTS: tuple[int, ...] = tuple(t.weight for t in _TEMPLATES)

_OPENERS: tuple[str, ...] = (
    "", "", "Hi, ", "Hello, ", "Hiya ", "Good morning, ", "Sorry to bother you, ", "hi ",
    "Writing for my mum - ", "On behalf of my son: ",
)  # fmt: skip
_DURATIONS: tuple[str, ...] = (
    "", " since Monday", " for 3 days", " since the weekend", " for about 2 weeks", " since yday",
    " on and off for a month", " since last night",
)  # fmt: skip
_CLOSERS: tuple[str, ...] = (
    ".", ". Thanks", ". Thank you!", " 🙏", ", can someone call me after 3?", " x", "...",
    '. Pharmacist said "see your GP".', ".\nThanks, sorry for the long message",
    ". Tried paracetamol, ibuprofen, nothing works 😩",
)  # fmt: skip
_RED_FLAG_PHRASES: tuple[str, ...] = (
    " Also getting chest pain going down my left arm.",
    " Now my face has dropped on one side and speech is slurred.",
    " Worst headache of my life, came on suddenly.",
    " There's a rash that doesn't fade under a glass.",
    " Been vomiting blood this morning.",
    " Numb around my bottom and can't control my bladder.",
    " I'm shaking, shivering and feel really unwell, skin looks mottled.",
    " My lips and tongue are swelling and it's hard to breathe.",
    " I've made a plan to end my life.",
)  # fmt: skip
