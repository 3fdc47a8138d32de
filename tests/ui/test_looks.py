"""Looks and access in the app (issue 15, parts 6 and 8): the queue drawn in the theme's colours
(a light and a dark snapshot), the 80×24 footer keeping esc and ?, a long name cut in the top
bar, the palette offering only what the user may do, and the chosen theme remembered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from ehub_tui.ui.palette import palette_commands
from ehub_tui.ui.prefs import load_theme, prefs_path
from ehub_tui.ui.screens.queue import QueueScreen
from tests.ui.conftest import ALL, SIZE, Hub, run, screen_text, settle, steady_queue, wait_until

Snap = Callable[..., bool]


def _queue_snapshot(make_hub: Callable[..., Hub], snap_compare: Snap, theme: str) -> bool:
    hub = make_hub(*ALL)
    app = hub.app()
    app.theme = theme

    async def before(pilot: Pilot[Any]) -> None:
        await steady_queue(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "‼EM" in screen_text(app)

    return bool(snap_compare(app, terminal_size=SIZE, run_before=before))


def test_queue_light_theme(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    assert _queue_snapshot(make_hub, snap_compare, "textual-light")


def test_queue_dark_theme(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    assert _queue_snapshot(make_hub, snap_compare, "textual-dark")


def test_footer_at_80x24_keeps_esc_and_help(
    make_hub: Callable[..., Hub], snap_compare: Snap
) -> None:
    hub = make_hub(*ALL)
    app = hub.app()

    async def before(pilot: Pilot[Any]) -> None:
        await steady_queue(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "?" in footer, footer

    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_palette_lists_what_the_user_may_do_and_the_theme_is_kept(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub(*ALL)
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            titles = [c.title for c in palette_commands(app, app.screen)]
            assert titles.count("Quit") == 1
            assert "Screenshot" not in titles
            assert not {"Board", "Reports", "Supervisor board"} & set(titles), titles
            app.theme = "textual-light"
            await wait_until(
                pilot, lambda: load_theme(prefs_path()) == "textual-light", what="theme saved"
            )
            await settle(pilot)

    run(body())
    again = hub.app()
    assert again.theme == "textual-light"


def test_triage_and_board_footers_at_80x24_keep_esc_and_help(
    make_hub: Callable[..., Hub],
) -> None:
    """Every step of triage (red flag, question, route) and the board keep esc and ? at 80×24
    (the footer cuts from the right: they come first)."""
    from ehub_tui.ui.screens.board import BoardScreen
    from ehub_tui.ui.screens.triage import TriageScreen

    hub = make_hub(*ALL)
    footers: list[str] = []

    async def body(user: str) -> None:
        app = hub.app(user)
        async with app.run_test(size=(80, 24)) as pilot:
            await steady_queue(pilot)
            if user == "sup1":
                await pilot.press("b")
                await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), what="b")
            else:
                await pilot.press("n")
                await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="n")
            await settle(pilot)
            footers.append(screen_text(app).splitlines()[-1])

    run(body("nav1"))
    run(body("sup1"))
    for footer in footers:
        assert "esc" in footer and "? Help" in footer, footer
