"""returns: when an item was first picked up and when it was cancelled, and the indexes the
daily return reads

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add consultation.first_claimed_at / cancelled_at (filled from the audit) and indexes."""
    op.add_column("consultation", sa.Column("first_claimed_at", sa.DateTime(), nullable=True))
    op.add_column("consultation", sa.Column("cancelled_at", sa.DateTime(), nullable=True))
    # existing items: the audit trail knows when each was first claimed and when it was cancelled
    op.execute(
        "UPDATE consultation SET first_claimed_at = (SELECT MIN(a.at) FROM audit_event a "
        "WHERE a.consultation_id = consultation.id AND a.action IN ('claim', 'reassign')) "
        "WHERE status <> 'queued' OR claimed_at IS NOT NULL"
    )
    op.execute(
        "UPDATE consultation SET cancelled_at = COALESCE((SELECT MAX(a.at) FROM audit_event a "
        "WHERE a.consultation_id = consultation.id AND a.action = 'cancel'), updated_at) "
        "WHERE status = 'cancelled'"
    )
    # covering indexes: the backlog open at a midnight counts items closed after it
    op.create_index(
        "ix_consultation_completed", "consultation", ["completed_at", "received_at", "practice_ods"]
    )
    op.create_index(
        "ix_consultation_cancelled", "consultation", ["cancelled_at", "received_at", "practice_ods"]
    )
    op.create_index("ix_outcome_completed", "outcome", ["completed_at"])
    op.create_index("ix_audit_action_at", "audit_event", ["action", "at"])


def downgrade() -> None:
    """Drop the indexes and columns."""
    op.drop_index("ix_audit_action_at", table_name="audit_event")
    op.drop_index("ix_outcome_completed", table_name="outcome")
    op.drop_index("ix_consultation_cancelled", table_name="consultation")
    op.drop_index("ix_consultation_completed", table_name="consultation")
    with op.batch_alter_table("consultation") as batch:
        batch.drop_column("cancelled_at")
        batch.drop_column("first_claimed_at")
