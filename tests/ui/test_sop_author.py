"""The SOP screen: a snapshot showing an invalid SOP with its file:line problem (an unpublished
change in the hub), a clinical approver publishing a new SOP with a Pilot, an author submitting
one and seeing who may publish, and editing in $EDITOR.

The hub's authoring folder is a copy of the shipped sops/ in tmp_path/sops (the table and the
problems name files relative to that folder, so the snapshot holds no temporary path); the hub
itself is seeded from the shipped SOPs. The clock is the frozen one of tests/conftest.py; the
overview runs in a thread worker, and each test waits for it.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from ehub_tui.config import Settings
from ehub_tui.service import HubService
from ehub_tui.ui.app import EhubApp, make_app
from ehub_tui.ui.screens.dialogs import ConfirmDialog
from ehub_tui.ui.screens.sop_author import SopAuthorScreen, editor_command
from tests.sop.test_authoring import add_draft, break_signposting, sops_copy
from tests.ui.conftest import SIZE, Hub, run, screen_text, settle, steady_queue, wait_until

Snap = Callable[..., bool]


def author_app(hub: Hub, folder: Path, user: str = "author1") -> EhubApp:
    """The app of author1 (a sop_author), or of clin1 (a clinical approver), on a hub whose
    authoring folder is ``folder``."""
    system = hub.service(None)
    for username, role, name in (
        ("author1", "sop_author", "Dr Ewan Price"),
        ("clin1", "clinical_approver", "Dr Nadia Rahman"),
    ):
        if system.get_user(username) is None:
            system.add_user(username, role, name)
    settings = Settings(data_dir=hub.tmp / "data", hub_url=hub.url, sops_dir=folder)
    service = HubService.open(settings, user, clock=hub.clock)
    hub._made.append(service)
    app = make_app(service, clock=hub.clock, poll_interval=0.2)
    app.animation_level = "none"
    return app


async def open_sops(pilot: Pilot[Any]) -> SopAuthorScreen:
    """Past the queue's first poll, then the SOP screen with its first overview shown."""
    await steady_queue(pilot)
    screen = SopAuthorScreen()
    await pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: screen.checks >= 1, timeout=30, what="the SOP overview")
    await settle(pilot)
    return screen


def notes(app: EhubApp) -> str:
    """Every notification shown so far (title and message)."""
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


def problems_text(screen: SopAuthorScreen) -> str:
    return str(screen.query_one("#sop-problems-body", Static).render())


