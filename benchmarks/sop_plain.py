"""The shipped SOP set (sops/*.sop.yaml: red-flags 2.0.0, pharmacy-first 2.0.0, signposting,
admin and clinical-routing 1.0.0) hard-coded in plain Python.

This is the baseline the SOP engine is measured against (benchmarks/sop_engine.py) and checked
against (tests/sop/test_plain_baseline.py): the same red flags, questions and routes, written the
way a programmer would write them by hand — if/elif chains over the template, the answers and the
concepts the text mentions, and phrase tables normalised once at import — without reading any
rule from YAML at run time.

Only the text helpers are shared with the engine, so both read the same words the same way:
``normalise_text`` for the whole-word, case- and accent-insensitive phrase match of the
``contains_any`` lists (signposting, admin, clinical routing); ``age_on`` for whole years of age;
and the concept matcher, ``Lexicon.scan``, for the ``mentions`` / ``mentions_any`` tests (red
flags, Pharmacy First, the attributes the text states). The lexicon is the text helper of the
concept language as ``normalise_text`` was of the phrase lists: tokens, stems, typo correction
and the context of each mention (negated, past, someone else's) are the matcher's job, not a
rule, and a second hand-written matcher would compare two matchers rather than the engine with a
baseline. It is built once at import from the shipped set's concepts (``load_set(sops).lexicon``;
only the lexicon is taken from that load), and each consultation's text is scanned once: the set
of concepts with a mention that counts (affirmed or uncertain) is all the rules below look at.

Everything else is written out here: which concepts raise which red flag and at what level, the
questions and routes, the patient attributes a concept states (pregnant, immunosuppressed,
care_home_resident, no_spleen, frail: answered "yes" until the navigator answers), and the rule
that a standing red flag governs the route (emergency: the escalation ``escalate_<flag>`` unless
the route already escalates; amber: ``same_day_<flag>`` unless the route is already a clinician
today). It follows docs/sop-authoring.md: a field that is not known makes every test on it false
(so ``not`` of such a test is true), answers compare case-insensitively as text, numbers may
arrive as text, and the navigator's answers override the request's own.

When a SOP in sops/ changes, this file must change with it (the test fails until it does).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import date
from pathlib import Path
from typing import Any

from ehub_tui.sop.context import Context
from ehub_tui.sop.engine import age_on
from ehub_tui.sop.known import normalise_text
from ehub_tui.sop.lexicon import Lexicon
from ehub_tui.sop.loader import load_set

__all__ = ["decide"]

Decided = tuple[list[str], str | None, str | None]
# A phrase table: normalised phrases (" chest pain ") grouped by their first word, so a text is
# only searched for the phrases whose first word it contains.
Phrases = tuple[frozenset[str], dict[str, tuple[str, ...]]]


SOPS = Path(__file__).resolve().parent.parent / "sops"
# The concept matcher (the text helper): the lexicon of the shipped set, compiled once.
_LEXICON: Lexicon = load_set([SOPS]).lexicon


def _phrases(*raw: str) -> Phrases:
    index: dict[str, list[str]] = {}
    for phrase in raw:
        norm = normalise_text(phrase)
        index.setdefault(norm.split()[0], []).append(norm)
    return frozenset(index), {word: tuple(found) for word, found in index.items()}


def _has(table: Phrases, words: Set[str], text: str) -> bool:
    """True when the normalised ``text`` (made of ``words``) holds a phrase of ``table``."""
    firsts, index = table
    for word in firsts & words:
        for phrase in index[word]:
            if phrase in text:
                return True
    return False


def _fold(value: Any) -> str:
    return value.casefold() if isinstance(value, str) else str(value).casefold()


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _norm(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = " ".join(map(str, value))
    return normalise_text(value if isinstance(value, str) else str(value))


def _read(free_text: Any, year: int) -> tuple[frozenset[str], frozenset[str]]:
    """The concepts the free text mentions as the patient's own, now (affirmed or uncertain),
    and those it mentions in the past (for the lasting attributes); ``year``: today's, so
    "in 2019" reads as the past, as the engine reads it."""
    if isinstance(free_text, list | tuple):
        free_text = ". ".join(map(str, free_text))
    mentions = _LEXICON.scan(free_text if isinstance(free_text, str) else str(free_text), year)
    said = frozenset(m.concept for m in mentions if m.counts)
    past = frozenset(m.concept for m in mentions if m.context is Context.HISTORICAL)
    return said, past


NO_WORDS: frozenset[str] = frozenset()

# Patient attributes a concept states when the text mentions it as the patient's own (the
# concepts with `sets:` in red-flags.sop.yaml): answered "yes" until the navigator answers. A
# lasting one (`lasting: true`: a transplant, no spleen) still holds when the mention is past.
STATED_ATTRIBUTES = (
    # (concept, attribute, lasting)
    ("pregnancy", "pregnant", False),
    ("immunosuppression", "immunosuppressed", False),
    ("organ_transplant", "immunosuppressed", True),
    ("care_home", "care_home_resident", False),
    ("no_spleen", "no_spleen", True),
    ("frailty", "frail", False),
)
ATTRIBUTE_CONCEPTS = frozenset(concept for concept, _, _ in STATED_ATTRIBUTES)

EMERGENCY_FLAGS = frozenset(
    {
        "rf_chest_pain",
        "rf_breathless_at_rest",
        "rf_stroke",
        "rf_collapse",
        "rf_new_confusion",
        "rf_seizure",
        "rf_severe_bleeding",
        "rf_anaphylaxis",
        "rf_non_blanching_rash",
        "rf_sepsis",
        "rf_worst_headache",
        "rf_cauda_equina",
        "rf_vomiting_blood",
        "rf_passing_blood",
        "rf_severe_abdominal_pain",
        "rf_testicular_pain",
        "rf_ectopic",
        "rf_sudden_vision_loss",
        "rf_painful_red_eye",
        "rf_suicidal_intent",
        # pharmacy-first.sop.yaml 2.3.0: a pathway's emergency signs answered yes / not sure
        "rf_sinusitis_spreading_infection",
        "rf_ear_infection_spreading",
        "rf_sore_throat_airway",
        "rf_bite_severe_reaction",
        "rf_shingles_nerve_or_brain",
        "rf_uti_sepsis",
    }
)
YES_OR_NOT_SURE = ("yes", "not_sure")

PHARMACY_FIRST_TEMPLATES = frozenset(
    {
        "sinusitis",
        "sore_throat",
        "acute_otitis_media",
        "infected_insect_bite",
        "impetigo",
        "shingles",
        "uti",
    }
)
SIGNPOSTING_TEMPLATES = frozenset(
    {
        "eye_problem",
        "dental",
        "sexual_health",
        "contraception",
        "msk",
        "back_pain",
        "mental_health",
        "self_care",
    }
)
ADMIN_REQUEST_TYPES = frozenset({"admin", "other"})
ADMIN_TEMPLATES = frozenset(
    {
        "fit_note",
        "repeat_medication",
        "medication_query",
        "test_results",
        "letter_or_form",
        "referral_query",
        "subject_access",
        "registration",
        "appointment_admin",
        "complaint",
        "feedback",
    }
)
BACK_BODY_PARTS = frozenset({"lower_back", "back", "neck", "spine"})
EYE_PAIN_URGENT = frozenset({"yes", "moderate", "severe"})

# -- phrase tables (transcribed from the contains_any lists of the SOPs) ------------------------

SP_BACK = _phrases(
    "back",
    "sciatica",
    "spine",
    "disc",
)


SP_MH_CRISIS = _phrases(
    "kill myself",
    "end my life",
    "end it all",
    "take my own life",
    "suicide",
    "suicidal",
    "overdose",
    "take them all",
    "saved up my tablets",
    "cant do this anymore",
    "can't do this anymore",
    "cant go on",
    "can't go on",
    "not safe",
    "hearing voices",
    "crisis",
)

SP_MH_SAME_DAY = _phrases(
    "self harm",
    "self-harm",
    "harming myself",
    "hurting myself",
    "paranoid",
    "psychosis",
    "psychotic",
    "manic",
    "mania",
    "seeing things",
)

SP_MH_PERINATAL = _phrases(
    "baby",
    "postnatal",
    "post natal",
    "postpartum",
    "pregnant",
    "pregnancy",
    "bonding",
    "bond with",
)

SP_MH_MEDICATION = _phrases(
    "sertraline",
    "citalopram",
    "escitalopram",
    "fluoxetine",
    "paroxetine",
    "mirtazapine",
    "venlafaxine",
    "duloxetine",
    "amitriptyline",
    "antidepressant",
    "antidepressants",
    "anti depressants",
    "medication",
    "tablets",
    "my dose",
    "upping",
    "increase the dose",
)

SP_TALKING = _phrases(
    "talking therapies",
    "talking therapy",
    "counselling",
    "counseling",
    "counsellor",
    "therapy",
    "therapist",
    "cbt",
    "talk to someone",
    "anxiety",
    "anxious",
    "panic",
    "worry",
    "worrying",
    "stress",
    "stressed",
    "low mood",
    "low",
    "depressed",
    "depression",
    "bereavement",
    "grief",
)

SP_EYE_URGENT = _phrases(
    "chemical",
    "bleach",
    "hit in the eye",
    "flashes",
    "floaters",
    "curtain",
    "blurred",
    "blurry",
    "light hurts",
    "very painful",
    "really painful",
)

SP_DENTAL_SWELLING = _phrases(
    "face is swollen",
    "swollen face",
    "cheek is swollen",
    "swollen cheek",
    "jaw is swollen",
    "swelling spreading",
    "swelling is spreading",
    "eye is closing",
)

SP_EMERGENCY_CONTRACEPTION = _phrases(
    "morning after",
    "emergency contraception",
    "emergency pill",
    "condom split",
    "condom broke",
    "condom came off",
    "unprotected sex",
    "missed pills",
    "missed my pill",
)

SP_CONTRACEPTION = _phrases(
    "coil",
    "iud",
    "ius",
    "implant",
    "contraception",
    "contraceptive",
    "the pill",
    "mini pill",
    "depo",
    "mirena",
)

SP_MSK_INJURY = _phrases(
    "cant weight bear",
    "can't weight bear",
    "cant put weight",
    "can't put weight",
    "cant walk on it",
    "can't walk on it",
    "think its broken",
    "think it's broken",
    "broken bone",
    "deformed",
    "dislocated",
    "bone sticking out",
)

SP_MSK_NERVE = _phrases(
    "pins and needles",
    "numbness",
    "numb",
    "tingling",
    "sciatica",
    "down my leg",
    "down my legs",
    "down my arm",
    "shooting pain",
    "weakness",
    "weak",
)

ADM_FIT_NOTE_EXTENSION = _phrases(
    "extend",
    "extended",
    "extending",
    "extension",
    "another fit note",
    "another sick note",
    "renew",
    "renewed",
    "runs out",
    "ends on",
    "current one ends",
    "current note ends",
)

ADM_CONTROLLED_DRUGS = _phrases(
    "tramadol",
    "codeine",
    "co-codamol",
    "cocodamol",
    "dihydrocodeine",
    "morphine",
    "oramorph",
    "oxycodone",
    "fentanyl",
    "buprenorphine",
    "tapentadol",
    "methadone",
    "diazepam",
    "lorazepam",
    "temazepam",
    "zopiclone",
    "zolpidem",
    "pregabalin",
    "gabapentin",
    "methylphenidate",
    "lisdexamfetamine",
    "dexamfetamine",
)


ADM_EARLY = _phrases(
    "lost",
    "stolen",
    "early",
    "before it is due",
    "ran out",
    "run out",
    "dropped",
    "spilled",
)

ADM_RAN_OUT = _phrases(
    "ran out",
    "run out",
    "runs out today",
    "none left",
    "no tablets left",
    "no inhaler",
    "last one",
    "last dose",
    "1 day left",
    "one day left",
    "today please",
)

ADM_MEDICATION_QUERY = _phrases(
    "side effect",
    "side effects",
    "reaction",
    "rash",
    "itchy",
    "not working",
    "doesnt work",
    "doesn't work",
    "different brand",
    "alternative",
    "instead",
    "review due",
    "medication review",
    "interaction",
    "dose",
    "dosage",
    "stop taking",
    "stopped taking",
    "makes me feel",
    "making me feel",
    "in advance",
    "travelling",
    "going abroad",
)

ADM_REFERRAL_URGENT = _phrases(
    "urgent",
    "urgently",
    "2 week",
    "two week",
    "2ww",
    "fast track",
    "fast-track",
    "suspected cancer",
    "cancer",
    "psa",
    "lump",
    "worried",
)

ADM_FEEDBACK = _phrases(
    "complain",
    "complaint",
    "complaining",
    "unacceptable",
    "not acceptable",
    "rude",
    "feedback",
    "compliment",
    "thank you to",
    "thanks to",
    "so much better",
)

CLIN_MENTAL_HEALTH = _phrases(
    "anxiety",
    "anxious",
    "depression",
    "depressed",
    "low mood",
    "panic attack",
    "panic attacks",
    "mental health",
    "self harm",
    "self-harm",
    "cant cope",
    "can't cope",
    "stress",
    "stressed",
    "counselling",
    "ocd",
    "adhd",
    "eating disorder",
    "bulimia",
    "anorexia",
)

CLIN_MEDICATION = _phrases(
    "side effect",
    "side effects",
    "medication review",
    "meds review",
    "reaction to my",
    "my medication",
    "my meds",
    "my tablets",
    "my prescription",
    "dose of my",
    "interaction",
    "different tablets",
    "stop taking",
    "stopped taking",
)

CLIN_MSK = _phrases(
    "back pain",
    "bad back",
    "neck pain",
    "shoulder pain",
    "knee pain",
    "hip pain",
    "ankle pain",
    "wrist pain",
    "elbow pain",
    "joint pain",
    "sore knee",
    "sore shoulder",
    "sprain",
    "sprained",
    "strain",
    "pulled a muscle",
    "tennis elbow",
    "golfers elbow",
    "frozen shoulder",
    "plantar fasciitis",
    "sciatica",
    "arthritis flare",
)

CLIN_SELF_CARE = _phrases(
    "hay fever",
    "hayfever",
    "head lice",
    "nits",
    "threadworm",
    "threadworms",
    "verruca",
    "verrucas",
    "athletes foot",
    "athlete's foot",
    "dandruff",
    "cold sore",
    "mouth ulcer",
    "common cold",
    "snoring",
    "nappy rash",
    "teething",
)

CLIN_MINOR_ILLNESS = _phrases(
    "cough",
    "coughing",
    "cold",
    "flu",
    "sore throat",
    "earache",
    "ear ache",
    "ear infection",
    "rash",
    "eczema",
    "conjunctivitis",
    "sticky eye",
    "temperature",
    "temp",
    "fever",
    "chest infection",
    "tonsillitis",
    "d and v",
    "d&v",
    "diarrhoea",
    "diarrhea",
    "vomiting",
    "sickness bug",
    "cystitis",
    "uti",
    "water infection",
    "sinus",
    "sinusitis",
    "thrush",
    "chesty",
    "wheezy",
    "bite",
    "sting",
    "spots",
    "infected",
)


# -- red-flags.sop.yaml (2.0.0): every consultation ---------------------------------------------

STROKE = frozenset({"stroke_face", "stroke_arm_leg", "stroke_speech", "stroke_named"})
ALLERGIC_THROAT = frozenset({"allergy_trigger", "struggling_to_breathe"})
MENINGISM_WITH_STIFF_NECK = frozenset(
    {"fever", "temperature", "headache", "vomiting", "drowsy", "rash"}
)
MENINGISM_WITH_LIGHT = frozenset({"fever", "drowsy", "rash"})
SEPSIS = frozenset(
    {
        "sepsis_named",
        "rigors",
        "mottled_skin",
        "no_urine",
        "feels_like_dying",
        "floppy_or_unrousable",
    }
)
CAUDA_EQUINA = frozenset({"saddle_numbness", "cauda_equina_named"})
MAYBE_PREGNANT = frozenset({"pregnancy", "maybe_pregnant"})
EARLY_PREGNANCY_PAIN_OR_BLEEDING = frozenset({"pelvic_or_shoulder_tip_pain", "vaginal_bleeding"})
EYE_CHANGE = frozenset({"blurred_vision", "photophobia"})
DVT_PE = frozenset({"dvt_pe", "painful_breathing", "coughing_blood"})
CANCER = frozenset(
    {
        "new_lump",
        "nipple_change",
        "unexplained_weight_loss",
        "food_sticking",
        "coughing_blood",
        "changing_mole",
        "bowel_habit_change",
        "non_healing_ulcer",
    }
)
CHEMO_UNWELL = frozenset({"fever", "temperature", "rigors", "feeling_unwell", "infection_symptoms"})


def _red_flags(
    a: dict[str, str],
    given: dict[str, Any],
    age: int | None,
    tpl: str | None,
    sex: str | None,
    said: Set[str],
) -> list[str]:
    """The raised red flags, in the order the SOP lists them."""
    get = a.get
    found: list[str] = []
    add = found.append
    fever = get("fever")
    # emergency
    if get("chest_pain") == "yes" or get("chest_pain_at_rest") == "yes" or "chest_pain" in said:
        add("rf_chest_pain")
    if (
        get("breathless_at_rest") == "yes"
        or get("breathless") == "yes"
        or "struggling_to_breathe" in said
    ):
        add("rf_breathless_at_rest")
    if said & STROKE:
        add("rf_stroke")
    if "collapse" in said:
        add("rf_collapse")
    if "new_confusion" in said:
        add("rf_new_confusion")
    if "seizure" in said:
        add("rf_seizure")
    if (get("rectal_bleeding") == "yes" and get("severity") == "severe") or (
        "severe_bleeding" in said
    ):
        add("rf_severe_bleeding")
    if "anaphylaxis" in said or ("throat_swelling" in said and said & ALLERGIC_THROAT):
        add("rf_anaphylaxis")
    if (
        get("rash_blanches") == "no"
        or "non_blanching_rash" in said
        or ("neck_stiffness" in said and (fever == "yes" or bool(said & MENINGISM_WITH_STIFF_NECK)))
        or ("photophobia" in said and (fever == "yes" or bool(said & MENINGISM_WITH_LIGHT)))
    ):
        add("rf_non_blanching_rash")
    if get("rigors") == "yes" or said & SEPSIS:
        add("rf_sepsis")
    if "thunderclap_headache" in said:
        add("rf_worst_headache")
    if (
        get("saddle_numbness") == "yes"
        or get("bladder_bowel_change") == "yes"
        or said & CAUDA_EQUINA
        or ("back_pain" in said and "bladder_bowel_loss" in said)
    ):
        add("rf_cauda_equina")
    if get("blood_in_vomit") == "yes" or "vomiting_blood" in said:
        add("rf_vomiting_blood")
    if get("rectal_bleeding") == "yes" or "rectal_bleeding" in said:
        add("rf_passing_blood")
    if (get("abdominal_pain") == "yes" and get("severity") == "severe") or (
        "severe_abdominal_pain" in said
    ):
        add("rf_severe_abdominal_pain")
    if get("testicular_pain") == "yes" or (sex != "female" and "testicular_pain" in said):
        add("rf_testicular_pain")
    if "ectopic_or_miscarriage" in said or (
        # answers.pregnant and patient.pregnant are the same answer
        (get("pregnant") in YES_OR_NOT_SURE or said & MAYBE_PREGNANT)
        and said & EARLY_PREGNANCY_PAIN_OR_BLEEDING
    ):
        add("rf_ectopic")
    vision_changed = get("vision_changed") == "yes"
    sudden = get("sudden") == "yes"
    if (vision_changed and sudden) or "sudden_vision_loss" in said:
        add("rf_sudden_vision_loss")
    if (
        (vision_changed and not sudden)
        or "eye_injury" in said
        or ("red_or_painful_eye" in said and said & EYE_CHANGE)
    ):
        add("rf_painful_red_eye")
    if (
        get("plans_to_end_life") == "yes"
        or get("thoughts_of_self_harm") == "yes"
        or "suicidal_intent" in said
    ):
        add("rf_suicidal_intent")
    # urgent (amber)
    if (
        age is not None
        and age < 5
        and (
            fever == "yes"
            or _ge(given.get("temperature_c"), 38.0)
            or "fever" in said
            or ("fever" not in given and "temperature" in said)
        )
    ):
        add("rf_fever_under_5")
    if (
        get("calf_swelling") == "yes"
        or get("calf_pain") == "yes"
        or (
            (get("recent_travel") == "yes" or get("combined_pill") == "yes")
            and (
                get("chest_pain") == "yes"
                or get("breathless") == "yes"
                or get("breathless_at_rest") == "yes"
            )
        )
        or said & DVT_PE
    ):
        add("rf_dvt_pe")
    if (
        age is not None
        and age >= 50
        and (get("jaw_claudication") == "yes" or "giant_cell_arteritis" in said)
    ):
        add("rf_jaw_claudication")
    over_45 = age is not None and age >= 45
    if (
        get("weight_loss") == "yes"
        or get("postmenopausal_bleeding") == "yes"
        or "postmenopausal_bleeding" in said
        or ("postmenopausal" in said and "vaginal_bleeding" in said)
        or (over_45 and get("blood_in_urine") == "yes")
        or (
            over_45
            and "hoarse_voice" in said
            and (tpl != "sore_throat" or _ge(given.get("duration_days"), 21.0))
        )
        or (over_45 and "visible_blood_in_urine" in said)
        or said & CANCER
    ):
        add("rf_cancer_2ww")
    if (get("on_chemotherapy") == "yes" or "chemotherapy" in said) and (
        fever == "yes"
        or _ge(given.get("temperature_c"), 37.5)
        or get("rigors") == "yes"
        or said & CHEMO_UNWELL
    ):
        add("rf_chemo_neutropenic")
    return found


def _ge(value: Any, bound: float) -> bool:
    n = _num(value)
    return n is not None and n >= bound


def _gt(value: Any, bound: float) -> bool:
    n = _num(value)
    return n is not None and n > bound


def _le(value: Any, bound: float) -> bool:
    n = _num(value)
    return n is not None and n <= bound


def _lt(value: Any, bound: float) -> bool:
    n = _num(value)
    return n is not None and n < bound


def _impetigo_form_answered(a: dict[str, str], given: dict[str, Any]) -> bool:
    """The impetigo form said no to blisters and spread and gave no earlier episode."""
    return (
        a.get("bullous") == "no"
        and a.get("widespread") == "no"
        and _lt(given.get("episodes_12_months"), 1.0)
    )


# -- pharmacy-first.sop.yaml (2.0.0): templates sinusitis, sore_throat, acute_otitis_media, -------
#    infected_insect_bite, impetigo, shingles, uti

# The concepts whose mention in the text rules a pathway out before its questions are asked (the
# `not: mentions_any` lists of the questions and of each Pharmacy First route).
UTI_TEXT_EXCLUSIONS = frozenset(
    {
        "systemic_unwell",
        "fever_or_shivers",
        "loin_pain",
        "nausea_vomiting",
        "urinary_catheter",
        "recurrent_uti",
        "haematuria",
        "vaginal_symptoms",
        "sti_or_urethritis",
        "kidney_disease",
        "diabetes",
        "breastfeeding",
    }
)
SINUS_TEXT_EXCLUSIONS = frozenset(
    {
        "systemic_unwell",
        "sinus_complication_signs",
        "nerve_complication_signs",
        "recurrent_sinusitis",
        "bloody_nasal_discharge",
        "symptoms_for_months",
    }
)
THROAT_TEXT_EXCLUSIONS = frozenset(
    {"systemic_unwell", "throat_complication_signs", "neutropenia_risk_medicine"}
)
EAR_TEXT_EXCLUSIONS = frozenset(
    {
        "systemic_unwell",
        "ear_complication_signs",
        "nerve_complication_signs",
        "recurrent_ear_infections",
    }
)
BITE_TEXT_EXCLUSIONS = frozenset(
    {
        "systemic_unwell",
        "fever_or_shivers",
        "spreading_fast",
        "bite_pain_severe",
        "bite_near_eye_or_mouth",
        "animal_or_human_bite",
        "tick_bite",
        "bitten_abroad",
        "antibiotics_already",
    }
)
IMPETIGO_TEXT_EXCLUSIONS = frozenset(
    {
        "systemic_unwell",
        "fever_or_shivers",
        "spreading_fast",
        "bullous_blisters",
        "widespread_rash",
        "recurrent_impetigo",
    }
)
SHINGLES_TEXT_EXCLUSIONS = frozenset(
    {"systemic_unwell", "shingles_near_eye", "nerve_complication_signs", "rash_over_a_week"}
)
UTI_UPPER = frozenset({"fever_or_shivers", "loin_pain", "nausea_vomiting"})
UTI_OTHER_CAUSE = frozenset({"haematuria", "vaginal_symptoms", "sti_or_urethritis"})
UTI_COMPLICATED = frozenset({"kidney_disease", "diabetes", "breastfeeding"})
SINUS_SERIOUS = frozenset({"sinus_complication_signs", "nerve_complication_signs"})
SINUS_EXCLUDED = frozenset({"recurrent_sinusitis", "bloody_nasal_discharge"})
EAR_SERIOUS = frozenset({"ear_complication_signs", "nerve_complication_signs"})
BITE_UNWELL = frozenset(
    {"fever_or_shivers", "spreading_fast", "bite_pain_severe", "bite_near_eye_or_mouth"}
)
BITE_EXCLUDED = frozenset(
    {"animal_or_human_bite", "tick_bite", "bitten_abroad", "antibiotics_already"}
)
IMPETIGO_UNWELL = frozenset({"fever_or_shivers", "spreading_fast"})
IMPETIGO_BULLOUS_OR_WIDESPREAD = frozenset({"bullous_blisters", "widespread_rash"})


PF_EMERGENCY_QUESTIONS: dict[str, str | None] = {
    "uti": "uti_sepsis_signs",
    "sinusitis": "sinus_emergency_signs",
    "sore_throat": "throat_airway_signs",
    "acute_otitis_media": "aom_emergency_signs",
    "infected_insect_bite": "bite_emergency_signs",
    "shingles": "shingles_emergency_signs",
    "impetigo": None,
}
# in the SOP's order (the first standing emergency flag names the escalation); raised for any
# of the seven templates, whichever pathway's question was answered
PF_EMERGENCY_FLAGS = (
    ("sinus_emergency_signs", "rf_sinusitis_spreading_infection"),
    ("aom_emergency_signs", "rf_ear_infection_spreading"),
    ("throat_airway_signs", "rf_sore_throat_airway"),
    ("bite_emergency_signs", "rf_bite_severe_reaction"),
    ("shingles_emergency_signs", "rf_shingles_nerve_or_brain"),
    ("uti_sepsis_signs", "rf_uti_sepsis"),
)
PF_ROUTES_NEEDING_NO_EMERGENCY = frozenset(
    {"pf_uti", "pf_sinusitis", "pf_sore_throat", "pf_otitis", "pf_insect_bite", "pf_shingles"}
)


def _pharmacy_first(
    tpl: str,
    sex: str | None,
    age: int | None,
    a: dict[str, str],
    given: dict[str, Any],
    flags: Set[str],
    said: Set[str],
) -> tuple[str | None, str]:
    get = a.get
    pregnant = get("pregnant")
    immunosuppressed = get("immunosuppressed")
    # "not: answers.x in [yes, not_sure]" holds when x is unanswered too
    maybe_pregnant = pregnant in YES_OR_NOT_SURE
    maybe_immunosuppressed = immunosuppressed in YES_OR_NOT_SURE
    breast_rash = "breastfeeding" in said and "rash_on_breast" in said

    # -- questions, in the SOP's order; an answered one is skipped ------------------------------
    # open: the template's own pathway is not ruled out by the age, sex or text (the shared
    # part of the ask_when of the pregnancy and immune-system questions for this template)
    if tpl == "uti":
        open_ = (
            sex == "female"
            and age is not None
            and 16 <= age <= 64
            and not said & UTI_TEXT_EXCLUSIONS
        )
        ask_pregnant = open_
        ask_immune = open_
    elif tpl == "sinusitis":
        open_ = age is not None and age >= 12 and not said & SINUS_TEXT_EXCLUSIONS
        ask_pregnant = ask_immune = open_
    elif tpl == "shingles":
        open_ = (
            age is not None
            and age >= 18
            and not said & SHINGLES_TEXT_EXCLUSIONS
            and not breast_rash
        )
        ask_pregnant = ask_immune = open_
    elif tpl == "sore_throat":
        open_ = age is not None and age >= 5 and not said & THROAT_TEXT_EXCLUSIONS
        ask_pregnant = open_ and age is not None and 10 <= age <= 15
        ask_immune = open_
    elif tpl == "acute_otitis_media":
        open_ = age is not None and 1 <= age <= 17 and not said & EAR_TEXT_EXCLUSIONS
        ask_pregnant = open_ and age is not None and 10 <= age <= 15
        ask_immune = open_
    elif tpl == "infected_insect_bite":
        open_ = age is not None and age >= 1 and not said & BITE_TEXT_EXCLUSIONS
        ask_pregnant = open_ and age is not None and 10 <= age <= 15
        ask_immune = open_
    else:  # impetigo
        open_ = age is not None and age >= 1 and not said & IMPETIGO_TEXT_EXCLUSIONS
        ask_pregnant = open_ and age is not None and 10 <= age <= 15
        ask_immune = open_
    # past the high-risk questions: neither answer says (or may say) yes
    past_risk = open_ and not maybe_pregnant and not maybe_immunosuppressed
    # 2.3.0: the pathway's emergency signs are asked first, on their own
    emergency_q = PF_EMERGENCY_QUESTIONS[tpl]

    question: str | None = None
    if "pregnant" not in given and ask_pregnant and sex is not None and sex != "male":
        question = "pregnant"
    elif "immunosuppressed" not in given and ask_immune and not maybe_pregnant:
        question = "immunosuppressed"
    elif not past_risk:
        pass
    elif emergency_q is not None and emergency_q not in given:
        question = emergency_q
    elif tpl == "uti":
        kidney = get("fever") == "yes" or get("back_pain") == "yes" or get("rigors") == "yes"
        # 2.3.0: the sepsis question also takes "kidney_signs" (the kidney question folded in)
        if (
            "uti_exclusions" not in given
            and not kidney
            and get("uti_sepsis_signs") not in (*YES_OR_NOT_SURE, "kidney_signs")
            and get("catheter") != "yes"
            and get("blood_in_urine") != "yes"
            and not _ge(given.get("uti_episodes_6_months"), 2.0)
            and not _ge(given.get("uti_episodes_12_months"), 3.0)
        ):
            question = "uti_exclusions"
    elif tpl == "sinusitis":
        if "sinus_over_12_weeks" not in given and "duration_days" not in given:
            question = "sinus_over_12_weeks"
        elif (
            "sinus_exclusions" not in given
            and not _gt(given.get("duration_days"), 84.0)
            and get("sinus_over_12_weeks") not in YES_OR_NOT_SURE
        ):
            question = "sinus_exclusions"
    elif tpl == "sore_throat":
        if "throat_exclusions" not in given and get("difficulty_swallowing") != "yes":
            question = "throat_exclusions"
    elif tpl == "acute_otitis_media":
        if "aom_recurrent" not in given:
            question = "aom_recurrent"
        elif "aom_serious" not in given and get("aom_recurrent") not in YES_OR_NOT_SURE:
            question = "aom_serious"
    elif tpl == "infected_insect_bite":
        if get("fever") == "yes":
            pass
        elif "bite_unwell" not in given:
            question = "bite_unwell"
        elif "bite_exclusions" not in given and get("bite_unwell") not in YES_OR_NOT_SURE:
            question = "bite_exclusions"
    elif tpl == "impetigo":
        if (
            get("bullous") != "yes"
            and get("widespread") != "yes"
            and not _ge(given.get("episodes_12_months"), 1.0)
            and get("fever") != "yes"
        ):
            # the form answered three of the checklist: only the other two are asked
            if "impetigo_exclusions" not in given and not _impetigo_form_answered(a, given):
                question = "impetigo_exclusions"
            elif (
                "impetigo_unwell" not in given
                and "impetigo_exclusions" not in given
                and _impetigo_form_answered(a, given)
            ):
                question = "impetigo_unwell"
    elif tpl == "shingles":
        if "rash_over_7_days" not in given and "rash_days" not in given:
            question = "rash_over_7_days"
        elif (
            "shingles_exclusions" not in given
            and not _gt(given.get("rash_days"), 7.0)
            and get("rash_over_7_days") not in YES_OR_NOT_SURE
            and get("near_eye") != "yes"
            and get("vision_changed") != "yes"
        ):
            question = "shingles_exclusions"

    # -- routes: the first that holds --------------------------------------------------------
    # not pregnant where the pathway excludes pregnancy under 16 only
    not_pregnant_under_16 = (
        sex == "male" or (age is not None and (age < 10 or age >= 16)) or pregnant == "no"
    )
    route = "pf_eligibility_not_confirmed"
    if "emergency" in flags:
        route = "pf_supplier_emergency"
    elif "urgent" in flags:
        route = "pf_supplier_urgent"
    elif age is not None and age < 1:
        route = "pf_under_1"
    elif "systemic_unwell" in said:
        route = "pf_very_unwell"
    elif get("care_home_resident") == "yes":
        route = "pf_care_home"
    elif maybe_pregnant:
        route = "pf_pregnant"
    elif maybe_immunosuppressed:
        route = "pf_immunosuppressed"
    elif get("no_spleen") == "yes":
        route = "pf_no_spleen"
    elif get("frail") == "yes":
        route = "pf_frail"
    elif tpl == "uti":
        if (
            get("fever") == "yes"
            or get("back_pain") == "yes"
            or get("rigors") == "yes"
            or get("uti_sepsis_signs") == "kidney_signs"
            or said & UTI_UPPER
        ):
            route = "pf_uti_upper"
        elif sex is not None and sex != "female":
            route = "pf_uti_not_female"
        elif age is not None and age < 16:
            route = "pf_uti_under_16"
        elif age is not None and age >= 65:
            route = "pf_uti_over_64"
        elif get("catheter") == "yes" or "urinary_catheter" in said:
            route = "pf_uti_catheter"
        elif (
            _ge(given.get("uti_episodes_6_months"), 2.0)
            or _ge(given.get("uti_episodes_12_months"), 3.0)
            or "recurrent_uti" in said
        ):
            route = "pf_uti_recurrent"
        elif get("blood_in_urine") == "yes" or said & UTI_OTHER_CAUSE:
            route = "pf_uti_other_cause"
        elif get("uti_exclusions") in YES_OR_NOT_SURE or said & UTI_COMPLICATED:
            route = "pf_uti_complicated"
        elif (
            sex == "female"
            and age is not None
            and 16 <= age <= 64
            and pregnant == "no"
            and immunosuppressed == "no"
            and get("uti_exclusions") == "no"
            and not said & UTI_TEXT_EXCLUSIONS
        ):
            route = "pf_uti"
    elif tpl == "sinusitis":
        over_12_weeks = get("sinus_over_12_weeks")
        if said & SINUS_SERIOUS:
            route = "pf_sinusitis_serious"
        elif age is not None and age < 12:
            route = "pf_sinusitis_under_12"
        elif (
            _gt(given.get("duration_days"), 84.0)
            or over_12_weeks in YES_OR_NOT_SURE
            or "symptoms_for_months" in said
        ):
            route = "pf_sinusitis_chronic"
        elif get("sinus_exclusions") in YES_OR_NOT_SURE or said & SINUS_EXCLUDED:
            route = "pf_sinusitis_excluded"
        elif (
            age is not None
            and age >= 12
            and immunosuppressed == "no"
            and (sex == "male" or pregnant == "no")
            and (_le(given.get("duration_days"), 84.0) or over_12_weeks == "no")
            and get("sinus_exclusions") == "no"
            and not said & SINUS_TEXT_EXCLUSIONS
        ):
            route = "pf_sinusitis"
    elif tpl == "sore_throat":
        if get("difficulty_swallowing") == "yes" or "throat_complication_signs" in said:
            route = "pf_sore_throat_swallowing"
        elif age is not None and age < 5:
            route = "pf_sore_throat_under_5"
        elif get("throat_exclusions") in YES_OR_NOT_SURE or "neutropenia_risk_medicine" in said:
            route = "pf_sore_throat_excluded"
        elif (
            age is not None
            and age >= 5
            and immunosuppressed == "no"
            and not_pregnant_under_16
            and get("throat_exclusions") == "no"
            and not said & THROAT_TEXT_EXCLUSIONS
        ):
            route = "pf_sore_throat"
    elif tpl == "acute_otitis_media":
        recurrent = get("aom_recurrent")
        if get("aom_serious") in YES_OR_NOT_SURE or said & EAR_SERIOUS:
            route = "pf_otitis_serious"
        elif age is not None and age >= 18:
            route = "pf_otitis_adult"
        elif recurrent in YES_OR_NOT_SURE or "recurrent_ear_infections" in said:
            route = "pf_otitis_recurrent"
        elif (
            age is not None
            and 1 <= age <= 17
            and immunosuppressed == "no"
            and not_pregnant_under_16
            and recurrent == "no"
            and get("aom_serious") == "no"
            and not said & EAR_TEXT_EXCLUSIONS
        ):
            route = "pf_otitis"
    elif tpl == "infected_insect_bite":
        if get("fever") == "yes" or get("bite_unwell") in YES_OR_NOT_SURE or said & BITE_UNWELL:
            route = "pf_insect_bite_unwell"
        elif get("bite_exclusions") in YES_OR_NOT_SURE or said & BITE_EXCLUDED:
            route = "pf_insect_bite_excluded"
        elif (
            age is not None
            and age >= 1
            and immunosuppressed == "no"
            and not_pregnant_under_16
            and get("bite_unwell") == "no"
            and get("bite_exclusions") == "no"
            and not said & BITE_TEXT_EXCLUSIONS
        ):
            route = "pf_insect_bite"
    elif tpl == "impetigo":
        if get("fever") == "yes" or said & IMPETIGO_UNWELL:
            route = "pf_impetigo_unwell"
        elif (
            get("bullous") == "yes"
            or get("widespread") == "yes"
            or said & IMPETIGO_BULLOUS_OR_WIDESPREAD
        ):
            route = "pf_impetigo_bullous_or_widespread"
        elif _ge(given.get("episodes_12_months"), 1.0) or "recurrent_impetigo" in said:
            route = "pf_impetigo_recurrent"
        elif (
            get("impetigo_exclusions") in YES_OR_NOT_SURE
            or get("impetigo_unwell") in YES_OR_NOT_SURE
        ):
            route = "pf_impetigo_excluded"
        elif (
            age is not None
            and age >= 1
            and immunosuppressed == "no"
            and not_pregnant_under_16
            and (
                get("impetigo_exclusions") == "no"
                or (_impetigo_form_answered(a, given) and get("impetigo_unwell") == "no")
            )
            and not said & IMPETIGO_TEXT_EXCLUSIONS
        ):
            route = "pf_impetigo"
    elif tpl == "shingles":
        over_7 = get("rash_over_7_days")
        if (
            get("near_eye") == "yes"
            or get("vision_changed") == "yes"
            or "shingles_near_eye" in said
        ):
            route = "pf_shingles_eye"
        elif (
            get("shingles_exclusions") in YES_OR_NOT_SURE
            or "nerve_complication_signs" in said
            or breast_rash
        ):
            route = "pf_shingles_serious"
        elif age is not None and age < 18:
            route = "pf_shingles_under_18"
        elif (
            _gt(given.get("rash_days"), 7.0)
            or over_7 in YES_OR_NOT_SURE
            or "rash_over_a_week" in said
        ):
            route = "pf_shingles_late"
        elif (
            age is not None
            and age >= 18
            and (sex == "male" or pregnant == "no")
            and immunosuppressed == "no"
            and (_le(given.get("rash_days"), 7.0) or over_7 == "no")
            and get("shingles_exclusions") == "no"
            and not said & SHINGLES_TEXT_EXCLUSIONS
            and not breast_rash
        ):
            route = "pf_shingles"
    # the Pharmacy First route also needs the emergency signs answered "no" (2.3.0)
    if (
        route in PF_ROUTES_NEEDING_NO_EMERGENCY
        and emergency_q is not None
        and get(emergency_q) != "no"
    ):
        route = "pf_eligibility_not_confirmed"
    return question, route


# -- signposting.sop.yaml: templates eye_problem, dental, sexual_health, contraception, msk, -------
#    back_pain, mental_health, self_care


def _signposting(
    tpl: str,
    age: int | None,
    a: dict[str, str],
    given: dict[str, Any],
    flags: Set[str],
    words: Set[str],
    text: str,
) -> tuple[str | None, str]:
    get = a.get
    question: str | None = None
    back = False
    if tpl == "mental_health":
        if "thoughts_of_self_harm" not in given:
            question = "thoughts_of_self_harm"
        elif "plans_to_end_life" not in given and get("thoughts_of_self_harm") == "yes":
            question = "plans_to_end_life"
    elif tpl == "eye_problem":
        if "vision_changed" not in given:
            question = "vision_changed"
    elif tpl == "dental":
        if "registered_dentist" not in given:
            question = "registered_dentist"
    elif tpl in ("msk", "back_pain"):
        back = (
            tpl == "back_pain" or get("body_part") in BACK_BODY_PARTS or _has(SP_BACK, words, text)
        )
        if back and "saddle_numbness" not in given:
            question = "saddle_numbness"
        elif back and "bladder_bowel_change" not in given:
            question = "bladder_bowel_change"

    if "emergency" in flags:
        return question, "sp_supplier_emergency"
    if "urgent" in flags:
        return question, "sp_supplier_urgent"
    if age is not None and age < 1:
        return question, "sp_under_1"
    if get("care_home_resident") == "yes":
        return question, "sp_care_home"
    if tpl != "dental" and (
        get("pregnant") == "yes"
        or get("immunosuppressed") == "yes"
        or get("no_spleen") == "yes"
        or get("frail") == "yes"
    ):
        return question, "sp_high_risk"
    if tpl == "mental_health":
        if get("plans_to_end_life") == "yes" or _has(SP_MH_CRISIS, words, text):
            route = "sp_mh_crisis"
        elif get("thoughts_of_self_harm") == "yes" or _has(SP_MH_SAME_DAY, words, text):
            route = "sp_mh_same_day"
        elif get("postnatal") == "yes" or _has(SP_MH_PERINATAL, words, text):
            route = "sp_mh_perinatal"
        elif "current_medication" in given or _has(SP_MH_MEDICATION, words, text):
            route = "sp_mh_medication"
        elif (
            get("anxiety") == "yes" or get("bereavement") == "yes" or _has(SP_TALKING, words, text)
        ):
            route = "sp_talking_therapies"
        else:
            route = "sp_mh_practitioner"
    elif tpl == "eye_problem":
        if (
            get("vision_changed") == "yes"
            or (get("contact_lenses") == "yes" and get("pain") in EYE_PAIN_URGENT)
            or _has(SP_EYE_URGENT, words, text)
        ):
            route = "sp_eye_urgent"
        else:
            route = "sp_optometrist"
    elif tpl == "dental":
        if get("facial_swelling") == "yes" or _has(SP_DENTAL_SWELLING, words, text):
            route = "sp_dental_swelling"
        elif get("registered_dentist") == "no":
            route = "sp_dental_111"
        else:
            route = "sp_dentist"
    elif tpl in ("sexual_health", "contraception"):
        request = get("request")
        if request == "emergency_contraception" or _has(SP_EMERGENCY_CONTRACEPTION, words, text):
            route = "sp_emergency_contraception"
        elif (
            tpl == "contraception"
            or request == "contraception"
            or _has(SP_CONTRACEPTION, words, text)
        ):
            route = "sp_contraception"
        else:
            route = "sp_sexual_health"
    elif tpl in ("msk", "back_pain"):
        if get("saddle_numbness") == "yes" or get("bladder_bowel_change") == "yes":
            route = "sp_msk_cauda_equina"
        elif _has(SP_MSK_INJURY, words, text):
            route = "sp_msk_injury"
        elif age is not None and age < 16:
            route = "sp_msk_child"
        elif get("numbness") == "yes" or _has(SP_MSK_NERVE, words, text):
            route = "sp_msk_fcp"
        else:
            route = "sp_physio_self_referral"
    else:  # self_care
        days = _num(given.get("duration_days"))
        route = "sp_default" if days is not None and days > 14 else "sp_self_care"
    return question, route


# -- admin.sop.yaml: request types admin and other, and the admin templates ------------------------


def _admin(
    tpl: str | None,
    a: dict[str, str],
    given: dict[str, Any],
    flags: Set[str],
    words: Set[str],
    text: str,
) -> str:
    get = a.get
    if "emergency" in flags:
        return "adm_supplier_emergency"
    if "urgent" in flags:
        return "adm_supplier_urgent"
    if tpl == "fit_note":
        days_off = _num(given.get("days_off"))
        extension = get("fit_note_type") == "extension"
        if days_off is not None and days_off <= 7 and not extension:
            return "adm_fit_note_self_cert"
        if extension or _has(ADM_FIT_NOTE_EXTENSION, words, text):
            return "adm_fit_note_extension"
        return "adm_fit_note_new"
    if tpl in ("repeat_medication", "medication_query"):
        if (_has(ADM_CONTROLLED_DRUGS, words, text) or _medications_hit(given)) and (
            get("early_request") == "yes" or _has(ADM_EARLY, words, text)
        ):
            return "adm_controlled_drug_early"
        if get("ran_out") == "yes" or _has(ADM_RAN_OUT, words, text):
            return "adm_repeat_urgent"
        if (
            tpl == "medication_query"
            or "query_type" in given
            or _has(ADM_MEDICATION_QUERY, words, text)
        ):
            return "adm_medication_query"
        return "adm_repeat_prescription"
    if tpl == "test_results":
        return "adm_test_results"
    if tpl == "letter_or_form":
        return "adm_letter_or_form"
    if tpl == "referral_query":
        if _has(ADM_REFERRAL_URGENT, words, text):
            return "adm_referral_urgent"
        return "adm_referral_query"
    if tpl == "subject_access":
        return "adm_subject_access"
    if tpl == "registration":
        return "adm_registration"
    if tpl == "appointment_admin":
        return "adm_appointment"
    if tpl in ("complaint", "feedback") or _has(ADM_FEEDBACK, words, text):
        return "adm_feedback_complaint"
    return "adm_other"


def _medications_hit(given: dict[str, Any]) -> bool:
    meds = given.get("medications")
    if meds is None:
        return False
    text = _norm(meds)
    return _has(ADM_CONTROLLED_DRUGS, frozenset(text.split()), text)


# -- clinical-routing.sop.yaml: everything else ---------------------------------------------------


def _clinical(
    age: int | None,
    a: dict[str, str],
    given: dict[str, Any],
    flags: Set[str],
    words: Set[str],
    text: str,
) -> str:
    get = a.get
    if "emergency" in flags:
        return "clin_supplier_emergency"
    if age is not None and age < 1:
        return "clin_under_1"
    if get("care_home_resident") == "yes":
        return "clin_care_home"
    if get("pregnant") in YES_OR_NOT_SURE:
        return "clin_pregnant"
    if get("immunosuppressed") == "yes":
        return "clin_immunosuppressed"
    if get("no_spleen") == "yes":
        return "clin_no_spleen"
    if get("frail") == "yes":
        return "clin_frail"
    if "urgent" in flags:
        return "clin_supplier_urgent"
    if (
        (
            age is not None
            and age < 5
            and (get("fever") == "yes" or _ge(given.get("temperature_c"), 38.0))
        )
        or get("on_chemotherapy") == "yes"
        or get("chest_pain") == "yes"
        or get("breathless") == "yes"
        or get("breathless_at_rest") == "yes"
        or get("rigors") == "yes"
        or get("rash_blanches") == "no"
        or get("blood_in_vomit") == "yes"
        or get("rectal_bleeding") == "yes"
        or get("calf_swelling") == "yes"
        or get("calf_pain") == "yes"
        or (get("abdominal_pain") == "yes" and get("severity") == "severe")
        or get("postmenopausal_bleeding") == "yes"
        or get("weight_loss") == "yes"
        or (get("blood_in_urine") == "yes" and age is not None and age >= 45)
    ):
        return "clin_same_day_symptoms"
    if _has(CLIN_MENTAL_HEALTH, words, text):
        return "clin_mental_health"
    if _has(CLIN_MEDICATION, words, text):
        return "clin_medication"
    if _has(CLIN_MSK, words, text):
        return "clin_msk"
    if _has(CLIN_SELF_CARE, words, text):
        return "clin_self_care"
    if _has(CLIN_MINOR_ILLNESS, words, text):
        days = _num(given.get("duration_days"))
        if (days is not None and days <= 14) or "duration_days" not in given:
            return "clin_minor_illness"
    return "clin_gp_routine"


# -- the set --------------------------------------------------------------------------------------

# Routes that already put a clinician on it today (category clinical or escalate, urgency
# immediate or same_day): an amber flag leaves them as they are.
CLINICIAN_TODAY = frozenset(
    {
        # pharmacy-first.sop.yaml
        "pf_supplier_emergency",
        "pf_supplier_urgent",
        "pf_under_1",
        "pf_very_unwell",
        "pf_care_home",
        "pf_pregnant",
        "pf_immunosuppressed",
        "pf_no_spleen",
        "pf_frail",
        "pf_uti_upper",
        "pf_uti_not_female",
        "pf_uti_under_16",
        "pf_uti_over_64",
        "pf_uti_catheter",
        "pf_uti_recurrent",
        "pf_uti_other_cause",
        "pf_uti_complicated",
        "pf_sinusitis_serious",
        "pf_sinusitis_excluded",
        "pf_sore_throat_swallowing",
        "pf_sore_throat_under_5",
        "pf_sore_throat_excluded",
        "pf_otitis_serious",
        "pf_otitis_recurrent",
        "pf_insect_bite_unwell",
        "pf_insect_bite_excluded",
        "pf_impetigo_unwell",
        "pf_impetigo_bullous_or_widespread",
        "pf_impetigo_excluded",
        "pf_shingles_eye",
        "pf_shingles_serious",
        "pf_shingles_under_18",
        "pf_eligibility_not_confirmed",
        # signposting.sop.yaml
        "sp_supplier_emergency",
        "sp_supplier_urgent",
        "sp_under_1",
        "sp_care_home",
        "sp_high_risk",
        "sp_mh_crisis",
        "sp_mh_same_day",
        "sp_eye_urgent",
        "sp_msk_cauda_equina",
        # admin.sop.yaml
        "adm_supplier_emergency",
        "adm_supplier_urgent",
        "adm_controlled_drug_early",
        # clinical-routing.sop.yaml
        "clin_supplier_emergency",
        "clin_under_1",
        "clin_care_home",
        "clin_pregnant",
        "clin_immunosuppressed",
        "clin_no_spleen",
        "clin_frail",
        "clin_supplier_urgent",
        "clin_same_day_symptoms",
    }
)
# Routes that are an escalation already (category escalate): an emergency flag leaves them.
ESCALATIONS = frozenset(
    {
        "pf_supplier_emergency",
        "sp_supplier_emergency",
        "sp_mh_crisis",
        "sp_msk_cauda_equina",
        "adm_supplier_emergency",
        "clin_supplier_emergency",
    }
)


def _govern(route: str, raised: list[str]) -> str:
    """The route once the standing red flags (in the order the SOP lists them) have their say:
    an emergency flag makes it the escalation, an amber one allows nothing below a same-day
    clinician. No flag is dismissed here, so every raised flag stands."""
    if not raised:
        return route
    for flag in raised:
        if flag in EMERGENCY_FLAGS:
            return route if route in ESCALATIONS else f"escalate_{flag}"
    return route if route in CLINICIAN_TODAY else f"same_day_{raised[0]}"


def decide(
    consultation: Mapping[str, Any], answers: Mapping[str, Any] | None, today: date
) -> Decided:
    """(sorted red flag ids, next question id or None, route id) for one consultation."""
    get = consultation.get
    age: int | None = None
    dob = _as_date(get("date_of_birth"))
    if dob is not None and dob <= today:
        age = age_on(dob, today)[0]
    sex = get("sex")
    sex = None if sex is None or sex == "" else _fold(sex)
    tpl = get("template")
    tpl = None if tpl is None or tpl == "" else _fold(tpl)
    free_text = get("free_text")
    # the navigator's answers override the request's; an empty answer is no answer
    merged = {**(get("answers") or {}), **(answers or {})}
    given = {k: v for k, v in merged.items() if v is not None and v != ""}
    if free_text is None or free_text == "":
        text, words, said = "", NO_WORDS, NO_WORDS
    else:
        text = _norm(free_text)
        words = frozenset(text.split())
        said, past = _read(free_text, today.year)
        # a patient attribute the text states counts as answered "yes" until answered
        if (said | past) & ATTRIBUTE_CONCEPTS:
            for concept, attribute, lasting in STATED_ATTRIBUTES:
                if (concept in said or (lasting and concept in past)) and attribute not in given:
                    given[attribute] = "yes"
    raw_flags = get("supplier_flags")
    flags = {_fold(f) for f in raw_flags} if raw_flags else NO_WORDS
    a = {k: _fold(v) for k, v in given.items()}

    raised = _red_flags(a, given, age, tpl, sex, said)
    if tpl in PHARMACY_FIRST_TEMPLATES:
        # pharmacy-first.sop.yaml's own flags come after the red-flag SOP's (priority order)
        raised += [flag for q, flag in PF_EMERGENCY_FLAGS if a.get(q) in YES_OR_NOT_SURE]
        question, route = _pharmacy_first(tpl, sex, age, a, given, flags, said)
    elif tpl in SIGNPOSTING_TEMPLATES:
        question, route = _signposting(tpl, age, a, given, flags, words, text)
    else:
        rtype = get("request_type")
        if (
            rtype is not None and rtype != "" and _fold(rtype) in ADMIN_REQUEST_TYPES
        ) or tpl in ADMIN_TEMPLATES:
            question, route = None, _admin(tpl, a, given, flags, words, text)
        else:
            question, route = None, _clinical(age, a, given, flags, words, text)
    return sorted(raised), question, _govern(route, raised)
