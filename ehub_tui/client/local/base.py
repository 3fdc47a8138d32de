"""What every part of the local store shares: the file, its transactions, the values it returns
and the JSON forms of the domain's dataclasses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, Engine, select, update

from ehub_tui.client.local import db
from ehub_tui.client.local.models import (
    Device,
    Draft,
    Held,
    LocalUser,
    Outbox,
    OutcomeLocal,
    QueueCache,
    SopCache,
)
from ehub_tui.domain.queue import Claim, QueueRow
from ehub_tui.domain.sync import EventResult

CLAIM = TypeAdapter(Claim)
ROW = TypeAdapter(QueueRow)
RESULT = TypeAdapter(EventResult)

# the tables, for SQLAlchemy Core statements
D = Device.__table__  # type: ignore[attr-defined]
OB = Outbox.__table__  # type: ignore[attr-defined]
U = LocalUser.__table__  # type: ignore[attr-defined]
H = Held.__table__  # type: ignore[attr-defined]
DR = Draft.__table__  # type: ignore[attr-defined]
OL = OutcomeLocal.__table__  # type: ignore[attr-defined]
QC = QueueCache.__table__  # type: ignore[attr-defined]
SC = SopCache.__table__  # type: ignore[attr-defined]


def mark_claimed(conn: Connection, item_id: int, owner: str) -> None:
    """Show a cached queue line as claimed by ``owner`` (claimed here, before a pull says so)."""
    cached = conn.execute(select(QC.c.row).where(QC.c.item_id == item_id)).first()
    if cached is not None:
        mine = {"status": "claimed", "owner": owner}
        conn.execute(
            update(QC).where(QC.c.item_id == item_id).values(row=dict(cached.row) | mine, **mine)
        )


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An outbox row to write: what was done (the store adds the uuid and the device order)."""

    username: str
    kind: str
    item_id: int
    epoch: int
    client_at: datetime  # this workstation's wall clock when the navigator acted
    payload: dict[str, Any]
    offset_seconds: float | None = None
    rtt_seconds: float | None = None


class StoreBase:
    """The file and its transactions (LocalStore's parts all build on this)."""

    path: Path
    _engine: Engine
    _device_id: str

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with db.write_tx(self._engine, self.path) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with db.read_tx(self._engine) as conn:
            yield conn

    @property
    def device_id(self) -> str:
        """This workstation's device id (events carry it)."""
        return self._device_id

    def _enqueue(self, conn: Connection, event: NewEvent, now: datetime) -> str:
        """Write one outbox row inside ``conn``'s transaction; returns its event id. The device
        order comes from the device row, so it keeps growing after old rows are purged."""
        seq = int(conn.execute(select(D.c.next_seq).where(D.c.id == self._device_id)).scalar_one())
        conn.execute(update(D).where(D.c.id == self._device_id).values(next_seq=seq + 1))
        event_id = str(uuid.uuid4())
        conn.execute(
            OB.insert().values(
                event_id=event_id,
                device_seq=seq,
                username=event.username,
                kind=event.kind,
                item_id=event.item_id,
                epoch=event.epoch,
                payload=event.payload,
                client_at=event.client_at,
                offset_seconds=event.offset_seconds,
                rtt_seconds=event.rtt_seconds,
                state="pending",
                attempts=0,
                created=now,
            )
        )
        return event_id
