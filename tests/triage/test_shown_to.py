"""What each user is shown when SOP guidance has a problem (issue 15): the loader's words for a
SOP author, a plain sentence for everyone else."""

from __future__ import annotations

from ehub_tui.triage.guidance import CHANGE_NOT_TAKEN, GUIDANCE_UNAVAILABLE, shown_to

LOADER = "signposting.sop.yaml:299:5: error: routes[3] (sp_dental) snomed: not a concept id"


def test_a_navigator_never_sees_the_loader_words() -> None:
    assert shown_to(LOADER, author=False) == GUIDANCE_UNAVAILABLE
    assert shown_to(LOADER, author=False, kept=True) == CHANGE_NOT_TAKEN
    assert "yaml" not in (shown_to(LOADER, author=False) or "").lower()


def test_an_author_sees_them_and_nothing_wrong_stays_nothing() -> None:
    assert shown_to(LOADER, author=True) == LOADER
    assert shown_to(None, author=False) is None
