"""outcome panel: an outcome's mode of contact and team

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add outcome.contact_mode and outcome.team (nullable).

    Older outcomes keep NULL: a NULL column is outside a row's digest (store/coverage.py), so
    their audit digests stay as they were and ``audit verify`` needs no baseline event. New
    outcomes carry both in the digest of their ``complete`` event, like every outcome column.
    """
    op.add_column("outcome", sa.Column("contact_mode", sa.String(length=16), nullable=True))
    op.add_column("outcome", sa.Column("team", sa.String(length=120), nullable=True))


def downgrade() -> None:
    """Drop the columns (plain DROP COLUMN, SQLite 3.35+, as 0007's downgrade does)."""
    op.drop_column("outcome", "team")
    op.drop_column("outcome", "contact_mode")
