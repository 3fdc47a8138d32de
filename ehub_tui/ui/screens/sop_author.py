"""The SOP screen: every file of the authoring folder with its version, status, validation and
test results, and where it stands against what the hub has published (published, unpublished
change, awaiting approval). SOP authors edit a file in $EDITOR (the app steps aside), check it
again on return and submit a new version for approval; a clinical approver publishes it. Only
published versions guide anyone: every app takes a new one at its next check."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from ehub_tui.errors import PublishRefused
from ehub_tui.ui.context import EhubScreen, UiContext
from ehub_tui.ui.format import notify, visible_text
from ehub_tui.ui.messages import (
    EditorClosed,
    EditorFailed,
    SopPublishDone,
    SopsChecked,
    SopsNotChecked,
    SopSubmitDone,
)
from ehub_tui.ui.screens.sop_editor import (
    HEADLESS_EDITOR_TIMEOUT,
    digest,
    editor_command,
    run_headless,
)
from ehub_tui.ui.screens.sop_view import (
    COLUMNS,
    INTRO,
    cells,
    check_notice,
    problem_line,
    problems_text,
    summary_texts,
    title_text,
    verdict,
)

if TYPE_CHECKING:
    from ehub_tui.sop.standing import SopStatus

# the texts are built in sop_view, the editor found and run by sop_editor; these names are
# importable from here too
__all__ = [
    "HEADLESS_EDITOR_TIMEOUT",
    "SopAuthorScreen",
    "editor_command",
    "problem_line",
    "verdict",
]


class SopAuthorScreen(EhubScreen[None]):
    """SOPs for authors: check, edit, publish."""

    BINDINGS = [
        Binding("e", "edit", "Edit in $EDITOR", id="sop_edit"),
        Binding("enter", "edit", "Edit in $EDITOR", id="sop_edit_enter", show=False),
        Binding("v", "check", "Validate & test", id="sop_check"),
        Binding("u", "submit", "Submit for approval", id="sop_submit"),
        Binding("p", "publish", "Publish", id="sop_publish"),
        Binding("escape", "back", "Back", id="sop_back"),
        Binding("question_mark", "help", "Help", id="sop_help", key_display="?"),
    ]

    def __init__(self, ctx: UiContext | None = None) -> None:
        super().__init__(ctx)
        self.rows: list[SopStatus] = []
        self.checks = 0  # overviews shown (the tests wait on it)
        self.busy = False  # an edit, a submission or a publish is under way
        self.approvers: list[str] = []  # who may publish (clinical approvers)
        self.folder: Path | None = None  # the authoring folder
        self._first = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Submit is for SOP authors, publish for clinical approvers: each sees only theirs."""
        if action == "submit":
            return self.ctx.may("submit_sops")
        if action == "publish":
            return self.ctx.may("publish_sops")
        return True

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(visible_text(self.ctx.title_line(), multiline=False), id="topbar")
        yield self.sync_line()
        yield Static("Checking the SOPs…", id="sop-summary")
        yield Static("", id="sop-approvers")
        table: DataTable[Any] = DataTable(id="sop-table", cursor_type="row", zebra_stripes=False)
        yield table
        yield Static("", id="sop-problems-title")
        with VerticalScroll(id="sop-problems"):
            yield Static("", id="sop-problems-body")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.refresh_overview()

    @property
    def current(self) -> SopStatus | None:
        """The highlighted SOP."""
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # -- the overview ----------------------------------------------------------------------------

    def refresh_overview(
        self, note: tuple[Path, str] | None = None, announce: bool = False
    ) -> None:
        """Load, validate and test the folder in a worker, then show it.

        ``note``: (file, what happened) to say about that file once checked; ``announce``: say
        how the whole set did."""
        self._overview(note, announce)

    @work(thread=True, exclusive=True, group="sop-overview")
    def _overview(self, note: tuple[Path, str] | None, announce: bool) -> None:
        service = self.ctx.service
        try:
            rows = service.sop_overview()
            approvers = [u.display_name or u.username for u in service.sop_approvers()]
            folder = service.sops_folder()
        except Exception as exc:  # a refusal (role), an unreadable folder…: say so, no traceback
            self.post_message(SopsNotChecked(str(exc)))
            return
        self.post_message(SopsChecked(rows, approvers, folder, note, announce))

    def on_sops_not_checked(self, message: SopsNotChecked) -> None:
        self.query_one("#sop-summary", Static).update("The SOPs could not be checked.")
        notify(self, f"Could not check the SOPs: {message.problem}", severity="error", timeout=10)

    def on_sops_checked(self, message: SopsChecked) -> None:
        self.approvers = message.approvers
        self.folder = message.folder
        self._show(message.rows, message.note, message.announce)

    def _show(
        self, rows: list[SopStatus], note: tuple[Path, str] | None = None, announce: bool = False
    ) -> None:
        table = self.query_one(DataTable)
        keep = self.current.file if self.current else None
        self.rows = rows
        table.clear()
        for r in rows:
            table.add_row(*cells(r), key=str(r.file))
        target = 0
        if keep is not None:
            target = next((i for i, r in enumerate(rows) if r.file == keep), 0)
        elif self._first:  # the first look: start at the first SOP that needs attention
            with_errors = (i for i, r in enumerate(rows) if r.errors)
            changed = (i for i, r in enumerate(rows) if r.publication == "unpublished change")
            untested = (i for i, r in enumerate(rows) if r.status == "active" and not r.tests_ok)
            target = next(with_errors, next(changed, next(untested, 0)))
        self._first = False
        if rows:
            table.move_cursor(row=target, animate=False)
        self._summary()
        self._show_problems()
        self.checks += 1
        notice = check_notice(rows, note, announce)
        if notice is not None:
            text, severity, timeout = notice
            notify(self, text, severity=severity, timeout=timeout)

    def _summary(self) -> None:
        summary, approvers = summary_texts(self.rows, self.folder, self.approvers)
        self.query_one("#sop-summary", Static).update(summary)
        self.query_one("#sop-approvers", Static).update(approvers)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_problems()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def _show_problems(self) -> None:
        title = self.query_one("#sop-problems-title", Static)
        body = self.query_one("#sop-problems-body", Static)
        row = self.current
        if row is None:
            title.update("")
            body.update("")
            return
        title.update(title_text(row))
        text = problems_text(row, self.ctx.may("publish_sops"), self.approvers)
        # problems quote the files (YAML text, names): shown as written, controls visible
        body.update(visible_text(text))

    # -- actions ---------------------------------------------------------------------------------

    def action_check(self) -> None:
        self.query_one("#sop-summary", Static).update("Checking the SOPs…")
        self.refresh_overview(announce=True)

    def action_edit(self) -> None:
        row = self.current
        if row is None or self.busy:
            return
        command = editor_command()
        if command is None:
            notify(
                self,
                "No editor found: set $EDITOR (for example EDITOR=nano) and start ehub-tui again.",
                severity="error",
                timeout=10,
            )
            return
        path = row.file
        before = digest(path)
        if self.app.is_headless:  # no terminal to hand over (tests, automation)
            self.busy = True
            self._edit_headless(command, path, before)
            return
        try:
            with self.app.suspend():
                result = subprocess.run([*command, str(path)], check=False)
        except SuspendNotSupported:
            notify(
                self,
                f"This terminal cannot hand over to an editor: edit {path} in another window, "
                "then press v to check it.",
                severity="warning",
                timeout=12,
            )
            return
        except OSError as exc:
            notify(
                self,
                f"Could not start the editor {command[0]!r}: {exc.strerror or exc}. "
                "Check $VISUAL / $EDITOR.",
                severity="error",
                timeout=10,
            )
            return
        self._edited(path, before, result.returncode)

    @work(thread=True, exclusive=True, group="sop-edit")
    def _edit_headless(self, command: list[str], path: Path, before: str | None) -> None:
        try:
            code = run_headless(command, path)
        except (OSError, subprocess.SubprocessError) as exc:
            self.post_message(EditorFailed(f"Could not run the editor {command[0]!r}: {exc}"))
            return
        self.post_message(EditorClosed(path, before, code))

    def on_editor_failed(self, message: EditorFailed) -> None:
        self.busy = False
        notify(self, message.problem, severity="error", timeout=10)

    def on_editor_closed(self, message: EditorClosed) -> None:
        self._edited(message.path, message.before, message.code)

    def _edited(self, path: Path, before: str | None, code: int) -> None:
        self.busy = False
        if code != 0:
            notify(self, f"The editor exited with status {code}.", severity="warning", timeout=6)
        happened = "Saved:" if digest(path) != before else "No changes:"
        self.query_one("#sop-summary", Static).update("Checking the SOPs…")
        self.refresh_overview(note=(path, happened))

    def action_submit(self) -> None:
        row = self.current
        if row is None or self.busy:
            return
        why = row.why_not_publishable()
        if why is not None:
            notify(self, why, title="Not submitted", severity="warning", timeout=10)
            return
        self.busy = True
        self._submit(row.file)

    @work(thread=True, exclusive=True, group="sop-publish")
    def _submit(self, path: Path) -> None:
        try:
            prepared = self.ctx.service.submit_sop(path)
        except Exception as exc:  # a refusal (role, checks): say why, no traceback
            self.post_message(SopSubmitDone(None, str(exc)))
            return
        self.post_message(SopSubmitDone(prepared, None))

    def on_sop_submit_done(self, message: SopSubmitDone) -> None:
        self.busy = False
        prepared = message.prepared
        if prepared is None:
            problem = message.problem or "Not submitted."
            notify(self, problem, title="Not submitted", severity="error")
        else:
            who = ", ".join(self.approvers) or "a clinical approver"
            notify(
                self,
                f"{prepared.sop_id} {prepared.version} is submitted: {who} may publish it.",
                title="Submitted",
                timeout=10,
            )
        self.refresh_overview()

    def action_publish(self) -> None:
        from ehub_tui.ui.screens.dialogs import ConfirmDialog

        row = self.current
        if row is None or self.busy:
            return
        why = row.why_not_publishable()
        if why is not None:
            notify(self, why, title="Not published", severity="warning", timeout=10)
            return
        user = self.ctx.user
        who = f"{user.display_name or user.username} ({user.username})" if user else "you"
        path = row.file
        was = f"replacing {row.published_version}" if row.published_version else "a new SOP"

        def answered(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self._publish(path)

        self.app.push_screen(
            ConfirmDialog(
                f"Publish {row.id} {row.version}?",
                f"{row.name} is published as {row.id} {row.version} ({was}), approved by "
                f"{who}. Every app takes it at its next check. The set is validated and tested "
                "again before it is stored.",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="sop-publish")
    def _publish(self, path: Path) -> None:
        try:
            result = self.ctx.service.publish_sop(path)
        except PublishRefused as exc:
            self.post_message(SopPublishDone(None, str(exc)))
            return
        except Exception as exc:  # a refusal by role, an unreachable hub…: no traceback
            self.post_message(SopPublishDone(None, f"Not published: {exc}"))
            return
        self.post_message(SopPublishDone(result, None))

    def on_sop_publish_done(self, message: SopPublishDone) -> None:
        self.busy = False
        result = message.result
        if result is None:
            notify(
                self,
                message.problem or "Not published.",
                title="Not published",
                severity="error",
                timeout=15,
            )
        else:
            notify(
                self,
                f"{result.sop_id} {result.version} is published, approved by "
                f"{result.approved_by} (sha256 {result.sha256[:12]}…). Every app takes it at its "
                "next check.",
                title="Published",
                timeout=10,
            )
            if result.note:
                notify(self, result.note, title="The file", severity="warning", timeout=10)
            self.ctx.start_guidance()
            self.ctx.reload_guidance()  # this app takes the new set now
        self.refresh_overview()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "SOPs",
                intro=INTRO,
                extra=[("enter", "edit, as e"), ("↑ ↓ pgup pgdn home end", "move in the list")],
            )
        )
