"""A windowed queue list: only the visible rows (plus a margin) are fetched and rendered.

A line-API ScrollView: ``render_line`` draws one row from a page cache; pages of rows are
fetched in a thread worker on demand and kept in a small LRU. 100,000 items cost no more to show
than 100.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ehub_tui.domain.queue import QueueRow
from ehub_tui.ui.format import age_sex, due_text, fit, one_line, short_time, template_words

PAGE = 100
MAX_PAGES = 12

Fetch = Callable[[int, int], tuple[list[QueueRow], int]]

COLUMNS = (("Flag", 5), ("Due", 9), ("Received", 10), ("Pract", 7), ("Type", 6), ("Pt", 8))
TYPE_SHORT = {"clinical": "clin", "admin": "admin", "other": "other"}


def header_text(width: int) -> str:
    """The column titles, aligned with the rows."""
    fixed = "".join(name.ljust(w) for name, w in COLUMNS)
    return (fixed + "Request").ljust(width)[:width]


class QueueTable(ScrollView, can_focus=True):
    """The rows of one queue view, windowed."""

    DEFAULT_CSS = """
    QueueTable { height: 1fr; }
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    cursor = reactive(0, init=False)
    total = reactive(0)

    class Highlighted(Message):
        """The row under the cursor changed."""

        def __init__(self, row: QueueRow | None) -> None:
            super().__init__()
            self.row = row

    class PagesLoaded(Message, bubble=False):
        """Pages of rows fetched by the table's worker (for the table alone: it does not
        bubble). ``generation``: the refresh they were fetched for (an older one is dropped)."""

        def __init__(
            self, results: list[tuple[int, list[QueueRow]]], total: int | None, generation: int
        ) -> None:
            super().__init__()
            self.results = results
            self.total = total
            self.generation = generation

    def __init__(
        self,
        fetch: Fetch,
        now: Callable[[], datetime],
        *,
        empty_text: str = "Nothing here.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.fetch = fetch
        self.now = now
        self.empty_text = empty_text
        self._pages: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self._wanted: set[int] = set()
        self._generation = 0
        self._stale = False
        self.loaded = False
        # item id → a few words shown before the request (Mine: "lease ≈ 12 min left")
        self.notes: dict[int, str] = {}

    # -- data -----------------------------------------------------------------------------------

    def refresh_data(self) -> None:
        """Fetch what is on screen again (keeps the cursor). The old rows stay on screen until
        the new ones arrive, so a refresh never flashes empty rows."""
        self._generation += 1
        self._stale = True
        pages = self._visible_pages()
        self._wanted = set(pages)
        self._load(sorted(pages), self._generation)

    def _visible_pages(self) -> set[int]:
        top = int(self.scroll_offset.y)
        height = max(self.size.height, 1)
        first, last = top // PAGE, (top + height + PAGE // 2) // PAGE
        pages = set(range(first, last + 1))
        pages.add(self.cursor // PAGE)
        return pages

    def _request(self, pages: set[int]) -> None:
        if self._stale:  # a refresh is on its way
            return
        missing = {p for p in pages if p not in self._pages and p not in self._wanted}
        if missing:
            self._wanted |= missing
            self._load(sorted(missing), self._generation)

    @work(thread=True, group="queue-pages")
    def _load(self, pages: list[int], generation: int) -> None:
        results = []
        total = None
        for p in pages:
            rows, total = self.fetch(p * PAGE, PAGE)
            results.append((p, rows))
        self.post_message(self.PagesLoaded(results, total, generation))

    def set_notes(self, notes: dict[int, str]) -> None:
        """Words to show before each listed item's request (an empty dict: none)."""
        if notes != self.notes:
            self.notes = notes
            self.refresh()

    def on_queue_table_pages_loaded(self, message: PagesLoaded) -> None:
        self._loaded(message.results, message.total, message.generation)

    def _loaded(
        self, results: list[tuple[int, list[QueueRow]]], total: int | None, generation: int
    ) -> None:
        if generation != self._generation:
            return
        if self._stale:  # the first answer of a refresh replaces every cached page
            self._pages.clear()
            self._stale = False
        for p, rows in results:
            self._wanted.discard(p)
            self._pages[p] = rows
            self._pages.move_to_end(p)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        if total is not None:
            self.total = total
        self.loaded = True
        self.virtual_size = Size(self.size.width, max(self.total, 1))
        if self.cursor >= self.total:
            self.cursor = max(self.total - 1, 0)
        self.refresh()
        self.post_message(self.Highlighted(self.current_row))

    def row_at(self, index: int) -> QueueRow | None:
        """A row if its page is loaded."""
        page = self._pages.get(index // PAGE)
        if page is None:
            return None
        i = index % PAGE
        return page[i] if i < len(page) else None

    @property
    def current_row(self) -> QueueRow | None:
        """The row under the cursor (None while loading or empty)."""
        return self.row_at(self.cursor) if self.total else None

    # -- rendering -------------------------------------------------------------------------------

    def watch_total(self, total: int) -> None:
        self.virtual_size = Size(self.size.width, max(total, 1))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, max(self.total, 1))
        self._request(self._visible_pages())

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._request(self._visible_pages())

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = int(self.scroll_offset.y) + y
        if self.total == 0:
            if y == 1 and self.loaded:
                return Strip(
                    [
                        Segment(
                            fit(f"  {one_line(self.empty_text)}", width),
                            Style(italic=True, dim=True),
                        )
                    ]
                )
            return Strip.blank(width)
        if index >= self.total:
            return Strip.blank(width)
        row = self.row_at(index)
        selected = index == self.cursor and self.has_focus
        if row is None:
            self._request({index // PAGE})
            return Strip([Segment("  …".ljust(width)[:width], Style(dim=True))])
        return Strip(self._segments(row, width, selected, index == self.cursor))

    def _segments(self, row: QueueRow, width: int, focused: bool, current: bool) -> list[Segment]:
        now = self.now()
        base = Style(reverse=True) if focused else (Style(bgcolor="grey23") if current else Style())
        found = row.sop_flags or ()
        if "emergency" in found:
            flag, fstyle = "‼RF", Style(color="red", bold=True)
        elif row.priority >= 2:
            flag, fstyle = "‼EM", Style(color="red", bold=True)
        elif "urgent" in found:
            flag, fstyle = "!RF", Style(color="yellow", bold=True)
        elif row.priority == 1:
            flag, fstyle = "!UR", Style(color="yellow", bold=True)
        elif row.sop_flags is None and row.status != "completed":
            flag, fstyle = "?", Style(dim=True)  # not screened for red flags yet
        else:
            flag, fstyle = "", Style()
        if row.status == "completed":
            due, dstyle = "done", "dim"
        else:
            due, dstyle = due_text(row.due_by, now)
        due_style = Style.parse(dstyle) if dstyle else Style()
        cells = [
            (flag, COLUMNS[0][1], fstyle),
            (due, COLUMNS[1][1], due_style),
            (short_time(row.received_at, now), COLUMNS[2][1], Style()),
            (row.practice_ods, COLUMNS[3][1], Style()),
            (TYPE_SHORT.get(row.request_type, row.request_type), COLUMNS[4][1], Style()),
            (
                f"{row.initials} {age_sex(row.date_of_birth, row.sex, now.date())}",
                COLUMNS[5][1],
                Style(),
            ),
        ]
        segs = []
        used = 0
        # every cell is supplier text made one visible line (escape codes shown as ␛, newlines
        # as ␊), then fitted to its column by terminal cells (wide emoji count two), so a row
        # never drives the terminal nor pushes the next column out of line
        for text, w, st in cells:
            segs.append(Segment(fit(fit(one_line(text), w - 1), w), base + st))
            used += w
        rest = max(width - used, 0)
        what = template_words(row.template)
        summary = f"{what}: {row.summary}" if row.summary else what
        if row.route:
            summary = f"→ {row.route}  {summary}"
        note = self.notes.get(row.id)
        if note:
            summary = f"{note} · {summary}"
        segs.append(Segment(fit(one_line(summary), rest), base))
        return segs

    # -- cursor ----------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True)
        self._request(self._visible_pages())
        self.post_message(self.Highlighted(self.current_row))

    def action_cursor(self, step: int) -> None:
        if self.total:
            self.cursor = min(max(self.cursor + step, 0), self.total - 1)

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.size.height - 1, 1))

    def action_jump(self, where: int) -> None:
        if self.total:
            self.cursor = self.total - 1 if where < 0 else 0

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
