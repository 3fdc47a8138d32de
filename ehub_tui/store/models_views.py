"""The saved-view tables of the hub store (migration 0013), in a module of their own so
store/models.py stays within the module size limit. Imported by store/coverage.py (which the
audit imports), so the tables are registered wherever the hub store is used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from ehub_tui.store.models import _dt


class SavedView(SQLModel, table=True):
    """A named queue view ("Admin team", "Clinical"): a filter and sort kept on the hub for
    everyone (migration 0013). Never holds a search (a search may name a patient). Written only
    by an audited ``view_save`` / ``view_delete``."""

    __tablename__ = "saved_view"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=64)
    updated_by: str = Field(max_length=64)
    updated_at: datetime = _dt()  # hub time


class DefaultView(SQLModel, table=True):
    """The saved view a user's queue opens with, set by a supervisor (migration 0013). Written
    only by an audited ``view_default``."""

    __tablename__ = "default_view"

    username: str = Field(primary_key=True, max_length=64)
    view_name: str = Field(max_length=64)
    set_by: str = Field(max_length=64)
    set_at: datetime = _dt()  # hub time
