"""The published SOP versions the hub has announced as not loading (``sop_unavailable`` audit
events), read by the (action, at) index so the cost does not grow with the audit.

An announcement stands until that SOP is published again (a ``sop_publish`` event after it):
the board lists the standing ones, and the hub announces a version once, however many apps
start while it is broken.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from ehub_tui.store import audit

UNAVAILABLE = "sop_unavailable"
PUBLISH = "sop_publish"
RECENT = 200  # announcements and publications looked at (newest first)


def standing(conn: Connection) -> list[dict[str, Any]]:
    """The bodies of the announcements no later publication of their SOP answers, newest
    first, the newest one per (SOP, version): a later announcement of the same version (its
    stand-in stopped loading too, or another reason) replaces the earlier one on the board."""
    E = audit.EVENT
    rows = conn.execute(
        select(E.c.seq, E.c.action, E.c.body)
        .where(E.c.action.in_((UNAVAILABLE, PUBLISH)))
        .order_by(E.c.seq.desc())
        .limit(RECENT)
    ).all()
    answered: set[str] = set()  # SOPs published after the announcements still to read
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for r in rows:
        try:
            body = json.loads(r.body) if isinstance(r.body, str) else r.body
        except ValueError:  # an unreadable body: audit verify says so; nothing to show
            continue
        if not isinstance(body, dict):  # a forged or hand-edited row: never the board's downfall
            continue
        sop = str(body.get("sop", ""))
        if r.action == PUBLISH:
            answered.add(sop)
            continue
        key = (sop, str(body.get("version", "")))
        if sop in answered or key in seen:
            continue
        seen.add(key)
        out.append(body)
    return out
