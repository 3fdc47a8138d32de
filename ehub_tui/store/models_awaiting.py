"""The awaiting-the-patient table of the hub store (migration 0012), in a module of its own so
store/models.py stays within the module size limit. Imported by store/coverage.py (which the
audit imports), so the table is registered wherever the hub store is used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ehub_tui.store.models import _dt


class AwaitingReply(SQLModel, table=True):
    """One parking of an item for the patient's reply (migration 0012): the question sent, when
    it comes back, and the reply once linked. Never deleted; the newest row of an item is its
    current parking (domain/awaiting.py)."""

    __tablename__ = "awaiting_reply"
    __table_args__ = (
        Index("ix_awaiting_reply_item", "item_id"),
        Index("ix_awaiting_reply_due", "state", "return_at"),  # the hub's sweep
        UniqueConstraint("reply_source", "reply_external_id", name="uq_awaiting_reply_reply"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="consultation.id")
    parked_by: str = Field(max_length=64)
    parked_at: datetime = _dt()  # hub time
    epoch: int  # the parker's claim epoch (the item's epoch moved on past it)
    question: str = Field(sa_column=Column(Text, nullable=False))
    return_at: datetime = _dt()
    due_by: datetime = _dt()  # the item's due time when parked (a later return was warned)
    state: str = Field(default="awaiting", max_length=16)  # awaiting | replied | timed_out
    returned_at: datetime | None = _dt(nullable=True)
    reply_source: str | None = Field(default=None, max_length=64)
    reply_external_id: str | None = Field(default=None, max_length=128)
    reply_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reply_received_at: datetime | None = _dt(nullable=True)
