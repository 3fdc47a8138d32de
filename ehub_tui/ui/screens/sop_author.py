"""The SOP screen: every file of the authoring folder with its version, status, validation and
test results, and where it stands against what the hub has published (published, unpublished
change, awaiting approval). SOP authors edit a file in $EDITOR (the app steps aside), check it
again on return and submit a new version for approval; a clinical approver publishes it. Only
published versions guide anyone: every app takes a new one at its next check."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.notifications import SeverityLevel
from textual.widgets import DataTable, Footer, Static

from ehub_tui.ui.context import EhubScreen, UiContext
from ehub_tui.ui.format import literal, notify, visible_text

if TYPE_CHECKING:
    from ehub_tui.sop.authoring import SopStatus
    from ehub_tui.sop.loader import Problem

COLUMNS = ("File", "Version", "Status", "E/W", "Tests", "In the hub")
HEADLESS_EDITOR_TIMEOUT = 120  # seconds; a headless app has no terminal to hand over
STATUS_STYLE = {"active": "green", "draft": "yellow", "retired": "dim", "unreadable": "bold red"}
HUB_STYLE = {
    "published": "green",
    "awaiting approval": "bold yellow",
    "unpublished change": "bold red",
    "version not new": "red",
    "older version": "dim",
}
INTRO = (
    "Every SOP file in the authoring folder: version, status, errors and warnings, golden tests, "
    "and where it stands in the hub. Only published versions guide anyone: an 'unpublished "
    "change' was edited but kept a published version number, and every app ignores it; "
    "'awaiting approval' is a new version.\n"
    "e edits the file in $VISUAL or $EDITOR, then checks again. u (SOP authors) submits a new "
    "version; p (clinical approvers) publishes it once the set as it would be is valid and tested."
)


def editor_command() -> list[str] | None:
    """$VISUAL, else $EDITOR (either may carry arguments), else nano or vi; None: no editor."""
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                return shlex.split(value)
            except ValueError:
                return [value]
    for name in ("nano", "vi"):
        if shutil.which(name):
            return [name]
    return None


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def problem_line(p: Problem) -> str:
    """``file:line:col: severity: message`` with the file relative to the SOP folder."""
    name = p.file if p.file.startswith("(") else Path(p.file).name
    return f"{name}:{p.line}:{p.col}: {p.severity}: {p.message}"


def verdict(row: SopStatus) -> tuple[str, SeverityLevel]:
    """(message, severity) summing up one SOP after a check."""
    if row.errors:
        return (
            f"{row.name}: {row.errors} error(s) — see the problems listed below it.",
            "error",
        )
    if not row.tests_ok:
        return f"{row.name} is valid, but its tests: {row.tests}.", "warning"
    ready = " Ready to publish." if row.publishable else ""
    warns = f", {row.warnings} warning(s)" if row.warnings else ""
    return f"{row.name} is valid{warns}; tests {row.tests}.{ready}", "information"


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
            self.approvers = [u.display_name or u.username for u in service.sop_approvers()]
            self.folder = service.sops_folder()
        except Exception as exc:  # a refusal (role), an unreadable folder…: say so, no traceback
            self.app.call_from_thread(self._overview_failed, exc)
            return
        self.app.call_from_thread(self._show, rows, note, announce)

    def _overview_failed(self, exc: Exception) -> None:
        self.query_one("#sop-summary", Static).update("The SOPs could not be checked.")
        notify(self, f"Could not check the SOPs: {exc}", severity="error", timeout=10)

    def _show(
        self, rows: list[SopStatus], note: tuple[Path, str] | None = None, announce: bool = False
    ) -> None:
        table = self.query_one(DataTable)
        keep = self.current.file if self.current else None
        self.rows = rows
        table.clear()
        for r in rows:
            table.add_row(*self._cells(r), key=str(r.file))
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
        if note is not None:
            path, happened = note
            row = next((r for r in rows if r.file == path), None)
            if row is None:
                notify(self, f"{happened} {path.name} is no longer there.", severity="warning")
            else:
                message, severity = verdict(row)
                notify(self, f"{happened} {message}", severity=severity, timeout=8)
        elif announce:
            bad = [r for r in rows if r.errors]
            failing = [r for r in rows if not r.errors and not r.tests_ok]
            if not bad and not failing:
                notify(self, f"Checked {len(rows)} SOP(s): all valid and tested.", timeout=5)
            else:
                notify(
                    self,
                    f"Checked {len(rows)} SOP(s): {len(bad)} with errors, {len(failing)} with "
                    "tests failing or not run.",
                    severity="error" if bad else "warning",
                    timeout=8,
                )

    @staticmethod
    def _cells(r: SopStatus) -> list[Text]:
        """The row's cells: file names and versions are whatever the files say, so each is a
        Text of one visible line (never markup)."""
        ew = Text(f"{r.errors}/{r.warnings}")
        if r.errors:
            ew.stylize("bold red")
        elif r.warnings:
            ew.stylize("yellow")
        return [
            literal(r.name),
            literal(r.version or "—"),
            literal(r.status, STATUS_STYLE.get(r.status, "")),
            ew,
            literal(r.tests, "green" if r.tests_ok else "red"),
            literal(r.publication, HUB_STYLE.get(r.publication, "")),
        ]

    def _summary(self) -> None:
        rows = self.rows
        folder = f"{self.folder.name}/" if self.folder else "the authoring folder"
        if self.folder is not None and self.folder.name == "shipped_sops":
            folder = "the SOPs shipped with ehub-tui (set sops_dir for a folder of your own)"
        if not rows:
            text = f"No *.sop.yaml files in {folder}."
        else:
            errors = sum(1 for r in rows if r.errors)
            awaiting = sum(1 for r in rows if r.publication == "awaiting approval")
            ready = sum(1 for r in rows if r.publishable)
            changed = sum(1 for r in rows if r.publication == "unpublished change")
            text = (
                f"{len(rows)} SOP file(s) in {folder} · {errors} with errors · {awaiting} awaiting "
                f"approval ({ready} ready) · {changed} unpublished change(s)"
            )
        if self.approvers:
            who = ", ".join(self.approvers)
        else:
            who = "no clinical approver yet (an admin adds one: role clinical_approver)"
        self.query_one("#sop-summary", Static).update(literal(text))  # a folder name: Text
        approvers = literal(f" Who may publish: {who}", "dim")
        approvers.overflow, approvers.no_wrap = "ellipsis", True
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
        name = row.name + (f" — {row.title}" if row.title else "")
        shown = literal(name)
        shown.overflow, shown.no_wrap = "ellipsis", True
        title.update(shown)
        out = Text()
        if not row.problems:
            out.append("Valid: no errors or warnings.\n", style="green")
        for p in row.problems:
            out.append(problem_line(p) + "\n", style="red" if p.severity == "error" else "yellow")
        out.append("Tests: ", style="bold")
        out.append(row.tests, style="green" if row.tests_ok else "red")
        if row.tests == "not run: errors":
            here = "this file" if row.errors else "other files"
            out.append(f" (fix the errors in {here} first)")
        out.append("\n")
        for p in row.test_problems:
            out.append(problem_line(p) + "\n", style="red" if p.severity == "error" else "yellow")
        if row.review_by:
            out.append(f"Review by: {row.review_by.isoformat()}\n")
        out.append_text(self._hub_text(row))
        # problems quote the files (YAML text, names): shown as written, controls visible
        body.update(visible_text(out))

    def _hub_text(self, row: SopStatus) -> Text:
        """Where the file stands in the hub, and what may be done with it."""
        out = Text()
        label = f"{row.id} {row.version}"
        if row.publication == "published":
            out.append(f"Published: {label} is what guides navigators.\n", style="green")
        elif row.publication == "older version":
            out.append(
                f"An older published version: {row.id} {row.published_version} guides "
                "navigators.\n",
                style="yellow",
            )
        elif row.publication == "unpublished change":
            out.append(
                f"Unpublished change: this file was edited but still says {label}, which is "
                "published as it was; every app ignores this change. Give it a version higher "
                f"than {row.published_version} to have it approved.\n",
                style="bold red",
            )
        elif row.publication == "version not new":
            out.append(
                f"Version not new: {row.id} {row.published_version} is published; give this "
                "file a higher version.\n",
                style="red",
            )
        elif row.publication == "awaiting approval":
            was = f"replaces {row.published_version}" if row.published_version else "a new SOP"
            who = f"; submitted by {row.submitted_by}" if row.submitted_by else ""
            out.append(f"New version awaiting approval ({was}{who}).\n", style="bold yellow")
            why = row.why_not_publishable()
            if why is None:
                if self.ctx.may("publish_sops"):
                    out.append("Ready to publish: press p.\n", style="bold green")
                else:
                    who_may = ", ".join(self.approvers) or "a clinical approver"
                    out.append(
                        f"Ready for approval: {who_may} may publish it"
                        + ("" if row.submitted_by else " (press u to submit it)")
                        + ".\n",
                        style="bold green",
                    )
            else:
                out.append(f"Not ready to publish: {why}\n", style="yellow")
        return out

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
        before = _digest(path)
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
            result = subprocess.run(
                [*command, str(path)],
                check=False,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=HEADLESS_EDITOR_TIMEOUT,
            )
            code = result.returncode
        except (OSError, subprocess.SubprocessError) as exc:
            message = f"Could not run the editor {command[0]!r}: {exc}"
            self.app.call_from_thread(self._edit_failed, message)
            return
        self.app.call_from_thread(self._edited, path, before, code)

    def _edit_failed(self, message: str) -> None:
        self.busy = False
        notify(self, message, severity="error", timeout=10)

    def _edited(self, path: Path, before: str | None, code: int) -> None:
        self.busy = False
        if code != 0:
            notify(self, f"The editor exited with status {code}.", severity="warning", timeout=6)
        happened = "Saved:" if _digest(path) != before else "No changes:"
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
            self.app.call_from_thread(self._submitted, None, str(exc))
            return
        self.app.call_from_thread(self._submitted, prepared, None)

    def _submitted(self, prepared: Any, problem: str | None) -> None:
        self.busy = False
        if prepared is None:
            notify(self, problem or "Not submitted.", title="Not submitted", severity="error")
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
        from ehub_tui.sop.authoring import PublishRefused

        try:
            result = self.ctx.service.publish_sop(path)
        except PublishRefused as exc:
            self.app.call_from_thread(self._published, None, str(exc))
            return
        except Exception as exc:  # a refusal by role, an unreachable hub…: no traceback
            self.app.call_from_thread(self._published, None, f"Not published: {exc}")
            return
        self.app.call_from_thread(self._published, result, None)

    def _published(self, result: Any, problem: str | None) -> None:
        self.busy = False
        if result is None:
            notify(
                self,
                problem or "Not published.",
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
