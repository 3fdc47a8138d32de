"""Every screen (Pilot) on a hub full of naughty strings stored through the real ingest path:
queue, triage (with its dialogs and the "no longer yours" banner), supervisor board, reports,
SOP screen and help. Nothing crashes, and not one escape, control or bidi character is painted:
the check reads the segments the screen would write to the terminal (Textual's own cursor
moves aside), and the screenshot text."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable

from ehub_tui.config import Settings
from ehub_tui.ingest.runner import Ingester
from ehub_tui.service import HubService
from ehub_tui.ui.app import EhubApp, make_app
from ehub_tui.ui.screens.board import BoardScreen
from ehub_tui.ui.screens.reports import ReportsScreen
from ehub_tui.ui.screens.sop_author import SopAuthorScreen
from ehub_tui.ui.screens.triage import TriageScreen
from tests.conftest import REPO, FrozenClock
from tests.hostile.corpus import NAUGHTY, forbidden
from tests.hostile.hub import add_people, write_inbox, write_practices
from tests.ui.conftest import (
    SIZE,
    run,
    screen_text,
    settle,
    shipped_sops,
    steady_queue,
    wait_until,
)


class HostileHub:
    """A SQLite hub built as a real one is: practices file, users, supplier files ingested and
    screened; then work with naughty reasons (a release, a priority change)."""

    def __init__(self, url: str, tmp: Path, clock: FrozenClock) -> None:
        self.url, self.tmp, self.clock = url, tmp, clock
        self.sops = tmp / "sops"
        shutil.copytree(REPO / "sops", self.sops)
        # a SOP file that names itself and quotes its text in its problems
        (self.sops / "naughty [red]x \x1b[2J.sop.yaml").write_text(
            'id: "[/b]\\e[2J"\ntitle: "\\e]0;title\\a [red]x \\u202e"\n"[/b]\\e[2J": 1\n',
            encoding="utf-8",
        )
        self._made: list[HubService] = []
        system = self.service(None)
        from ehub_tui.practices import load_practices

        system.import_practices(load_practices(write_practices(tmp)))
        add_people(system)
        Ingester(system).ingest_paths(write_inbox(tmp / "inbox"))
        while system.prescreen(1000):
            pass
        rows = system.queue_page("queue", _no_filter(), 0, 1000)[0]
        self.ids = [r.id for r in rows]
        nav2, sup = self.service("nav2"), self.service("sup1")
        nav2.release(nav2.claim(self.ids[-1]), NAUGHTY[1])
        # a naughty reason on a priority change that is never a lowering (the hub refuses to
        # lower an item below what its screened red flags demand)
        sup.set_priority(self.ids[-2], max(rows[-2].priority, 1), NAUGHTY[9])
        nav2.claim(self.ids[-3])  # held by someone whose display name is naughty

    def service(self, user: str | None) -> HubService:
        settings = Settings(data_dir=self.tmp / "data", hub_url=self.url, sops_dir=self.sops)
        svc = HubService.open(settings, user, clock=self.clock)
        svc.use_sop_library(shipped_sops())  # loaded and tested once
        self._made.append(svc)
        return svc

    def app(self, user: str) -> EhubApp:
        app = make_app(self.service(user), clock=self.clock, poll_interval=0.2)
        app.animation_level = "none"
        return app

    def close(self) -> None:
        for svc in self._made:
            svc.close()


def _no_filter() -> Any:
    from ehub_tui.store.views import QueueFilter

    return QueueFilter()


@pytest.fixture
def hostile(sqlite_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[HostileHub]:
    hub = HostileHub(sqlite_url, tmp_path, clock)
    yield hub
    hub.close()


def painted(app: EhubApp) -> str:
    """The text of every segment the current screen (over the screens beneath it) would send
    to the terminal, Textual's own control segments (cursor moves) left out."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert update is not None
    return "".join(seg.text for seg in console.render(update) if not seg.control)


async def clean(pilot: Pilot[Any], what: str) -> str:
    """Settle, then assert nothing a terminal would act on is painted; returns the screen text."""
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, EhubApp)
    text = painted(app)
    assert not forbidden(text), f"{what}: {forbidden(text)} painted"
    shot = screen_text(app)
    assert not forbidden(shot), f"{what}: {forbidden(shot)} in the screenshot"
    return shot


async def help_of(pilot: Pilot[Any], what: str) -> None:
    """? opens the help over the screen: clean too; escape closes it."""
    await pilot.press("question_mark")
    await clean(pilot, f"{what} help")
    await pilot.press("escape")
    await settle(pilot)


