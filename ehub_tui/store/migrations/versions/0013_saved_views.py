"""saved views: named queue filters and a user's default view

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create saved_view and default_view (empty), and index consultation.nhs_number.

    Every row of the new tables is written by an audited action (``view_save``,
    ``view_delete``, ``view_default``) and store/coverage.py covers both, so a row changed
    behind the hub's back is found by ``audit verify``. No column is added to an audited table:
    no digest changes. The index lets the queue's search by NHS number find its items without
    reading every row.
    """
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "default_view",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("view_name", sa.String(length=64), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_index("ix_consultation_nhs_number", "consultation", ["nhs_number"], unique=False)


def downgrade() -> None:
    """Drop the index and the two tables (the audit events about them stay: the chain is
    append-only)."""
    op.drop_index("ix_consultation_nhs_number", table_name="consultation")
    op.drop_table("default_view")
    op.drop_table("saved_view")
