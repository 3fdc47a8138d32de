"""The daily return's metric names: one catalogue, documented in docs/returns.md."""

from __future__ import annotations

from ehub_tui.domain import suppliers
from ehub_tui.domain.destinations import OTHER, is_code

# re-exported: the report reads M.CATEGORIES
from ehub_tui.domain.types import CATEGORIES as CATEGORIES

COLUMNS = ("DATE", "PCN_CODE", "PCN_NAME", "GP_CODE", "GP_NAME", "SUPPLIER", "METRIC", "VALUE")
ALL_SUPPLIERS = "ALL"
# A SUPPLIER cell is "ALL", a supplier from the settings' list, or this: a record's source is
# supplier-sent free text and never appears in a return (domain/suppliers.py).
OTHER_SUPPLIER = suppliers.OTHER

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
# issue 15: items parked awaiting the patient's reply, and how they came back (store/awaiting.py)
AWAITING = ("PARKED_AWAITING_PATIENT", "PATIENT_REPLIED", "NO_REPLY_BY_RETURN_TIME")
EQUITY = (
    "PATIENTS_REGISTERED",
    "HUB_SHARE_PCT",
    "LIST_SHARE_PCT",
    "EQUITY_RATIO",
    "SUBMISSIONS_PER_1000_PATIENTS",
)


def destination_metric(code: str) -> str:
    """``OUTCOME_DESTINATION_`` + a destination code (``OTHER`` for anything not a code of the
    vocabulary, so no route text can become a metric name).

    >>> destination_metric("COMMUNITY_PHARMACY")
    'OUTCOME_DESTINATION_COMMUNITY_PHARMACY'
    >>> destination_metric("Duty clinician now: call 999")
    'OUTCOME_DESTINATION_OTHER'
    """
    return DESTINATION_PREFIX + (code if is_code(code) else OTHER)


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
        + AWAITING
        + EQUITY
    )
