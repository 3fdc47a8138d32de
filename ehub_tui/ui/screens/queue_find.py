"""The queue screen's finding and narrowing (``QueueFind``, a base of ``QueueScreen``): the
search typed after ``/`` (item number, NHS number in any spacing, name, practice, template and
text by word starts; each found row says what it matched), the quick filter keys (p t u d x),
the filters and saved views screen (``f``), and the saved view a supervisor made this user's
default, applied when the queue opens.

The lists are read in the table's worker; what a search matched is put beside each row
(the table's notes) from there, and a search the hub cannot answer (an NHS number with the hub
away) is said in a toast, with the list left empty — never a crash.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widgets import Input, Label

from ehub_tui.domain.queue import QueueFilter, QueueRow
from ehub_tui.domain.types import REQUEST_TYPES
from ehub_tui.domain.views import SavedView, describe
from ehub_tui.errors import StoreError
from ehub_tui.ui.format import literal, notify
from ehub_tui.ui.screens.queue_menu import QueueMenu
from ehub_tui.ui.widgets.queue_table import QueueTable

if TYPE_CHECKING:
    from ehub_tui.ui.context import UiContext

TYPES: tuple[str | None, ...] = (None, *REQUEST_TYPES)  # t cycles: all, then each type
SEARCH_HINT = "item number, NHS number, name, practice, words… (enter, esc)"
FILTER_HINT = "All items · p practice · t type · u urgent · d due soon · / search · f filters"


class QueueFind(QueueMenu):
    """Search, filters and saved views for the queue screen (see the module docstring)."""

    view: str
    filters: QueueFilter
    _practices: list[str]
    # item id -> what the search matched (shown beside the row); lease words are merged in Mine
    _matched: dict[int, str]
    _filters_touched: bool

    if TYPE_CHECKING:
        ctx: UiContext

        def _empty_text(self) -> str: ...

    def _find_init(self) -> None:
        self._matched = {}
        self._filters_touched = False
        # the saved view applied (its name, and its filters without the search): the filter
        # line names it while the filters are still the view's
        self._view: tuple[str, QueueFilter] | None = None

    # -- reading a window (the table's worker thread) -------------------------------------------

    def _fetch(self, offset: int, limit: int) -> tuple[list[QueueRow], int]:
        try:
            rows, total = self.ctx.service.queue_page(self.view, self.filters, offset, limit)
        except StoreError as exc:  # e.g. an NHS number searched with the hub away
            self.app.call_from_thread(notify, self, str(exc), severity="warning", timeout=6)
            return [], 0
        found = {r.id: r.matched for r in rows if r.matched}
        if found or self._matched:
            self.app.call_from_thread(self._show_matched, found, offset == 0)
        return rows, total

    def _show_matched(self, found: dict[int, str], first: bool) -> None:
        if first:
            self._matched = {}
        self._matched.update(found)
        tables = self.query(QueueTable)
        if tables:
            table = tables.first()
            table.notes = {**table.notes, **found} if not first else dict(self._matched)
            table.refresh()

    # -- the filter line ------------------------------------------------------------------------

    def _set_filters(self, **changes: Any) -> None:
        self._filters_touched = True
        self._apply_filters(dataclasses.replace(self.filters, **changes))

    def _apply_filters(self, filters: QueueFilter) -> None:
        self.filters = filters
        self._matched = {}
        table = self.query_one(QueueTable)
        table.set_notes({})
        table.empty_text = self._empty_text()
        self._show_filters()
        table.cursor = 0
        self.reload()

    def _show_filters(self) -> None:
        f = self.filters
        parts = []
        rest = dataclasses.replace(f, search=None)
        if rest.active or f.sort != "priority":
            parts.append(describe(rest))
        if f.search:
            parts.append(f"“{f.search}”")  # typed by the user: shown as typed (literal below)
        text = "Filters: " + ", ".join(parts) + "  (x clears)" if parts else FILTER_HINT
        if self._view is not None and self._view[1] == rest and parts:
            text = f"View “{self._view[0]}”: " + text.removeprefix("Filters: ")
        self.query_one("#filters", Label).update(literal(text))

    # -- keys -----------------------------------------------------------------------------------

    def action_cycle_practice(self) -> None:
        options: list[str | None] = [None, *self._practices]
        i = options.index(self.filters.practice) if self.filters.practice in options else 0
        self._set_filters(practice=options[(i + 1) % len(options)], practices=())

    def action_cycle_type(self) -> None:
        i = TYPES.index(self.filters.request_type) if self.filters.request_type in TYPES else 0
        self._set_filters(request_type=TYPES[(i + 1) % len(TYPES)], request_types=())

    def action_toggle_urgent(self) -> None:
        self._set_filters(min_priority=0 if self.filters.min_priority else 1)

    def action_toggle_due(self) -> None:
        due = None if self.filters.due_before else self.ctx.now() + timedelta(hours=1)
        self._set_filters(due_before=due)

    def action_clear_filters(self) -> None:
        self._filters_touched = True
        self._apply_filters(QueueFilter())

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.value = self.filters.search or ""
        search.focus()

    def search_submitted(self, value: str) -> None:
        """The search box's enter: search for what was typed (empty: no search)."""
        self.query_one("#search", Input).display = False
        self.query_one(QueueTable).focus()
        self._set_filters(search=value.strip() or None)

    def action_filters(self) -> None:
        from ehub_tui.ui.screens.filters import FiltersScreen

        def chosen(f: QueueFilter | None) -> None:
            if f is not None:
                self._filters_touched = True
                name = screen.applied_view
                self._view = None if name is None else (name, dataclasses.replace(f, search=None))
                self._apply_filters(f)

        names = self.ctx.practices or {p: p for p in self._practices}
        supervisor = self.ctx.may("see_board")
        screen = FiltersScreen(self.filters, dict(names), self.ctx.service, supervisor=supervisor)
        self.app.push_screen(screen, chosen)

    # -- the default view (when the queue opens) ------------------------------------------------

    @work(thread=True, exclusive=True, group="default-view")
    def _default_view(self) -> None:
        saved_views = getattr(self.ctx.service, "saved_views", None)
        if not callable(saved_views):
            return
        try:
            views: list[SavedView] = list(saved_views())
        except Exception:  # the hub away with nothing read yet: the queue opens unfiltered
            return
        default = next((v for v in views if v.is_default), None)
        if default is not None:
            self.app.call_from_thread(self._open_with, default)

    def _open_with(self, view: SavedView) -> None:
        if self._filters_touched:  # the user chose filters meanwhile: theirs win
            return
        kept = dataclasses.replace(view.filters, search=None)
        self._view = (view.name, kept)
        self._apply_filters(kept)
        notify(self, f"Your default view: {view.name}.", timeout=3)
