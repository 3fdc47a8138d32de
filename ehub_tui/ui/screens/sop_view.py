"""What the SOP screen shows, as ``rich.text.Text``: a row's cells, the summary line, and the
highlighted SOP's problems, test results and where it stands in the hub. Pure functions of the
``SopStatus`` rows: no widgets, no I/O.

File names, versions and problems quote the files: each is a ``Text`` of visible characters
(``literal``), never markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from ehub_tui.ui.format import literal

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from ehub_tui.sop.loaded import Problem
    from ehub_tui.sop.standing import SopStatus

COLUMNS = ("File", "Version", "Status", "E/W", "Tests", "In the hub")
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


def check_notice(
    rows: list[SopStatus], note: tuple[Path, str] | None, announce: bool
) -> tuple[str, SeverityLevel, float | None] | None:
    """(text, severity, timeout) to say after a check: about the file in ``note`` (file, what
    happened to it), or with ``announce`` how the whole set did; None: nothing to say."""
    if note is not None:
        path, happened = note
        row = next((r for r in rows if r.file == path), None)
        if row is None:
            return f"{happened} {path.name} is no longer there.", "warning", None
        message, severity = verdict(row)
        return f"{happened} {message}", severity, 8
    if not announce:
        return None
    bad = [r for r in rows if r.errors]
    failing = [r for r in rows if not r.errors and not r.tests_ok]
    if not bad and not failing:
        return f"Checked {len(rows)} SOP(s): all valid and tested.", "information", 5
    return (
        f"Checked {len(rows)} SOP(s): {len(bad)} with errors, {len(failing)} with "
        "tests failing or not run.",
        "error" if bad else "warning",
        8,
    )


def cells(r: SopStatus) -> list[Text]:
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


def summary_texts(
    rows: list[SopStatus], folder: Path | None, approvers: list[str]
) -> tuple[Text, Text]:
    """(the summary line, who may publish) for the whole folder."""
    where = f"{folder.name}/" if folder else "the authoring folder"
    if folder is not None and folder.name == "shipped_sops":
        where = "the SOPs shipped with ehub-tui (set sops_dir for a folder of your own)"
    if not rows:
        text = f"No *.sop.yaml files in {where}."
    else:
        errors = sum(1 for r in rows if r.errors)
        awaiting = sum(1 for r in rows if r.publication == "awaiting approval")
        ready = sum(1 for r in rows if r.publishable)
        changed = sum(1 for r in rows if r.publication == "unpublished change")
        text = (
            f"{len(rows)} SOP file(s) in {where} · {errors} with errors · {awaiting} awaiting "
            f"approval ({ready} ready) · {changed} unpublished change(s)"
        )
    if approvers:
        who = ", ".join(approvers)
    else:
        who = "no clinical approver yet (an admin adds one: role clinical_approver)"
    shown = literal(f" Who may publish: {who}", "dim")
    shown.overflow, shown.no_wrap = "ellipsis", True
    return literal(text), shown  # a folder name: Text


def title_text(row: SopStatus) -> Text:
    """The highlighted SOP's name and title, on one line."""
    shown = literal(row.name + (f" — {row.title}" if row.title else ""))
    shown.overflow, shown.no_wrap = "ellipsis", True
    return shown


def problems_text(row: SopStatus, may_publish: bool, approvers: list[str]) -> Text:
    """The SOP's problems, its tests, its review date and where it stands in the hub (made
    visible by the caller: problems quote the files)."""
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
    out.append_text(hub_text(row, may_publish, approvers))
    return out


def hub_text(row: SopStatus, may_publish: bool, approvers: list[str]) -> Text:
    """Where the file stands in the hub, and what may be done with it."""
    out = Text()
    label = f"{row.id} {row.version}"
    if row.publication == "published":
        out.append(f"Published: {label} is what guides navigators.\n", style="green")
    elif row.publication == "older version":
        out.append(
            f"An older published version: {row.id} {row.published_version} guides navigators.\n",
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
            if may_publish:
                out.append("Ready to publish: press p.\n", style="bold green")
            else:
                who_may = ", ".join(approvers) or "a clinical approver"
                out.append(
                    f"Ready for approval: {who_may} may publish it"
                    + ("" if row.submitted_by else " (press u to submit it)")
                    + ".\n",
                    style="bold green",
                )
        else:
            out.append(f"Not ready to publish: {why}\n", style="yellow")
    return out
