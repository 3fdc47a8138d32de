"""sop versions: the hub keeps every published SOP version; hub_user.role fits clinical_approver

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create sop_version; widen hub_user.role to 32 characters.

    The table starts empty: the first app to need SOPs seeds it from the SOPs shipped inside the
    package (HubService), as it does on a new hub.
    """
    op.create_table(
        "sop_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sop_text", sa.Text(), nullable=False),
        sa.Column("tests_text", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sop_id", "version", name="uq_sop_version"),
    )
    with op.batch_alter_table("hub_user") as batch:
        batch.alter_column(
            "role", existing_type=sa.String(length=16), type_=sa.String(length=32), nullable=False
        )


def downgrade() -> None:
    """Drop sop_version; clinical approvers become SOP authors (who publish in 0004's code)."""
    op.drop_table("sop_version")
    op.execute("UPDATE hub_user SET role = 'sop_author' WHERE role = 'clinical_approver'")
    with op.batch_alter_table("hub_user") as batch:
        batch.alter_column(
            "role", existing_type=sa.String(length=32), type_=sa.String(length=16), nullable=False
        )
