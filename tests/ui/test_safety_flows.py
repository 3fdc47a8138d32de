"""Issue 10 in the navigator app: a pathway proposed from the text, and the amber flag's
same-day clinician action — driven with a Pilot against a real SQLite hub."""

from __future__ import annotations

from collections.abc import Callable

from ehub_tui.sop.engine import SAME_DAY_DESTINATION
from ehub_tui.ui.screens.dialogs import ConfirmDialog
from tests.ui.conftest import SIZE, Hub, run, screen_text, settle, steady_queue, wait_until
from tests.ui.test_navigator_flows import (
    PHARMACY_FIRST_SNOMED,
    back_on_queue,
    guidance,
    open_next,
    outcome_of,
    past_key_guard,
)


def test_generic_template_uti_takes_the_proposed_pathway_to_pharmacy_first(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("uti_generic")
    app = hub.app()
    item = hub.ids["uti_generic"]
    keys: list[str] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            d = screen.decision
            assert d.proposal is not None and d.proposal.template == "uti"
            text = guidance(app)
            assert "Reads like" in text and "press p" in text
            assert any("wee" in e.words for e in d.proposal.evidence)  # the matching words
            # p takes the pathway; then one number key per question; enter completes
            keys.append("p")
            await pilot.press("p")
            assert screen.draft.pathway == "uti" and screen.decision.routing_sop.id == (
                "pharmacy-first"
            )
            while screen.step == "question":
                q = screen.decision.next_question
                no = q.answers.index("no") + 1
                keys.append(str(no))
                await pilot.press(str(no))
                assert len(keys) <= 5, f"too many questions: {keys}"
            assert screen.decision.route.snomed == PHARMACY_FIRST_SNOMED
            assert "Community pharmacy (Pharmacy First)" in guidance(app)
            await past_key_guard(pilot)
            keys.append("enter")
            await pilot.press("enter")
            await back_on_queue(pilot)

    run(body())
    assert len(keys) <= 6, keys
    out = outcome_of(hub.service("nav1"), item)
    assert out is not None and out["snomed_code"] == PHARMACY_FIRST_SNOMED
    assert out["detail"]["pathway"] == "uti" and out["detail"]["proposal"] is None
    assert out["route"].startswith("pf_uti")


def test_amber_flag_same_day_clinician_records_that_outcome(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("amber")
    app = hub.app()
    item = hub.ids["amber"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            flag = screen.open_flags[0]
            assert flag.level == "urgent" and screen.step == "flag"
            # the engine already says: nothing below a same-day clinician while it stands
            assert screen.decision.route.urgency == "same_day"
            assert screen.decision.route.category == "clinical"
            assert "same-day clinician" in guidance(app)
            assert screen.check_action("same_day", ()) is True
            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
            await pilot.press("y")
            await settle(pilot)
            await back_on_queue(pilot)

    run(body())
    out = outcome_of(hub.service("nav1"), item)
    assert out is not None
    assert out["category"] == "clinical" and out["urgency"] == "same_day"
    assert out["destination"] == SAME_DAY_DESTINATION
    assert out["route"] == "same_day_rf_jaw_claudication"
    flags = {f["id"]: f for f in out["detail"]["red_flags"]}
    assert flags["rf_jaw_claudication"]["handled"] == "same_day"


def test_hostile_text_is_shown_as_written_never_as_markup_or_terminal_control(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("hostile")
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            queue = screen_text(app)  # the row is highlighted: the detail line is built
            assert "[/]odd[red]" in queue  # the template, literally (it used to be markup)
            screen = await open_next(pilot)
            shown = screen_text(app)
            assert "[red]spreading[/]" in shown and "[bold]Eve[/]" in shown
            assert "␛]0;PWNED␇Hart" in shown and "␛[31m" in shown
            assert "\x1b" not in shown and "\x9b" not in shown and "\u202e" not in shown
            assert screen.step in ("route", "question", "flag")

    run(body())
