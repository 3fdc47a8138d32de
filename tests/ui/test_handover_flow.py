"""Handovers with a Pilot (issue 15): two apps on one real hub served over HTTPS (uvicorn on
loopback, a test CA), each a workstation's ClientService over its own HttpClient.

A navigator works an item, leaves it (their workstation sends the draft to the hub) and it goes
stale; the supervisor's board alerts on it, ``s`` acts on the alert, the reassign names both
people, sends the draft along and carries a handover note. The receiver's app says so at once
(a toast with the note), marks the item for Mine, and its triage screen opens with the carried
draft; opening it acknowledges the handover (audited).

And on the board alone: Home/End move to the first/last row (never sideways), and the
confirmation names both people (no, and nothing happens).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from textual.widgets import OptionList, Static

from ehub_tui.config import Settings
from ehub_tui.practices import load_practices
from ehub_tui.store.engine import read_tx
from ehub_tui.store.models import SyncDraft
from ehub_tui.ui.handover import HandoverNotices
from ehub_tui.ui.screens.dialogs import ConfirmDialog, PickDialog, ReasonDialog
from ehub_tui.ui.screens.triage import TriageScreen
from ehub_tui.ui.widgets.queue_table import QueueTable
from tests.conftest import FIXTURES, FrozenClock
from tests.ui.conftest import CASES, SIZE, Hub, run, settle, steady_queue, type_text, wait_until
from tests.ui.test_supervisor import (
    BOARD_SIZE,
    ServedApps,
    build_hub,
    busy_hub,
    items_table,
    open_board,
    row_keys,
    select_item,
    serve_hub,
)

__all__ = ["build_hub", "serve_hub"]  # the fixtures, used here by name

SD = SyncDraft.__table__  # type: ignore[attr-defined]
NOTE = "she rang back: call her after 2"


class StaleSoonHub(Hub):
    """The test hub with a 3-minute stale time (under the 10-minute lease, so the claim is
    still live when the board alerts on it)."""

    def settings(self) -> Settings:
        return Settings(
            data_dir=self.tmp / "data",
            hub_url=self.url,
            sops_dir=super().settings().sops_dir,
            stale_claim_minutes=3,
        )


@pytest.fixture
def stale_hub(sqlite_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Hub]:
    hub = StaleSoonHub(sqlite_url, tmp_path, clock)
    system = hub.service(None)
    system.import_practices(load_practices(FIXTURES / "practices.yaml"))
    system.add_user("nav1", "navigator", "Priya Shah")
    system.add_user("nav2", "navigator", "Tom Fletcher")
    system.add_user("sup1", "supervisor", "Grace O'Neill")
    created, _ = system.store_intake([CASES["uti"](), CASES["fit_note"]()])
    hub.ids = {("uti", "fit_note")[i]: cid for i, cid in created}
    system.prescreen()
    yield hub
    hub.close()


def _hub_draft(hub: Hub, item: int, user: str) -> dict[str, Any] | None:
    with read_tx(hub.service(None).engine) as conn:
        got = conn.execute(
            select(SD.c.draft).where(SD.c.item_id == item, SD.c.username == user)
        ).scalar()
    return got if isinstance(got, dict) else None


def notices_of(app: Any) -> HandoverNotices:
    """The receiver app's handover notices (started here when the app does not start them
    itself: the app's own wiring, ui/app.py, makes this a look-up)."""
    found = getattr(app, "handover_notices", None)
    if isinstance(found, HandoverNotices):
        return found
    made = HandoverNotices(app, app.ctx, interval=0.2).start()
    app.handover_notices = made
    return made


