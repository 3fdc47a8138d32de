"""Check the fields of one online consultation and build an :class:`OCRecord`.

Every problem is reported as a plain-English sentence, all at once, so that a quarantined record
can be fixed in one go. A sentence names the field and what is wrong with it but never quotes the
value: reasons are shown in lists, logs and files where a patient's NHS number, name or date of
birth must not appear (and a shifted CSV column can put any of them in any field). The record's own
text is kept beside the reason in quarantine for whoever may see it. The checks of text fields,
answers and flags are in :mod:`~ehub_tui.ingest.values`.
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import UTC, date, datetime
from typing import Any

from ehub_tui.domain.clock import LONDON
from ehub_tui.domain.nhs import nhs_number_problem, normalise_nhs_number
from ehub_tui.domain.types import REQUEST_TYPES, SEXES
from ehub_tui.ingest.qmap import apply_mapping
from ehub_tui.ingest.records import DEFAULT_LIMITS, IngestLimits, OCRecord
from ehub_tui.ingest.values import _answers, _digits_hint, _flags, _text, _too_long

EARLIEST_BIRTH_YEAR = 1900


def _one_of(field: str, words: tuple[str, ...]) -> str:
    return f"{field} is not one of {', '.join(words[:-1])} or {words[-1]}"


# the words come from the one vocabulary (domain.types); the reasons read as they always have
_SEX_PROBLEM = _one_of("sex", SEXES)  # sex is not one of male, female, other or unknown
_REQUEST_TYPE_PROBLEM = _one_of("request_type", REQUEST_TYPES)

# Accepted spellings (after trimming and lower-casing) and what they become. FHIR
# AdministrativeGender uses male/female/other/unknown, the same words.
_SEX_VALUES = {
    "male": "male",
    "female": "female",
    "other": "other",
    "unknown": "unknown",
    "m": "male",
    "f": "female",
    "u": "unknown",
}
_REQUEST_TYPE_VALUES = {
    "clinical": "clinical",
    "admin": "admin",
    "administrative": "admin",
    "other": "other",
}
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# An ODS code (A81001, Y01234, M85011…): safe to quote, and the operator needs it to add the
# practice. Anything else in the field (a shifted CSV column) is not quoted.
_ODS_RE = re.compile(r"[A-Z][A-Z0-9]{2,9}")


# The longest values the hub stores (the consultation table's column sizes).
MAX_LENGTHS = {
    "source": 64,
    "external_id": 128,
    "template": 128,
    "given_name": 200,
    "family_name": 200,
}


# QuestionnaireResponse.status values (FHIR R4); what each does at intake: store/intake.py
RESPONSE_STATUSES = ("completed", "amended", "in-progress", "entered-in-error", "stopped")
# how much of a date of birth is known (a FHIR birthDate may be 1970-09 or 1970)
DOB_PRECISIONS = ("day", "month", "year")
_PRACTICE_MISSING = "practice_ods is missing"


def _supplier_rules(data: dict[str, Any], limits: IngestLimits) -> dict[str, Any]:
    """``data`` with the supplier's identifier system named as the supplier (setting
    supplier_systems) and its Questionnaire mapping applied; a copy when anything changes."""
    systems = limits.supplier_systems
    if systems:
        idents = data.get("_identifiers")
        source = data.get("source")
        if isinstance(idents, list):
            for system, value in idents:
                if isinstance(system, str) and system.strip() in systems:
                    data = {**data, "source": systems[system.strip()], "external_id": value}
                    break
        elif isinstance(source, str) and source in systems:
            data = {**data, "source": systems[source]}
    if limits.mappings:
        data = dict(data)
        apply_mapping(data, limits.mappings)
    return data


def validate(
    data: dict[str, Any],
    known_practices: Container[str],
    today: date,
    *,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> tuple[OCRecord | None, list[str]]:
    """Return ``(record, [])`` for a valid OC, or ``(None, problems)`` listing every problem.

    ``limits`` gives the longest free text or answer (``max_field_chars``) and the oldest
    plausible received time (``oldest_received``).
    """
    problems: list[str] = []
    if limits.supplier_systems or limits.mappings:
        data = _supplier_rules(data, limits)

    source = _text(data, "source", problems, required=True)
    external_id = _text(data, "external_id", problems, required=True)
    family_name = _text(data, "family_name", problems, required=True)
    given_name = _text(data, "given_name", problems, required=False)

    nhs_number = ""
    nhs_raw = _text(data, "nhs_number", problems, required=False)
    if nhs_raw is not None and _is_valid_plain_nhs_number(nhs_raw):
        nhs_number = nhs_raw
    elif nhs_raw is not None:
        problem = nhs_number_problem(nhs_raw)
        if problem:
            problems.append(problem)
        else:
            nhs_number = normalise_nhs_number(nhs_raw)

    practice = _text(data, "practice_ods", problems, required=True)
    if not practice and problems and problems[-1] == _PRACTICE_MISSING:
        why = data.get("_practice_problem")  # e.g. an Organization reference not in the file
        if isinstance(why, str):
            problems[-1] = why
    if practice:
        practice = practice.upper()
        if practice not in known_practices:
            if _ODS_RE.fullmatch(practice):
                problems.append(f"practice {practice} is not known to this hub")
            else:
                problems.append(
                    "practice_ods is not an ODS code known to this hub"
                    + _digits_hint("practice_ods", practice)
                )

    date_of_birth = None
    dob_text = _text(data, "date_of_birth", problems, required=True)
    if dob_text:
        date_of_birth = _date_of_birth(dob_text, today, problems)
    dob_precision = data.get("dob_precision") or "day"  # set by the FHIR parser only
    if dob_precision not in DOB_PRECISIONS:
        problems.append("dob_precision is not day, month or year")

    sex = None
    sex_text = _text(data, "sex", problems, required=True)
    if sex_text:
        sex = _SEX_VALUES.get(sex_text.lower())
        if sex is None:
            problems.append(_SEX_PROBLEM)

    received_at = None
    received_text = _text(data, "received_at", problems, required=True)
    if received_text:
        received_at = _received_at(received_text, problems)
        if received_at is not None and received_at.astimezone(LONDON).date() < (
            limits.oldest_received
        ):
            problems.append(
                f"received_at is before {limits.oldest_received.isoformat()}, too long ago for "
                "a new online consultation (setting oldest_received)"
            )
            received_at = None

    request_type = None
    request_text = _text(data, "request_type", problems, required=True)
    if request_text:
        request_type = _REQUEST_TYPE_VALUES.get(request_text.lower())
        if request_type is None:
            problems.append(_REQUEST_TYPE_PROBLEM)

    template = _text(data, "template", problems, required=False) or None
    free_text = _text(data, "free_text", problems, required=False) or ""
    for name, value in (
        ("source", source),
        ("external_id", external_id),
        ("template", template),
        ("given_name", given_name),
        ("family_name", family_name),
    ):
        limit = MAX_LENGTHS[name]
        if value and len(value) > limit:
            problems.append(f"{name} is {len(value)} characters long; at most {limit} are allowed")
    longest = limits.max_field_chars
    if len(free_text) > longest:
        problems.append(_too_long("free_text", len(free_text), longest))
    status = "completed"
    status_text = _text(data, "status", problems, required=False)
    if status_text:
        status = status_text.strip().lower()
        if status not in RESPONSE_STATUSES:
            problems.append(
                "status is not one of "
                + ", ".join(RESPONSE_STATUSES[:-1])
                + f" or {RESPONSE_STATUSES[-1]} (a QuestionnaireResponse's status)"
            )
    answers = _answers(data.get("answers"), problems, longest)
    flags = _flags(data.get("supplier_flags"), problems, longest)

    if (
        problems
        or date_of_birth is None
        or sex is None
        or received_at is None
        or request_type is None
    ):
        return None, problems or ["the record could not be checked"]
    return (
        OCRecord(
            source=source or "",
            external_id=external_id or "",
            practice_ods=practice or "",
            nhs_number=nhs_number,
            given_name=given_name or "",
            family_name=family_name or "",
            date_of_birth=date_of_birth,
            sex=sex,
            received_at=received_at,
            request_type=request_type,
            template=template,
            answers=answers,
            free_text=free_text,
            supplier_flags=flags,
            status=status,
            dob_precision=dob_precision,
        ),
        [],
    )


def _is_valid_plain_nhs_number(text: str) -> bool:
    """Quick check for the usual case, ten ASCII digits with a good check digit.

    Anything else goes to ``nhs_number_problem``, which has the last word and the message.
    """
    if len(text) != 10 or not text.isascii() or not text.isdigit() or text == text[0] * 10:
        return False
    b = text.encode("ascii")
    total = (
        (10 * b[0] + 9 * b[1] + 8 * b[2] + 7 * b[3] + 6 * b[4] + 5 * b[5] + 4 * b[6] + 3 * b[7])
        + 2 * b[8]
        - 54 * 48
    )  # the weights 10..2 sum to 54; 48 is ord("0")
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == b[9] - 48


def _date_of_birth(text: str, today: date, problems: list[str]) -> date | None:
    if not _DATE_RE.fullmatch(text):
        problems.append(
            "date_of_birth is not a date in the form YYYY-MM-DD"
            + _digits_hint("date_of_birth", text)
        )
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        problems.append("date_of_birth is not a real date")
        return None
    if value > today:
        problems.append("date_of_birth is in the future")
        return None
    if value.year < EARLIEST_BIRTH_YEAR:
        problems.append(f"date_of_birth is before {EARLIEST_BIRTH_YEAR}")
        return None
    return value


def _is_real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _received_at(text: str, problems: list[str]) -> datetime | None:
    """Parse ISO 8601; a time without Z or an offset is UK local time (Europe/London)."""
    try:
        if not text.isascii():  # fromisoformat would take some non-ASCII digits
            raise ValueError(text)
        value = datetime.fromisoformat(text)
    except ValueError:
        if _DATE_RE.match(text) and not _is_real_date(text[:10]):
            problems.append("received_at is not a real date")
            return None
        problems.append(
            "received_at is not an ISO 8601 date and time such as 2026-11-20T09:14:00Z"
            + _digits_hint("received_at", text)
        )
        return None
    if len(text) <= 10:  # a date alone: 2026-11-20 or 20261120
        problems.append("received_at has a date but no time")
        return None
    if value.tzinfo is None:
        # fold=0: an autumn repeated hour is taken as BST, a spring skipped hour as GMT.
        value = value.replace(tzinfo=LONDON)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        problems.append("received_at is out of range")
        return None
