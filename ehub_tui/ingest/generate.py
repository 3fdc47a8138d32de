"""Deterministic generator of large synthetic online-consultation (OC) sets.

Used by benchmarks and ``ehub-tui fixtures generate --count N --seed S``. Records are plain dicts
with exactly the field names of ``docs/formats.md``; the writers turn them into the input formats
the ingest understands (supplier CSV, NDJSON of FHIR QuestionnaireResponses, a FHIR Bundle).

Everything random comes from one ``random.Random(seed)``, so the same seed always gives the same
records. All patients are fictional and all NHS numbers are in the 999 test range.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.ingest.csvfile import CSV_COLUMNS

__all__ = [
    "CSV_FIELDS",
    "DEFAULT_PRACTICES",
    "DEFAULT_START",
    "FHIR_BASE",
    "generate_records",
    "to_fhir",
    "write_bundle",
    "write_csv",
    "write_ndjson",
]

#: Column order of the supplier CSV layout (docs/formats.md).
CSV_FIELDS: tuple[str, ...] = CSV_COLUMNS

#: ODS codes of the fictional practices in fixtures/practices.yaml.
DEFAULT_PRACTICES: tuple[str, ...] = (
    "Z99001",
    "Z99002",
    "Z99003",
    "Z99004",
    "Z99005",
    "Z99006",
    "Z99007",
)
# Relative OC volume per practice, roughly in proportion to list size.
_PRACTICE_WEIGHTS: dict[str, int] = {
    "Z99001": 112,
    "Z99002": 94,
    "Z99003": 78,
    "Z99004": 61,
    "Z99005": 53,
    "Z99006": 49,
    "Z99007": 43,
}

DEFAULT_START = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)

FHIR_BASE = "https://fhir.ehub-tui.example"
_SUPPLIER_SYSTEM = "urn:ehub-tui:supplier:"
_NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
_ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"

_SOURCES: tuple[str, ...] = ("eConsult", "Accurx", "PATCHS", "Klinik", "Anima")
_SOURCE_WEIGHTS: tuple[int, ...] = (35, 30, 15, 12, 8)

# Roughly 200 OCs a day for the whole PCN, but large sets are squeezed into at most four weeks so
# benchmark data stays near the start date.
_PER_DAY = 200
_MAX_DAYS = 28

_GIVEN_FEMALE: tuple[str, ...] = (
    "Olivia", "Amelia", "Isla", "Ava", "Zoë", "Siobhán", "Żaneta", "Priya", "Fatima", "Aoife",
    "Chloé", "Grace", "Margaret", "Sandra", "Thị Lan", "Ngozi", "Małgorzata", "Eilidh", "Saoirse",
    "Kateryna", "Amara", "Mia", "Ruth", "Jasmine", "Helen", "Yasmin", "Ana-Maria", "Wiktoria",
)  # fmt: skip
_GIVEN_MALE: tuple[str, ...] = (
    "Oliver", "George", "Noah", "Muhammad", "Oluwaseun", "Øyvind", "Chidi", "Tomasz", "Liam",
    "Rhys", "Kwame", "Mehmet", "Łukasz", "José", "Wei", "Arjun", "Harold", "Kevin", "Dylan",
    "Björn", "Yusuf", "Callum", "Kofi", "Gruffydd", "Raj", "Stanisław", "Oisín", "Tariq",
)  # fmt: skip
_FAMILY: tuple[str, ...] = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "O'Brien", "Nguyễn", "Wójcik", "Adeyemi",
    "Iqbal", "Hansen", "Okafor", "Kowalczyk", "MacLeod", "Ní Bhriain", "Patel", "Begum", "Evans",
    "Dvořák", "Yılmaz", "Mensah", "Chen", "Zieliński", "Hughes", "Ramasamy", "D'Souza",
    "Popescu", "Fairweather", "ap Rhys", "Lloyd-Jones", "Shevchenko", "Murphy",
)  # fmt: skip


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


def _practice_table(practices: list[str] | None) -> tuple[tuple[str, ...], tuple[int, ...]]:
    if practices is None:
        codes = DEFAULT_PRACTICES
        return codes, tuple(_PRACTICE_WEIGHTS[c] for c in codes)
    if not practices:
        raise ValueError("practices must not be empty")
    codes = tuple(practices)
    return codes, tuple(_PRACTICE_WEIGHTS.get(c, 60) for c in codes)


def _to_utc_naive(start: datetime | None) -> datetime:
    if start is None:
        start = DEFAULT_START
    if start.tzinfo is not None:
        start = start.astimezone(UTC)
    return start.replace(tzinfo=None)


def generate_records(
    count: int,
    seed: int,
    practices: list[str] | None = None,
    start: datetime | None = None,
    *,
    days: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` synthetic OC records as dicts with the fields of docs/formats.md.

    ``answers`` is a dict, ``supplier_flags`` a list, ``received_at`` an ISO 8601 string in UTC
    ending ``Z``, ``date_of_birth`` an ISO date. External ids are ``GEN-{seed}-{i:08d}``; NHS
    numbers are valid 999 test numbers, distinct for nearly all records. ``received_at`` starts at
    ``start`` (default 2026-11-16 08:00 UTC) and runs over ``days`` days (default: about 200 OCs a
    day, at most 28 days), mostly in core hours. Ages are as of the start date, so no date of birth
    is later than it. The same arguments always give the same records.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if days is None:
        days = min(max(1, -(-count // _PER_DAY)), _MAX_DAYS)
    if days < 1:
        raise ValueError("days must be at least 1")
    rng = random.Random(seed)
    codes, code_weights = _practice_table(practices)
    base = _to_utc_naive(start)
    base_day: date = base.date()
    nhs_offset = rng.randrange(500_000)

    choices = rng.choices
    rand = rng.random
    randrange = rng.randrange
    for i in range(count):
        tpl = choices(_TEMPLATES, _TEMPLATE_WEIGHTS)[0]
        source = choices(_SOURCES, _SOURCE_WEIGHTS)[0]
        practice = choices(codes, code_weights)[0]

        # When: day by position, time of day mostly in core hours (08:00-18:30).
        day = i * days // count
        roll = rand()
        if roll < 0.75:
            minutes = randrange(630)
        elif roll < 0.95:
            minutes = 630 + randrange(270)
        else:
            minutes = 900 + randrange(540)
        received = base + timedelta(days=day, minutes=minutes, seconds=randrange(60))

        # Who.
        sex_roll = rand()
        if sex_roll < 0.01:
            sex = "unknown" if sex_roll < 0.004 else "other"
            given = rng.choice(_GIVEN_FEMALE if rand() < 0.5 else _GIVEN_MALE)
        elif rand() < tpl.female_share:
            sex, given = "female", rng.choice(_GIVEN_FEMALE)
        else:
            sex, given = "male", rng.choice(_GIVEN_MALE)
        family = rng.choice(_FAMILY)
        age = randrange(tpl.min_age, tpl.max_age + 1)
        if age == 0:
            dob = base_day - timedelta(days=14 + randrange(340))
        else:
            dob = base_day - timedelta(days=age * 365 + age // 4 + randrange(365))
        # Even serials only: an invalid serial moves on to the next (odd) one, never used directly.
        nhs = make_test_nhs_number(2 * ((nhs_offset + i * 7919) % 500_000))

        # What.
        answers = tpl.answers(rng)
        text = (
            rng.choice(_OPENERS)
            + rng.choice(tpl.phrases)
            + rng.choice(_DURATIONS)
            + rng.choice(_CLOSERS)
        )
        flags: list[str] = []
        if tpl.request_type == "clinical" and rand() < 0.02:
            text += rng.choice(_RED_FLAG_PHRASES)
            if rand() < 0.5:
                flags.append("emergency" if rand() < 0.5 else "urgent")
        elif rand() < 0.03:
            flags.append("urgent")
        if rand() < 0.2:
            text = text.lower()

        yield {
            "source": source,
            "external_id": f"GEN-{seed}-{i:08d}",
            "practice_ods": practice,
            "nhs_number": nhs,
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob.isoformat(),
            "sex": sex,
            "received_at": received.isoformat(timespec="seconds") + "Z",
            "request_type": tpl.request_type,
            "template": tpl.name,
            "answers": answers,
            "free_text": text,
            "supplier_flags": flags,
        }


# --- FHIR -------------------------------------------------------------------------------------


def _fhir_answers(value: Any) -> list[dict[str, Any]]:
    """FHIR ``answer`` list for one OC answer value."""
    if isinstance(value, list | tuple):
        out: list[dict[str, Any]] = []
        for v in value:
            out.extend(_fhir_answers(v))
        return out
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if value in ("yes", "no"):
        return [{"valueBoolean": value == "yes"}]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    if isinstance(value, float):
        return [{"valueDecimal": value}]
    return [{"valueString": str(value)}]


def _fhir_id(value: str) -> str:
    """A FHIR resource id ([A-Za-z0-9-.]{1,64}) made from any string."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "-" for c in value)
    return cleaned[:64] or "x"


