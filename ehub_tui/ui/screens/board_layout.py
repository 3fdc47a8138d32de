"""The board's layout at each size (trial 15b).

At 100 columns the right-hand lists overwrote the open items' title ("(a r u e 0 c act on on
Practices") and cut the items' columns; at 80x24 the items were cut to "Z9" and the events were
off screen. Under STACK_WIDTH columns the board stacks (class ``-stacked``, set on resize): the
open items take the whole width, the practices and navigators sit side by side under them, then
the events; the hourly charts are left out (they need the width to read). The headline wraps
rather than losing its last figures.

The sizes are set as the widgets' own styles: the app's stylesheet (app.tcss) outranks a
screen's DEFAULT_CSS whatever the selector, and it sets the wide layout.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget

STACK_WIDTH = 120
NAVIGATORS = "44"  # the navigators' list whole when stacked (at 80 columns 36 are left over)
SHORT_HEIGHT = 28  # below this many rows the stacked lists and events show fewer lines

BOARD_CSS = """
BoardScreen .board-box { height: auto; }
BoardScreen #board-lists { height: auto; }
"""


def fit(screen: Screen[None], width: int, height: int) -> None:
    """Lay the board out for a terminal of ``width`` x ``height``."""
    stacked = width < STACK_WIDTH
    screen.set_class(stacked, "-stacked")
    q = screen.query_one
    screen.query_one("#headline").styles.height = "auto"  # wraps at 80 and 100 columns
    q("#board").styles.layout = "vertical" if stacked else "horizontal"
    for pane in (q("#board-left"), q("#board-right")):
        pane.styles.width = "100%" if stacked else None
    right = q("#board-right")
    right.styles.height = "auto" if stacked else None
    right.styles.padding = (0, 0, 0, 0) if stacked else None
    lists = q("#board-lists")
    lists.styles.layout = "horizontal" if stacked else "vertical"
    # the navigators whole (who holds what), the practices in what is left (at 80 columns
    # their last column, each one's share of the day's work, is cut: the least needed)
    practices, navigators = q("#practices"), q("#navigators")
    widths: tuple[tuple[Widget, str], ...] = ((practices, "1fr"), (navigators, NAVIGATORS))
    for table, share in widths:
        if isinstance(table.parent, Widget):  # the table's box, with its title
            table.parent.styles.width = share if stacked else None
    short = height < SHORT_HEIGHT
    for table in (practices, navigators):
        table.styles.max_height = (4 if short else 6) if stacked else None
        table.styles.overflow_x = "hidden" if stacked else None
    q("#charts").display = not stacked
    events = q("#events")
    events.styles.height = "auto" if stacked else None
    events.styles.max_height = (3 if short else 5) if stacked else None
