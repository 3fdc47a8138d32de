"""returns: when an item was first picked up and when it was cancelled, each outcome's waits,
and the indexes the daily return reads

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
    # the waits of outcomes already recorded (new ones are fixed at completion)
    op.add_column("outcome", sa.Column("first_action_seconds", sa.Integer(), nullable=True))
    op.add_column("outcome", sa.Column("completion_seconds", sa.Integer(), nullable=True))
    sqlite = op.get_bind().dialect.name == "sqlite"

    def seconds(later: str, earlier: str) -> str:
        # each time cut to its whole second, then the difference (as queue.complete does)
        if sqlite:
            return (
                f"CAST(ROUND((julianday(substr({later}, 1, 19)) "
                f"- julianday(substr({earlier}, 1, 19))) * 86400) AS INTEGER)"
            )
        return (
            f"CAST(FLOOR(EXTRACT(EPOCH FROM {later})) "
            f"- FLOOR(EXTRACT(EPOCH FROM {earlier})) AS INTEGER)"
        )

    first = (
        "(SELECT COALESCE(c.first_claimed_at, outcome.claimed_at) FROM consultation c "
        "WHERE c.id = outcome.consultation_id)"
    )
    op.execute(
        f"UPDATE outcome SET completion_seconds = {seconds('completed_at', 'received_at')}, "
        f"first_action_seconds = {seconds(first, 'received_at')}"
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
    # plain DROP COLUMN (SQLite 3.35+): a batch copy of consultation would trip the outcome's
    # foreign key
    op.drop_column("outcome", "completion_seconds")
    op.drop_column("outcome", "first_action_seconds")
    op.drop_column("consultation", "cancelled_at")
    op.drop_column("consultation", "first_claimed_at")
