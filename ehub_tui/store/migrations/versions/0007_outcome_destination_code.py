"""outcome destination code: the code (docs/sop-authoring.md) returns count an outcome under

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add outcome.destination_code (nullable).

    Older outcomes keep NULL: the return counts them under the code their destination's service
    name had in the shipped SOPs, else OTHER (``domain/destinations.py`` reported_code), which is
    what a backfill would store. Not writing it keeps their audit digests as they were (a NULL
    column is outside the digest, store/coverage.py), so ``audit verify`` has nothing to explain.
    """
    op.add_column("outcome", sa.Column("destination_code", sa.String(length=40), nullable=True))


def downgrade() -> None:
    """Drop the column (plain DROP COLUMN, SQLite 3.35+, as 0004's downgrade does)."""
    op.drop_column("outcome", "destination_code")
