"""The board's recent events, read inside the board's own snapshot at a cost that does not
depend on how big the events are.

An ingest or prescreen event's body carries the digests of every row its batch wrote
(``covers``: 2,000 rows, ~250 KB of JSON each). The board lists the newest 30 events and never
shows those digests, yet reading and parsing them on each refresh cost 20-180 ms on a busy
machine after a bulk ingest (issue 18: "the board never blocks"). So the list is read without
bodies first (seq, digest and the rest); a body is read only when its digest was not seen
before (events never change: the digest names the body), with ``covers`` dropped by the
database, and kept parsed in a small cache keyed by that digest.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, bindparam, select, text

from ehub_tui.domain.models import AuditEvent
from ehub_tui.store import audit
from ehub_tui.store.engine import is_sqlite

CACHED = 512  # parsed bodies kept (a board shows 30; other boards and restarts share it)

_bodies: OrderedDict[str, dict[str, Any]] = OrderedDict()
_lock = threading.Lock()


def recent_events(conn: Connection, limit: int, skip: Collection[str] = ()) -> list[AuditEvent]:
    """The newest ``limit`` events, newest first, leaving out the actions in ``skip``; each
    event's ``shows`` and story as ``AuditEvent`` has them, ``covers`` left empty (the board
    does not show the digests of the rows an event wrote: ``audit verify`` reads those)."""
    E = audit.EVENT
    q = select(E.c.seq, E.c.at, E.c.actor, E.c.action, E.c.consultation_id, E.c.body_digest)
    if skip:
        q = q.where(E.c.action.not_in(sorted(skip)))
    heads = conn.execute(q.order_by(E.c.seq.desc()).limit(limit)).all()
    with _lock:
        missing = [r.seq for r in heads if r.body_digest not in _bodies]
    found = _read_bodies(conn, missing) if missing else {}
    out = []
    for r in heads:
        with _lock:
            body = _bodies.get(r.body_digest)
            if body is None:
                body = found.get(r.seq, {})
                _bodies[r.body_digest] = body
                while len(_bodies) > CACHED:
                    _bodies.popitem(last=False)
            else:
                _bodies.move_to_end(r.body_digest)
        story = dict(body)
        shows = story.pop("shows", [])
        out.append(
            AuditEvent(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                action=r.action,
                consultation_id=r.consultation_id,
                body=story,
                shows=shows if isinstance(shows, list) else [],
            )
        )
    return out


def _read_bodies(conn: Connection, seqs: list[int]) -> dict[int, dict[str, Any]]:
    """The bodies of these events without ``covers`` (removed by the database, not parsed)."""
    stripped = (
        "json_remove(body, '$.covers')" if is_sqlite(conn) else "(body::jsonb - 'covers')::text"
    )
    rows = conn.execute(
        text(f"SELECT seq, {stripped} AS body FROM audit_event WHERE seq IN :seqs").bindparams(
            bindparam("seqs", expanding=True)
        ),
        {"seqs": seqs},
    ).all()
    out: dict[int, dict[str, Any]] = {}
    for seq, body in rows:
        got = json.loads(body) if isinstance(body, str) else body
        out[int(seq)] = got if isinstance(got, dict) else {}
    return out
