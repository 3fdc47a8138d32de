"""Whole navigator flows driven with a Pilot against a real SQLite hub (issue 4).

Each test asserts what the navigator sees and what the hub stored: the consultation's status,
the outcome row (route, SOP provenance, timings, detail) and the audit trail.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Input, Static

from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx
from ehub_tui.store.models import Outcome
from ehub_tui.ui.app import EhubApp
from ehub_tui.ui.screens.dialogs import ConfirmDialog, ReasonDialog
from ehub_tui.ui.screens.override import OverrideDialog
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.screens.triage import TriageScreen
from ehub_tui.ui.widgets.queue_table import QueueTable
from tests.support.fakes import ServiceProxy
from tests.ui.conftest import (
    ALL,
    SIZE,
    Hub,
    run,
    screen_text,
    settle,
    steady_queue,
    type_text,
    wait_until,
)

OUTCOME = Outcome.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PHARMACY_FIRST_SNOMED = "1362511000000107"


def outcome_of(service: HubService, item_id: int) -> dict[str, Any] | None:
    """The stored outcome row of a consultation (None if there is none)."""
    with read_tx(service.engine) as conn:
        row = conn.execute(select(OUTCOME).where(OUTCOME.c.consultation_id == item_id)).first()
    return dict(row._mapping) if row else None


def triage(app: EhubApp) -> TriageScreen:
    screen = app.screen
    assert isinstance(screen, TriageScreen), f"expected the triage screen, got {screen!r}"
    return screen


def guidance(app: EhubApp) -> str:
    return str(triage(app).query_one("#guidance-body", Static).render())


async def open_next(pilot: Pilot[Any]) -> TriageScreen:
    """From a settled queue: press n and wait for the triage screen."""
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TriageScreen), what="triage")
    await settle(pilot)
    await past_key_guard(pilot)
    return triage(pilot.app)  # type: ignore[arg-type]


async def past_key_guard(pilot: Pilot[Any]) -> None:
    """Wait out the triage screen's guard: for 0.4 s (real time) after it opens or a dialog
    closes, enter and e are ignored so the key that closed a dialog cannot act twice."""
    await pilot.pause(0.45)


async def back_on_queue(pilot: Pilot[Any]) -> None:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, QueueScreen), what="the queue")
    await settle(pilot)


def assert_provenance(out: dict[str, Any], sop_id: str) -> None:
    """The outcome names the SOP (id, version, file hash) and engine that suggested it."""
    assert out["sop_id"] == sop_id
    assert re.fullmatch(r"\d+\.\d+\.\d+", out["sop_version"])
    assert re.fullmatch(r"[0-9a-f]{64}", out["sop_sha256"])
    assert out["engine_version"]
    assert out["first_viewed_at"] == NOW
    assert out["navigator"] == "nav1"
    sops = {s["id"] for s in out["detail"]["sops"]}
    assert {"red-flags", sop_id} <= sops


# -- next → red flag → escalate -----------------------------------------------------------------


def test_next_red_flag_escalate(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub(*ALL)
    app = hub.app()
    item = hub.ids["headache"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            assert screen.claim.item_id == item
            assert screen.step == "flag"
            assert [f.id for f in screen.open_flags] == ["rf_worst_headache"]
            text = guidance(app)
            assert "RED FLAGS" in text and "worst ever" in text and "Call 999" in text
            # the route is not offered until the flag is dealt with
            assert screen.check_action("accept", ()) is False
            hub.clock.advance(seconds=75)  # 75 s on screen by the app's clock
            await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmDialog)  # escalating completes: confirm first
            await pilot.press("enter")
            await back_on_queue(pilot)

    run(body())
    svc = hub.service(None)
    assert svc.consultation(item).status == "completed"
    out = outcome_of(svc, item)
    assert out is not None
    assert out["category"] == "escalate"
    assert out["route"] == "escalate_rf_worst_headache"
    assert out["urgency"] == "immediate"
    assert out["destination"].startswith("Duty clinician now")
    # 75 s advanced, plus the real time the test took (durations run on the monotonic clock)
    assert 75.0 <= out["handling_seconds"] < 80.0
    assert_provenance(out, "clinical-routing")
    flags = out["detail"]["red_flags"]
    assert flags == [
        {
            "id": "rf_worst_headache",
            "level": "emergency",
            "handled": "escalated",
            "reason": flags[0]["reason"],
        }
    ]
    assert "999" in flags[0]["reason"]
    assert "red_flags.rf_worst_headache" in out["detail"]["matched_rules"]


def test_dismissed_red_flag_needs_a_reason_then_shows_the_route(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("headache")
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, ReasonDialog)
            await pilot.press("enter")  # an empty reason is refused
            await pilot.pause()
            assert isinstance(app.screen, ReasonDialog)
            await type_text(pilot, "seen by GP")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen
            assert screen.draft.flags == {"rf_worst_headache": ("dismissed", "seen by GP")}
            assert screen.step == "route"
            assert "dismissed: seen by GP" in guidance(app)

    run(body())


# -- next → questions → accept the suggested route → complete ---------------------------------


def test_next_questions_accept_route_complete(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("uti", "fit_note")
    app = hub.app()
    item = hub.ids["uti"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            timed["from"] = time.monotonic()
            screen = await open_next(pilot)
            assert screen.claim.item_id == item
            assert screen.step == "question"
            assert screen.decision.next_question.id == "pregnant"
            assert "Is she pregnant" in guidance(app)
            assert screen.check_action("accept", ()) is False
            await pilot.press("2")  # no
            assert screen.decision.next_question.id == "immunosuppressed"
            await pilot.press("backspace")  # back to the first question
            assert screen.decision.next_question.id == "pregnant"
            assert screen.draft.answers == {}
            await pilot.press("2", "2", "2")  # not pregnant, not immunosuppressed, no kidney signs
            assert screen.decision.next_question.id == "uti_exclusions"
            assert "2 or more UTIs" in guidance(app) and "catheter" in guidance(app)
            await pilot.press("2")  # no catheter, not recurrent
            assert screen.step == "route"
            text = guidance(app)
            assert "Suggested route" in text
            assert "Community pharmacy (Pharmacy First)" in text
            await pilot.press("enter")
            await back_on_queue(pilot)
            timed["to"] = time.monotonic()

    timed: dict[str, float] = {}
    run(body())
    svc = hub.service(None)
    assert svc.consultation(item).status == "completed"
    out = outcome_of(svc, item)
    assert out is not None
    assert out["route"] == "pf_uti"
    assert out["category"] == "signpost"
    assert out["destination"] == "Community pharmacy (Pharmacy First)"
    assert out["snomed_code"] == PHARMACY_FIRST_SNOMED
    assert out["override_reason"] is None
    # the real time the screen was open: within the time the test took from open to back
    assert 0.0 < out["handling_seconds"] <= timed["to"] - timed["from"] + 0.05
    assert out["detail"]["answers"] == {
        "pregnant": "no",
        "immunosuppressed": "no",
        "uti_sepsis_signs": "no",
        "uti_exclusions": "no",
    }
    assert out["detail"]["suggested_route"] == "pf_uti"
    assert out["detail"]["red_flags"] == []
    assert_provenance(out, "pharmacy-first")
    # the other item is untouched
    assert svc.consultation(hub.ids["fit_note"]).status == "queued"


# -- override with reason ----------------------------------------------------------------------


def test_override_route_with_reason(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("fit_note")
    app = hub.app()
    item = hub.ids["fit_note"]
    target = "adm_fit_note_extension"

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            assert screen.step == "route"
            assert screen.decision.route.id == "adm_fit_note_new"
            # the override dialog (issue 15): type to filter, enter takes the first match
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, OverrideDialog)
            await pilot.press("e", "x", "t")
            await pilot.pause()
            assert app.screen.shown[0].value == target
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ReasonDialog)
            await pilot.press("escape")  # no reason: nothing changes
            await pilot.pause()
            assert app.screen is screen and screen.draft.override is None
            await pilot.press("o")
            await pilot.pause()
            await pilot.press("e", "x", "t")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            await type_text(pilot, "runs out Fri")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen
            assert screen.draft.override == (target, "runs out Fri")
            text = guidance(app)
            assert "Route (overridden)" in text
            assert "runs out Fri" in text
            assert "Fit note — extension" in text
            await past_key_guard(pilot)
            await pilot.press("enter")
            await back_on_queue(pilot)

    run(body())
    svc = hub.service(None)
    assert svc.consultation(item).status == "completed"
    out = outcome_of(svc, item)
    assert out is not None
    assert out["route"] == target
    assert out["category"] == "admin"
    assert out["override_reason"] == "runs out Fri"
    assert out["detail"]["suggested_route"] == "adm_fit_note_new"
    assert_provenance(out, "admin")


# -- return to queue (release with a reason) ---------------------------------------------------


def test_return_to_queue_with_reason(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("throat")
    app = hub.app()
    item = hub.ids["throat"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await open_next(pilot)
            assert hub.service(None).consultation(item).owner == "nav1"
            await pilot.press("r")
            await pilot.pause()
            assert isinstance(app.screen, ReasonDialog)
            await type_text(pilot, "call back 2pm")
            assert app.screen.query_one(Input).value == "call back 2pm"
            await pilot.press("enter")
            await back_on_queue(pilot)
            await steady_queue(pilot)
            table = app.screen.query_one(QueueTable)
            assert table.total == 1 and table.current_row is not None
            assert table.current_row.id == item

    run(body())
    svc = hub.service(None)
    row = svc.consultation(item)
    assert row.status == "queued" and row.owner is None
    assert outcome_of(svc, item) is None
    events = svc.audit_log(item)
    release = [e for e in events if e.action == "release"]
    assert len(release) == 1
    assert release[0].actor == "nav1"
    assert release[0].body["reason"] == "call back 2pm"


# -- reassigned while open: notice within 2 s, draft kept, nothing completed ------------------


def test_reassigned_while_open_shows_notice_and_keeps_draft(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("uti")
    app = hub.app()
    item = hub.ids["uti"]
    supervisor = hub.service("sup1")  # a second service instance: another app on the hub

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            await pilot.press("2", "2", "2", "2")
            assert screen.step == "route"
            draft = dict(screen.draft.answers)
            assert draft == {
                "pregnant": "no",
                "immunosuppressed": "no",
                "uti_sepsis_signs": "no",
                "uti_exclusions": "no",
            }
            await pilot.press("n")  # a note, kept in the draft too
            await pilot.pause()
            await type_text(pilot, "called")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert screen.draft.note == "called"
            lost = screen.query_one("#lost", Static)
            assert not lost.display

            supervisor.reassign(item, "nav2", "nav1 went home ill")
            took = await wait_until(
                pilot, lambda: bool(screen.lost) and lost.display, timeout=5, what="#lost"
            )
            assert took < 2.0, f"the notice took {took:.2f} s"
            await pilot.pause()
            assert "no longer hold" in str(lost.render())
            assert "nav2" in str(lost.render())
            assert screen.draft.answers == draft and screen.draft.note == "called"
            assert screen.check_action("accept", ()) is False
            await past_key_guard(pilot)
            await pilot.press("enter")  # must not complete someone else's item
            await settle(pilot)
            assert app.screen is screen
            await pilot.press("r")  # r (or escape) goes back to the queue
            await back_on_queue(pilot)

    run(body())
    svc = hub.service(None)
    row = svc.consultation(item)
    assert row.status == "claimed" and row.owner == "nav2"
    assert outcome_of(svc, item) is None
    assert not [e for e in svc.audit_log(item) if e.action == "release"]


def test_left_item_reopens_from_mine_with_its_draft(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("uti")
    app = hub.app()
    item = hub.ids["uti"]

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            await pilot.press("2")  # not pregnant
            await pilot.press("escape")  # leave it in Mine
            await back_on_queue(pilot)
            await pilot.press("2")  # the Mine tab
            await steady_queue(pilot)
            table = app.screen.query_one(QueueTable)
            assert table.total == 1 and table.current_row is not None
            assert table.current_row.id == item
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            again = triage(app)
            assert again is not screen
            assert again.draft.answers == {"pregnant": "no"}
            assert again.decision.next_question.id == "immunosuppressed"

    run(body())
    row = hub.service(None).consultation(item)
    assert row.status == "claimed" and row.owner == "nav1"


def test_own_completion_is_not_reported_as_lost(make_hub: Callable[..., Hub]) -> None:
    """A completion whose reply is slower than one poll (0.2 s here) must not look lost."""
    hub = make_hub("throat")

    class SlowReply(ServiceProxy):
        def complete(self, claim: Any, outcome: Any) -> int:
            done = self.inner.complete(claim, outcome)
            time.sleep(0.5)  # committed, but the reply is slow (a busy shared hub)
            return done

    app = hub.app(fake=SlowReply)
    item = hub.ids["throat"]
    seen: list[str] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = await open_next(pilot)
            await pilot.press("enter")
            await back_on_queue(pilot)
            seen.extend(n.message for n in app._notifications)
            assert screen.lost is None, screen.lost

    run(body())
    assert hub.service(None).consultation(item).status == "completed"
    assert not [m for m in seen if "no longer hold" in m], seen


# -- the commonest disposition in at most 5 key presses ----------------------------------------


def test_pharmacy_first_sore_throat_takes_at_most_five_keys(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("throat", "uti", "fit_note")
    app = hub.app()
    item = hub.ids["throat"]
    presses: list[str] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:

            async def press(key: str) -> None:
                presses.append(key)
                await pilot.press(key)
                await settle(pilot)

            await steady_queue(pilot)
            assert isinstance(app.screen, QueueScreen)
            await press("n")  # take the next item
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen))
            assert triage(app).claim.item_id == item
            assert "Community pharmacy (Pharmacy First)" in guidance(app)
            await past_key_guard(pilot)  # reading the suggestion (enter is ignored for 0.4 s)
            await press("enter")  # accept & complete
            await back_on_queue(pilot)

    run(body())
    assert presses == ["n", "enter"]
    assert len(presses) <= 5
    svc = hub.service(None)
    assert svc.consultation(item).status == "completed"
    out = outcome_of(svc, item)
    assert out is not None
    assert out["route"] == "pf_sore_throat"
    assert out["category"] == "signpost"
    assert out["snomed_code"] == PHARMACY_FIRST_SNOMED
    assert out["message"]  # the patient message from the SOP template went with it
    assert_provenance(out, "pharmacy-first")


# -- usable at 80x24 ---------------------------------------------------------------------------


def test_queue_and_triage_render_at_80x24(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub(*ALL)
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await steady_queue(pilot)
            queue = app.screen
            assert isinstance(queue, QueueScreen)
            table = queue.query_one(QueueTable)
            assert table.total == 4 and table.size.height >= 4
            assert table.size.width == 80
            assert not app._notifications  # no "window too small" warning at 80x24
            text = screen_text(app)
            assert "Lopez" not in text  # the queue shows initials, not names
            assert "fit note" in text and "‼EM" in text
            screen = await open_next(pilot)
            assert screen.step == "flag"
            for wid in ("#banner", "#request-body", "#guidance-body"):
                widget = screen.query_one(wid)
                assert widget.region.width > 0 and widget.region.height > 0, wid
            text = screen_text(app)
            assert "RED FLAGS" in text and "worst headache" in text
            await pilot.press("escape")  # leave it in Mine
            await back_on_queue(pilot)

    run(body())


# -- live updates: new items appear, items claimed by others disappear, without a key --------


def test_queue_updates_live_without_a_key_press(make_hub: Callable[..., Hub]) -> None:
    from tests.ui.conftest import CASES

    hub = make_hub("throat", "uti")
    app = hub.app()
    other = hub.service("nav2")  # another navigator's app on the same hub
    system = hub.service(None)  # the inbox watcher storing a new request

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            table = app.screen.query_one(QueueTable)
            assert table.total == 2
            new_row = CASES["fit_note"]()
            system.store_intake([new_row])
            took = await wait_until(pilot, lambda: table.total == 3, timeout=5, what="new item")
            assert took < 2.0, f"the new item took {took:.2f} s to appear"
            claimed = other.claim(hub.ids["uti"])

            def held_at_the_end() -> bool:
                """The claimed item leaves what waits and follows it, held by nav2 (trial 15b:
                the queue shows who holds what)."""
                rows = [table.row_at(i) for i in range(table.total)]
                return (
                    table.total == 3
                    and all(r is not None for r in rows)
                    and rows[-1] is not None
                    and rows[-1].id == claimed.item_id
                    and bool(rows[-1].holder)
                    and all(r is not None and not r.holder for r in rows[:-1])
                )

            took = await wait_until(
                pilot, held_at_the_end, timeout=5, what="the claimed item to show as held"
            )
            assert took < 2.0, f"the claimed item took {took:.2f} s to move"

    run(body())
