"""The per-month list size table of the hub store (migration 0016), in a module of its own so
store/models.py stays within the module size limit. Imported by store/coverage.py (which the
audit imports), so the table is registered wherever the hub store is used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ehub_tui.store.models import _dt


class PracticeListSize(SQLModel, table=True):
    """A practice's registered patients at the start of a month (``YYYY-MM``), from NHS
    Digital's "Patients Registered at a GP Practice" file (issue 16). A return for a past day
    uses the size of its month. Written only by an audited ``practice_list_sizes``."""

    __tablename__ = "practice_list_size"
    __table_args__ = (
        UniqueConstraint("ods_code", "month", name="uq_practice_list_size_practice_month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ods_code: str = Field(foreign_key="practice.ods_code", max_length=16)
    month: str = Field(max_length=7)
    list_size: int
    imported_by: str = Field(max_length=64)
    imported_at: datetime = _dt()  # hub time


# What store/coverage.py's Covered takes after the table's name: the table, its key, the columns
# its digest covers (by name) and those its audit events show. Every column is both: a practice
# code, a month, a count, who imported it and when (nothing about a patient). Kept here so
# coverage.py stays within the module size limit.
_COLUMNS = tuple(PracticeListSize.__table__.columns.keys())  # type: ignore[attr-defined]
COVERAGE: tuple[Any, str, tuple[str, ...], tuple[str, ...]] = (
    PracticeListSize.__table__,  # type: ignore[attr-defined]
    "id",
    tuple(sorted(_COLUMNS)),
    _COLUMNS,
)
