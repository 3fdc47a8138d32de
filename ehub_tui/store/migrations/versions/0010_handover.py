"""handover: a reassigned item's handover note and notice, and a claim's last activity

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``handover`` (empty) and add ``consultation.active_at``.

    A handover row is written by the audited reassign that makes it and marked seen by an
    audited ``handover_seen``, so it is covered like 0009's tables (store/coverage.py).
    ``active_at`` (the hub's time of the open screen's last heartbeat) is moved without an
    audit event, like ``lease_until``: it is outside the consultation's digest, and NULL in
    older rows, so their digests stay as they were.
    """
    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("from_user", sa.String(length=64), nullable=True),
        sa.Column("to_user", sa.String(length=64), nullable=False),
        sa.Column("by_user", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["consultation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    # a receiver's unseen handovers (every app asks every couple of seconds)
    op.create_index("ix_handover_to_user", "handover", ["to_user", "seen_at"], unique=False)
    op.create_index("ix_handover_item", "handover", ["item_id"], unique=False)
    op.add_column("consultation", sa.Column("active_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Drop the handover table and ``consultation.active_at``. The audit events about them stay
    (the chain is append-only)."""
    op.drop_column("consultation", "active_at")
    op.drop_index("ix_handover_item", table_name="handover")
    op.drop_index("ix_handover_to_user", table_name="handover")
    op.drop_table("handover")