def _patient(record: dict[str, Any], pid: str) -> dict[str, Any]:
    name: dict[str, Any] = {"family": record["family_name"]}
    if record.get("given_name"):
        name["given"] = [record["given_name"]]
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": _NHS_SYSTEM, "value": record["nhs_number"]}],
        "name": [name],
        "gender": record["sex"],
        "birthDate": record["date_of_birth"],
        "generalPractitioner": [
            {"identifier": {"system": _ODS_SYSTEM, "value": record["practice_ods"]}}
        ],
    }


def to_fhir(record: dict[str, Any]) -> dict[str, Any]:
    """Turn one OC record into a FHIR R4 QuestionnaireResponse with a contained Patient.

    The shape is exactly the one in docs/formats.md: supplier identifier, questionnaire URL whose
    last segment is the template, ``authored`` = ``received_at``, ``subject`` ``#pat``, and items
    for ``request_type``, each answer, ``free_text`` and one ``supplier_flag`` answer per flag.
    """
    items: list[dict[str, Any]] = [
        {"linkId": "request_type", "answer": [{"valueString": record["request_type"]}]}
    ]
    for key, value in (record.get("answers") or {}).items():
        answers = _fhir_answers(value)
        if answers:
            items.append({"linkId": key, "answer": answers})
    if record.get("free_text"):
        items.append({"linkId": "free_text", "answer": [{"valueString": record["free_text"]}]})
    flags = record.get("supplier_flags") or []
    if flags:
        items.append({"linkId": "supplier_flag", "answer": [{"valueString": f} for f in flags]})

    qr: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": _fhir_id(f"qr-{record['external_id']}"),
        "identifier": {
            "system": f"{_SUPPLIER_SYSTEM}{record['source']}",
            "value": record["external_id"],
        },
    }
    if record.get("template"):
        qr["questionnaire"] = f"{FHIR_BASE}/Questionnaire/{record['template']}"
    qr.update(
        {
            "status": "completed",
            "authored": record["received_at"],
            "subject": {"reference": "#pat"},
            "contained": [_patient(record, "pat")],
            "item": items,
        }
    )
    return qr


