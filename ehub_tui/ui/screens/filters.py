"""The queue's filters and saved views (``f`` on the queue screen): practices and request types
(several at once), age bands, waited over N hours and the sort order; the hub's saved views
("Admin team", "Clinical") to apply with enter; and, for a supervisor, saving the filters as a
view and making a view a user's default (applied when that user's queue opens).

Dismisses with the QueueFilter chosen (the search typed after ``/`` is kept), or None (esc). The
hub's calls run in workers; a refusal (the hub away, not a supervisor) is a toast in words.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, SelectionList
from textual.widgets.option_list import Option

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.search import AGE_BAND_WORDS, AGE_BANDS, SORTS
from ehub_tui.domain.types import REQUEST_TYPES
from ehub_tui.domain.views import SavedView, describe
from ehub_tui.errors import StoreError
from ehub_tui.ui.format import literal, notify
from ehub_tui.ui.once import ClosesOnce

TICKED, UNTICKED = "X", " "  # a box's inner glyph: the words, not the colour, say which
CHOSEN = "●"


class TickList(SelectionList[str]):
    """A SelectionList whose unticked boxes are empty (``▐ ▌``) and ticked ones hold ``X``:
    Textual draws ``X`` in every box and tells them apart by colour alone."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        index = int(self.scroll_offset.y) + y
        if index >= self.option_count or len(segments) < 2:
            return strip
        value = self.get_option_at_index(index).value
        if value not in self.selected and segments[1].text == TICKED:
            segments[1] = segments[1]._replace(text=UNTICKED)
            return Strip(segments, strip.cell_length)
        return strip


class SortChoice(RadioButton):
    """A radio button whose ``●`` shows only on the chosen one (Textual shows ``●`` on every
    button and tells the chosen one by colour alone)."""

    def __init__(self, label: str, value: bool = False, *, name: str | None = None) -> None:
        super().__init__(label, value, name=name)
        self.BUTTON_INNER = CHOSEN if value else " "

    def watch_value(self) -> None:
        super().watch_value()
        self.BUTTON_INNER = CHOSEN if self.value else " "
        self.refresh(layout=False)


