"""practice list sizes by month (issue 16)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create practice_list_size (empty): a practice's list size per month.

    Every row is written by an audited ``practice_list_sizes`` import and store/coverage.py
    covers the table, so a row changed behind the hub's back is found by ``audit verify``. No
    column is added to an audited table: no digest changes. A practice's ``list_size`` stays
    its current size (the board's share); a past return reads the size of its month here.
    """
    op.create_table(
        "practice_list_size",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ods_code", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("list_size", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ods_code"], ["practice.ods_code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ods_code", "month", name="uq_practice_list_size_practice_month"),
    )


def downgrade() -> None:
    """Drop the table (the audit events about it stay: the chain is append-only); a practice's
    current list size is kept."""
    op.drop_table("practice_list_size")
