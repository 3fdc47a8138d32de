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
    first, one per (SOP, version, reason)."""
    E = audit.EVENT
    rows = conn.execute(
        select(E.c.seq, E.c.action, E.c.body)
        .where(E.c.action.in_((UNAVAILABLE, PUBLISH)))
        .order_by(E.c.seq.desc())
        .limit(RECENT)
    ).all()
    answered: set[str] = set()  # SOPs published after the announcements still to read
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for r in rows:
        try:
            body = json.loads(r.body) if isinstance(r.body, str) else dict(r.body or {})
        except ValueError:  # an unreadable body: audit verify says so; nothing to show
            continue
        sop = str(body.get("sop", ""))
        if r.action == PUBLISH:
            answered.add(sop)
            continue
        key = (sop, str(body.get("version", "")), str(body.get("reason", "")))
        if sop in answered or key in seen:
            continue
        seen.add(key)
        out.append(body)
    return out
