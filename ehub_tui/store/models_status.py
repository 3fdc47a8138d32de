"""The held-responses table of the hub store (migration 0018), in a module of its own so
store/models.py stays within the module size limit. Imported by store/coverage.py (which the
audit imports), so the table is registered wherever the hub store is used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ehub_tui.store.models import _dt


class ResponseHold(SQLModel, table=True):
    """A supplier response the hub saw but did not queue as work (issue 16), by its supplier key:
    ``waiting`` (in-progress: the patient has not finished; the completed version is ingested
    when it comes), ``stopped`` (the patient abandoned the form), ``withdrawn`` (entered in error
    before the hub ever had it: a later version of it is never queued) or ``done`` (the completed
    version came and was stored as ``consultation_id``).

    Holds no patient details: only the key, the file and place it was read from, and when. One
    row per key, updated as later versions arrive; every write is audited (store/coverage.py).
    """

    __tablename__ = "response_hold"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_response_hold_key"),
        Index("ix_response_hold_state", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    external_id: str = Field(max_length=128)
    state: str = Field(max_length=16)  # waiting | stopped | withdrawn | done
    response_status: str = Field(max_length=24)  # the FHIR status last seen
    source_file: str = Field(max_length=1024)
    location: str = Field(max_length=200)
    first_seen_at: datetime = _dt()
    updated_at: datetime = _dt()
    consultation_id: int | None = Field(default=None, foreign_key="consultation.id")
