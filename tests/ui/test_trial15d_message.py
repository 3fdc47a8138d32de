"""Trial 15d, #203 (safety): the patient message always names the team the outcome records,
whichever path completes the item — accept, override, ``c`` (same-day clinician for an amber
flag) and ``e`` (escalate) — and the ``c``/``e`` confirmation shows the message before it goes;
every open flag the completion deals with is recorded as handled (and named in it).
Driven with a Pilot on a real SQLite hub; the amber case is the trial's: a care-home resident
coughing blood, whose pathway route is the care-home team while ``c`` records a same-day GP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from textual.widgets import Label

from ehub_tui.domain.models import NewConsultation
from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.sop.engine import SAME_DAY_DESTINATION
from ehub_tui.sop.messages import PLAIN_DESTINATIONS
from ehub_tui.ui.app import EhubApp
from ehub_tui.ui.screens.dialogs import ConfirmDialog, ReasonDialog
from ehub_tui.ui.screens.override import OverrideDialog
from tests.ui.conftest import SIZE, Hub, run, settle, steady_queue, type_text, wait_until
from tests.ui.test_navigator_flows import back_on_queue, open_next, outcome_of, past_key_guard


def care_home_cough(n: int = 1) -> NewConsultation:
    """Trial 15d's #203: amber flags (PE, cancer 2WW); the pathway's route is the care-home
    team (clinical, same day), which an amber flag lets stand."""
    return NewConsultation(
        source="eConsult",
        external_id=f"EC-15D-{n:04d}",
        nhs_number=make_test_nhs_number(900 + n),
        supplier_flags=[],
        priority=0,
        practice_ods="Z99001",
        given_name="Noah",
        family_name="Reid",
        date_of_birth=date(1950, 1, 1),
        sex="male",
        received_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        request_type="clinical",
        template="cough",
        answers={"care_home_resident": "yes"},
        free_text="Coughing up blood this morning and lost weight over 2 months.",
    )


def hub_with_care_home(make_hub: Callable[..., Hub]) -> tuple[Hub, int]:
    hub = make_hub()
    system = hub.service(None)
    created, _ = system.store_intake([care_home_cough()])
    system.prescreen()
    return hub, created[0][1]


def dialog_text(app: EhubApp) -> str:
    return "\n".join(str(label.render()) for label in app.screen.query(Label))


def names_recorded_team(out: dict[str, Any]) -> None:
    """The message names the team of the destination the outcome records (and no other)."""
    team = PLAIN_DESTINATIONS[out["destination_code"]]
    message = out["message"] or ""
    assert team.lower() in message.lower(), (team, message)
    others = {t for c, t in PLAIN_DESTINATIONS.items() if t != team and len(t) > 4}
    assert not [t for t in others if f"to {t}," in message], message


def close_flag(hub: Hub, item: int, key: str) -> tuple[dict[str, Any], str]:
    """Open the next item, press ``key`` (c or e) and confirm: the stored outcome, and what the
    confirmation said (its lines joined by single spaces)."""
    app = hub.app()
    shown: list[str] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            assert screen.step == "flag"
            await pilot.press(key)
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="ok")
            shown.append(" ".join(dialog_text(app).split()))
            await pilot.press("enter")
            await back_on_queue(pilot)

    run(body())
    out = outcome_of(hub.service("nav1"), item)
    assert out is not None
    return out, shown[0]


def test_c_records_a_same_day_gp_and_the_message_shown_and_sent_names_a_gp(
    make_hub: Callable[..., Hub],
) -> None:
    hub, item = hub_with_care_home(make_hub)
    out, shown = close_flag(hub, item, "c")
    assert out["destination"] == SAME_DAY_DESTINATION
    # the pathway's own route was the care-home team (which the amber flag let stand)
    assert out["detail"]["suggested_route"] == "clin_care_home"
    names_recorded_team(out)
    assert "care home team" not in out["message"]
    # the confirmation showed the very message that went
    assert "Message to the patient:" in shown
    assert " ".join(out["message"].split()) in shown
    # both amber flags are dealt with by the one referral, and recorded so (trial 15d: the
    # second was recorded as never handled); the confirmation named it
    handled = {f["id"]: f["handled"] for f in out["detail"]["red_flags"]}
    assert handled == {"rf_dvt_pe": "same_day", "rf_cancer_2ww": "same_day"}
    assert "It also deals with: " in shown


def test_e_on_an_amber_flag_names_the_duty_clinician_it_records(
    make_hub: Callable[..., Hub],
) -> None:
    hub, item = hub_with_care_home(make_hub)
    out, shown = close_flag(hub, item, "e")
    assert out["category"] == "escalate"
    names_recorded_team(out)
    assert "very shortly" in out["message"] and "care home" not in out["message"]
    assert " ".join(out["message"].split()) in shown
    handled = {f["id"]: f["handled"] for f in out["detail"]["red_flags"]}
    assert handled == {"rf_dvt_pe": "escalated", "rf_cancer_2ww": "escalated"}


def test_e_on_an_emergency_flag_says_no_message_goes(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("headache")
    out, shown = close_flag(hub, hub.ids["headache"], "e")
    assert out["category"] == "escalate" and out["message"] is None
    assert "No message goes to the patient." in shown


def test_accept_names_the_route_team(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("throat")
    app = hub.app()
    item = hub.ids["throat"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await open_next(pilot)
            await pilot.press("enter")
            await back_on_queue(pilot)

    run(body())
    out = outcome_of(hub.service("nav1"), item)
    assert out is not None
    names_recorded_team(out)


def test_override_names_the_overriding_team(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("fit_note")
    app = hub.app()
    item = hub.ids["fit_note"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await open_next(pilot)
            await pilot.press("o")
            await wait_until(pilot, lambda: isinstance(app.screen, OverrideDialog), what="o")
            await type_text(pilot, "gp 3")
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog), what="why")
            await pilot.press("1")
            await settle(pilot)
            await past_key_guard(pilot)
            await pilot.press("enter")
            await back_on_queue(pilot)

    run(body())
    out = outcome_of(hub.service("nav1"), item)
    assert out is not None and out["override_reason"] and out["destination_code"] == "GP_ROUTINE"
    names_recorded_team(out)
