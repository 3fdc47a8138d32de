"""The handover table of the hub store (migration 0010), in a module of its own so
store/models.py stays within the module size limit. Imported by store/coverage.py (which the
audit imports), so the table is registered wherever the hub store is used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from ehub_tui.store.models import _dt


class Handover(SQLModel, table=True):
    """A supervisor's reassign, as its receiver is told of it (migration 0010): the handover note,
    the previous holder's last draft when the supervisor sent it along, and when the receiver
    saw it. Written by the audited reassign; ``seen_at`` set by an audited ``handover_seen``."""

    __tablename__ = "handover"
    __table_args__ = (
        Index("ix_handover_to_user", "to_user", "seen_at"),
        Index("ix_handover_item", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="consultation.id")
    epoch: int  # the receiver's claim epoch (a later change of holder makes it moot)
    from_user: str | None = Field(default=None, max_length=64)
    to_user: str = Field(max_length=64)
    by_user: str = Field(max_length=64)
    note: str = Field(sa_column=Column(Text, nullable=False))
    draft: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _dt()  # hub time
    seen_at: datetime | None = _dt(nullable=True)
