"""Deterministic generator of large synthetic online-consultation (OC) sets.

Used by benchmarks and ``ehub-tui fixtures generate --count N --seed S``. Records are plain dicts
with exactly the field names of ``docs/formats.md``; the writers turn them into the input formats
the ingest understands (supplier CSV, NDJSON of FHIR QuestionnaireResponses, a FHIR Bundle).

Everything random comes from one ``random.Random(seed)``, so the same seed always gives the same
records. All patients are fictional and all NHS numbers are in the 999 test range. What the
consultations ask about is in :mod:`~ehub_tui.ingest.gen_templates`; the writers are in
:mod:`~ehub_tui.ingest.gen_formats` (and importable from here).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.ingest.gen_formats import CSV_FIELDS as CSV_FIELDS
from ehub_tui.ingest.gen_formats import FHIR_BASE as FHIR_BASE
from ehub_tui.ingest.gen_formats import to_fhir as to_fhir
from ehub_tui.ingest.gen_formats import write_bundle as write_bundle
from ehub_tui.ingest.gen_formats import write_csv as write_csv
from ehub_tui.ingest.gen_formats import write_ndjson as write_ndjson
from ehub_tui.ingest.gen_templates import (
    _CLOSERS,
    _DURATIONS,
    _OPENERS,
    _RED_FLAG_PHRASES,
    _TEMPLATE_WEIGHTS,
    _TEMPLATES,
)

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
