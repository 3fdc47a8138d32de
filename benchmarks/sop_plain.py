"""The shipped SOP set (sops/*.sop.yaml, version 1.0.0 of each) hard-coded in plain Python.

This is the baseline the SOP engine is measured against (benchmarks/sop_engine.py) and checked
against (tests/sop/test_plain_baseline.py): the same red flags, questions and routes, written the
way a programmer would write them by hand — if/elif chains over the template and the answers, and
phrase tables normalised once at import — without reading any YAML at run time.

Only the text helpers are shared with the engine (``normalise_text`` for the whole-word,
case- and accent-insensitive phrase match; ``age_on`` for whole years of age), so both read the
same words the same way. Everything else follows the rules in docs/sop-authoring.md: a field that
is not known makes every test on it false (so ``not`` of such a test is true), answers compare
case-insensitively as text, numbers may arrive as text, and the navigator's answers override the
request's own.

When a SOP in sops/ changes, this file must change with it (the test fails until it does).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import date
from typing import Any

from ehub_tui.sop.conditions import normalise_text
from ehub_tui.sop.engine import age_on

__all__ = ["decide"]

Decided = tuple[list[str], str | None, str | None]
# A phrase table: normalised phrases (" chest pain ") grouped by their first word, so a text is
# only searched for the phrases whose first word it contains.
Phrases = tuple[frozenset[str], dict[str, tuple[str, ...]]]


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


NO_WORDS: frozenset[str] = frozenset()
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

CHEST_PAIN = _phrases(
    "chest pain",
    "chest pains",
    "chestpain",
    "chest pian",
    "chest hurts",
    "chest is hurting",
    "chest hurting",
    "pain in my chest",
    "pain in chest",
    "pains in my chest",
    "pain across my chest",
    "pain in the middle of my chest",
    "pain in the centre of my chest",
    "pain on the left of my chest",
    "pain on the right of my chest",
    "pain on the left side of my chest",
    "pain on the right side of my chest",
    "central chest",
    "tight chest",
    "chest tightness",
    "chest feels tight",
    "chest is tight",
    "tightness in my chest",
    "tightness across my chest",
    "tight feeling in my chest",
    "tight feeling across my chest",
    "pressure in my chest",
    "pressure on my chest",
    "chest pressure",
    "heavy chest",
    "heaviness in my chest",
    "crushing pain",
    "crushing chest",
    "crushing feeling",
    "squeezing in my chest",
    "elephant on my chest",
    "down my left arm",
    "down my arm and",
    "into my left arm",
    "into my jaw",
    "heart attack",
    "angina attack",
    "angina pain",
    "angina is worse",
    "angina worse",
    "angina getting worse",
    "gtn not working",
    "gtn spray not working",
    "spray isnt helping",
    "spray isn't helping",
)

BREATHLESS = _phrases(
    "cant breathe",
    "cant breath",
    "can't breathe",
    "can't breath",
    "can t breathe",
    "can t breath",
    "cannot breathe",
    "can not breathe",
    "couldnt breathe",
    "couldn't breathe",
    "unable to breathe",
    "struggling to breathe",
    "struggling to breath",
    "struggle to breathe",
    "struggling for breath",
    "fighting for breath",
    "gasping",
    "difficulty breathing",
    "difficulty in breathing",
    "difficulties breathing",
    "breathing difficulty",
    "breathing difficulties",
    "trouble breathing",
    "hard to breathe",
    "hard to breath",
    "hard to get my breath",
    "cant get my breath",
    "can't get my breath",
    "cant catch my breath",
    "can't catch my breath",
    "short of breath",
    "shortness of breath",
    "out of breath",
    "breathless",
    "so breathless",
    "cant finish a sentence",
    "can't finish a sentence",
    "cant finish my sentences",
    "can't finish my sentences",
    "cant speak in full sentences",
    "can't talk in full sentences",
    "lips turning blue",
    "lips are blue",
    "lips have gone blue",
    "blue lips",
    "turning blue",
    "going blue",
    "drooling",
    "cant swallow my own spit",
    "can't swallow my own spit",
    "cant swallow my spit",
    "can't swallow my saliva",
    "cant swallow my saliva",
    "stridor",
    "noisy breathing",
    "throat closing",
    "throat is closing",
    "airway is closing",
    "blocked airway",
)

STROKE = _phrases(
    "face drooping",
    "face droop",
    "face has dropped",
    "face dropped",
    "face has drooped",
    "face drooped",
    "face is drooping",
    "face has fallen",
    "droopy face",
    "drooping face",
    "dropped on one side",
    "drooping on one side",
    "mouth drooping",
    "slurred speech",
    "speech slurred",
    "speech is slurred",
    "speech was slurred",
    "slurring",
    "slurred",
    "words came out jumbled",
    "words jumbled",
    "jumbled words",
    "words came out wrong",
    "cant get my words out",
    "can't get my words out",
    "cant get his words out",
    "can't get his words out",
    "cant get her words out",
    "can't get her words out",
    "cant speak properly",
    "can't speak properly",
    "arm went weak",
    "arm has gone weak",
    "arm gone weak",
    "arm is weak",
    "arm weakness",
    "leg went weak",
    "leg has gone weak",
    "weakness on one side",
    "weak on one side",
    "numb on one side",
    "numbness on one side",
    "one side of my body",
    "one side of his body",
    "one side of her body",
    "cant lift her arm",
    "can't lift her arm",
    "cant lift his arm",
    "can't lift his arm",
    "cant lift her right arm",
    "can't lift her right arm",
    "cant lift her left arm",
    "can't lift her left arm",
    "cant lift his right arm",
    "can't lift his right arm",
    "cant lift his left arm",
    "can't lift his left arm",
    "having a stroke",
    "had a stroke this morning",
    "think its a stroke",
    "think it's a stroke",
    "think he's had a stroke",
    "think she's had a stroke",
    "signs of a stroke",
    "mini stroke",
    "mini-stroke",
    "having a tia",
    "had a tia today",
    "think i had a tia",
)

COLLAPSE = _phrases(
    "collapsed",
    "collapse",
    "collapsing",
    "passed out",
    "passing out",
    "blacked out",
    "blacking out",
    "fainted",
    "fainting",
    "unconscious",
    "unresponsive",
    "isnt responding",
    "isn't responding",
    "not responding to me",
    "not responding to us",
    "lost consciousness",
    "loss of consciousness",
    "was knocked out",
    "got knocked out",
    "knocked myself out",
    "knocked himself out",
    "knocked herself out",
    "knocked unconscious",
    "out cold",
    "keeled over",
    "wont wake up",
    "won't wake up",
    "cant wake him",
    "can't wake him",
    "cant wake her",
    "can't wake her",
    "hard to wake",
    "difficult to wake",
    "unrousable",
)

CONFUSION = _phrases(
    "is confused",
    "very confused",
    "more confused",
    "suddenly confused",
    "seems confused",
    "became confused",
    "gone confused",
    "been confused since",
    "confused and",
    "acting confused",
    "new confusion",
    "confusion",
    "confusing things",
    "talking nonsense",
    "talking rubbish",
    "talking gibberish",
    "not making sense",
    "making no sense",
    "didnt know what day",
    "didn't know what day",
    "doesnt know what day",
    "doesn't know what day",
    "doesnt know where",
    "doesn't know where",
    "didnt know where",
    "didn't know where",
    "didnt recognise",
    "didn't recognise",
    "doesnt recognise",
    "doesn't recognise",
    "thought i was his",
    "thought i was her",
    "disorientated",
    "disoriented",
    "delirious",
    "delirium",
    "not with it",
    "away with the fairies",
    "hallucinating",
    "seeing things",
)

SEIZURE = _phrases(
    "fitting",
    "having a seizure",
    "having seizures",
    "had a seizure",
    "first seizure",
    "another seizure",
    "seizure wont stop",
    "seizure won't stop",
    "seizure lasted",
    "seizing",
    "convulsing",
    "convulsion",
    "convulsions",
    "having a fit",
    "had a fit",
    "in a fit",
    "epileptic fit",
    "fit wont stop",
    "fit won't stop",
    "wont stop shaking",
    "won't stop shaking",
    "status epilepticus",
)

SEVERE_BLEEDING = _phrases(
    "severe bleeding",
    "bleeding heavily",
    "heavy bleeding",
    "bleeding badly",
    "bleeding a lot",
    "bleeding loads",
    "lots of blood",
    "a lot of blood",
    "loads of blood",
    "so much blood",
    "losing blood",
    "blood everywhere",
    "pool of blood",
    "wont stop bleeding",
    "bleeding wont stop",
    "bleeding won't stop",
    "bleeding will not stop",
    "cant stop bleeding",
    "can't stop bleeding",
    "won't stop bleeding",
    "will not stop bleeding",
    "cant stop the bleeding",
    "can't stop the bleeding",
    "cant stop it bleeding",
    "can't stop it bleeding",
    "spurting",
    "pumping out",
    "gushing",
    "pouring with blood",
    "pouring blood",
    "soaked in blood",
    "soaked with blood",
    "blood soaked",
    "soaked through",
    "soaked 2",
    "soaked 3",
    "soaked two",
    "soaked three",
    "soaked the",
    "soaked a",
    "soaking through",
    "filled the toilet",
    "haemorrhage",
    "haemorrhaging",
    "hemorrhage",
    "hemorrhaging",
)

ANAPHYLAXIS = _phrases(
    "anaphylaxis",
    "anaphylactic",
    "epipen",
    "epi pen",
    "epi-pen",
    "jext",
    "adrenaline pen",
    "lips swelling",
    "lips are swelling",
    "lips swelling up",
    "lips swollen",
    "lips are swollen",
    "lips have swollen",
    "lip swelling",
    "lip is swelling",
    "lip swollen",
    "swollen lips",
    "swollen lip",
    "lips and tongue",
    "tongue swelling",
    "tongue is swelling",
    "tongue swollen",
    "tongue is swollen",
    "swollen tongue",
    "throat feels tight",
    "throat is tight",
    "throat tight",
    "tight throat",
    "throat swelling",
    "throat is swelling",
    "throat closing",
    "face swelling up",
    "face swelled up",
    "face has swollen up",
    "severe allergic reaction",
    "bad allergic reaction",
    "serious allergic reaction",
)

NON_BLANCHING = _phrases(
    "doesnt fade",
    "doesn't fade",
    "does not fade",
    "dont fade",
    "don't fade",
    "do not fade",
    "wont fade",
    "won't fade",
    "doesnt go away when",
    "doesn't go away when",
    "dont go away when",
    "don't go away when",
    "don't go when",
    "dont go when",
    "press a glass",
    "pressed a glass",
    "pressing a glass",
    "roll a glass",
    "rolled a glass",
    "under a glass",
    "under the glass",
    "through the glass",
    "glass test",
    "tumbler test",
    "non blanching",
    "nonblanching",
    "not blanching",
    "doesnt blanch",
    "doesn't blanch",
    "does not blanch",
    "dont blanch",
    "don't blanch",
    "purple spots",
    "purple rash",
    "purple blotches",
    "pinprick rash",
    "pin prick rash",
    "petechiae",
    "petechial",
    "meningitis",
    "meningococcal",
)

MENINGISM = _phrases(
    "stiff neck",
    "neck is stiff",
    "neck feels stiff",
    "neck stiff",
    "cant bend his neck",
    "can't bend his neck",
    "cant bend her neck",
    "can't bend her neck",
    "cant bend my neck",
    "can't bend my neck",
    "light hurts my eyes",
    "light hurts his eyes",
    "light hurts her eyes",
    "cant stand the light",
    "can't stand the light",
    "photophobia",
)

MENINGISM_WITH = _phrases(
    "headache",
    "head ache",
    "head hurts",
    "temperature",
    "temp",
    "fever",
    "feverish",
    "vomiting",
    "being sick",
    "drowsy",
    "sleepy",
    "rash",
    "spots",
)

SEPSIS = _phrases(
    "sepsis",
    "septic",
    "rigors",
    "rigor",
    "shaking uncontrollably",
    "uncontrollable shaking",
    "shaking and shivering",
    "shivering and shaking",
    "shivering uncontrollably",
    "uncontrollable shivering",
    "teeth chattering",
    "cant stop shivering",
    "can't stop shivering",
    "cant stop shaking",
    "can't stop shaking",
    "mottled",
    "blotchy and purple",
    "purple and blotchy",
    "blotchy skin",
    "skin looks blotchy",
    "skin is blotchy",
    "skin looks blue",
    "skin is blue",
    "grey and clammy",
    "pale and clammy",
    "very unwell",
    "really unwell",
    "really really unwell",
    "extremely unwell",
    "seriously unwell",
    "never felt this ill",
    "never felt so ill",
    "worst i have ever felt",
    "worst ive ever felt",
    "worst i've ever felt",
    "not had a wee",
    "not passed urine",
    "havent had a wee",
    "haven't had a wee",
    "havent passed urine",
    "haven't passed urine",
    "havent peed",
    "haven't peed",
    "no wee",
    "floppy",
    "very sleepy",
    "very drowsy",
    "really drowsy",
    "extremely drowsy",
)

WORST_HEADACHE = _phrases(
    "worst headache",
    "worst head ache",
    "worst ever headache",
    "worst pain of my life",
    "thunderclap",
    "thunder clap",
    "sudden severe headache",
    "sudden headache",
    "headache came on suddenly",
    "came on like being hit",
    "like being hit",
    "hit with a bat",
    "hit over the head",
    "explosive headache",
    "headache like an explosion",
    "worst migraine of my life",
)

CAUDA_EQUINA = _phrases(
    "cauda equina",
    "saddle numbness",
    "saddle anaesthesia",
    "saddle area",
    "numb down below",
    "numbness down below",
    "numb around my bottom",
    "numb round my bottom",
    "numb around my bum",
    "numb bum",
    "numb bottom",
    "numbness around my bottom",
    "numbness around my bum",
    "numb between my legs",
    "numbness between my legs",
    "numb in my groin",
    "numb private parts",
    "numb genitals",
    "cant feel when i wipe",
    "can't feel when i wipe",
    "cant feel myself when i wipe",
    "numb when i wipe",
    "cant feel my bum",
    "can't feel my bum",
    "cant feel my bottom",
    "can't feel my bottom",
    "cant feel down below",
    "can't feel down below",
    "cant feel the toilet paper",
    "can't feel the toilet paper",
    "wet myself",
    "wetting myself",
    "weed myself",
    "peed myself",
    "soiled myself",
    "pooed myself",
    "pooped myself",
    "lost control of my bladder",
    "lost control of my bowels",
    "cant control my bladder",
    "can't control my bladder",
    "cant control my bowels",
    "can't control my bowels",
    "new incontinence",
    "sudden incontinence",
    "cant pee",
    "can't pee",
    "cant wee",
    "can't wee",
    "unable to pass urine",
    "cant pass urine",
    "can't pass urine",
    "numb down both legs",
    "both legs numb",
    "both legs weak",
    "sciatica in both legs",
)

VOMITING_BLOOD = _phrases(
    "vomiting blood",
    "vomited blood",
    "vomit blood",
    "vommiting blood",
    "vomitting blood",
    "blood in my sick",
    "blood in sick",
    "blood in his sick",
    "blood in her sick",
    "blood in my vomit",
    "blood in vomit",
    "blood in the vomit",
    "sick with blood",
    "sick had blood",
    "it had blood in it",
    "throwing up blood",
    "threw up blood",
    "thrown up blood",
    "puking blood",
    "puked blood",
    "sicking up blood",
    "sicked up blood",
    "bringing up blood",
    "coffee grounds",
    "coffee ground",
    "coffee-ground",
    "haematemesis",
    "hematemesis",
)

PASSING_BLOOD = _phrases(
    "passing blood",
    "passing a lot of blood",
    "passed blood",
    "pooing blood",
    "pooping blood",
    "poo with blood",
    "blood when i poo",
    "blood when i wipe",
    "blood on the toilet paper",
    "blood from my back passage",
    "blood from my bottom",
    "blood from my bum",
    "blood from my backside",
    "bleeding from my back passage",
    "bleeding from my bottom",
    "bleeding from my bum",
    "bleeding from my backside",
    "rectal bleeding",
    "rectal bleed",
    "black poo",
    "black stools",
    "black stool",
    "black tarry",
    "tarry stools",
    "tarry poo",
    "poo is black",
    "blood in my poo",
    "blood in poo",
    "blood in my stool",
    "blood in stool",
    "blood in my stools",
    "melaena",
    "melena",
)

SEVERE_ABDO = _phrases(
    "severe abdominal pain",
    "severe tummy pain",
    "severe stomach pain",
    "severe belly pain",
    "severe pain in my tummy",
    "severe pain in my stomach",
    "severe pain in my abdomen",
    "agonising pain in my tummy",
    "agonising pain in my stomach",
    "agonising pain in my belly",
    "agonising pain in my abdomen",
    "agonising tummy",
    "agonising stomach",
    "agonizing pain in my tummy",
    "agonizing pain in my stomach",
    "agony in my tummy",
    "agony in my stomach",
    "tummy pain is unbearable",
    "unbearable tummy pain",
    "unbearable stomach pain",
    "excruciating",
    "doubled over",
    "doubled up",
    "cant stand up straight",
    "can't stand up straight",
    "cannot stand up straight",
    "tummy is rigid",
    "rigid tummy",
    "stomach is rigid",
    "hard swollen tummy",
    "worst pain ive ever had",
    "worst pain i've ever had",
)

TESTICULAR = _phrases(
    "testicle",
    "testicles",
    "testicular",
    "testis",
    "scrotum",
    "scrotal",
    "my balls hurt",
    "my ball hurts",
    "pain in my balls",
    "pain in my ball",
    "pain in his balls",
    "kicked in the balls",
    "ball sack",
    "nut sack",
    "torsion",
)

ECTOPIC = _phrases(
    "ectopic",
    "miscarriage",
    "miscarrying",
    "losing the baby",
)

MAYBE_PREGNANT = _phrases(
    "pregnant",
    "pregnancy test",
    "positive test",
    "weeks gone",
    "missed period",
    "missed my period",
    "period is late",
    "period late",
    "late period",
    "late for my period",
)

EARLY_PREGNANCY_SYMPTOMS = _phrases(
    "bleeding",
    "bleed",
    "spotting",
    "blood loss",
    "passing clots",
    "tummy pain",
    "stomach pain",
    "abdominal pain",
    "belly pain",
    "pelvic pain",
    "pain in my tummy",
    "pain in my stomach",
    "pain low down",
    "pain in my lower tummy",
    "lower tummy pain",
    "low tummy pain",
    "cramps",
    "cramping",
    "sharp pain",
    "shoulder tip",
    "pain goes into my shoulder",
    "pain in my shoulder when i lie down",
    "side pain",
    "pain in my side",
    "pain on one side",
)

VISION_LOSS = _phrases(
    "lost the vision",
    "lost vision",
    "lost my vision",
    "lost the sight",
    "lost my sight",
    "loss of vision",
    "vision loss",
    "sight loss",
    "gone blind",
    "went blind",
    "going blind",
    "blind in one eye",
    "cant see out of",
    "can't see out of",
    "cannot see out of",
    "cant see anything",
    "can't see anything",
    "curtain",
    "shadow over my vision",
    "shadow across my vision",
    "vision went",
    "vision has gone",
    "vision went black",
    "vision went dark",
    "sudden double vision",
    "double vision",
    "flashing lights",
    "flashes and floaters",
    "new floaters",
    "shower of floaters",
)

RED_EYE = _phrases(
    "red and painful and blurry",
    "red, painful and blurry",
    "painful red eye",
    "red painful eye",
    "eye is red and painful",
    "eye is red, painful",
    "eye is painful and red",
    "blurry",
    "blurred",
    "blurring",
    "vision is blurry",
    "vision is blurred",
    "cant see properly",
    "can't see properly",
    "halos around lights",
    "halos round lights",
    "chemical in my eye",
    "bleach in my eye",
    "acid in my eye",
    "something went in my eye at speed",
    "hit in the eye",
    "poked in the eye",
)

SUICIDAL = _phrases(
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "end it all",
    "ending it all",
    "want to end it",
    "going to end it",
    "end things",
    "take my own life",
    "taking my own life",
    "want to die",
    "wanna die",
    "wish i was dead",
    "wish i were dead",
    "better off dead",
    "better off without me",
    "no reason to live",
    "nothing to live for",
    "dont want to be here",
    "don't want to be here",
    "not want to be here anymore",
    "cant go on",
    "can't go on",
    "cant do this anymore",
    "can't do this anymore",
    "cant cope anymore",
    "can't cope anymore",
    "saved up my tablets",
    "saved my tablets",
    "saved up my pills",
    "saved my pills",
    "saving up my tablets",
    "saving up my pills",
    "saved up tablets",
    "saved up pills",
    "stockpiled",
    "stockpiling",
    "take them all",
    "take all my tablets",
    "take all my pills",
    "overdose",
    "overdosed",
    "taken an overdose",
    "hang myself",
    "hanging myself",
    "jump off",
    "jump in front",
    "self harm",
    "self-harm",
    "selfharm",
    "harm myself",
    "hurt myself",
    "hurting myself",
    "cut myself",
    "cutting myself",
    "goodbye note",
    "suicide note",
)

FEVER_STATED = _phrases(
    "high temp",
    "high temperature",
    "temp of",
    "temperature of",
    "temp is",
    "temperature is",
    "feverish",
    "has a fever",
    "had a fever",
    "got a fever",
    "running a temp",
    "running a temperature",
    "burning up",
    "feels hot",
    "felt hot",
    "is hot to touch",
)

FEVER_WORDS = _phrases(
    "fever",
    "temp",
    "temperature",
    "temps",
    "pyrexia",
    "feverish",
)

DVT_PE = _phrases(
    "dvt",
    "deep vein thrombosis",
    "blood clot in my leg",
    "clot in my leg",
    "clot in my lung",
    "clot on my lung",
    "pulmonary embolism",
    "calf is swollen",
    "calf swollen",
    "swollen calf",
    "calf swelling",
    "calf is red",
    "calf pain",
    "pain in my calf",
    "calf hurts",
    "calf is painful",
    "painful calf",
    "one leg swollen",
    "leg is swollen",
    "swollen leg",
    "leg swollen",
    "when i breathe in",
    "when i take a breath",
    "hurts to breathe",
    "hurts when i breathe",
    "pain on breathing",
    "coughing up blood",
)

GCA = _phrases(
    "jaw aches when i chew",
    "jaw ache when i chew",
    "jaw hurts when i chew",
    "jaw pain when i chew",
    "jaw aches when chewing",
    "jaw pain when chewing",
    "jaw hurts when chewing",
    "jaw aches when i eat",
    "jaw hurts when i eat",
    "jaw ache",
    "jaw aches",
    "jaw pain",
    "jaw hurts",
    "temple pain",
    "pain in my temple",
    "pain in my temples",
    "pain at my temple",
    "temples hurt",
    "temple is tender",
    "tender temple",
    "scalp is tender",
    "scalp tender",
    "tender scalp",
    "scalp is sore",
    "sore scalp",
    "brush my hair",
    "brushing my hair",
    "comb my hair",
    "combing my hair",
    "giant cell arteritis",
    "temporal arteritis",
    "new headache",
)

POSTMENOPAUSAL = _phrases(
    "periods stopped",
    "periods have stopped",
    "after the menopause",
    "after my menopause",
    "since the menopause",
    "since my menopause",
    "post menopausal",
    "postmenopausal",
    "been through the menopause",
)

BLEEDING_WORDS = _phrases(
    "bleeding",
    "bleed",
    "spotting",
    "blood",
)

HOARSE = _phrases(
    "hoarse",
    "hoarseness",
    "husky voice",
    "voice has changed",
    "lost my voice for weeks",
)

HAEMATURIA = _phrases(
    "blood in my wee",
    "blood in my urine",
    "blood in urine",
    "blood in my pee",
    "wee was red",
    "wee is red",
    "red wee",
    "pee was red",
    "urine was red",
    "urine is red",
)

CANCER = _phrases(
    "found a lump",
    "new lump",
    "breast lump",
    "lump in my breast",
    "lump in my left breast",
    "lump in my right breast",
    "lump in her breast",
    "lump in my armpit",
    "lump under my arm",
    "lump in my neck",
    "lump on my neck",
    "lump in my testicle",
    "lump on my testicle",
    "nipple pulled in",
    "nipple looks a bit pulled in",
    "nipple is pulled in",
    "nipple inverted",
    "inverted nipple",
    "nipple discharge",
    "bloody discharge from my nipple",
    "unexplained weight loss",
    "unintentional weight loss",
    "lost weight without",
    "losing weight without",
    "lost a lot of weight",
    "losing a lot of weight",
    "weight is dropping off",
    "lost a stone",
    "lost about a stone",
    "lost two stone",
    "without trying",
    "unexplained weight",
    "food keeps getting stuck",
    "food getting stuck",
    "food gets stuck",
    "food sticks",
    "food sticking",
    "stuck when i swallow",
    "gets stuck when i swallow",
    "dysphagia",
    "post menopausal bleeding",
    "postmenopausal bleeding",
    "bleeding after the menopause",
    "bleeding after my menopause",
    "coughing up blood",
    "coughed up blood",
    "blood when i cough",
    "mole has changed",
    "mole is changing",
    "changing mole",
    "mole has got bigger",
    "mole getting bigger",
    "mole is bleeding",
    "mole bleeding",
    "change in bowel habit",
    "bowels have changed",
    "poo has been loose",
    "loose and darker",
    "ulcer that wont heal",
    "ulcer that won't heal",
    "sore that wont heal",
    "sore that won't heal",
)

CHEMO = _phrases(
    "chemo",
    "chemotherapy",
    "on chemo",
    "having chemo",
    "chemo nurse",
    "chemo line",
    "immunotherapy",
    "neutropenic",
    "neutropenia",
)

CHEMO_UNWELL = _phrases(
    "temp",
    "temperature",
    "fever",
    "feverish",
    "shivery",
    "shivering",
    "shaking",
    "hot and cold",
    "unwell",
    "feel ill",
    "feeling ill",
    "sore throat",
    "cough",
    "diarrhoea",
    "vomiting",
    "being sick",
)

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


# -- red-flags.sop.yaml: every consultation --------------------------------------------------------


def _red_flags(
    a: dict[str, str],
    given: dict[str, Any],
    age: int | None,
    tpl: str | None,
    words: Set[str],
    text: str,
) -> list[str]:
    get = a.get
    found: list[str] = []
    add = found.append
    # emergency
    if (
        get("chest_pain") == "yes"
        or get("chest_pain_at_rest") == "yes"
        or _has(CHEST_PAIN, words, text)
    ):
        add("rf_chest_pain")
    if (
        get("breathless_at_rest") == "yes"
        or get("breathless") == "yes"
        or _has(BREATHLESS, words, text)
    ):
        add("rf_breathless_at_rest")
    if _has(STROKE, words, text):
        add("rf_stroke")
    if _has(COLLAPSE, words, text):
        add("rf_collapse")
    if _has(CONFUSION, words, text):
        add("rf_new_confusion")
    if _has(SEIZURE, words, text):
        add("rf_seizure")
    if (get("rectal_bleeding") == "yes" and get("severity") == "severe") or _has(
        SEVERE_BLEEDING, words, text
    ):
        add("rf_severe_bleeding")
    if _has(ANAPHYLAXIS, words, text):
        add("rf_anaphylaxis")
    if (
        get("rash_blanches") == "no"
        or _has(NON_BLANCHING, words, text)
        or (
            _has(MENINGISM, words, text)
            and (get("fever") == "yes" or _has(MENINGISM_WITH, words, text))
        )
    ):
        add("rf_non_blanching_rash")
    if get("rigors") == "yes" or _has(SEPSIS, words, text):
        add("rf_sepsis")
    if _has(WORST_HEADACHE, words, text):
        add("rf_worst_headache")
    if (
        get("saddle_numbness") == "yes"
        or get("bladder_bowel_change") == "yes"
        or _has(CAUDA_EQUINA, words, text)
    ):
        add("rf_cauda_equina")
    if get("blood_in_vomit") == "yes" or _has(VOMITING_BLOOD, words, text):
        add("rf_vomiting_blood")
    if get("rectal_bleeding") == "yes" or _has(PASSING_BLOOD, words, text):
        add("rf_passing_blood")
    if (get("abdominal_pain") == "yes" and get("severity") == "severe") or _has(
        SEVERE_ABDO, words, text
    ):
        add("rf_severe_abdominal_pain")
    if get("testicular_pain") == "yes" or _has(TESTICULAR, words, text):
        add("rf_testicular_pain")
    if _has(ECTOPIC, words, text) or (
        # answers.pregnant and patient.pregnant are the same answer
        (get("pregnant") == "yes" or _has(MAYBE_PREGNANT, words, text))
        and _has(EARLY_PREGNANCY_SYMPTOMS, words, text)
    ):
        add("rf_ectopic")
    vision_changed = get("vision_changed") == "yes"
    sudden = get("sudden") == "yes"
    if (vision_changed and sudden) or _has(VISION_LOSS, words, text):
        add("rf_sudden_vision_loss")
    if (vision_changed and not sudden) or _has(RED_EYE, words, text):
        add("rf_painful_red_eye")
    if (
        get("plans_to_end_life") == "yes"
        or get("thoughts_of_self_harm") == "yes"
        or _has(SUICIDAL, words, text)
    ):
        add("rf_suicidal_intent")
    # urgent
    fever = get("fever")
    if (
        age is not None
        and age < 5
        and (
            fever == "yes"
            or _ge(given.get("temperature_c"), 38.0)
            or _has(FEVER_STATED, words, text)
            or (fever is None and _has(FEVER_WORDS, words, text))
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
        or _has(DVT_PE, words, text)
    ):
        add("rf_dvt_pe")
    if (
        age is not None
        and age >= 50
        and (get("jaw_claudication") == "yes" or _has(GCA, words, text))
    ):
        add("rf_jaw_claudication")
    over_45 = age is not None and age >= 45
    if (
        get("weight_loss") == "yes"
        or get("postmenopausal_bleeding") == "yes"
        or (_has(POSTMENOPAUSAL, words, text) and _has(BLEEDING_WORDS, words, text))
        or (over_45 and get("blood_in_urine") == "yes")
        or (
            over_45
            and _has(HOARSE, words, text)
            and (tpl != "sore_throat" or _ge(given.get("duration_days"), 21.0))
        )
        or (over_45 and _has(HAEMATURIA, words, text))
        or _has(CANCER, words, text)
    ):
        add("rf_cancer_2ww")
    if (get("on_chemotherapy") == "yes" or _has(CHEMO, words, text)) and (
        fever == "yes"
        or _ge(given.get("temperature_c"), 37.5)
        or get("rigors") == "yes"
        or _has(CHEMO_UNWELL, words, text)
    ):
        add("rf_chemo_neutropenic")
    return found


def _ge(value: Any, bound: float) -> bool:
    n = _num(value)
    return n is not None and n >= bound


# -- pharmacy-first.sop.yaml: templates sinusitis, sore_throat, acute_otitis_media, ----------------
#    infected_insect_bite, impetigo, shingles, uti


def _pharmacy_first(
    tpl: str,
    sex: str | None,
    age: int | None,
    a: dict[str, str],
    given: dict[str, Any],
    flags: Set[str],
) -> tuple[str | None, str]:
    get = a.get
    known = age is not None
    pregnant = get("pregnant")

    question: str | None = None
    if tpl == "uti":
        woman_16_64 = sex == "female" and known and 16 <= age <= 64
        if woman_16_64:
            six = _num(given.get("uti_episodes_6_months"))
            twelve = _num(given.get("uti_episodes_12_months"))
            if "pregnant" not in given:
                question = "pregnant"
            elif pregnant not in YES_OR_NOT_SURE:
                if "catheter" not in given:
                    question = "catheter"
                elif (
                    "uti_recurrent" not in given
                    and not (six is not None and six >= 2)
                    and not (twelve is not None and twelve >= 3)
                    and (
                        "uti_episodes_6_months" not in given
                        or "uti_episodes_12_months" not in given
                    )
                ):
                    question = "uti_recurrent"
    elif tpl == "sinusitis":
        if known and age >= 12:
            if "pregnant" not in given and sex is not None and sex != "male":
                question = "pregnant"
            elif "immunosuppressed" not in given:
                question = "immunosuppressed"
            elif "sinus_over_12_weeks" not in given and "duration_days" not in given:
                question = "sinus_over_12_weeks"
    elif tpl == "shingles":
        adult = known and age >= 18
        if adult and "pregnant" not in given and sex is not None and sex != "male":
            question = "pregnant"
        elif adult and "immunosuppressed" not in given:
            question = "immunosuppressed"
        elif adult and "rash_over_7_days" not in given and "rash_days" not in given:
            question = "rash_over_7_days"
        elif "near_eye" not in given:
            question = "near_eye"
    elif tpl == "impetigo":
        if known and age >= 1:
            if "bullous" not in given:
                question = "bullous"
            elif "widespread" not in given:
                question = "widespread"
            elif "impetigo_recurrent" not in given and "episodes_12_months" not in given:
                question = "impetigo_recurrent"
    elif tpl == "acute_otitis_media" and known and 1 <= age <= 17 and "aom_recurrent" not in given:
        question = "aom_recurrent"

    route = "pf_eligibility_not_confirmed"
    if "emergency" in flags:
        route = "pf_supplier_emergency"
    elif "urgent" in flags:
        route = "pf_supplier_urgent"
    elif known and age < 1:
        route = "pf_under_1"
    elif get("care_home_resident") == "yes":
        route = "pf_care_home"
    elif pregnant in YES_OR_NOT_SURE:
        route = "pf_pregnant"
    elif get("immunosuppressed") == "yes":
        route = "pf_immunosuppressed"
    elif get("no_spleen") == "yes":
        route = "pf_no_spleen"
    elif get("frail") == "yes":
        route = "pf_frail"
    elif tpl == "uti":
        six = _num(given.get("uti_episodes_6_months"))
        twelve = _num(given.get("uti_episodes_12_months"))
        recurrent = get("uti_recurrent")
        if get("fever") == "yes" or get("back_pain") == "yes" or get("rigors") == "yes":
            route = "pf_uti_upper"
        elif sex is not None and sex != "female":
            route = "pf_uti_not_female"
        elif known and age < 16:
            route = "pf_uti_under_16"
        elif known and age >= 65:
            route = "pf_uti_over_64"
        elif get("catheter") == "yes":
            route = "pf_uti_catheter"
        elif (
            (six is not None and six >= 2)
            or (twelve is not None and twelve >= 3)
            or recurrent == "yes"
        ):
            route = "pf_uti_recurrent"
        elif (
            sex == "female"
            and known
            and 16 <= age <= 64
            and pregnant == "no"
            and get("catheter") == "no"
            and (
                (six is not None and six < 2 and twelve is not None and twelve < 3)
                or recurrent == "no"
            )
        ):
            route = "pf_uti"
    elif tpl == "shingles":
        rash_days = _num(given.get("rash_days"))
        over_7 = get("rash_over_7_days")
        if get("near_eye") == "yes" or get("vision_changed") == "yes":
            route = "pf_shingles_eye"
        elif known and age < 18:
            route = "pf_shingles_under_18"
        elif (rash_days is not None and rash_days > 7) or over_7 == "yes":
            route = "pf_shingles_late"
        elif (
            known
            and age >= 18
            and (sex == "male" or pregnant == "no")
            and get("immunosuppressed") == "no"
            and get("near_eye") == "no"
            and ((rash_days is not None and rash_days <= 7) or over_7 == "no")
        ):
            route = "pf_shingles"
    elif tpl == "sore_throat":
        if get("difficulty_swallowing") == "yes":
            route = "pf_sore_throat_swallowing"
        elif known and age < 5:
            route = "pf_sore_throat_under_5"
        elif known:
            route = "pf_sore_throat"
    elif tpl == "infected_insect_bite":
        if get("fever") == "yes":
            route = "pf_insect_bite_unwell"
        elif known and age >= 1:
            route = "pf_insect_bite"
    elif tpl == "sinusitis":
        days = _num(given.get("duration_days"))
        over_12_weeks = get("sinus_over_12_weeks")
        if known and age < 12:
            route = "pf_sinusitis_under_12"
        elif (days is not None and days > 84) or over_12_weeks == "yes":
            route = "pf_sinusitis_chronic"
        elif (
            known
            and get("immunosuppressed") == "no"
            and (sex == "male" or pregnant == "no")
            and ((days is not None and days <= 84) or over_12_weeks == "no")
        ):
            route = "pf_sinusitis"
    elif tpl == "acute_otitis_media":
        recurrent = get("aom_recurrent")
        if known and age >= 18:
            route = "pf_otitis_adult"
        elif recurrent == "yes":
            route = "pf_otitis_recurrent"
        elif known and age >= 1 and recurrent == "no":
            route = "pf_otitis"
    elif tpl == "impetigo":
        episodes = _num(given.get("episodes_12_months"))
        recurrent = get("impetigo_recurrent")
        bullous, widespread = get("bullous"), get("widespread")
        if bullous == "yes" or widespread == "yes":
            route = "pf_impetigo_bullous_or_widespread"
        elif (episodes is not None and episodes >= 1) or recurrent == "yes":
            route = "pf_impetigo_recurrent"
        elif (
            known
            and age >= 1
            and bullous == "no"
            and widespread == "no"
            and ((episodes is not None and episodes < 1) or recurrent == "no")
        ):
            route = "pf_impetigo"
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
    if get("pregnant") == "yes":
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
    if free_text is None or free_text == "":
        text, words = "", NO_WORDS
    else:
        text = _norm(free_text)
        words = frozenset(text.split())
    raw_flags = get("supplier_flags")
    flags = {_fold(f) for f in raw_flags} if raw_flags else NO_WORDS
    # the navigator's answers override the request's; an empty answer is no answer
    merged = {**(get("answers") or {}), **(answers or {})}
    given = {k: v for k, v in merged.items() if v is not None and v != ""}
    a = {k: _fold(v) for k, v in given.items()}

    red_flags = _red_flags(a, given, age, tpl, words, text)
    red_flags.sort()
    if tpl in PHARMACY_FIRST_TEMPLATES:
        question, route = _pharmacy_first(tpl, sex, age, a, given, flags)
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
    return red_flags, question, route