def test_a_reassigned_item_reaches_the_receiver_with_the_note_and_the_draft(
    stale_hub: Hub, serve_hub: Callable[[Hub], ServedApps]
) -> None:
    hub = stale_hub
    item = hub.ids["uti"]
    apps = serve_hub(hub)
    nav1_app, nav2_app, sup_app = apps.app("nav1"), apps.app("nav2"), apps.app("sup1")
    seen: dict[str, Any] = {}

    async def body() -> None:
        async with (
            nav1_app.run_test(size=SIZE) as nav1,
            nav2_app.run_test(size=SIZE) as nav2,
            sup_app.run_test(size=BOARD_SIZE) as sup,
        ):
            notices = notices_of(nav2_app)
            # nav1 takes the UTI, answers its four questions, writes a note and leaves it:
            # their workstation sends the draft to the hub
            await steady_queue(nav1)
            await nav1.press("n")
            await wait_until(nav1, lambda: isinstance(nav1_app.screen, TriageScreen))
            await settle(nav1)
            screen = nav1_app.screen
            assert isinstance(screen, TriageScreen) and screen.claim.item_id == item
            await nav1.press("2", "2", "2", "2")
            assert screen.step == "route"
            await nav1.press("n")
            await nav1.pause()
            await type_text(nav1, "rang, no answer")
            await nav1.press("ctrl+s")
            await nav1.pause()
            answers = dict(screen.draft.answers)
            await nav1.pause(0.45)  # past the triage screen's key guard
            await nav1.press("escape")
            await wait_until(
                nav1, lambda: _hub_draft(hub, item, "nav1") is not None, 8, "the draft on the hub"
            )

            # nobody works it for 4 minutes (the hub's clock): the board alerts on it
            hub.clock.advance(minutes=4)
            board = await open_board(sup)
            alerts = board.query_one("#alerts", Static)
            await wait_until(sup, lambda: bool(alerts.display), 5, "the stale alert")
            line = str(alerts.render())
            assert f"#{item} held by nav1, not worked for 4 min" in line and "s acts" in line

            # s: the alert's item, reassign, nav2, the confirmation naming both, the draft, a note
            await sup.press("s")
            await sup.pause()
            assert isinstance(sup_app.screen, PickDialog)
            assert sup_app.screen.title_text.startswith(f"#{item} held by nav1")
            selected = board._selected()
            assert selected is not None and selected.id == item
            await sup.press("enter")  # reassign (the first choice)
            await sup.pause()
            picker = sup_app.screen
            assert isinstance(picker, PickDialog)
            ids = [oid for oid, _ in picker.options]
            picker.query_one(OptionList).highlighted = ids.index("nav2")
            await sup.press("enter")
            await sup.pause()
            confirm = sup_app.screen
            assert isinstance(confirm, ConfirmDialog)
            assert confirm.title_text == (
                f"Reassign #{item} from Priya Shah (nav1) to Tom Fletcher (nav2)?"
            )
            # true wherever nav1 is: the item's open screen says so, and Mine loses it
            assert "nav1 loses it: an open screen of it says so, and it leaves their Mine." in (
                confirm.body
            )
            await sup.press("y")
            # the board asks the hub for nav1's draft first (a worker; trial 15b)
            await wait_until(sup, lambda: isinstance(sup_app.screen, PickDialog), 5, "draft q")
            draft_q = sup_app.screen
            assert isinstance(draft_q, PickDialog)
            assert draft_q.title_text == f"Send nav1's draft of #{item} too?"
            assert "(saved " in draft_q.options[0][1]  # how long ago it reached the hub
            assert draft_q.options[0][0] == "carry"
            await sup.press("enter")
            await sup.pause()
            assert isinstance(sup_app.screen, ReasonDialog)
            await type_text(sup, NOTE)
            await sup.press("enter")

            # nav2 is told at once: a toast with the note, and the item marked for Mine
            took = await wait_until(nav2, lambda: item in notices.current, 5, "the handover")
            seen["took"] = took
            assert took < 2.0, f"the notice took {took:.2f} s"
            await nav2.pause()
            toasts = " ".join(n.message for n in nav2_app._notifications)
            assert f"sup1 handed you #{item} from nav1: {NOTE}." in toasts
            assert "nav1's draft comes with it" in toasts and "It is in Mine" in toasts
            assert notices.mark(item) == f"↪ handed over by sup1: {NOTE}"
            # the board's event says who to whom
            await wait_until(
                sup,
                lambda: (
                    f"sup1: #{item} nav1 → nav2 (with draft): she"
                    in str(sup_app.screen.query_one("#events", Static).render())
                ),
                5,
                "the reassign event",
            )

            # nav2 opens it from Mine: the triage screen opens with nav1's draft
            await nav2.press("2")
            await settle(nav2)
            # Mine says so in words (not colour alone), beside the lease time
            await wait_until(
                nav2,
                lambda: (
                    f"↪ handed over by sup1: {NOTE}"
                    in nav2_app.screen.query_one(QueueTable).notes.get(item, "")
                ),
                5,
                "the Mine mark",
            )
            await nav2.press("enter")
            await wait_until(nav2, lambda: isinstance(nav2_app.screen, TriageScreen), 5)
            await settle(nav2)
            opened = nav2_app.screen
            assert isinstance(opened, TriageScreen) and opened.claim.item_id == item
            assert dict(opened.draft.answers) == answers
            assert opened.draft.note == "rang, no answer"
            assert opened.step == "route"
            # opening it acknowledges the handover: no longer news
            await wait_until(nav2, lambda: item not in notices.current, 5, "the ack")
            assert notices.mark(item) == ""

    run(body())
    system = hub.service(None)
    assert system.consultation(item).owner == "nav2"
    events = [(e.actor, e.action, e.body) for e in system.audit_log(item)]
    actions = [(a, act) for a, act, _ in events]
    assert ("nav2", "handover_seen") in actions
    moved = next(b for _, act, b in events if act == "reassign")
    assert (moved["from"], moved["to"], moved["reason"], moved["draft_carried"]) == (
        "nav1",
        "nav2",
        NOTE,
        True,
    )
    assert system.verify_audit().ok


def test_board_home_end_go_to_rows_and_the_confirmation_names_both(
    sqlite_url: str, build_hub: Callable[..., Hub]
) -> None:
    hub = busy_hub(build_hub, sqlite_url)
    item = hub.ids["uti"]
    app = hub.app("sup1")

    async def body() -> None:
        async with app.run_test(size=BOARD_SIZE) as pilot:
            board = await open_board(pilot)
            table = items_table(board)
            assert table.row_count == 3
            await pilot.press("end")
            assert table.cursor_row == 2
            await pilot.press("home")
            assert table.cursor_row == 0
            assert table.scroll_x == 0

            await select_item(pilot, board, item)
            await pilot.press("a")
            await pilot.pause()
            picker = app.screen
            assert isinstance(picker, PickDialog)
            ids = [oid for oid, _ in picker.options]
            picker.query_one(OptionList).highlighted = ids.index("nav2")
            await pilot.press("enter")
            await pilot.pause()
            confirm = app.screen
            assert isinstance(confirm, ConfirmDialog)
            assert confirm.title_text == (
                f"Reassign #{item} from Priya Shah (nav1) to Tom Fletcher (nav2)?"
            )
            await pilot.press("n")  # not that one: nothing happens
            await settle(pilot)
            assert app.screen is board
            assert row_keys(board)[table.cursor_row] == str(item)

    run(body())
    system = hub.service(None)
    assert system.consultation(item).owner == "nav1"
    assert "reassign" not in [e.action for e in system.audit_log(item)]
