"""The hub's queue as the last pull showed it, and the SOP versions it published: what the app
reads when the hub is away. A pull is applied in ONE local transaction (cache rows, held items,
drafts the hub kept, refusals resolved, the cursor), so a crash never leaves half a pull."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert

from ehub_tui.client.local import filtering
from ehub_tui.client.local.base import DR, OL, QC, ROW, SC, D, H, StoreBase, U, mark_claimed
from ehub_tui.client.local.outbox import _mark_resolved
from ehub_tui.client.local.records import _held, _upsert_held
from ehub_tui.domain.models import Consultation
from ehub_tui.domain.queue import QueueFilter, QueueRow
from ehub_tui.domain.sync import PullResult

_QUEUE_ORDER = (QC.c.priority.desc(), QC.c.received_at, QC.c.item_id)


def row_from_consultation(c: Consultation, **changes: Any) -> QueueRow:
    """A queue line for a consultation held here (as the hub's views would show it)."""
    given, family = c.given_name.strip(), c.family_name.strip()
    found = c.sop_flags
    levels = None if c.screened_at is None else tuple(f.get("level", "") for f in found or [])
    values: dict[str, Any] = {
        "id": c.id,
        "priority": int(c.priority),
        "status": str(c.status),
        "owner": c.owner,
        "received_at": c.received_at,
        "due_by": c.due_by,
        "practice_ods": c.practice_ods,
        "request_type": c.request_type,
        "template": c.template,
        "initials": ((given[:1] + family[:1]) or "?").upper(),
        "date_of_birth": c.date_of_birth,
        "sex": c.sex,
        "summary": " ".join(c.free_text[:120].split()),
        "supplier_flags": tuple(c.supplier_flags),
        "completed_at": c.completed_at,
        "sop_flags": levels,
        "dob_precision": getattr(c, "dob_precision", None),
    }
    return QueueRow(**(values | changes))


class CacheMixin(StoreBase):
    """Applying pulls, and reading the cached queue and SOPs."""

    def apply_pull(self, username: str, pull: PullResult, started: datetime, now: datetime) -> None:
        """Apply what a pull brought (see the module docstring). ``started``: this
        workstation's time when the pull was asked for (an item claimed here after that is not
        taken for lost because the pull did not list it)."""
        with self._write() as conn:
            if not pull.not_modified:
                _apply_rows(conn, pull, now)
                _apply_held(conn, username, pull, started, now)
                _claimed_since(conn, username, started)
                _mark_resolved(conn, username, {r.event_id for r in pull.rejected}, now)
            conn.execute(update(U).where(U.c.username == username).values(pull_cursor=pull.cursor))
            conn.execute(
                update(D)
                .where(D.c.id == self._device_id)
                .values(cursor=pull.cursor, last_synced=pull.hub_time)
            )

    def queue_rows(
        self,
        view: str,
        username: str,
        filters: QueueFilter,
        since: datetime,
        offset: int,
        limit: int,
    ) -> tuple[list[QueueRow], int]:
        """One window of a view from the cache (queue | mine | done) and the view's size; the
        issue-15 filters and search: client/local/filtering.py (a search by NHS number is
        refused there, in a sentence)."""
        filtering.refuse_offline(filters)
        if view == "queue":
            query = select(QC.c.row).where(
                QC.c.status == "queued", *_filters(filters), *filtering.clauses(filters, since)
            )
            with self._read() as conn:
                total = int(
                    conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
                )
                window = conn.execute(
                    query.order_by(*filtering.order(filters)).offset(offset).limit(limit)
                ).scalars()
                rows = [ROW.validate_python(r) for r in window]
                return filtering.with_matched(rows, filters), total
        rows = self._mine(username) if view == "mine" else self._done(username, since)
        rows = [
            r
            for r in rows
            if _matches(r, filters)
            and filtering.matches(r, filters, since)
            and filtering.search_text_matches(r, filters)
        ]
        return filtering.with_matched(rows[offset : offset + limit], filters), len(rows)

    def view_counts(self, username: str, since: datetime) -> dict[str, int]:
        """Sizes of the queue, mine and done-today views, from the cache."""
        with self._read() as conn:
            queued = conn.execute(
                select(func.count()).select_from(QC).where(QC.c.status == "queued")
            ).scalar_one()
        return {
            "queue": int(queued),
            "mine": len(self._mine(username)),
            "done": len(self._done(username, since)),
        }

    def _mine(self, username: str) -> list[QueueRow]:
        """This user's held items (open here), as queue lines."""
        held = self.held(username)  # type: ignore[attr-defined]
        with self._read() as conn:
            cached = {
                int(r.item_id): r.row
                for r in conn.execute(
                    select(QC.c.item_id, QC.c.row).where(
                        QC.c.item_id.in_([h.claim.item_id for h in held])
                    )
                )
            }
        rows = []
        for h in held:
            mine = {"status": "claimed", "owner": username}
            if h.claim.item_id in cached:
                rows.append(ROW.validate_python(cached[h.claim.item_id] | mine))
            elif h.consultation is not None:
                rows.append(row_from_consultation(h.consultation, **mine))
        return rows

    def _done(self, username: str, since: datetime) -> list[QueueRow]:
        """Items this user completed here since ``since`` (not refused), newest first."""
        with self._read() as conn:
            found = conn.execute(
                select(OL.c.completed_at, OL.c.outcome, H)
                .join(H, H.c.item_id == OL.c.item_id)
                .where(
                    OL.c.username == username,
                    OL.c.completed_at >= since,
                    OL.c.state != "rejected",
                )
                .order_by(OL.c.completed_at.desc())
            ).all()
        rows = []
        for r in found:
            item = _held(r)
            if item.consultation is not None:
                rows.append(
                    row_from_consultation(
                        item.consultation,
                        status="completed",
                        owner=username,
                        completed_at=r.completed_at,
                        # where it went in words, as the hub's Done today says it
                        route=r.outcome.get("destination") or r.outcome.get("route"),
                    )
                )
        return rows

    # -- SOP versions ----------------------------------------------------------------------------

    def sop_stamp(self) -> tuple[int, int] | None:
        """The hub's sop_stamp the cached SOP versions match (None: none cached)."""
        with self._read() as conn:
            stamp = conn.execute(
                select(D.c.sop_stamp).where(D.c.id == self._device_id)
            ).scalar_one_or_none()
        return None if not stamp else (int(stamp[0]), int(stamp[1]))

    def cache_sops(self, versions: Sequence[Any], stamp: tuple[int, int]) -> None:
        """Keep the hub's published SOP versions (PublishedText) and the stamp they match."""
        with self._write() as conn:
            for v in versions:
                conn.execute(
                    insert(SC)
                    .values(
                        sha256=v.sha256,
                        sop_id=v.sop_id,
                        version=v.version,
                        name=v.name,
                        text=v.text,
                        tests=v.tests,
                        approved_by=v.approved_by,
                        published_by=v.published_by,
                        published_at=v.published_at,
                        row_id=v.row_id,
                    )
                    .on_conflict_do_nothing(index_elements=["sha256"])
                )
            conn.execute(update(D).where(D.c.id == self._device_id).values(sop_stamp=list(stamp)))

    def cached_sops(self) -> list[Any]:
        """The cached SOP versions (PublishedText), in publishing order."""
        from ehub_tui.sop.library import PublishedText

        with self._read() as conn:
            found = conn.execute(select(SC).order_by(SC.c.row_id, SC.c.sha256)).all()
        return [
            PublishedText(
                sop_id=r.sop_id,
                version=r.version,
                name=r.name,
                text=bytes(r.text),
                tests=None if r.tests is None else bytes(r.tests),
                sha256=r.sha256,
                approved_by=r.approved_by,
                published_at=r.published_at,
                row_id=int(r.row_id),
                published_by=r.published_by,
            )
            for r in found
        ]


def _apply_rows(conn: Connection, pull: PullResult, now: datetime) -> None:
    if pull.reset:
        conn.execute(delete(QC))
    elif pull.gone:
        conn.execute(delete(QC).where(QC.c.item_id.in_(pull.gone)))
    for row in pull.rows:
        values = {
            "row": ROW.dump_python(row, mode="json"),
            "status": row.status,
            "owner": row.owner,
            "priority": row.priority,
            "received_at": row.received_at,
            "due_by": row.due_by,
            "practice": row.practice_ods,
            "request_type": row.request_type,
            "updated": pull.hub_time,
        }
        conn.execute(
            insert(QC)
            .values(item_id=row.id, **values)
            .on_conflict_do_update(index_elements=["item_id"], set_=values)
        )


def _apply_held(
    conn: Connection, username: str, pull: PullResult, started: datetime, now: datetime
) -> None:
    listed = set()
    for item in pull.held:
        if item.claim.owner != username:
            continue
        listed.add(item.claim.item_id)
        _upsert_held(conn, item.claim, item.consultation, now, renewed=None)
        if item.draft is not None:  # the hub's copy of a draft (another workstation's)
            conn.execute(
                insert(DR)
                .values(
                    item_id=item.claim.item_id,
                    username=username,
                    epoch=item.claim.epoch,
                    draft=item.draft,
                    updated=now,
                )
                .on_conflict_do_nothing(index_elements=["item_id", "username"])
            )
    # held here, not held on the hub: lost (reassigned, rescued, released by a supervisor);
    # unless claimed here after the pull was asked for
    conn.execute(
        update(H)
        .where(
            H.c.username == username,
            H.c.state == "held",
            H.c.item_id.not_in(listed),
            H.c.updated < started,
        )
        .values(state="lost", updated=now)
    )


def _claimed_since(conn: Connection, username: str, started: datetime) -> None:
    """Items claimed here after the pull was asked for stay claimed in the cache (the pull's
    snapshot may predate the claim)."""
    fresh = conn.execute(
        select(H.c.item_id).where(
            H.c.username == username, H.c.state == "held", H.c.updated >= started
        )
    ).scalars()
    for item_id in list(fresh):
        mark_claimed(conn, int(item_id), username)


def _filters(f: QueueFilter) -> list[Any]:
    parts: list[Any] = []
    if f.practice:
        parts.append(QC.c.practice == f.practice)
    if f.request_type:
        parts.append(QC.c.request_type == f.request_type)
    if f.min_priority:
        parts.append(QC.c.priority >= f.min_priority)
    if f.due_before is not None:  # due soon, and every emergency (due now), as on the hub
        parts.append(or_(QC.c.due_by <= f.due_before, QC.c.priority >= 2))
    # the search and the issue-15 filters: client/local/filtering.py
    return parts


def _matches(row: QueueRow, f: QueueFilter) -> bool:
    if f.practice and row.practice_ods != f.practice:
        return False
    if f.request_type and row.request_type != f.request_type:
        return False
    if f.min_priority and row.priority < f.min_priority:
        return False
    # (the search and the issue-15 filters: client/local/filtering.py)
    return f.due_before is None or row.due_by <= f.due_before or row.priority >= 2
