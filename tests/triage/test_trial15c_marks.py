"""Trial 15c problem 1: a supervisor's emergency (or urgent) governs triage like a red flag.

The hub's priority is on the item every workstation holds (offline too), so the session alone,
over the shipped SOPs, shows it: a flag to escalate or dismiss with a reason, and the suggested
route never a plain one while it stands."""

from __future__ import annotations

from typing import Any

from ehub_tui.domain.types import Priority
from ehub_tui.sop.marked import MARKED_EMERGENCY, MARKED_URGENT
from ehub_tui.triage import LibraryGuidance, TriageSession
from tests.triage.conftest import (
    NOW,
    PRACTICES,
    FakeClaim,
    Ticks,
    consultation,
    shipped_sops,
)


def marked(case: str, priority: Priority, **more: Any) -> TriageSession:
    """A started session for ``case`` whose hub priority a supervisor set."""
    item = consultation(case).model_copy(update={"priority": priority, **more})
    s = TriageSession(
        FakeClaim(item.id, 1, "nav1"),
        item,
        LibraryGuidance(shipped_sops(), today=lambda: NOW.date()),
        practice_name=lambda ods: PRACTICES.get(ods, ods),
        monotonic=Ticks(),
    )
    s.start(NOW)
    return s


def test_a_supervisors_emergency_is_a_flag_that_governs_the_route_until_dismissed() -> None:
    plain = marked("throat", Priority.NORMAL)
    assert plain.red_flags == [] and plain.decision and plain.decision.route
    pharmacy = plain.decision.route.id
    assert plain.decision.route.category != "escalate"

    s = marked("throat", Priority.EMERGENCY)
    assert s.step == "flag" and [f.id for f in s.open_flags] == [MARKED_EMERGENCY]
    flag = s.open_flags[0]
    assert flag.level == "emergency" and "supervisor" in flag.say
    assert s.decision and s.decision.route and s.decision.route.category == "escalate"
    assert not s.allowed("accept") and not s.allowed("override") and s.allowed("escalate")
    out = s.escalate(flag, NOW)
    assert out.category == "escalate" and out.route == f"escalate_{MARKED_EMERGENCY}"

    s.dismiss_flag(MARKED_EMERGENCY, "spoke to the patient: hay fever only")
    assert s.open_flags == [] and s.decision.route and s.decision.route.id == pharmacy
    assert [f.id for f in s.red_flags] == [MARKED_EMERGENCY]  # kept, shown dismissed


def test_who_and_why_are_said_when_the_item_carries_them() -> None:
    from ehub_tui.sop.marked import hub_mark

    flag = hub_mark(
        {"priority": 2, "priority_by": "sup1", "priority_reason": "possible sepsis"}, []
    )
    assert flag is not None and flag.say == "Marked emergency by sup1: possible sepsis"


def test_a_supervisors_urgent_asks_for_a_clinician_today() -> None:
    s = marked("throat", Priority.URGENT)
    assert [f.id for f in s.open_flags] == [MARKED_URGENT]
    assert s.allowed("same_day")
    route = s.decision.route if s.decision else None
    assert route is not None and route.category == "clinical" and route.urgency == "same_day"


def test_no_mark_where_the_sops_or_the_supplier_already_govern() -> None:
    sop = marked("headache", Priority.EMERGENCY)  # the prescreen's own emergency flag
    assert [f.level for f in sop.red_flags] and MARKED_EMERGENCY not in sop.draft.flags
    assert all(not f.id.startswith("hub_marked") for f in sop.red_flags)
    supplier = marked("throat", Priority.EMERGENCY, supplier_flags=["Emergency"])
    assert all(not f.id.startswith("hub_marked") for f in supplier.red_flags)
    assert supplier.decision and supplier.decision.route
    assert supplier.decision.route.category == "escalate"
