"""board indexes: the supervisor board's counts read from indexes, not the table

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Composite indexes for the board (status + due time / received time / practice)."""
    op.create_index("ix_consultation_status_due", "consultation", ["status", "due_by"])
    op.create_index(
        "ix_consultation_status_practice",
        "consultation",
        ["status", "practice_ods", "received_at"],
    )
    op.create_index("ix_consultation_status_received", "consultation", ["status", "received_at"])
    op.create_index(
        "ix_consultation_received_practice", "consultation", ["received_at", "practice_ods"]
    )
    # the old single-column indexes are prefixes of the new ones
    op.drop_index("ix_consultation_status", table_name="consultation")
    op.drop_index("ix_consultation_received", table_name="consultation")


def downgrade() -> None:
    """Back to the single-column indexes."""
    op.create_index("ix_consultation_received", "consultation", ["received_at"])
    op.create_index("ix_consultation_status", "consultation", ["status"])
    op.drop_index("ix_consultation_received_practice", table_name="consultation")
    op.drop_index("ix_consultation_status_received", table_name="consultation")
    op.drop_index("ix_consultation_status_practice", table_name="consultation")
    op.drop_index("ix_consultation_status_due", table_name="consultation")
