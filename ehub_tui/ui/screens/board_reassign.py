"""Reassigning from the board (issue 15; trial 15b): the person, a confirmation naming both people,
whether the holder's draft goes too, then the handover note the receiver is shown at once.

Trial 15b: the supervisor was offered "Yes — send nav1's draft" when the hub had no draft from
nav1 (it reached the hub only when nav1 left the item), so the note was lost though everyone
thought it travelled. Now the board asks the hub first (``holder_draft``, in a worker) and offers
the draft only when the hub holds the holder's draft for this claim, saying how long ago it was
saved; otherwise the note dialog says there is no saved draft and nothing is offered.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ehub_tui.errors import HubUnreachable, StoreError
from ehub_tui.ui.format import notify, span

if TYPE_CHECKING:
    from textual.app import App

    from ehub_tui.domain.board import Board, HolderDraft, OpenItem
    from ehub_tui.ui.context import UiContext

ONLINE = timedelta(minutes=2)


class BoardActions(Protocol):
    """What reassigning needs of the board (screens.board_actions.BoardActions; named here
    as a protocol so the two modules do not import each other)."""

    board: Board | None

    @property
    def ctx(self) -> UiContext: ...

    @property
    def app(self) -> App[Any]: ...

    def act(self, title: str, run: Any) -> None: ...

    def run_worker(
        self, work: Any, *, thread: bool = ..., group: str = ..., exclusive: bool = ...
    ) -> Any: ...


def ago_words(delta: timedelta) -> str:
    """How long ago, in words a supervisor reads at a glance: "40 s ago", "3m ago"."""
    secs = max(int(delta.total_seconds()), 0)
    return f"{secs} s ago" if secs < 60 else f"{span(delta)} ago"


def start(screen: BoardActions, item: OpenItem) -> None:
    """Offer the people who could take ``item``, then confirm (both named)."""
    from ehub_tui.ui.screens.dialogs import PickDialog

    assert screen.board is not None
    now = screen.ctx.now()
    options = []
    for n in screen.board.navigators:
        if n.username == item.owner:
            continue
        online = "online" if n.last_seen and now - n.last_seen <= ONLINE else "offline"
        options.append(
            (
                n.username,
                f"{n.display_name or n.username} ({n.role}, {online}, holding {len(n.holding)})",
            )
        )
    if not options:
        notify(screen, "Nobody else can take it.", severity="warning")
        return

    def picked(user: str | None) -> None:
        if user:
            confirm(screen, item, user)

    screen.app.push_screen(PickDialog(f"Reassign #{item.id} to", options), picked)


def who(screen: BoardActions, username: str) -> str:
    """A person as the picker lists them, with the username: "Priya Shah (nav1)"."""
    navs = screen.board.navigators if screen.board is not None else []
    name = next((n.display_name for n in navs if n.username == username), None)
    return f"{name} ({username})" if name and name != username else username


def confirm(screen: BoardActions, item: OpenItem, user: str) -> None:
    """Both people named before anything happens (a cursor on the wrong row once sent an item to
    the wrong person); then the draft question (for a held item) and the handover note."""
    from ehub_tui.ui.screens.dialogs import ConfirmDialog

    before = f"from {who(screen, item.owner)}" if item.owner else "(waiting, nobody holds it)"
    title = f"Reassign #{item.id} {before} to {who(screen, user)}?"
    # the holder may be on the queue, not the item: say both places they learn it
    body = f"{user} is told at once, with your handover note." + (
        f" {item.owner} loses it: an open screen of it says so, and it leaves their Mine."
        if item.owner
        else ""
    )

    def confirmed(yes: bool | None) -> None:
        if not yes:
            return
        if item.owner:
            ask_hub_for_draft(screen, item, user)
        else:
            ask_note(screen, item, user, carry=False)

    screen.app.push_screen(ConfirmDialog(title, body), confirmed)


def ask_hub_for_draft(screen: BoardActions, item: OpenItem, user: str) -> None:
    """Ask the hub (in a worker: never I/O on the UI thread) whether it holds the holder's
    draft for this claim, then offer it or say there is none."""

    def read() -> None:
        try:
            found = screen.ctx.service.holder_draft(item.id)
        except (HubUnreachable, StoreError) as exc:  # offline: the client's sentence
            screen.app.call_from_thread(
                notify, screen, f"#{item.id} not reassigned: {exc}", severity="warning"
            )
            return
        screen.app.call_from_thread(offer_draft, screen, item, user, found)

    screen.run_worker(read, thread=True, group="board-draft", exclusive=True)


def offer_draft(screen: BoardActions, item: OpenItem, user: str, found: HolderDraft) -> None:
    """Offer the holder's draft only when the hub holds one for this claim, saying when it was
    saved; otherwise go to the note, saying there is none."""
    from ehub_tui.ui.screens.dialogs import PickDialog

    owner = item.owner
    if found.saved_at is None or found.holder != owner:
        none = f"No saved draft from {owner} has reached the hub for #{item.id}, so none goes. "
        ask_note(screen, item, user, carry=False, lead=none)
        return
    ago = ago_words(found.hub_now - found.saved_at)
    options = [
        ("carry", f"Yes — send {owner}'s draft (saved {ago}): {user}'s triage opens with it"),
        ("fresh", f"No — {user} starts afresh"),
    ]

    def chosen(choice: str | None) -> None:
        if choice:
            ask_note(screen, item, user, carry=choice == "carry")

    screen.app.push_screen(PickDialog(f"Send {owner}'s draft of #{item.id} too?", options), chosen)


def ask_note(
    screen: BoardActions, item: OpenItem, user: str, *, carry: bool, lead: str = ""
) -> None:
    """The handover note (``lead`` first: e.g. that no draft goes), then the reassign."""
    owner = item.owner

    def run(note: str) -> str:
        screen.ctx.service.reassign(item.id, user, note, carry_draft=carry)
        was = f" (was {owner}'s)" if owner else ""
        return f"#{item.id} reassigned to {user}{was}; they are told at once"

    screen.act(f"{lead}Handover note for {user} on #{item.id} (why, what they need to know)", run)