def test_sop_screen_shows_an_invalid_sop(
    make_hub: Callable[..., Hub], tmp_path: Path, snap_compare: Snap
) -> None:
    folder = sops_copy(tmp_path)
    line = break_signposting(folder)
    app = author_app(make_hub(), folder)

    async def before(pilot: Pilot[Any]) -> None:
        screen = await open_sops(pilot)
        # the app's own SOP load (a worker after the first paint; from the hub, so the broken
        # file changes nothing): wait for it, then clear any toast so the snapshot is steady
        await wait_until(
            pilot,
            lambda: app.service.parts.guidance.loaded is not None,
            timeout=30,
            what="the app's SOP load",
        )
        await settle(pilot)
        pilot.app.clear_notifications()
        screen.query_one(DataTable).focus()  # the same focus whatever the timing
        await settle(pilot)
        await pilot.pause(0.3)
        # the first look lands on the SOP that needs attention
        assert screen.current is not None and screen.current.file.name == "signposting.sop.yaml"
        text = screen_text(app)
        assert f"signposting.sop.yaml:{line}:5: error: routes[9].categry: unknown key" in text
        assert "1/0" in text and "not run: errors" in text
        assert "unpublished change" in text  # edited in place: the hub's 1.0.0 still guides
        assert "Who may publish: Dr Nadia Rahman" in text
        assert str(tmp_path) not in text

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_approver_publishes_a_new_sop(make_hub: Callable[..., Hub], tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    path = add_draft(folder)
    hub = make_hub()
    app = author_app(hub, folder, "clin1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_sops(pilot)
            table = screen.query_one(DataTable)
            index = [r.file for r in screen.rows].index(path)
            table.move_cursor(row=index)
            await pilot.pause()
            assert screen.current is not None and screen.current.publishable
            assert screen.current.publication == "awaiting approval"
            text = problems_text(screen)
            assert "New version awaiting approval (a new SOP)." in text
            assert "Ready to publish: press p." in text
            await pilot.press("p")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
            shown = screen_text(app)
            assert "Publish demo-draft 0.1.0?" in shown
            assert "approved by Dr Nadia Rahman (clin1)" in shown
            checks = screen.checks
            await pilot.press("enter")
            await wait_until(pilot, lambda: screen.checks > checks, timeout=30, what="re-check")
            await settle(pilot)
            row = screen.current
            assert row is not None and row.file == path
            assert (row.status, row.errors, row.tests_ok) == ("active", 0, True)
            assert (row.publication, row.published_version) == ("published", "0.1.0")
            assert "Published: demo-draft 0.1.0 is published, approved by clin1" in notes(app)
            # publishing again is refused on the spot
            await pilot.press("p")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmDialog)
            assert "demo-draft 0.1.0 guides navigators" in notes(app)

    run(body())
    text = path.read_text(encoding="utf-8")
    assert "  status: active " in text and "  approved_by: Dr Nadia Rahman\n" in text
    system = hub.service(None)
    publish = next(e for e in system.audit_log(limit=20) if e.action == "sop_publish")
    assert publish.actor == "clin1" and publish.body["sop"] == "demo-draft"
    stored = [v for v in system.published_sops() if v.sop_id == "demo-draft"]
    assert [(v.version, v.approved_by, v.text) for v in stored] == [
        ("0.1.0", "clin1", path.read_bytes())
    ]


def test_author_submits_and_sees_who_may_publish(
    make_hub: Callable[..., Hub], tmp_path: Path
) -> None:
    folder = sops_copy(tmp_path)
    path = add_draft(folder)
    hub = make_hub()
    app = author_app(hub, folder)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_sops(pilot)
            screen.query_one(DataTable).move_cursor(row=[r.file for r in screen.rows].index(path))
            await pilot.pause()
            text = screen_text(app)
            assert "Who may publish: Dr Nadia Rahman" in text
            assert "Submit for approval" in text and " p Publish" not in text
            assert "Dr Nadia Rahman may publish it (press u to submit it)." in problems_text(screen)
            await pilot.press("p")  # not theirs: nothing happens
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmDialog)
            checks = screen.checks
            await pilot.press("u")
            await wait_until(pilot, lambda: screen.checks > checks, timeout=30, what="re-check")
            await settle(pilot)
            # the toast is posted by the submit's worker, a frame or two after the re-check on a
            # busy machine (CI): wait for it rather than read it at once
            await wait_until(
                pilot,
                lambda: "Submitted: demo-draft 0.1.0 is submitted" in notes(app),
                timeout=10,
                what="the submitted note",
            )
            row = screen.current
            assert row is not None and (row.publication, row.submitted_by) == (
                "awaiting approval",
                "author1",
            )
            assert "submitted by author1" in problems_text(screen)

    run(body())
    assert "status: draft" in path.read_text(encoding="utf-8")  # nothing published
    system = hub.service(None)
    assert [v.sop_id for v in system.published_sops() if v.sop_id == "demo-draft"] == []
    assert [e.actor for e in system.audit_log(limit=20) if e.action == "sop_submit"] == ["author1"]


