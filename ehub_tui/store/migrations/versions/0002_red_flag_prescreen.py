"""red-flag prescreen: when each consultation was screened, and the red flags found

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the prescreen columns (nullable: existing rows are screened later)."""
    op.add_column("consultation", sa.Column("screened_at", sa.DateTime(), nullable=True))
    op.add_column("consultation", sa.Column("sop_flags", sa.JSON(), nullable=True))
    op.create_index("ix_consultation_screened", "consultation", ["screened_at"], unique=False)


def downgrade() -> None:
    """Drop the prescreen columns."""
    op.drop_index("ix_consultation_screened", table_name="consultation")
    with op.batch_alter_table("consultation") as batch:
        batch.drop_column("sop_flags")
        batch.drop_column("screened_at")
