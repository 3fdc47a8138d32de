"""Why-not names only routes this request could take (trial 15b: every admin item — complaints,
subject access requests and enquiries too — was told "Not Self-certification (fit note)")."""

from __future__ import annotations

from typing import Any

from ehub_tui.triage import LibraryGuidance, TriageSession
from ehub_tui.triage.why_not import sentences


def _said(template: str, request_type: str, free_text: str, **answers: Any) -> list[str]:
    from tests.triage.conftest import NOW, FakeClaim, Ticks, consultation, shipped_sops

    item = consultation("throat").model_copy(
        update={
            "template": template,
            "request_type": request_type,
            "answers": answers,
            "free_text": free_text,
        }
    )
    s = TriageSession(
        FakeClaim(item.id, 1, "nav1"),
        item,
        LibraryGuidance(shipped_sops(), today=lambda: NOW.date()),
        monotonic=Ticks(),
    )
    s.start(NOW)
    return sentences(s)


def test_a_complaint_and_a_subject_access_request_are_told_nothing_irrelevant() -> None:
    assert _said("complaint", "other", "The receptionist was rude to my mother.") == []
    assert _said("subject_access", "admin", "A copy of my records please.", date_range="all") == []
    assert _said("general", "other", "What time do you open on Saturday?") == []


def test_a_fit_note_request_is_told_about_the_fit_note_routes() -> None:
    said = " ".join(_said("fit_note", "admin", "Need a fit note for work.", days_off=10))
    assert "Not Self-certification" in said and "7 or less" in said
    assert "Not Fit note — extension" in said
    # nothing from another kind of request
    assert "prescription" not in said.lower() and "practice manager" not in said.lower()


def test_a_negation_holding_on_silence_is_no_near_miss() -> None:
    """A route whose only part to hold is a ``not:`` (true whatever is unknown) is not close."""
    from ehub_tui.sop.engine import Engine
    from tests.triage.conftest import NOW, shipped_sops

    engine = shipped_sops().engine
    assert isinstance(engine, Engine)
    oc = {"template": "test_results", "request_type": "admin", "free_text": "are my bloods back"}
    d = engine.evaluate(oc, {}, NOW.date())
    assert d.route is not None and d.route.id == "adm_test_results"
    assert "adm_fit_note_self_cert" not in {w.route for w in d.why_not}
