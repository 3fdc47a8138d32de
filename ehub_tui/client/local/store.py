"""LocalStore: the workstation's own SQLite file (see the package docstring and
docs/operations.md, "The workstation's local store")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, delete, exists, select, update

from ehub_tui.client.local import db
from ehub_tui.client.local.base import DR, OB, OL, QC, D, H
from ehub_tui.client.local.cache import CacheMixin
from ehub_tui.client.local.migrate import migrate
from ehub_tui.client.local.outbox import OutboxMixin
from ehub_tui.client.local.records import RecordsMixin
from ehub_tui.domain.clock import utcnow
from ehub_tui.errors import StoreError


@dataclass(frozen=True, slots=True)
class DeviceState:
    """This workstation's sync bookkeeping (the device row)."""

    device_id: str
    hub_key: str
    cursor: int
    offset_seconds: float | None
    rtt_seconds: float | None
    last_synced: datetime | None


@dataclass(frozen=True, slots=True)
class Purged:
    """How many rows a purge removed, by kind."""

    outbox: int = 0
    outcomes: int = 0
    held: int = 0
    drafts: int = 0
    cached_items: int = 0

    @property
    def total(self) -> int:
        """Rows removed altogether."""
        return self.outbox + self.outcomes + self.held + self.drafts + self.cached_items


class LocalStore(RecordsMixin, OutboxMixin, CacheMixin):
    """The local store of one workstation for one hub.

    ``path``: the file (made 0600 in a 0700 folder when absent); ``device_id``: this
    workstation's id (kept in the file the first time; the file's own id wins afterwards, so
    events keep one device name); ``hub_key``: which hub the file is for. Opening migrates the
    file (a file from a newer ehub-tui is refused with a StoreError). Safe to share between
    threads: each call is its own transaction.
    """

    def __init__(
        self,
        path: Path,
        *,
        device_id: str,
        hub_key: str = "",
        busy_seconds: float = 5.0,
        now: datetime | None = None,
    ) -> None:
        self.path = Path(path)
        db.make_private(self.path)
        self._engine = db.open_engine(self.path, busy_seconds)
        try:
            with db.write_tx(self._engine, self.path) as conn:
                migrate(conn, self.path)
                found = conn.execute(select(D.c.id)).scalar_one_or_none()
                if found is None:
                    conn.execute(
                        D.insert().values(
                            id=device_id,
                            hub_key=hub_key,
                            next_seq=1,
                            cursor=0,
                            created=now or utcnow(),
                        )
                    )
                    found = device_id
        except StoreError:
            self._engine.dispose()
            raise
        except Exception as exc:  # a file that is not a database, a full disk, ...
            self._engine.dispose()
            raise StoreError(
                f"{self.path}: this workstation's local store cannot be opened ({exc}). "
                "Move the file aside to start a new one (anything not yet sent is in it)."
            ) from None
        self._device_id = str(found)

    def close(self) -> None:
        """Close the file's connections."""
        self._engine.dispose()

    # -- the device ------------------------------------------------------------------------------

    def device(self) -> DeviceState:
        """The device row: cursor, the hub clock estimate and when the last sync was."""
        with self._read() as conn:
            r = conn.execute(select(D).where(D.c.id == self._device_id)).one()
        return DeviceState(
            r.id, r.hub_key, int(r.cursor), r.offset_seconds, r.rtt_seconds, r.last_synced
        )

    def note_clock(
        self, offset_seconds: float | None, rtt_seconds: float | None, hub_at: datetime
    ) -> None:
        """Keep the latest estimate of the hub's clock and when the hub last answered."""
        with self._write() as conn:
            conn.execute(
                update(D)
                .where(D.c.id == self._device_id)
                .values(offset_seconds=offset_seconds, rtt_seconds=rtt_seconds, last_synced=hub_at)
            )

    # -- upkeep ----------------------------------------------------------------------------------

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: "ok", or what is wrong (one line per fault)."""
        with self._read() as conn:
            lines = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        return "\n".join(lines) or "ok"

    def purge(self, keep_days: int, now: datetime | None = None) -> Purged:
        """Remove what the workstation no longer needs, older than ``keep_days``: sent events
        the hub acknowledged, accepted outcomes, closed held items (with nothing of theirs
        waiting or refused), drafts of items no longer held, and the cached queue when it was
        last refreshed that long ago. Never a pending or refused event or outcome."""
        cutoff = (now or utcnow()) - timedelta(days=keep_days)
        with self._write() as conn:
            outbox = conn.execute(
                delete(OB).where(OB.c.state == "acked", OB.c.acked_at < cutoff)
            ).rowcount
            outcomes = conn.execute(
                delete(OL).where(OL.c.state == "accepted", OL.c.hub_at < cutoff)
            ).rowcount
            open_event = exists().where(
                OB.c.item_id == H.c.item_id, OB.c.state.in_(("pending", "rejected"))
            )
            open_outcome = exists().where(
                OL.c.item_id == H.c.item_id, OL.c.state.in_(("pending", "rejected"))
            )
            held = conn.execute(
                delete(H).where(
                    H.c.state != "held", H.c.updated < cutoff, ~open_event, ~open_outcome
                )
            ).rowcount
            still_held = exists().where(
                and_(H.c.item_id == DR.c.item_id, H.c.username == DR.c.username),
                H.c.state == "held",
            )
            drafts = conn.execute(delete(DR).where(DR.c.updated < cutoff, ~still_held)).rowcount
            synced = conn.execute(
                select(D.c.last_synced).where(D.c.id == self._device_id)
            ).scalar_one_or_none()
            stale = conn.execute(select(QC.c.item_id).limit(1)).first() is not None and (
                synced is None or synced < cutoff
            )
            cached = conn.execute(delete(QC)).rowcount if stale else 0
        return Purged(outbox, outcomes, held, drafts, cached)
