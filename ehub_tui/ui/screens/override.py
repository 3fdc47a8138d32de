"""The override dialog: choose another route by typing a few letters of it.

It opens on the suggested route, lists every destination once, grouped by category (signpost,
clinical, admin, escalate; a heading row each, which the cursor skips), and filters as the
navigator types: each word typed must start a word of the choice — its destination, team,
category, urgency or code ("anp", "gp 3", "fit ext"). ↑/↓ move, enter chooses the highlighted
route, escape cancels. With the filter the highlight is on the plainest destination the first
word typed starts (``best_index``: "a" the ANP hub, "g" GP routine), else the first match, so
any route of the shipped SOPs is chosen in at most six keys from the triage screen, o and enter
included (tests/ui/test_override.py counts them), and a common override from the queue is
n o a ⏎ 1 ⏎ (a digit picks a common reason at once). Nothing matching is said in words. What
it returns is the route id the override records (triage/override.py); the reason is asked next,
as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ehub_tui.triage.override import (
    OverrideOption,
    best_index,
    filter_options,
    no_match_words,
    start_index,
)
from ehub_tui.ui.format import literal, notify
from ehub_tui.ui.screens.dialogs import ClosingKey

_HEADINGS = {
    "signpost": "Signpost — services outside the practice",
    "clinical": "Clinical — a clinician in the practice or PCN",
    "admin": "Admin — the practice team",
    "escalate": "Escalate — now",
}


# The reasons most overrides give, one digit each (a typed reason is still welcome; the note
# says more). Recorded in the outcome and the audit as written here.
OVERRIDE_REASONS = (
    "clinical judgement",
    "patient's preference",
    "the SOP does not fit this request",
    "service not available today",
)


def rows(options: Sequence[OverrideOption]) -> list[Option]:
    """The list's rows: a disabled heading before each category, then its choices."""
    out: list[Option] = []
    category = None
    for o in options:
        if o.category != category:
            category = o.category
            out.append(Option(_HEADINGS.get(category, category.title()), disabled=True))
        out.append(Option(literal(o.label), id=o.value))
    return out


class OverrideDialog(ClosingKey, ModalScreen[str | None]):
    """Pick the route to override to: type to filter, ↑/↓, enter; escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False, priority=True),
        Binding("up", "move(-1)", "Previous", show=False, priority=True),
    ]

    def __init__(self, options: Sequence[OverrideOption], suggested: Any | None) -> None:
        super().__init__()
        self.options = list(options)
        self.suggested = suggested
        self.shown: list[OverrideOption] = list(options)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-tall", id="override"):
            yield Label("Override: choose the route", classes="dialog-title")
            yield Input(placeholder="type to filter (e.g. anp, gp 3, fit ext)", id="filter")
            yield OptionList(id="routes")
            yield Label("", id="nomatch", classes="dialog-help")
            yield Label(
                "type to filter · ↑↓ move · enter choose · escape cancel",
                classes="dialog-help",
            )

    def on_mount(self) -> None:
        self.query_one("#filter", Input).focus()
        self._show("", start_index(self.options, self.suggested))

    def _show(self, query: str, at: int | None = None) -> None:
        """List the choices matching ``query`` and highlight the ``at``-th of them (None: the
        best match, ``best_index``); with none, say so in words."""
        self.shown = filter_options(self.options, query)
        routes = self.query_one("#routes", OptionList)
        routes.clear_options()
        routes.add_options(rows(self.shown))
        nomatch = self.query_one("#nomatch", Label)
        nomatch.update(literal(no_match_words(query)) if not self.shown else "")
        nomatch.display = not self.shown
        if at is None:
            at = best_index(self.shown, query)
        if self.shown:
            target = self.shown[min(at, len(self.shown) - 1)].value
            routes.highlighted = next(
                i for i in range(routes.option_count) if routes.get_option_at_index(i).id == target
            )

    def on_input_changed(self, event: Input.Changed) -> None:
        query = event.value
        self._show(query, None if query.strip() else start_index(self.options, self.suggested))

    def action_move(self, step: int) -> None:
        routes = self.query_one("#routes", OptionList)
        if step > 0:
            routes.action_cursor_down()
        else:
            routes.action_cursor_up()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.closed_by = "enter"  # the filter box took the ⏎: the screen below guards a repeat
        self._choose()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def _choose(self) -> None:
        routes = self.query_one("#routes", OptionList)
        index = routes.highlighted
        option = routes.get_option_at_index(index) if index is not None else None
        if option is None or option.id is None:
            query = self.query_one("#filter", Input).value
            notify(self, no_match_words(query), severity="warning", timeout=3)
            return
        self.dismiss(option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def open_override(screen: Any) -> None:
    """Override the route on ``screen`` (a TriageScreen): the dialog, then the reason."""
    from ehub_tui.ui.screens.dialogs import ReasonDialog

    session = screen.session
    options = session.override_options()
    if not options:
        notify(screen, "No routes are loaded.", severity="error")
        return
    suggested = session.decision.route if session.decision else None

    def picked(rid: str | None) -> None:
        if not rid:
            return

        def reasoned(reason: str | None) -> None:
            if reason and session.allowed("override"):
                if session.override(rid, reason):
                    notify(screen, "The patient message was reset for the new route.", timeout=5)
                screen.panel_changed()

        screen.app.push_screen(
            ReasonDialog("Why override the suggested route?", quick=OVERRIDE_REASONS), reasoned
        )

    screen.app.push_screen(OverrideDialog(options, suggested), picked)
