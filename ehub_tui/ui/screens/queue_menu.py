"""The queue screen's ways out: its help, and the screens this user's role may open from it.

``QueueMenu`` is the base of ``QueueScreen`` (``screens.queue``), which holds the keys (its
``BINDINGS``). ``b`` (the supervisor board), ``s`` (the SOPs) and ``r`` (the reports) are offered
only to roles holding the permission each needs, and the help says which of them this user has;
``n`` and enter (taking items) only to those who work items. While the search box has the focus
every key but help is the box's.
"""

from __future__ import annotations

from textual.widgets import Input

from ehub_tui.domain import flags
from ehub_tui.ui.context import EhubScreen

HELP_OFFLINE = (
    '\n\nWhen the hub is not answering, the line under the top bar says "offline" and how '
    "many of your completions wait to be sent. You can open and finish the items in Mine (each "
    'shows about how long its lease has left, or "lease ended": completing it then asks '
    "first, as the hub refuses the outcome if the item went back to the queue meanwhile); "
    "taking new items needs the hub. Everything "
    'saved here is sent by itself when the hub is back. "Not applied — v to review" means '
    "the hub refused something you saved (the item had been given to someone else): v shows "
    "it, with your outcome kept."
)
HELP_FIND = (
    "\n\n/ finds an item number (#140), an NHS number (any spacing), a patient's name, a "
    'practice, a template or words — by the start of a word ("uti" never finds "duties"); '
    "each row found says what matched. Searches by NHS number, item number or name are recorded "
    "on the hub (who looked, never what was typed). f opens the filters (several practices and "
    "types, age bands, waited over N hours, sort) and the saved views; x clears them."
)
# actions offered only to roles holding the permission (the service refuses the rest anyway)
NEEDS = {
    "board": "see_board",
    "sops": "author_sops",
    "reports": "see_reports",
    "next": "work_items",  # managers and SOP authors do not work items
    "open": "work_items",
}


class QueueMenu(EhubScreen[None]):
    """Help, the keys to the other screens, and which keys this user's role is offered."""

    def reload(self) -> None:
        """Refetch the visible rows and the tab counts (the queue screen overrides this)."""
        raise NotImplementedError

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Queue",
                intro="The queue lists requests waiting for a navigator: emergency and urgent "
                "first, then the oldest. Due shows the time left to the response standard. "
                "Press n to take the next best item, or move with ↑↓ (page up/down, "
                "home, end) and press enter to claim the highlighted one. New items appear by "
                "themselves.\n\nFlag column: " + flags.LEGEND + ". Due column: -2h 05m "
                "overdue · soon 45m due within the hour · held by NAME: someone else has it."
                + self._more_help()  # the screens this role may open: before the details
                + HELP_FIND
                + (HELP_OFFLINE if self.ctx.syncs else ""),
                extra=[("↑ ↓ pgup pgdn home end", "move in the list")],
            )
        )

    def _more_help(self) -> str:
        """A sentence on the screens this user may open besides the queue (none for most)."""
        parts = []
        if self._may("board"):
            parts.append("b opens the supervisor board (the whole hub live, with actions)")
        if self._may("reports"):
            parts.append(
                "r opens the reports: the daily return's figures for today, yesterday, this "
                "week and last week, with charts"
            )
        if self._may("sops"):
            parts.append("s opens the SOP screen (check, edit and publish SOPs)")
        return ("\n\n" + "; ".join(parts) + ".") if parts else ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.query_one("#search", Input).has_focus and action != "help":
            return False
        if action in NEEDS:
            return self._may(action)
        return True

    def _may(self, action: str) -> bool:
        """Does this user's role hold the permission the action needs?"""
        return self.ctx.may(NEEDS[action])

    def action_sops(self) -> None:
        from ehub_tui.ui.screens.sop_author import SopAuthorScreen

        self.app.push_screen(SopAuthorScreen(self.ctx))

    def action_board(self) -> None:
        from ehub_tui.ui.screens.board import BoardScreen

        self.app.push_screen(
            BoardScreen(self.ctx.poll_interval, ctx=self.ctx), lambda _: self.reload()
        )

    def action_reports(self) -> None:
        from ehub_tui.ui.screens.reports import ReportsScreen

        self.app.push_screen(ReportsScreen(ctx=self.ctx))

    def action_quit(self) -> None:
        self.app.exit()