def test_queue_triage_and_dialogs_show_naughty_text_as_text(hostile: HostileHub) -> None:
    app = hostile.app("nav1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            queue = await clean(pilot, "queue")
            assert "␛[" in queue or "[/b]" in queue  # the naughty rows are there, as text
            for key in ("pagedown", "end", "home"):
                await pilot.press(key)
                await clean(pilot, f"queue after {key}")
            await help_of(pilot, "queue")
            seen = ""
            for n in range(6):
                await pilot.press("n")
                await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), 10)
                seen += await clean(pilot, f"triage {n}")
                await help_of(pilot, f"triage {n}")
                for key in ("m", "n"):  # the message (with the patient's name) and the note
                    await pilot.press(key)
                    await clean(pilot, f"triage {n} dialog {key}")
                    await pilot.press("escape")
                    await settle(pilot)
                await pilot.press("escape")  # leave it in Mine
                await wait_until(pilot, lambda: not isinstance(app.screen, TriageScreen), 10)
                await steady_queue(pilot)
            # shown literally, visibly (the first six taken by n are the markup-named ones;
            # the escape-named ones are checked on the queue above and in the lost banner)
            assert "[/b]" in seen and "[link=" in seen
            # an item taken away with a naughty reason: the banner and the toast quote it
            await pilot.press("2", "home", "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), 10)
            screen = app.screen
            assert isinstance(screen, TriageScreen)
            hostile.service("sup1").force_release(screen.claim.item_id, NAUGHTY[3])
            await wait_until(pilot, lambda: bool(screen.lost), 10, "the item lost")
            lost = await clean(pilot, "lost banner")
            assert "[@click=app.quit]" in lost or "[bold]" in lost or "␛" in lost

    run(body())


def test_board_and_its_dialogs_show_naughty_text_as_text(hostile: HostileHub) -> None:
    app = hostile.app("sup1")

    async def body() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await steady_queue(pilot)
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), 10)
            screen = app.screen
            assert isinstance(screen, BoardScreen)
            await wait_until(pilot, lambda: screen.board is not None, 10, "the board")
            board = await clean(pilot, "board")
            assert "␛[" in board  # practice codes, templates, events: visible
            for table in screen.query(DataTable):
                for row in table.rows:
                    for cell in table.get_row(row):
                        assert not forbidden(str(cell)), f"board cell {cell!r}"
            await pilot.press("a")  # reassign: the navigators by their naughty names
            await clean(pilot, "reassign dialog")
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("c")  # cancel: asks for a reason
            await clean(pilot, "reason dialog")
            await pilot.press("escape")
            await help_of(pilot, "board")

    run(body())


def test_reports_show_naughty_practice_names_as_text(hostile: HostileHub) -> None:
    app = hostile.app("mgr1")  # a manager: the reports are the first screen

    async def body() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, ReportsScreen), 10)
            screen = app.screen
            assert isinstance(screen, ReportsScreen)
            await wait_until(pilot, lambda: screen.report is not None, 15, "the figures")
            shown = await clean(pilot, "reports")
            assert "␛[" in shown
            for key in ("2", "3", "4", "1"):
                await pilot.press(key)
                await clean(pilot, f"reports period {key}")
            await help_of(pilot, "reports")

    run(body())


def test_sop_screen_shows_naughty_files_and_names_as_text(hostile: HostileHub) -> None:
    app = hostile.app("author1")

    async def body() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await steady_queue(pilot)
            screen = SopAuthorScreen()
            await app.push_screen(screen)
            await wait_until(pilot, lambda: screen.checks >= 1, 30, "the SOP overview")
            shown = await clean(pilot, "SOP screen")
            for _ in range(len(screen.rows)):  # every file's problems
                shown += await clean(pilot, "SOP problems")
                await pilot.press("down")
            assert "␛[2J" in shown  # the naughty file, named visibly
            await help_of(pilot, "SOP screen")

    run(body())


def test_every_naughty_string_is_shown_without_control_characters() -> None:
    """The corpus itself, through the helper the screens and the CLI use."""
    from ehub_tui.textsafe import literal, one_line, visible

    for s in NAUGHTY:
        for shown in (visible(s), one_line(s), literal(s).plain, literal(s, multiline=True).plain):
            assert not forbidden(shown), (s, shown)
        assert "\n" not in one_line(s) and "\t" not in one_line(s)
        assert len(one_line(s)) == len(s)  # one for one: offsets still line up
