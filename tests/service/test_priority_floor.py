"""Trial 15c problem 2: the hub never lowers an item's priority below what the red flags the SOPs
found on it demand. The refusal is a plain sentence naming the flag, over every transport (the
board shows it); a supervisor's own marks, and items with no flag, change as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ehub_tui.errors import StoreError
from ehub_tui.service import HubService
from tests.support.factories import oc_row

pytestmark = pytest.mark.usefixtures("transport")

WORST = "Sudden worst headache of my life, started an hour ago."


def test_a_screened_emergency_is_never_lowered_and_the_refusal_says_why(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    created, _ = seeded.store_intake([oc_row(1, free_text=WORST), oc_row(2)])
    flagged, plain = (cid for _, cid in created)
    seeded.prescreen()
    assert seeded.consultation(flagged).priority == 2
    sup = make_service("sup1")
    for lower in (0, 1):
        with pytest.raises(StoreError) as refused:
            sup.set_priority(flagged, lower, "spoke to patient, it was indigestion")
        said = str(refused.value)
        assert said.startswith(f"#{flagged}'s request has an emergency red flag the SOPs found (")
        assert "worst headache" in said
        assert said.endswith("stays an emergency until a navigator dismisses the flag at triage.")
    assert seeded.consultation(flagged).priority == 2  # unchanged: first in the queue still
    sup.set_priority(flagged, 2, "still an emergency")  # not lowering: allowed
    # a supervisor's own emergency, on an item with no flag, may be taken back
    sup.set_priority(plain, 2, "son rang: possible sepsis")
    sup.set_priority(plain, 0, "spoke to the patient: hay fever")
    assert seeded.consultation(plain).priority == 0
