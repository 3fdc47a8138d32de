"""The patient message editor, driven with a Pilot (issue 15, part 4): it opens with the cursor
at the end, shows the SMS segment count and its alphabet, and ``c`` copies the message to the
clipboard (the app's own copy of what OSC 52 sent). First on its own, then from a real triage
screen on a real SQLite hub (``m`` on the adult sore throat's Pharmacy First route)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

from ehub_tui.domain.sms import sms_count
from ehub_tui.ui.screens.message_editor import MessageArea, MessageEditor
from ehub_tui.ui.screens.triage import TriageScreen
from tests.ui.conftest import SIZE, Hub, run, settle, type_text, wait_until

MESSAGE = "Hello Sam, thank you for contacting Harbour Street Surgery."


class Host(App[None]):
    """An app that only opens the editor, and keeps what it was dismissed with."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.result: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(MessageEditor("Message to the patient", self.text), self.result.append)


def editor_of(app: App[Any]) -> MessageEditor:
    screen = app.screen
    assert isinstance(screen, MessageEditor)
    return screen


def count_line(app: App[Any]) -> str:
    return str(editor_of(app).query_one("#sms-count", Static).render())


def notices(app: App[Any]) -> str:
    return "\n".join(n.message for n in app._notifications)


def test_opens_at_the_end_counts_segments_and_c_copies() -> None:
    app = Host(MESSAGE)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, MessageEditor), what="editor")
            await pilot.pause()
            area = editor_of(app).query_one(MessageArea)
            assert area.has_focus and area.cursor_location == area.document.end
            assert count_line(app).startswith(f"{len(MESSAGE)} characters · 1 SMS segment")
            assert "GSM-7, 160 per segment" in count_line(app)
            # typing goes on at the end; c and e are letters while editing, not commands
            await type_text(pilot, " Call me")
            assert area.text == MESSAGE + " Call me" and app.clipboard == ""
            # one character outside GSM-7 turns the whole message into UCS-2, and says which
            area.insert("ë")
            await pilot.pause()
            assert "UCS-2, 70 per segment" in count_line(app)
            assert "because of “ë”" in count_line(app)
            area.insert(" and a longer sentence to go past seventy characters.")
            await pilot.pause()
            assert "2 SMS segments (UCS-2, 67 per segment)" in count_line(app)
            # escape stops editing; c copies the whole message, with a notice
            await pilot.press("escape")
            assert not area.has_focus and isinstance(app.screen, MessageEditor)
            await pilot.press("c")
            assert app.clipboard == area.text
            assert "Message copied to the clipboard" in notices(app)
            # e edits again at the end; ctrl+s saves what is there
            await pilot.press("e")
            assert area.has_focus and area.cursor_location == area.document.end
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.result == [area.text]

    run(body())


def test_ctrl_c_while_editing_copies_the_whole_message_and_escape_twice_closes() -> None:
    app = Host(MESSAGE)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, MessageEditor), what="editor")
            await pilot.pause()
            await pilot.press("ctrl+c")
            assert app.clipboard == MESSAGE
            await pilot.press("escape", "escape")  # unchanged: no warning, closes
            await pilot.pause()
            assert app.result == [None]

    run(body())


def test_the_segment_arithmetic() -> None:
    assert sms_count("a" * 160).segments == 1
    assert sms_count("a" * 161).segments == 2 and sms_count("a" * 306).segments == 2
    assert sms_count("a" * 307).segments == 3
    assert sms_count("€" * 80).units == 160 and sms_count("€" * 81).segments == 2  # 2 septets
    assert sms_count("—" * 70).segments == 1 and sms_count("—" * 71).segments == 2
    assert sms_count("😀" * 35).units == 70  # two UTF-16 units each
    assert sms_count("ë").culprit == "ë" and sms_count("é").encoding == "GSM-7"


def test_m_in_triage_opens_the_editor_at_the_end_and_c_copies(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub("throat")
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            pilot_: Pilot[Any] = pilot
            await settle(pilot_)
            await pilot.pause(0.3)
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot_)
            await pilot.pause(0.45)  # past the key guard
            triage = app.screen
            assert isinstance(triage, TriageScreen)
            expected = triage.message_text()
            assert expected.startswith("Hello Sam, ") and "treat this sore throat" in expected
            await pilot.press("m")
            await wait_until(pilot, lambda: isinstance(app.screen, MessageEditor), what="editor")
            await pilot.pause()
            area = editor_of(app).query_one(MessageArea)
            assert area.text == expected and area.cursor_location == area.document.end
            assert "SMS segment" in count_line(app) and "GSM-7" in count_line(app)
            await pilot.press("ctrl+c")  # copies while editing
            assert app.clipboard == expected
            # nothing changed: one escape closes (trial 15c: the escalation key that followed
            # went into the dialog)
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is triage, what="back to triage")

    run(body())