# --- writers ----------------------------------------------------------------------------------


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_ndjson(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write one FHIR QuestionnaireResponse per line (UTF-8, LF); return how many."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(_dumps(to_fhir(record)))
            f.write("\n")
            n += 1
    return n


def _csv_row(record: dict[str, Any]) -> list[str]:
    answers = record.get("answers") or {}
    row: list[str] = []
    for field in CSV_FIELDS:
        if field == "answers":
            row.append(_dumps(answers) if answers else "")
        elif field == "supplier_flags":
            row.append(";".join(record.get("supplier_flags") or []))
        else:
            value = record.get(field)
            row.append("" if value is None else str(value))
    return row


def write_csv(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write the supplier CSV layout of docs/formats.md (UTF-8, LF, header first); return rows."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        for record in records:
            writer.writerow(_csv_row(record))
            n += 1
    return n


def write_bundle(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write a FHIR Bundle (``collection``) of QuestionnaireResponses; return how many.

    Each entry's ``fullUrl`` is ``https://fhir.ehub-tui.example/QuestionnaireResponse/<id>`` and
    the Patient is contained in its QuestionnaireResponse. The file is streamed, so very large sets
    are fine.
    """
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"resourceType":"Bundle","type":"collection","entry":[\n')
        for record in records:
            qr = to_fhir(record)
            entry = {"fullUrl": f"{FHIR_BASE}/QuestionnaireResponse/{qr['id']}", "resource": qr}
            if n:
                f.write(",\n")
            f.write(_dumps(entry))
            n += 1
        f.write("\n]}\n")
    return n
