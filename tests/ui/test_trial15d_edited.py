"""Trial 15d: an EDITED patient message and a later urgency (or route) change. ``u`` re-words an
unedited message; an edited one keeps its words, so the panel warns at once, ``m`` offers to
re-word it, and completing asks first (go back / re-word and complete / send as it is) — never
sent silently with a date the recorded urgency contradicts. A handed-over draft carries what its
message was written for, so the receiver is warned too. Pilot on a real SQLite hub."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ehub_tui.domain.handover import carried_draft
from ehub_tui.triage import Draft, LibraryGuidance, TriageSession
from ehub_tui.ui.app import EhubApp
from ehub_tui.ui.screens.dialogs import ConfirmDialog, PickDialog
from ehub_tui.ui.screens.message_editor import MessageEditor
from ehub_tui.ui.screens.triage import TriageScreen
from tests.ui.conftest import SIZE, Hub, run, settle, steady_queue, type_text, wait_until
from tests.ui.test_navigator_flows import (
    back_on_queue,
    guidance,
    open_next,
    outcome_of,
    past_key_guard,
)
from tests.ui.test_trial15d_message import dialog_text, hub_with_care_home

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, in core hours


async def edit_message(pilot: object, words: str) -> None:
    """m, type ``words`` at the end, ctrl+s."""
    app: EhubApp = pilot.app  # type: ignore[attr-defined]
    await pilot.press("m")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, MessageEditor), what="editor")  # type: ignore[arg-type]
    await type_text(pilot, words)  # type: ignore[arg-type]
    await pilot.press("ctrl+s")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


def _complete_after_edit_and_u(make_hub: Callable[..., Hub], keys: list[str]) -> dict[str, Any]:
    """fit note (48 h): edit the message, u (→ 24 h), enter, then ``keys`` in the dialog."""
    hub = make_hub("fit_note")
    app = hub.app()
    item = hub.ids["fit_note"]
    seen: dict[str, str] = {}

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            assert "within 2 working days" in screen.session.message_text()
            await edit_message(pilot, " Bring your letter.")
            assert "⚠" not in guidance(app)  # edited for the urgency it has: nothing to say
            await pilot.press("u")
            await settle(pilot)
            assert screen.draft.urgency == "within_24h"
            seen["panel"] = " ".join(guidance(app).split())
            await past_key_guard(pilot)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, PickDialog), what="ask")
            seen["dialog"] = " ".join(dialog_text(app).split())
            for key in keys:
                await pilot.press(key)
            await settle(pilot)
            if keys == ["enter"]:  # "go back": still on the item, nothing sent
                assert isinstance(app.screen, TriageScreen) and not screen.busy
                return
            await back_on_queue(pilot)

    run(body())
    out = outcome_of(hub.service("nav1"), item)
    return {"out": out, **seen}


def test_u_after_an_edit_warns_on_the_panel_and_at_completion_and_re_words(
    make_hub: Callable[..., Hub],
) -> None:
    got = _complete_after_edit_and_u(make_hub, ["down", "enter"])  # re-word and complete
    warning = (
        'Your edited message says "within 2 working days" (48 h); the urgency is now 24 h '
        '("within 24 hours") — check the dates.'
    )
    assert warning in got["panel"] and "m re-words it" in got["panel"]
    assert warning in got["dialog"]
    out = got["out"]
    assert out is not None and out["urgency"] == "within_24h"
    assert "within 24 hours" in out["message"] and "Bring your letter" not in out["message"]


def test_sending_the_edited_message_as_it_is_is_a_choice_made_after_the_warning(
    make_hub: Callable[..., Hub],
) -> None:
    got = _complete_after_edit_and_u(make_hub, ["down", "down", "enter"])
    out = got["out"]
    assert out is not None and out["urgency"] == "within_24h"
    assert "Bring your letter." in out["message"] and "within 2 working days" in out["message"]


def test_enter_enter_completes_nothing_the_first_choice_goes_back(
    make_hub: Callable[..., Hub],
) -> None:
    got = _complete_after_edit_and_u(make_hub, ["enter"])
    assert got["out"] is None  # still open: the reflex second enter went back


def test_m_offers_to_re_word_an_edited_message_that_no_longer_fits(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("fit_note")
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            await edit_message(pilot, " Bring your letter.")
            await pilot.press("u")
            await settle(pilot)
            await pilot.press("m")
            await wait_until(pilot, lambda: isinstance(app.screen, PickDialog), what="offer")
            await pilot.press("enter")  # the first choice: re-word it
            await settle(pilot)
            assert screen.draft.message is None
            text = " ".join(guidance(app).split())
            assert "⚠" not in text and "within 24 hours" in text

    run(body())


def test_c_with_a_message_edited_for_the_pathway_team_warns_in_the_confirmation(
    make_hub: Callable[..., Hub],
) -> None:
    hub, _item = hub_with_care_home(make_hub)
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await open_next(pilot)
            await edit_message(pilot, " Thanks.")
            await past_key_guard(pilot)
            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="c")
            text = " ".join(dialog_text(app).split())
            assert (
                "Your edited message was written for the care home team; this completes to a "
                "GP — check who it names." in text
            )
            assert "Thanks." in text  # the message as it would go

    run(body())


def _session(draft: Draft | None = None) -> TriageSession:
    from tests.triage.conftest import PRACTICES, FakeClaim, Ticks, consultation, shipped_sops

    # the fit note of tests/ui/conftest.py (admin, 48 h), as the hub holds it once claimed
    item = consultation("throat").model_copy(
        update={
            "request_type": "admin",
            "template": "fit_note",
            "answers": {"fit_note_type": "new", "days_off": 14},
            "free_text": "Need a fit note for my back, off work for two weeks.",
        }
    )
    s = TriageSession(
        FakeClaim(item.id, 1, "nav1"),
        item,
        LibraryGuidance(shipped_sops(), today=lambda: NOW.date(), now=lambda: NOW),
        draft=draft,
        practice_name=lambda ods: PRACTICES.get(ods, ods),
        monotonic=Ticks(),
    )
    s.start(NOW)
    return s


def test_a_handed_over_draft_carries_what_its_message_was_written_for() -> None:
    nav1 = _session()
    nav1.set_message(nav1.message_text() + " Call after 2.")
    from ehub_tui.triage import panel

    panel.cycle_urgency(nav1)  # 48 h → 24 h after the edit
    sent = carried_draft(nav1.keep(NOW).to_dict())
    nav2 = _session(Draft.from_dict(sent or {}))
    assert nav2.draft.urgency == "within_24h"
    warning = nav2.message_warning()
    assert warning is not None and "the urgency is now 24 h" in warning


def test_an_older_draft_without_a_basis_is_read_for_its_dates() -> None:
    s = _session()
    text = s.message_text()  # "within 2 working days"
    old = s.keep(NOW).to_dict() | {"message": text, "urgency": "within_24h"}
    old.pop("message_basis", None)
    s2 = _session(Draft.from_dict(old))
    warning = s2.message_warning()
    assert warning is not None and 'does not say "within 24 hours"' in warning