class FiltersScreen(ClosesOnce, ModalScreen[QueueFilter | None]):
    """Choose the queue's filters, or apply / save a saved view (see the module docstring)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply", show=True),
    ]
    DEFAULT_CSS = """
    FiltersScreen { align: center middle; }
    FiltersScreen > Vertical { width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; padding: 0 1; background: $surface; }
    FiltersScreen SelectionList { height: auto; max-height: 9; }
    /* the saved views get fixed rows: with height auto, inside the scroll, the list's options
       (filled later by a worker) were given no rows at all, not even "No saved views yet." */
    FiltersScreen #views { height: 6; min-height: 3; }
    FiltersScreen .col { width: 1fr; height: auto; }
    FiltersScreen Input { width: 1fr; }
    FiltersScreen Button { min-width: 10; margin: 0 1 0 0; }
    FiltersScreen .row { height: auto; }
    """

    def __init__(
        self,
        current: QueueFilter,
        practices: dict[str, str],
        service: Any,
        *,
        supervisor: bool = False,
    ) -> None:
        super().__init__()
        self.current = current
        self.practices = practices
        self.service = service
        self.supervisor = supervisor
        self.views: list[SavedView] = []
        self.applied_view: str | None = None  # the saved view enter applied (for its name)

    def compose(self) -> ComposeResult:
        f = self.current
        chosen_p, chosen_t = set(f.all_practices()), set(f.all_types())
        with Vertical():
            yield Label("Filters and saved views", classes="dialog-title")
            with VerticalScroll():
                with Horizontal(classes="row"):
                    with Vertical(classes="col"):
                        yield Label("Practices (space to tick)")
                        yield TickList(
                            *[
                                # a practice's name is hub data: shown as written, never
                                # read as markup nor obeyed as a terminal control
                                (literal(f"{code} {name}"), code, code in chosen_p)
                                for code, name in sorted(self.practices.items())
                            ],
                            id="practices",
                        )
                    with Vertical(classes="col"):
                        yield Label("Request types")
                        yield TickList(*[(t, t, t in chosen_t) for t in REQUEST_TYPES], id="types")
                        yield Label("Age bands")
                        yield TickList(
                            *[(AGE_BAND_WORDS[b], b, b in f.age_bands) for b in AGE_BANDS],
                            id="ages",
                        )
                with Horizontal(classes="row"):
                    with Vertical(classes="col"):
                        yield Label("Waited over (hours; empty: any)")
                        waited = "" if f.waited_over_hours is None else f"{f.waited_over_hours:g}"
                        yield Input(value=waited, placeholder="e.g. 24", id="waited")
                    with Vertical(classes="col"):
                        yield Label("Sort")
                        with RadioSet(id="sort"):
                            for key, words in SORTS.items():
                                yield SortChoice(words, value=key == f.sort, name=key)
                yield Label("Saved views (enter applies one; ★ your default)")
                yield OptionList(id="views")
                if self.supervisor:
                    with Horizontal(classes="row"):
                        yield Input(placeholder="save these filters as… (a view's name)", id="name")
                        yield Button("Save view", id="save")
                    with Horizontal(classes="row"):
                        yield Input(placeholder="username", id="user")
                        yield Button("Make highlighted view their default", id="default")
            yield Label(
                "ctrl+s applies · esc cancels · tab moves · space ticks", classes="dialog-help"
            )

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = False
        self.query_one("#practices", SelectionList).focus()
        self._load_views()

    # -- saved views (workers: the hub) ---------------------------------------------------------

    @work(thread=True, exclusive=True, group="views")
    def _load_views(self) -> None:
        try:
            views = list(self.service.saved_views())
        except StoreError as exc:
            self.app.call_from_thread(notify, self, str(exc), severity="warning")
            return
        self.app.call_from_thread(self._show_views, views)

    def _show_views(self, views: list[SavedView]) -> None:
        self.views = views
        options = self.query_one("#views", OptionList)
        options.clear_options()
        if not views:
            options.add_option(Option("No saved views yet.", disabled=True))
            return
        for v in views:
            mark = "★ " if v.is_default else "  "
            options.add_option(Option(literal(f"{mark}{v.name} — {describe(v.filters)}")))

    @on(OptionList.OptionSelected, "#views")
    def _apply_view(self, event: OptionList.OptionSelected) -> None:
        if 0 <= event.option_index < len(self.views):
            view = self.views[event.option_index]
            self.applied_view = view.name
            self.dismiss(dataclasses.replace(view.filters, search=self.current.search))

    def chosen(self) -> QueueFilter:
        """The filter as the screen shows it now (ValueError: waited over is not a number)."""
        raw = self.query_one("#waited", Input).value.strip()
        waited = None
        if raw:
            waited = float(raw)
            if waited < 0:
                raise ValueError("waited over needs 0 or more hours")
        pressed = self.query_one("#sort", RadioSet).pressed_button
        return QueueFilter(
            practices=tuple(self.query_one("#practices", SelectionList).selected),
            request_types=tuple(self.query_one("#types", SelectionList).selected),
            min_priority=self.current.min_priority,
            due_before=self.current.due_before,
            search=self.current.search,
            age_bands=tuple(self.query_one("#ages", SelectionList).selected),
            waited_over_hours=waited,
            sort=(pressed.name if pressed is not None and pressed.name else "priority"),
        )

    def _chosen_or_say(self) -> QueueFilter | None:
        try:
            return self.chosen()
        except ValueError:
            notify(self, "Waited over: type a number of hours (e.g. 24), or leave it empty.")
            return None

    @on(Input.Submitted, "#name")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        """Save the filters as the view named in the box (its enter, or the Save view button)."""
        name = self.query_one("#name", Input).value.strip()
        f = self._chosen_or_say()
        if f is None:
            return
        if not name:
            notify(self, "Type a name for the view first.", severity="warning")
            return
        self._hub(lambda: self.service.save_view(name, f), f"Saved the view “{name}”.")

    @on(Button.Pressed, "#default")
    def _default(self) -> None:
        user = self.query_one("#user", Input).value.strip()
        index = self.query_one("#views", OptionList).highlighted
        if not user or index is None or not (0 <= index < len(self.views)):
            notify(self, "Highlight a saved view and type the username.", severity="warning")
            return
        name = self.views[index].name
        self._hub(
            lambda: self.service.set_default_view(user, name),
            f"{user}'s queue now opens with “{name}”.",
        )

    @work(thread=True, exclusive=True, group="views-write")
    def _hub(self, call: Any, done: str) -> None:
        try:
            call()
        except StoreError as exc:
            self.app.call_from_thread(notify, self, str(exc), severity="warning", timeout=6)
            return
        self.app.call_from_thread(notify, self, done)
        self.app.call_from_thread(self._load_views)  # (workers start on the UI thread)

    def action_apply(self) -> None:
        f = self._chosen_or_say()
        if f is not None:
            self.dismiss(f)

    def action_cancel(self) -> None:
        self.dismiss(None)
