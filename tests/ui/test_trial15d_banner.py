"""Trial 15d, issue 15 part 6 ("headers truncate names"): a patient with three given names and
a four-part hyphenated family name pushed the triage banner's second line — the item number and
due time — off its two rows at 80×24 and 120×40. The name and practice are now cut with an
ellipsis so both lines always show. Pilot on a real SQLite hub, and a snapshot at 80×24."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from ehub_tui.domain.models import NewConsultation
from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.ui.screens.triage import TriageScreen
from tests.ui.conftest import Hub, run
from tests.ui.test_snapshots import next_item, still_app

Snap = Callable[..., bool]
GIVEN = "Anastasia Wilhelmina Bartholomew"
FAMILY = "Featherstonehaugh-Cholmondeley-Marjoribanks-Worthington"


def long_name_hub(make_hub: Callable[..., Hub]) -> tuple[Hub, int]:
    hub = make_hub()
    system = hub.service(None)
    created, _ = system.store_intake(
        [
            NewConsultation(
                source="eConsult",
                external_id="EC-15D-LONG",
                nhs_number=make_test_nhs_number(950),
                supplier_flags=[],
                priority=0,
                practice_ods="Z99001",
                given_name=GIVEN,
                family_name=FAMILY,
                date_of_birth=date(1988, 4, 9),
                sex="female",
                received_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                request_type="admin",
                template="fit_note",
                answers={"fit_note_type": "new", "days_off": 14},
                free_text="Need a fit note for my back, off work for two weeks.",
            )
        ]
    )
    system.prescreen()
    return hub, created[0][1]


def banner_lines(screen: TriageScreen) -> list[str]:
    """The banner's rows as the terminal shows them (wrapped as the widget wraps them)."""
    banner = screen.query_one("#banner", Static)
    return [strip.text for strip in banner.render_lines(banner.region.reset_offset)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_a_long_name_leaves_the_item_number_and_due_time_on_the_banner(
    make_hub: Callable[..., Hub], size: tuple[int, int]
) -> None:
    hub, item = long_name_hub(make_hub)
    app = still_app(hub)

    async def body() -> None:
        async with app.run_test(size=size) as pilot:
            screen = await next_item(pilot)
            lines = banner_lines(screen)
            assert len(lines) == 2, lines
            first, second = lines
            assert second.startswith(f" #{item} · ") and "due " in second, lines
            assert "Anastasia W. B. Featherston" in first and "…" in first, lines
            await pilot.resize_terminal(60, 20)  # cut again at once on a narrower terminal
            await pilot.pause()
            first, second = banner_lines(screen)
            assert second.startswith(f" #{item} · ") and "due " in second, (first, second)

    run(body())


def test_snapshot_long_name_banner_80x24(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub, _item = long_name_hub(make_hub)
    app = still_app(hub)

    async def before(pilot: Pilot[Any]) -> None:
        await next_item(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=before)
