"""What a supervisor does about a refused event (issue 14), from the board or the review
screen: ``f`` resolves it with a written resolution; ``k`` applies a refused completion's kept
outcome to its item (the hub completes the item with it when it is queued and unclaimed, else
says why not). Each asks for the resolution, calls the hub in a worker and tells the screen with
``Saved`` or ``NotSaved``.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from ehub_tui.errors import StoreError
from ehub_tui.ui.format import notify, one_line
from ehub_tui.ui.messages import NotSaved, Saved
from ehub_tui.ui.screens.review_text import KIND_WORDS, outcome_words

if TYPE_CHECKING:
    from ehub_tui.domain.sync import RejectedEvent
    from ehub_tui.ui.context import EhubScreen


def resolve_refused(screen: EhubScreen[Any], e: RejectedEvent) -> None:
    """Ask for a resolution and record it on the hub (a worker); the screen is told with
    ``Saved`` or ``NotSaved``."""
    from ehub_tui.ui.screens.dialogs import ReasonDialog

    service = screen.ctx.service

    def resolved(text: str | None) -> None:
        if not text:
            return

        def work() -> None:
            try:
                service.resolve_rejected(e.event_id, text)
            except StoreError as exc:
                screen.post_message(NotSaved(f"Not resolved: {exc}"))
                return
            screen.post_message(
                Saved(f"Refused {KIND_WORDS.get(e.kind, e.kind)} of #{e.item_id} resolved")
            )

        screen.run_worker(work, thread=True, group="resolve")

    screen.app.push_screen(
        ReasonDialog(
            one_line(
                f"Resolve the refused {KIND_WORDS.get(e.kind, e.kind)} of #{e.item_id} by "
                f"{e.username} ({e.reason}): what was done?"
            ),
            "What was done about it",
        ),
        resolved,
    )


def applies_kept(service: Any) -> bool:
    """Can ``service`` apply a refused completion's kept outcome
    (``resolve_rejected(event_id, resolution, apply=True)``)?"""
    fn = getattr(service, "resolve_rejected", None)
    if not callable(fn):
        return False
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "apply" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def apply_kept(screen: EhubScreen[Any], e: RejectedEvent) -> None:
    """Ask for a resolution, then have the hub complete the item with the refused completion's
    kept outcome (a worker); the screen is told with ``Saved`` or ``NotSaved`` (the hub's
    sentence when it refuses: the item is held or closed)."""
    from ehub_tui.ui.screens.dialogs import ReasonDialog

    if e.kind != "complete":
        notify(screen, "Only a refused completion has an outcome to apply.", severity="warning")
        return
    if not applies_kept(screen.ctx.service):
        notify(screen, "This app cannot apply a kept outcome.", severity="warning")
        return
    service = screen.ctx.service

    def resolved(text: str | None) -> None:
        if not text:
            return

        def work() -> None:
            try:
                # typed loosely: the ``apply`` keyword is newer than some services (checked above)
                hub: Any = service
                hub.resolve_rejected(e.event_id, text, apply=True)
            except StoreError as exc:
                screen.post_message(NotSaved(f"Kept outcome of #{e.item_id} not applied: {exc}"))
                return
            screen.post_message(
                Saved(f"#{e.item_id} completed with the kept outcome ({outcome_words(e)})")
            )

        screen.run_worker(work, thread=True, group="resolve")

    screen.app.push_screen(
        ReasonDialog(
            one_line(
                f"Apply the kept outcome of #{e.item_id} by {e.username} "
                f"({outcome_words(e)}) and complete the item: why?"
            ),
            "Resolution (why the kept outcome stands)",
        ),
        resolved,
    )
