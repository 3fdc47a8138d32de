"""Consultations and the shipped SOPs for testing ``TriageSession`` without a screen or a hub.

The session is driven as the screen drives it, against the real SOP library shipped in sops/
(loaded and its golden tests run once per test session); consultations are typed models made
here, written as the hub would hold them, on the frozen Monday 23 November 2026 of
tests/conftest.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ehub_tui.domain.clock import DEFAULT_CORE_HOURS
from ehub_tui.domain.models import Consultation
from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.domain.types import Status
from ehub_tui.sop.library import SopLibrary
from ehub_tui.triage import Draft, LibraryGuidance, TriageSession
from tests.conftest import REPO

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PRACTICES = {"Z99001": "Riverside Surgery", "Z99002": "Castle Hill Practice"}


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)


CASES: dict[str, dict[str, Any]] = {
    # the free text raises the "worst headache" emergency red flag
    "headache": dict(
        given_name="Maria",
        family_name="Lopez",
        date_of_birth=date(1971, 3, 14),
        sex="female",
        template="headache",
        answers={"duration_days": 0},
        free_text="Sudden worst headache of my life, started an hour ago while lifting boxes.",
    ),
    # Pharmacy First sore throat, every exclusion answered: the route at once
    "throat": dict(
        given_name="Sam",
        family_name="Okafor",
        date_of_birth=date(1994, 5, 2),
        sex="male",
        template="sore_throat",
        answers={
            "duration_days": 3,
            "fever": "no",
            "difficulty_swallowing": "no",
            "immunosuppressed": "no",
            "throat_airway_signs": "no",
            "throat_exclusions": "no",
        },
        free_text="Sore throat for three days, eating and drinking fine.",
    ),
    # a UTI with four questions left (pregnant, immunosuppressed, kidney signs, checklist)
    "uti": dict(
        given_name="Jess",
        family_name="Turner",
        date_of_birth=date(1992, 6, 1),
        sex="female",
        template="uti",
        answers={"duration_days": 2, "fever": "no"},
        free_text="Stinging when I wee and going a lot since yesterday.",
    ),
    # a UTI written in a generic template: the text proposes the UTI pathway
    "uti_generic": dict(
        given_name="Amy",
        family_name="Clarke",
        date_of_birth=date(1996, 2, 11),
        sex="female",
        template="general_clinical",
        answers={},
        free_text="It stings when I wee and I keep needing to go, started yesterday.",
    ),
    # an amber flag (jaw pain on chewing at 72: giant cell arteritis → same-day clinician)
    "amber": dict(
        given_name="Ron",
        family_name="Baxter",
        date_of_birth=date(1954, 9, 30),
        sex="male",
        template="general_clinical",
        answers={},
        free_text="New headache on one side and my jaw aches when I chew, scalp is tender.",
    ),
}


def consultation(case: str, n: int = 1) -> Consultation:
    """The case as the hub holds it once claimed by nav1."""
    received = _at(8, 30)
    return Consultation(
        id=n,
        source="eConsult",
        external_id=f"EC-TRIAGE-{n:04d}",
        practice_ods="Z99001",
        nhs_number=make_test_nhs_number(n),
        received_at=received,
        request_type="clinical",
        due_by=DEFAULT_CORE_HOURS.due_by(received, urgent=False),
        ingested_at=received,
        updated_at=received,
        status=Status.CLAIMED,
        owner="nav1",
        epoch=1,
        **CASES[case],
    )


@dataclass(frozen=True)
class FakeClaim:
    """A claim as store.queue.Claim carries it (a plain value, not a service double)."""

    item_id: int
    epoch: int
    owner: str
    lease_until: datetime = NOW


@functools.cache
def shipped_sops() -> SopLibrary:
    """The shipped SOP library, loaded (and its golden tests run) once."""
    lib = SopLibrary(REPO / "sops", today=lambda: NOW.date())
    lib.reload()
    assert lib.engine is not None, lib.last_problem
    return lib


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def session(
    case: str,
    *,
    draft: Draft | None = None,
    monotonic: Ticks | None = None,
    library: SopLibrary | None = None,
) -> TriageSession:
    """A started session for ``case`` (first viewed at NOW), guided by the shipped SOPs."""
    item = consultation(case)
    s = TriageSession(
        FakeClaim(item.id, 1, "nav1"),
        item,
        LibraryGuidance(library or shipped_sops(), today=lambda: NOW.date()),
        draft=draft,
        practice_name=lambda ods: PRACTICES.get(ods, ods),
        hub_phone="01131 234567",
        monotonic=monotonic or Ticks(),
    )
    s.start(NOW)
    return s
