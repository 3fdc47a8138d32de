"""The hub's word when a published SOP cannot be used: logged and audited once, and listed for
the supervisor board until that SOP is published again.

Only approved versions guide anyone; a version the hub's own library cannot load, or whose text
no longer matches its checksum when a workstation fetches the published versions, is announced
(``sop_unavailable``: the SOP, its version and title, the reason, and the version standing in, if
any). No patient data: the SOP's own words and the loader's place only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ehub_tui.service.context import HubContext
from ehub_tui.service.session import SYSTEM
from ehub_tui.store import audit, sop_health
from ehub_tui.store.engine import read_tx, write_tx

if TYPE_CHECKING:
    from ehub_tui.sop.incomplete import Unloaded
    from ehub_tui.sop.library import PublishedText

log = logging.getLogger(__name__)


def announce(ctx: HubContext, unloaded: Sequence[Unloaded]) -> int:
    """Log and audit each of ``unloaded`` the hub has not announced since its SOP was last
    published; returns how many were new."""
    if not unloaded:
        return 0
    with read_tx(ctx.engine) as conn:
        known = {_key(b) for b in sop_health.standing(conn)}
    fresh = [u for u in unloaded if _key(u.as_dict()) not in known]
    for u in fresh:
        then = f"using version {u.using}" if u.using else "no earlier approved version loads"
        log.warning(
            "SOP %s %s (%s) cannot be used: %s; %s", u.sop_id, u.version, u.title, u.reason, then
        )
    if fresh:
        events = [audit.Event(SYSTEM, sop_health.UNAVAILABLE, None, u.as_dict()) for u in fresh]
        with write_tx(ctx.engine) as conn:
            audit.append(conn, events, ctx.now())
    return len(fresh)


def standing(ctx: HubContext) -> list[Unloaded]:
    """The announcements still standing (no later publication of their SOP), newest first."""
    with read_tx(ctx.engine) as conn:
        return unloaded_of_bodies(sop_health.standing(conn))


def unloaded_of_bodies(bodies: Sequence[Mapping[str, Any]]) -> list[Unloaded]:
    """The announcements' bodies as ``Unloaded``."""
    from ehub_tui.sop.incomplete import Unloaded

    return [
        Unloaded(
            str(b.get("sop", "")),
            str(b.get("version", "")),
            str(b.get("title", "") or b.get("sop", "")),
            str(b.get("reason", "")),
            str(b["using"]) if b.get("using") else None,
        )
        for b in bodies
    ]


def board_words(u: Unloaded) -> str:
    """One announcement as the supervisor board says it."""
    if u.using:
        then = f"version {u.using} is used instead"
    else:
        then = "no earlier approved version loads: its routes are not offered to navigators"
    return f"the {u.title} SOP {u.version} cannot be used ({u.reason}); {then}"


def mismatched(versions: Sequence[PublishedText]) -> list[Unloaded]:
    """The SOPs whose newest published version's text no longer matches its checksum (a cheap
    look at every fetch: no loading); the newest intact version is named as the one standing in
    (each app's loader judges whether it loads)."""
    from ehub_tui.sop.incomplete import CHECKSUM, Unloaded, title_of
    from ehub_tui.sop.library import newest_first

    out = []
    for sop_id, items in sorted(newest_first(versions).items()):
        newest = items[0]
        if not newest.sha256 or _intact(newest):
            continue
        intact = [v for v in items if _intact(v)]
        title = next((t for t in map(title_of, intact) if t), sop_id)
        using = intact[0].version if intact else None
        out.append(Unloaded(sop_id, newest.version, title, CHECKSUM, using))
    return out


def _intact(v: PublishedText) -> bool:
    import hashlib

    return not v.sha256 or hashlib.sha256(v.text).hexdigest() == v.sha256


def _key(body: dict[str, object]) -> tuple[str, str, str, str]:
    # what stands in is part of it: a stand-in that stops loading too is news (review 27)
    return (
        str(body.get("sop", "")),
        str(body.get("version", "")),
        str(body.get("reason", "")),
        str(body.get("using") or ""),
    )
