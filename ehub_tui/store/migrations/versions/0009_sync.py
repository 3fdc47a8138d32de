"""sync: the dedupe ledger of pushed events, refused events, drafts, and an outcome's client times

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_OUTCOME_COLUMNS = (
    "client_completed_at",
    "clock_offset_seconds",
    "clock_suspect",
    "late",
    "event_id",
    "active_seconds",
)


def upgrade() -> None:
    """Create sync_event, sync_rejected and sync_draft (empty), and add nullable columns to
    outcome for a completion pushed from a workstation's outbox.

    Older outcomes keep NULL in the new columns, which are outside a row's digest while NULL
    (store/coverage.py): their audit digests stay as they were, so ``audit verify`` holds
    without a baseline event. Every row of the new tables is written by an audited sync action.
    """
    op.create_table(
        "sync_event",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("client_at", sa.DateTime(), nullable=False),
        sa.Column("offset_seconds", sa.Float(), nullable=True),
        sa.Column("rtt_seconds", sa.Float(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outcome_id", sa.Integer(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    # a device's events in its order (sync verify; a supervisor looking at one workstation)
    op.create_index(
        "ix_sync_event_device", "sync_event", ["username", "device_id", "device_seq"], unique=False
    )
    op.create_table(
        "sync_rejected",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("client_at", sa.DateTime(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    # a user's unresolved refusals (every pull asks for them)
    op.create_index(
        "ix_sync_rejected_user", "sync_rejected", ["username", "resolved_at"], unique=False
    )
    op.create_table(
        "sync_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "username", name="uq_sync_draft_item_user"),
    )
    op.add_column("outcome", sa.Column("client_completed_at", sa.DateTime(), nullable=True))
    op.add_column("outcome", sa.Column("clock_offset_seconds", sa.Float(), nullable=True))
    op.add_column("outcome", sa.Column("clock_suspect", sa.Boolean(), nullable=True))
    op.add_column("outcome", sa.Column("late", sa.Boolean(), nullable=True))
    op.add_column("outcome", sa.Column("event_id", sa.String(length=36), nullable=True))
    op.add_column("outcome", sa.Column("active_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop the sync tables and the outcome columns (plain DROP COLUMN, SQLite 3.35+). The audit
    events about them stay (the chain is append-only)."""
    for name in reversed(_OUTCOME_COLUMNS):
        op.drop_column("outcome", name)
    op.drop_table("sync_draft")
    op.drop_index("ix_sync_rejected_user", table_name="sync_rejected")
    op.drop_table("sync_rejected")
    op.drop_index("ix_sync_event_device", table_name="sync_event")
    op.drop_table("sync_event")
