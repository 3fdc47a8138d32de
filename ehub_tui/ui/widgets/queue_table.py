"""A windowed queue list: only the visible rows (plus a margin) are fetched and rendered.

A line-API ScrollView: ``render_line`` draws one row from a page cache; pages of rows are
fetched in a thread worker on demand and kept in a small LRU. 100,000 items cost no more to show
than 100.

Every colour comes from the app's theme through the table's component classes (a light theme
draws a light list), and nothing is said by colour alone: the flag column carries the mark of
``domain.flags`` (‼EM / !UR / ?), the due column says ``now`` for an emergency, ``soon``
within the hour and ``-`` when overdue, and an item someone else holds says who.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ehub_tui.domain.flags import EMERGENCY, UNSCREENED, URGENT, flag_mark
from ehub_tui.domain.queue import QueueRow
from ehub_tui.domain.types import Status
from ehub_tui.ui.format import (
    DUE_NOW,
    DUE_OVERDUE,
    DUE_SOON,
    age_sex,
    due_cell,
    fit,
    one_line,
    short_time,
    span,
    template_words,
)

PAGE = 100
MAX_PAGES = 12

Fetch = Callable[[int, int], tuple[list[QueueRow], int]]

COLUMNS = (("Flag", 5), ("Due", 9), ("Received", 10), ("Pract", 7), ("Type", 6), ("Pt", 8))
DUE_STYLE = {
    DUE_NOW: "queue-table--overdue",
    DUE_OVERDUE: "queue-table--overdue",
    DUE_SOON: "queue-table--due-soon",
}
HOLDER_MAX = 32  # cells of "held by NAME · 12m" before it is cut with …
TYPE_SHORT = {"clinical": "clin", "admin": "admin", "other": "other"}


def header_text(width: int) -> str:
    """The column titles, aligned with the rows."""
    fixed = "".join(name.ljust(w) for name, w in COLUMNS)
    return (fixed + "Request").ljust(width)[:width]


class QueueTable(ScrollView, can_focus=True):
    """The rows of one queue view, windowed."""

    DEFAULT_CSS = """
    QueueTable { height: 1fr; }
    QueueTable > .queue-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    QueueTable > .queue-table--current { background: $block-cursor-blurred-background; }
    QueueTable > .queue-table--emergency { color: $text-error; text-style: bold; }
    QueueTable > .queue-table--urgent { color: $text-warning; text-style: bold; }
    QueueTable > .queue-table--unscreened { color: $text-muted; }
    QueueTable > .queue-table--overdue { color: $text-error; text-style: bold; }
    QueueTable > .queue-table--due-soon { color: $text-warning; text-style: bold; }
    QueueTable > .queue-table--done { color: $text-muted; }
    QueueTable > .queue-table--holder { color: $text-accent; text-style: italic; }
    QueueTable > .queue-table--empty { color: $text-muted; text-style: italic; }
    """

    # the theme's styles for each part of a row (see DEFAULT_CSS; app.tcss may override them)
    COMPONENT_CLASSES = {
        "queue-table--cursor",
        "queue-table--current",
        "queue-table--emergency",
        "queue-table--urgent",
        "queue-table--unscreened",
        "queue-table--overdue",
        "queue-table--due-soon",
        "queue-table--done",
        "queue-table--holder",
        "queue-table--empty",
    }

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
        me: Callable[[], str | None] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.fetch = fetch
        self.now = now
        self.empty_text = empty_text
        # who is looking (an item held by anyone else says who holds it); default: the app's
        # signed-in user
        self._me = me
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
        # every segment starts from the widget's own style (the theme's text and background):
        # a segment without colours would show the terminal's defaults (ESC[39;49m), dark text
        # on a dark terminal under a light theme
        plain = self.rich_style
        if self.total == 0:
            if y == 1 and self.loaded:
                return Strip(
                    [
                        Segment(
                            fit(f"  {one_line(self.empty_text)}", width),
                            plain + self.get_component_rich_style("queue-table--empty"),
                        )
                    ]
                )
            return Strip.blank(width, plain)
        if index >= self.total:
            return Strip.blank(width, plain)
        row = self.row_at(index)
        selected = index == self.cursor and self.has_focus
        if row is None:
            self._request({index // PAGE})
            return Strip([Segment("  …".ljust(width)[:width], plain + Style(dim=True))])
        return Strip(self._segments(row, width, selected, index == self.cursor))

    def me(self) -> str | None:
        """The signed-in user's name (None: nobody, or a table outside the app)."""
        if self._me is not None:
            return self._me()
        user = getattr(getattr(self.app, "service", None), "user", None)
        return getattr(user, "username", None)

    def holder_text(self, row: QueueRow) -> str:
        """``held by Tom Fletcher · 12m`` (who, by name when the hub says it, and for how long)
        for an item someone else holds; "" for a free one or one of mine."""
        if row.status != Status.CLAIMED or not row.owner or row.owner == self.me():
            return ""
        who = row.holder or row.owner
        return f"held by {who}" + (f" · {span(self.now() - row.since)}" if row.since else "")

    def _segments(self, row: QueueRow, width: int, focused: bool, current: bool) -> list[Segment]:
        now = self.now()
        style = self.get_component_rich_style
        base = self.rich_style  # the theme's text and background (see render_line)

        def cell(name: str | None) -> Style:
            # a cell's own colour only (partial): the full component style carries the
            # widget's background, which would hide the cursor row's in that cell
            return style(name, partial=True) if name else Style()

        if focused:
            base += style("queue-table--cursor")
        elif current:
            base += style("queue-table--current")
        mark = flag_mark(row.priority, row.sop_flags, row.status)
        fstyle = {
            EMERGENCY: "queue-table--emergency",
            URGENT: "queue-table--urgent",
            UNSCREENED: "queue-table--unscreened",
        }.get(mark.level)
        dstyle: str
        if row.status == Status.COMPLETED:
            due, dstyle = "done", "queue-table--done"
        else:
            # an emergency says "now" (its due time follows core hours: a Saturday's would read
            # "1d 22h"); the words carry the meaning (- overdue, "soon" within the hour, "now");
            # colour repeats it
            due, kind = due_cell(row.due_by, now, emergency=mark.level == EMERGENCY)
            dstyle = DUE_STYLE.get(kind, "")
        cells = [
            (mark.short, COLUMNS[0][1], cell(fstyle)),
            (due, COLUMNS[1][1], cell(dstyle)),
            (short_time(row.received_at, now), COLUMNS[2][1], Style()),
            (row.practice_ods, COLUMNS[3][1], Style()),
            (TYPE_SHORT.get(row.request_type, row.request_type), COLUMNS[4][1], Style()),
            (
                f"{row.initials} "
                + age_sex(row.date_of_birth, row.sex, now.date(), row.dob_precision),
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
        holder = self.holder_text(row)
        if holder and rest:
            # who has it first: the row says so in words before the request
            shown = one_line(holder)
            if cell_len(shown) > HOLDER_MAX:  # a long username never crowds the request out
                shown = fit(shown, HOLDER_MAX - 1) + "…"
            shown = fit(shown + " · ", min(rest, cell_len(shown) + 3))
            segs.append(Segment(shown, base + cell("queue-table--holder")))
            rest = max(rest - cell_len(shown), 0)
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
