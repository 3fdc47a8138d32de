"""Find anything and views (issue 15 parts 2 and 7) in the app, on a real hub file: ``/`` finds
an item by its number (``#N`` or ``N``), an NHS number in any spacing, a patient's name by word
starts, and words ("uti" finds the UTI, never "duties"); each found row says what it matched; the
hub audits the identifier searches (who looked, never what was typed). ``f`` opens the filters
and saved views; a supervisor's default view for a user is applied when that user's queue
opens."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.store import audit
from ehub_tui.ui.screens.filters import FiltersScreen
from ehub_tui.ui.screens.queue import QueueScreen
from ehub_tui.ui.widgets.queue_table import QueueTable
from tests.ui.conftest import SIZE, Hub, _row, run, settle, steady_queue, type_text, wait_until


def _hub(make_hub: Callable[..., Hub]) -> Hub:
    hub = make_hub("throat", "uti", "fit_note")
    duties = _row(
        40,
        practice_ods="Z99001",
        given_name="Ola",
        family_name="Ade",
        date_of_birth=date(1980, 1, 1),
        sex="female",
        received_at=datetime(2026, 11, 23, 8, 50, tzinfo=UTC),
        request_type="admin",
        template="general_admin",
        answers={},
        free_text="A letter about my work duties, please.",
    )
    hub.service(None).store_intake([duties])
    return hub


async def _search(pilot: Any, screen: QueueScreen, typed: str) -> QueueTable:
    await pilot.press("slash")
    await type_text(pilot, typed)
    await pilot.press("enter")
    table = screen.query_one(QueueTable)
    await wait_until(pilot, lambda: screen.filters.search == typed.strip() and table.loaded)
    await settle(pilot)
    return table


def _rows(table: QueueTable) -> list[Any]:
    return [table.row_at(i) for i in range(table.total)]


def test_search_each_kind_and_the_audit(make_hub: Callable[..., Hub]) -> None:
    hub = _hub(make_hub)
    uti_id = hub.ids["uti"]
    nhs = hub.service(None).consultation(uti_id).nhs_number
    app = hub.app("nav1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = app.screen
            assert isinstance(screen, QueueScreen)
            table = await _search(pilot, screen, "uti")
            rows = _rows(table)
            assert [r.id for r in rows] == [uti_id]  # not the "duties" letter
            assert rows[0].matched == "template: uti"
            assert table.notes.get(uti_id) == "template: uti"  # shown beside the row
            spaced = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
            table = await _search(pilot, screen, spaced)
            assert [(r.id, r.matched) for r in _rows(table)] == [(uti_id, "NHS number")]
            table = await _search(pilot, screen, f"#{uti_id}")
            assert [(r.id, r.matched) for r in _rows(table)] == [(uti_id, "item number")]
            table = await _search(pilot, screen, "jes")
            assert [(r.id, r.matched) for r in _rows(table)] == [(uti_id, "name: Jess")]
            assert "matched name: Jess" in str(screen.query_one("#detail").render())
            await pilot.press("x")
            await wait_until(pilot, lambda: table.total == 4 and not screen.filters.search)

    run(body())
    E = audit.EVENT
    with hub.service(None).engine.connect() as conn:
        found = conn.execute(
            select(E.c.actor, E.c.body).where(E.c.action == "queue_search").order_by(E.c.seq)
        ).all()
    kinds = [(a, (b if isinstance(b, dict) else json.loads(b))["kind"]) for a, b in found]
    assert kinds == [("nav1", "nhs_number"), ("nav1", "item_number"), ("nav1", "name")]
    assert nhs not in " ".join(str(b) for _, b in found)


def test_filters_screen_and_the_default_view(make_hub: Callable[..., Hub]) -> None:
    hub = _hub(make_hub)
    sup = hub.service("sup1")
    sup.save_view("Admin team", QueueFilter(request_types=("admin",), sort="received"))
    sup.set_default_view("nav1", "Admin team")
    app = hub.app("nav1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            screen = app.screen
            assert isinstance(screen, QueueScreen)
            table = screen.query_one(QueueTable)
            # the default view, applied when the queue opened
            await wait_until(pilot, lambda: screen.filters.request_types == ("admin",))
            await wait_until(pilot, lambda: table.loaded and table.total == 2)
            assert {r.request_type for r in _rows(table)} == {"admin"}
            label = str(screen.query_one("#filters").render())
            assert "admin" in label and "received first" in label
            # f: tick the first practice (Z99001) as well, apply with ctrl+s
            await pilot.press("f")
            await wait_until(pilot, lambda: isinstance(app.screen, FiltersScreen))
            await settle(pilot)
            await pilot.press("space")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: screen.filters.practices == ("Z99001",))
            await wait_until(pilot, lambda: table.loaded and table.total == 1)
            assert [r.practice_ods for r in _rows(table)] == ["Z99001"]
            # the saved views are listed; enter on one applies it
            await pilot.press("f")
            await wait_until(pilot, lambda: isinstance(app.screen, FiltersScreen))
            await settle(pilot)
            views = app.screen.query_one("#views")
            views.focus()
            await pilot.press("down", "enter")  # (highlights the first, then applies it)
            await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen))
            await wait_until(pilot, lambda: table.loaded and table.total == 2)

    run(body())
