"""The daily return's metric names: one catalogue, documented in docs/returns.md."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

COLUMNS = ("DATE", "PCN_CODE", "PCN_NAME", "GP_CODE", "GP_NAME", "SUPPLIER", "METRIC", "VALUE")
ALL_SUPPLIERS = "ALL"

# Submissions: listed for every supplier seen in the range, and for ALL suppliers together.
SUBMISSIONS = (
    "OC_TOTAL_SUBMISSIONS",
    "OC_SUBMISSION_TYPE_CLINICAL",
    "OC_SUBMISSION_TYPE_ADMIN",
    "OC_SUBMISSION_TYPE_OTHER",
)
REQUEST_TYPE_METRIC = {
    "clinical": "OC_SUBMISSION_TYPE_CLINICAL",
    "admin": "OC_SUBMISSION_TYPE_ADMIN",
}
OTHER_TYPE_METRIC = "OC_SUBMISSION_TYPE_OTHER"

FLOW = ("BACKLOG_START", "PROCESSED", "CANCELLED", "BACKLOG_END")

CATEGORIES = ("signpost", "clinical", "admin", "escalate")
CATEGORY_METRICS = tuple(f"OUTCOME_CATEGORY_{c.upper()}" for c in CATEGORIES)
OTHER_CATEGORY_METRIC = "OUTCOME_CATEGORY_OTHER"
DESTINATION_PREFIX = "OUTCOME_DESTINATION_"

# Pharmacy First: an outcome coded with either Pharmacy First SNOMED concept is a referral; the
# condition is the consultation's template (the seven clinical pathways).
PHARMACY_FIRST_SNOMED = frozenset({"1362511000000107", "983341000000102"})
PHARMACY_FIRST_CONDITIONS = (
    "sinusitis",
    "sore_throat",
    "acute_otitis_media",
    "infected_insect_bite",
    "impetigo",
    "shingles",
    "uti",
)
PHARMACY_FIRST_TOTAL = "PHARMACY_FIRST_REFERRALS"
PHARMACY_FIRST_METRICS = tuple(f"PHARMACY_FIRST_{c.upper()}" for c in PHARMACY_FIRST_CONDITIONS)
PHARMACY_FIRST_OTHER = "PHARMACY_FIRST_OTHER_CONDITION"

ESCALATIONS = "ESCALATIONS"
TIMINGS = (
    "MINUTES_TO_FIRST_ACTION_MEDIAN",
    "MINUTES_TO_FIRST_ACTION_P90",
    "MINUTES_TO_COMPLETION_MEDIAN",
    "MINUTES_TO_COMPLETION_P90",
)
STANDARD = ("COMPLETED_WITHIN_STANDARD", "PCT_COMPLETED_WITHIN_STANDARD")
REASSIGNMENTS = "REASSIGNMENTS"
EQUITY = (
    "PATIENTS_REGISTERED",
    "HUB_SHARE_PCT",
    "LIST_SHARE_PCT",
    "EQUITY_RATIO",
    "SUBMISSIONS_PER_1000_PATIENTS",
)


def destination_name(destination: str) -> str:
    """The destination's service name: its text up to the first bracket, colon, semicolon or
    dash, so "GP urgent same-day (frailty)" and "GP urgent same-day" count together and an
    escalation's "Duty clinician now: call 999 ..." counts as "Duty clinician now".
    """
    name = re.split(r" ?\(| ?:| ?;|,| [—–-] ", destination, maxsplit=1)[0]
    return name.strip() or destination.strip()


@lru_cache(maxsize=4096)
def destination_metric(destination: str) -> str:
    """``OUTCOME_DESTINATION_`` + the destination's service name in capitals joined by ``_``.

    >>> destination_metric("Community pharmacy (Pharmacy First)")
    'OUTCOME_DESTINATION_COMMUNITY_PHARMACY'
    >>> destination_metric("Duty clinician now: call 999 now")
    'OUTCOME_DESTINATION_DUTY_CLINICIAN_NOW'
    """
    name = destination_name(destination)
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Z0-9]+", "_", ascii_text.upper()).strip("_")
    return DESTINATION_PREFIX + (slug or "NONE")


def practice_metrics(destinations: list[str]) -> tuple[str, ...]:
    """Every metric listed for a practice and day under SUPPLIER ``ALL``, in file order."""
    return (
        SUBMISSIONS
        + FLOW
        + CATEGORY_METRICS
        + (OTHER_CATEGORY_METRIC,)
        + tuple(destinations)
        + (PHARMACY_FIRST_TOTAL,)
        + PHARMACY_FIRST_METRICS
        + (PHARMACY_FIRST_OTHER, ESCALATIONS)
        + TIMINGS
        + STANDARD
        + (REASSIGNMENTS,)
        + EQUITY
    )
