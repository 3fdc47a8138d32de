"""awaiting patient: an item parked for the patient's reply

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create awaiting_reply (empty): one row per parking of an item, with the question sent,
    the return time and the linked reply.

    No column is added to consultation: a parked item's status is the new value ``awaiting`` of
    the existing column. Every row of the new table is written by an audited action (park,
    reply linked, returned), and store/coverage.py covers it, so a row changed behind the hub's
    back is found by ``audit verify``.
    """
    op.create_table(
        "awaiting_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("parked_by", sa.String(length=64), nullable=False),
        sa.Column("parked_at", sa.DateTime(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("return_at", sa.DateTime(), nullable=False),
        sa.Column("due_by", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("returned_at", sa.DateTime(), nullable=True),
        sa.Column("reply_source", sa.String(length=64), nullable=True),
        sa.Column("reply_external_id", sa.String(length=128), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("reply_received_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["consultation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reply_source", "reply_external_id", name="uq_awaiting_reply_reply"),
    )
    op.create_index("ix_awaiting_reply_item", "awaiting_reply", ["item_id"], unique=False)
    # the hub's sweep: parkings still awaiting whose return time has come
    op.create_index("ix_awaiting_reply_due", "awaiting_reply", ["state", "return_at"])


def downgrade() -> None:
    """Drop awaiting_reply (the audit events about it stay: the chain is append-only)."""
    op.drop_index("ix_awaiting_reply_due", table_name="awaiting_reply")
    op.drop_index("ix_awaiting_reply_item", table_name="awaiting_reply")
    op.drop_table("awaiting_reply")