def test_publish_refusal_is_a_notification(make_hub: Callable[..., Hub], tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    path = add_draft(folder)
    app = author_app(make_hub(), folder, "clin1")

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_sops(pilot)
            screen.query_one(DataTable).move_cursor(row=[r.file for r in screen.rows].index(path))
            await pilot.pause()
            await pilot.press("p")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
            # the tests file changes behind the screen's back: the publish re-check refuses
            tests = folder / "demo-draft.tests.yaml"
            tests.write_text(tests.read_text().replace("zebra stripes", "a rash"), encoding="utf-8")
            checks = screen.checks
            await pilot.press("enter")
            await wait_until(pilot, lambda: screen.checks > checks, timeout=30, what="re-check")
            await settle(pilot)
            assert "Not published: demo-draft.sop.yaml was not published" in notes(app)
            assert screen.current is not None and screen.current.status == "draft"
            assert screen.current.tests == "failed 1 of 1"
            assert screen.current.publication == "awaiting approval"

    run(body())
    assert "status: draft" in path.read_text(encoding="utf-8")


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$EDITOR: a script that fixes the typo of break_signposting and appends a comment."""
    script = tmp_path / "fake-editor.sh"
    log = tmp_path / "editor.log"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$1" >> "{log}"\n'
        'sed -i.bak \'s/    categry: signpost/    category: signpost/\' "$1" && rm -f "$1.bak"\n'
        "printf '# checked by the test editor\\n' >> \"$1\"\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    return log


def test_edit_runs_editor_and_checks_again(
    make_hub: Callable[..., Hub], tmp_path: Path, editor: Path
) -> None:
    folder = sops_copy(tmp_path)
    break_signposting(folder)
    path = folder / "signposting.sop.yaml"
    before = path.read_text(encoding="utf-8")
    app = author_app(make_hub(), folder)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_sops(pilot)
            assert screen.current is not None and screen.current.file == path
            assert screen.current.errors == 1
            checks = screen.checks
            await pilot.press("e")  # headless: the editor runs without suspending the app
            await wait_until(pilot, lambda: screen.checks > checks, timeout=30, what="re-check")
            await settle(pilot)
            row = screen.current
            assert row is not None and row.file == path
            assert (row.errors, row.tests_ok) == (0, True)
            assert all(r.tests_ok for r in screen.rows)
            assert "Saved: signposting.sop.yaml is valid" in notes(app)
            assert "Valid: no errors or warnings." in problems_text(screen)

    run(body())
    assert editor.read_text(encoding="utf-8").splitlines() == [str(path)]
    after = path.read_text(encoding="utf-8")
    assert (
        after == before.replace("    categry:", "    category:") + "# checked by the test editor\n"
    )


def test_editor_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISUAL", "code --wait")
    monkeypatch.setenv("EDITOR", "vim")
    assert editor_command() == ["code", "--wait"]
    monkeypatch.delenv("VISUAL")
    assert editor_command() == ["vim"]


def test_help_back_and_no_suspend(
    make_hub: Callable[..., Hub], tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """? explains the screen; where the terminal cannot be handed over, e says what to do
    instead (and runs nothing); escape goes back to the author's first screen, the SOPs."""
    from ehub_tui.ui.screens.help import HelpScreen
    from ehub_tui.ui.screens.sop_home import SopHomeScreen

    folder = sops_copy(tmp_path)
    app = author_app(make_hub(), folder)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_sops(pilot)
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            text = screen_text(app)
            assert "Help — SOPs" in text and "Edit in $EDITOR" in text
            assert "Submit for approval" in text  # an author's key; p is a clinical approver's
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen, what="back from help")
            # a driver that cannot suspend (as in Textual Web): say so, run nothing
            monkeypatch.setattr(type(app), "is_headless", property(lambda self: False))
            await pilot.press("e")
            await pilot.pause()
            monkeypatch.undo()
            assert "cannot hand over to an editor" in notes(app)
            assert not editor.exists()
            # a SOP author's first screen is the SOPs (the hub refuses them the patient queue)
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, SopHomeScreen), what="home")

    run(body())
